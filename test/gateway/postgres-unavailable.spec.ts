/**
 * A PostgreSQL store whose server does not serve a statement (connection refused or lost, the
 * server shutting down or out of resources) answers like the embedded store that cannot write:
 * 503 store.unavailable with Retry-After, nothing stored, and the same request succeeds once the
 * server answers again. A statement's own failure (a constraint, a programming error) stays what
 * it is. Needs the PostgreSQL of TEST_DATABASE_URL (skipped with a warning without it).
 */
import { expect } from "chai";
import net from "node:net";
import { randomBytes } from "node:crypto";
import type { Client } from "pg";
import request from "supertest";
import { openPostgres, type Db } from "../../src/store/db";
import { isServerUnavailable, POSTGRES_RETRY_AFTER_SECONDS } from "../../src/store/postgres-unavailable";
import { StoreUnavailableError } from "../../src/store/store-unavailable";
import { ADMIN_URL, connectAdmin, createDatabase } from "./helpers/postgres-server";
import { expectProblem, firstOperators, issueConsumer, openMerchant, startTempGateway, toJson, type GatewayFixture } from "./helpers/gateway-fixture";

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/**
 * A TCP relay in front of the PostgreSQL server that can be cut (its connections reset, new ones
 * refused: the server is gone for its clients) and restored on the same port.
 */
class CuttableRelay {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Resets every relayed connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    for (const s of this.sockets) s.resetAndDestroy();
    await closed;
  }

  /** The URL of `databaseUrl`'s database through the relay. */
  urlOf(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = "127.0.0.1";
    url.port = String(this.port);
    return url.toString();
  }
}

/** A port nothing listens on (taken from the system, then freed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("PostgreSQL store when the server does not serve", function () {
  this.timeout(180_000);

  describe("isServerUnavailable", function () {
    it("counts a refused, reset or terminated connection and the server's own failures", function () {
      for (const code of ["08006", "08001", "08P01", "53300", "53100", "53200", "57P01", "57P02", "57P03", "58000", "58030"]) {
        expect(isServerUnavailable({ code, message: "server failed" }), code).to.equal(true);
      }
      for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"]) {
        expect(isServerUnavailable(Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code })), code).to.equal(true);
      }
      expect(isServerUnavailable(new Error("Connection terminated unexpectedly"))).to.equal(true);
      expect(isServerUnavailable(new Error("Connection terminated due to connection timeout"))).to.equal(true);
      expect(isServerUnavailable(new Error("Connection terminated"))).to.equal(true);
      expect(isServerUnavailable(new Error("timeout exceeded when trying to connect"))).to.equal(true);
      expect(isServerUnavailable(new Error("Client has encountered a connection error and is not queryable"))).to.equal(true);
      const refusedTwice = new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1:5432"), { code: "ECONNREFUSED" }), Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })]);
      expect(isServerUnavailable(refusedTwice)).to.equal(true);
    });

    it("leaves a statement's own failures alone", function () {
      expect(isServerUnavailable({ code: "23505", message: "duplicate key value violates unique constraint" })).to.equal(false);
      expect(isServerUnavailable({ code: "23503", message: "insert or update violates foreign key constraint" })).to.equal(false);
      expect(isServerUnavailable({ code: "40001", message: "could not serialize access due to concurrent update" })).to.equal(false);
      expect(isServerUnavailable({ code: "42P01", message: 'relation "missing" does not exist' })).to.equal(false);
      expect(isServerUnavailable({ code: "57014", message: "canceling statement due to statement timeout" })).to.equal(false);
      expect(isServerUnavailable({ code: "22P02", message: "Connection terminated" })).to.equal(false);
      expect(isServerUnavailable(new TypeError("Cannot read properties of undefined (reading 'rows')"))).to.equal(false);
      expect(isServerUnavailable(new Error("Db used inside its own transaction"))).to.equal(false);
      expect(isServerUnavailable(undefined)).to.equal(false);
    });
  });

  describe("on the server of TEST_DATABASE_URL", function () {
    let admin: Client | undefined;
    const databases: string[] = [];
    let databaseUrl: string;
    const dbs: Db[] = [];

    before(async function () {
      admin = await connectAdmin(this);
      databaseUrl = await createDatabase(admin!, databases);
    });

    after(async function () {
      for (const db of dbs) await db.close().catch(() => undefined);
      for (const name of databases) await admin?.query(`drop database if exists ${name} with (force)`);
      await admin?.end();
    });

    const open = (url: string) => {
      const db = openPostgres(url);
      dbs.push(db);
      return db;
    };

    it("answers StoreUnavailableError with a Retry-After from a pool whose server refuses connections", async function () {
      const url = new URL(databaseUrl);
      url.hostname = "127.0.0.1";
      url.port = String(await closedPort());
      const db = open(url.toString());
      const refused = await failure(db.query("select 1"));
      expect(refused).to.be.instanceOf(StoreUnavailableError);
      expect((refused as StoreUnavailableError).retryAfterSeconds).to.equal(POSTGRES_RETRY_AFTER_SECONDS);
      expect((refused as StoreUnavailableError).reason).to.include("ECONNREFUSED");
      expect(await failure(db.transaction((tx) => tx.query("select 1")))).to.be.instanceOf(StoreUnavailableError);
    });

    it("answers StoreUnavailableError when its backend is terminated mid-transaction, and serves the next statement", async function () {
      const db = open(databaseUrl);
      await db.exec("create table kept (id int primary key)");
      const terminated = await failure(
        db.transaction(async (tx) => {
          await tx.query("insert into kept values (1)");
          const [{ pid }] = await tx.query<{ pid: number }>("select pg_backend_pid() as pid");
          await admin!.query("select pg_terminate_backend($1)", [pid]);
          await tx.query("insert into kept values (2)");
        }),
      );
      expect(terminated).to.be.instanceOf(StoreUnavailableError);
      expect(await db.query("select id from kept")).to.deep.equal([]);
      await db.transaction((tx) => tx.query("insert into kept values (1)"));
      expect(await db.query("select id from kept")).to.deep.equal([{ id: 1 }]);
    });

    it("passes a constraint violation and a programming error on as they are", async function () {
      const db = open(databaseUrl);
      await db.exec("create table once (id int primary key)");
      await db.query("insert into once values (1)");
      const duplicate = await failure(db.transaction((tx) => tx.query("insert into once values (1)")));
      expect(duplicate).not.to.be.instanceOf(StoreUnavailableError);
      expect(duplicate).to.have.property("code", "23505");
      const missing = await failure(db.query("select * from no_such_table"));
      expect(missing).not.to.be.instanceOf(StoreUnavailableError);
      expect(missing).to.have.property("code", "42P01");
    });

    describe("a gateway whose server goes away during intake", function () {
      let relay: CuttableRelay;
      let f: GatewayFixture | undefined;

      before(async function () {
        const server = new URL(ADMIN_URL);
        relay = new CuttableRelay({ host: server.hostname, port: Number(server.port || 5432) });
        await relay.open();
        const url = relay.urlOf(await createDatabase(admin!, databases));
        const started = await startTempGateway({ DATABASE_URL: url, IDENTITY_KEY: `0x${randomBytes(32).toString("hex")}` }, { print: () => undefined });
        f = { url: started.gateway.url, ...started, operators: await firstOperators(started.gateway.url, started.dataDir) };
      });

      after(async function () {
        await relay?.open().catch(() => undefined);
        await f?.stop();
        await relay?.cut();
      });

      it("answers 503 store.unavailable with Retry-After, then accepts the same settlement once the server answers", async function () {
        const shop = await openMerchant(f!, `unavailable-${randomBytes(3).toString("hex")}`);
        const card = await issueConsumer(f!, `unavailable-${randomBytes(3).toString("hex")}`);
        const slip = shop.terminal.slip({ orderNumber: "U-1", cardId: card.cardId, currency: "CNY", category: 1, lines: [{ description: "Tea", quantity: 1, unitPrice: "1250" }] });
        const body = toJson(await shop.terminal.signSettlement(slip, card.signer)) as object;

        await relay.cut();
        const refused = await request(f!.url).post("/v1/settlements").send(body);
        expect(refused.status, JSON.stringify(refused.body)).to.equal(503);
        expectProblem(refused.body, 503, "store.unavailable");
        expect(refused.headers["retry-after"]).to.equal(String(POSTGRES_RETRY_AFTER_SECONDS));

        await relay.open();
        const accepted = await request(f!.url).post("/v1/settlements").send(body);
        expect(accepted.status, JSON.stringify(accepted.body)).to.equal(202);
        const again = await request(f!.url).post("/v1/settlements").send(body);
        expect(again.status, "the re-sent settlement is the one stored, not a second").to.equal(200);
        expect(again.body).to.deep.include({ id: (accepted.body as { id: string }).id, duplicate: true });
      });
    });
  });
});
