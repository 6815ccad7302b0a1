/**
 * Gateway leases (ADR 0007): each gateway's claims commit only while it holds the lease on its
 * key; a lapsed lease is adopted by a live gateway when its key left unfinished transactions (and
 * the key is retired), or ended when it left none; a slow gateway and its adopter never both
 * record one transaction; operators read every lease, queue and oldest unanswered submission.
 *
 * The store cases run on the embedded store; the claim-against-adoption case needs PostgreSQL's
 * row locks between connections (a database of its own on TEST_DATABASE_URL, skipped with a
 * warning when the server is unreachable).
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import pino from "pino";
import type { Client } from "pg";
import { enqueueSubmission, lockDue, markSent, openDb, type Db } from "../../src/store";
import {
  GatewayKeyRetiredError,
  adoptLapsedLease,
  adoptedUnfinished,
  holdsLease,
  releaseLease,
  renewLease,
  takeLease,
} from "../../src/store/leases";
import { dropUnminable, recordDropped, requeueReverted, type SentTx } from "../../src/store/outbox-outcomes";
import { LeaseKeeper } from "../../src/worker/lease-keeper";
import { ConfigError, loadConfig } from "../../src/config";
import { startGateway } from "../../src/gateway";
import { gatewaysSchema } from "../../src/api/reads/gateways";
import { operatorRequest, startGatewayFixture, type GatewayFixture } from "../gateway/helpers/gateway-fixture";
import { connectAdmin, createDatabase } from "../gateway/helpers/postgres-server";

const quiet = pino({ level: "silent" });
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const address = () => Wallet.createRandom().address;

/** Accepts `n` settlements and claims them into one stored ledger transaction of `sender` at `nonce`. */
async function sentTransaction(db: Db, sender: string, nonce: number, n = 2): Promise<SentTx> {
  for (let i = 0; i < n; i++) {
    await enqueueSubmission(db, {
      kind: "settlement",
      terminal: address().toLowerCase(),
      nonce: BigInt(i),
      payload: {},
      requestHash: `0x${Math.random().toString(16).slice(2)}`,
    });
  }
  const hash = `0x${sender.slice(2, 10)}${nonce.toString(16).padStart(56, "0")}`;
  const rows = await db.transaction(async (tx) => {
    const due = await lockDue(tx, { kinds: ["settlement"], limit: n });
    await markSent(tx, { ids: due.map((r) => r.id), txHash: hash, sender, nonce, kind: "settlement", raw: "0x02" });
    return due;
  });
  return { hash, raw: "0x02", nonce, kind: "settlement", rows };
}

const lapse = (db: Db, sender: string) => db.query("update gateway_leases set expires_at = now() - interval '1 second' where sender = $1", [sender]);

describe("gateway leases", function () {
  this.timeout(120_000);

  describe("LEASE_SECONDS", () => {
    it("defaults to 15 and refuses a lease shorter than 3 s", () => {
      expect(loadConfig({}).leaseSeconds).to.equal(15);
      expect(loadConfig({ LEASE_SECONDS: "4" }).leaseSeconds).to.equal(4);
      expect(() => loadConfig({ LEASE_SECONDS: "2" })).to.throw(ConfigError, /LEASE_SECONDS/);
    });
  });

  describe("in the store", () => {
    let db: Db;
    let dir: string;

    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-leases-"));
      db = await openDb({ dataDir: dir });
    });
    afterEach(async () => {
      await db?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("fences out an older holder of the key once a newer start takes the lease", async () => {
      const sender = address();
      const first = await takeLease(db, { sender, instance: "host-a:1", seconds: 15 });
      const second = await takeLease(db, { sender, instance: "host-a:2", seconds: 15 });
      expect(second.epoch).to.equal(first.epoch + 1);
      expect(await db.transaction((tx) => holdsLease(tx, first)), "the older holder claims").to.equal(false);
      expect(await renewLease(db, first, 15), "the older holder renews").to.equal(false);
      expect(await db.transaction((tx) => holdsLease(tx, second))).to.equal(true);
      expect(await renewLease(db, second, 15)).to.equal(true);
    });

    it("lets no claim commit under a lapsed lease until it is renewed", async () => {
      const lease = await takeLease(db, { sender: address(), instance: "host:1", seconds: 15 });
      await lapse(db, lease.sender);
      expect(await db.transaction((tx) => holdsLease(tx, lease))).to.equal(false);
      expect(await renewLease(db, lease, 15), "a lapsed lease nobody adopted is renewed").to.equal(true);
      expect(await db.transaction((tx) => holdsLease(tx, lease))).to.equal(true);
    });

    it("adopts a lapsed lease with unfinished transactions and retires its key", async () => {
      const dead = address();
      const adopter = address();
      const lease = await takeLease(db, { sender: dead, instance: "host:1", seconds: 15 });
      await takeLease(db, { sender: adopter, instance: "host:2", seconds: 15 });
      await sentTransaction(db, dead, 0);
      expect(await adoptLapsedLease(db, adopter), "nothing lapsed yet").to.equal(undefined);
      await lapse(db, dead);

      expect(await adoptLapsedLease(db, adopter)).to.deep.equal({ sender: dead, outcome: "adopted" });
      expect(await adoptLapsedLease(db, adopter), "one adoption per lease").to.equal(undefined);
      expect(await adoptedUnfinished(db, adopter)).to.deep.equal([dead]);
      expect(await renewLease(db, lease, 15), "the dead gateway, were it only slow, renews").to.equal(false);
      const retired = await takeLease(db, { sender: dead, instance: "host:3", seconds: 15 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(retired).to.be.instanceOf(GatewayKeyRetiredError);
      expect((retired as GatewayKeyRetiredError).adoptedBy).to.equal(adopter);
      expect((retired as Error).message).to.match(/new GATEWAY_KEY, granted the gateway role/);
    });

    it("ends a lapsed lease whose key left nothing unfinished, without retiring the key", async () => {
      const gone = address();
      await takeLease(db, { sender: gone, instance: "host:1", seconds: 15 });
      await lapse(db, gone);
      expect(await adoptLapsedLease(db, address())).to.deep.equal({ sender: gone, outcome: "ended" });
      const again = await takeLease(db, { sender: gone, instance: "host:2", seconds: 15 });
      expect(again.epoch).to.equal(1);
    });

    it("passes on what a lapsed adopter had adopted and not finished", async () => {
      const [dead, firstAdopter, secondAdopter] = [address(), address(), address()];
      for (const sender of [dead, firstAdopter, secondAdopter]) await takeLease(db, { sender, instance: "host", seconds: 15 });
      await sentTransaction(db, dead, 0);
      await lapse(db, dead);
      await adoptLapsedLease(db, firstAdopter);
      await lapse(db, firstAdopter);
      expect(await adoptLapsedLease(db, secondAdopter)).to.deep.equal({ sender: firstAdopter, outcome: "ended" });
      expect(await adoptedUnfinished(db, secondAdopter)).to.deep.equal([dead]);
    });

    it("ends the lease on a clean stop only when nothing is left unfinished", async () => {
      const lease = await takeLease(db, { sender: address(), instance: "host:1", seconds: 15 });
      const sent = await sentTransaction(db, lease.sender, 0);
      expect(await releaseLease(db, lease), "a 'sent' transaction is left").to.equal(false);
      await requeueReverted(db, sent, 1, "ledger.reverted");
      expect(await releaseLease(db, lease)).to.equal(true);
      expect(await db.query("select 1 from gateway_leases where sender = $1", [lease.sender])).to.deep.equal([]);
    });

    it("records a transaction's outcome once when a slow gateway and its adopter both answer it", async () => {
      const sent = await sentTransaction(db, address(), 0, 3);
      // The adopter answers first (the receipt: reverted, items requeued), the slow gateway second (dropped).
      await requeueReverted(db, sent, 7, "ledger.reverted");
      await db.query("update submissions set next_attempt_at = now() where tx_hash is null");
      await recordDropped(db, sent, [sent.rows[0].id]);
      const [tx] = await db.query<{ status: string; block_number: string }>("select status, block_number from chain_txs where tx_hash = $1", [sent.hash]);
      expect(tx).to.deep.equal({ status: "reverted", block_number: "7" });
      const items = await db.query<{ status: string; reason: string | null; attempts: number }>(
        "select status, reason, attempts from submissions where id = any($1::bigint[]) order by id",
        [sent.rows.map((r) => r.id)],
      );
      expect(items, "the second answer wrote nothing").to.deep.equal(sent.rows.map(() => ({ status: "queued", reason: "ledger.reverted", attempts: 1 })));
    });

    it("drops an adopted refused transaction and every later one of the retired key, requeueing their items", async () => {
      const dead = address();
      const before = await sentTransaction(db, dead, 4, 1);
      const refused = await sentTransaction(db, dead, 5, 2);
      const later = await sentTransaction(db, dead, 6, 3);
      expect(await dropUnminable(db, dead, refused, 6), "a count above the refused nonce: its nonce was taken, not refused").to.deep.equal([]);
      const requeued = await dropUnminable(db, dead, refused, 5);
      expect(requeued.sort()).to.deep.equal([...refused.rows, ...later.rows].map((r) => r.id).sort());
      const txs = await db.query<{ nonce: string; status: string }>("select nonce, status from chain_txs where sender = $1 order by nonce", [dead]);
      expect(txs).to.deep.equal([
        { nonce: "4", status: "sent" },
        { nonce: "5", status: "dropped" },
        { nonce: "6", status: "dropped" },
      ]);
      const items = await db.query<{ status: string; tx_hash: string | null }>("select status, tx_hash from submissions where id = any($1::bigint[])", [requeued]);
      expect(items).to.deep.equal(requeued.map(() => ({ status: "queued", tx_hash: null })));
      expect(await db.query<{ status: string }>("select status from submissions where id = $1", [before.rows[0].id])).to.deep.equal([{ status: "submitted" }]);
    });

    it("stops the submitter at once and turns unready when its lease is adopted", async () => {
      let stopped = 0;
      const sender = address();
      const keeper = new LeaseKeeper({ db, sender, instance: "host:1", seconds: 3, adopt: false, finish: async () => 0, onLost: () => void stopped++, log: quiet });
      await keeper.start();
      try {
        expect(keeper.held).to.equal(true);
        expect(await db.transaction((tx) => keeper.fence(tx))).to.equal(true);
        await db.query("update gateway_leases set adopted_by = $2, adopted_at = now() where sender = $1", [sender, address()]);
        const deadline = Date.now() + 3_000; // one renewal (a third of 3 s) and some slack
        while (keeper.held && Date.now() < deadline) await delay(50);
        expect(keeper.held, "lease lost within one renewal").to.equal(false);
        expect(stopped, "the submitter was stopped once").to.equal(1);
        expect(await db.transaction((tx) => keeper.fence(tx)), "no claim commits").to.equal(false);
      } finally {
        await keeper.stop();
      }
      expect(await db.query("select adopted_by is not null as adopted from gateway_leases where sender = $1", [sender])).to.deep.equal([{ adopted: true }]);
    });

    it("keeps the lease alive by renewing it every third of LEASE_SECONDS", async () => {
      const sender = address();
      const keeper = new LeaseKeeper({ db, sender, instance: "host:1", seconds: 3, adopt: false, finish: async () => 0, onLost: () => undefined, log: quiet });
      await keeper.start();
      try {
        const expiry = async () => (await db.query<{ expires_at: Date }>("select expires_at from gateway_leases where sender = $1", [sender]))[0].expires_at;
        const first = await expiry();
        await delay(4_000); // longer than the lease itself
        expect((await expiry()).getTime()).to.be.greaterThan(first.getTime() + 2_000);
        expect(await db.transaction((tx) => keeper.fence(tx))).to.equal(true);
      } finally {
        await keeper.stop();
      }
      expect(await db.query("select 1 from gateway_leases where sender = $1", [sender]), "ended on a clean stop").to.deep.equal([]);
    });
  });

  describe("on PostgreSQL", () => {
    let admin: Client | undefined;
    const databases: string[] = [];
    let db: Db | undefined;

    before(async function () {
      admin = await connectAdmin(this);
    });
    after(async () => {
      await db?.close();
      if (admin) {
        for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    });

    it("adopts a lease only once the claim its holder had open has committed, and then sees that claim", async () => {
      db = await openDb({ dataDir: os.tmpdir(), databaseUrl: await createDatabase(admin!, databases) });
      const dead = address();
      const adopter = address();
      const lease = await takeLease(db, { sender: dead, instance: "host:1", seconds: 1 });
      let claimOpen!: () => void;
      const opened = new Promise<void>((resolve) => (claimOpen = resolve));
      const claim = db.transaction(async (tx) => {
        expect(await holdsLease(tx, lease)).to.equal(true);
        claimOpen();
        await delay(1_500); // the lease lapses while the claim is open
        await enqueueSubmission(tx, { kind: "settlement", terminal: address().toLowerCase(), nonce: 1n, payload: {}, requestHash: "0x01" });
        await tx.query("insert into chain_txs (tx_hash, sender, nonce, kind, raw) values ('0xc1a1', $1, 0, 'settlement', '0x02')", [dead]);
      });
      await opened;
      await delay(1_200);
      expect(await adoptLapsedLease(db, adopter), "skipped while the claim holds the lease row").to.equal(undefined);
      await claim;
      expect(await adoptLapsedLease(db, adopter)).to.deep.equal({ sender: dead, outcome: "adopted" });
      expect(await adoptedUnfinished(db, adopter)).to.deep.equal([dead]);
    });
  });

  describe("operators and the gateway", () => {
    let f: GatewayFixture;

    before(async () => {
      f = await startGatewayFixture();
    });
    after(async () => f?.stop());

    it("shows operators each gateway's lease, unanswered transactions and the queue", async () => {
      const dead = address();
      await f.gateway.db.query("insert into gateway_leases (sender, epoch, instance, expires_at) values ($1, 1, 'host:9', now() - interval '30 seconds')", [dead]);
      await sentTransaction(f.gateway.db, dead, 0, 2);
      await f.gateway.db.query("update submissions set created_at = now() - interval '40 seconds' where tx_hash is not null and status = 'submitted'");

      const res = await operatorRequest(f, "credit_center", "get", "/v1/gateways");
      expect(res.status).to.equal(200);
      const { gateways } = gatewaysSchema.parse(res.body);
      const own = gateways.find((g) => g.lease && !g.lease.lapsed);
      expect(own?.lease?.adoptedBy).to.equal(null);
      const stranded = gateways.find((g) => g.sender === dead);
      expect(stranded).to.deep.include({ sender: dead, submitted: 2, sentTransactions: 1 });
      expect(stranded?.lease).to.deep.include({ instance: "host:9", lapsed: true, adoptedBy: null, adoptedAt: null });
      expect(stranded?.oldestUnansweredSeconds).to.be.within(39, 60);
      expect(res.body.queued).to.deep.equal({ items: 0, oldestSeconds: null });

      const metrics = await operatorRequest(f, undefined, "get", "/metrics");
      const expiry = new RegExp(`^gateway_lease_expires_timestamp_seconds\\{sender="${dead}",adopted_by=""\\} (\\d+(\\.\\d+)?)$`, "m").exec(metrics.text);
      expect(expiry, "the lapsed lease's expiry on /metrics").to.not.equal(null);
      expect(Number(expiry![1])).to.be.within(Date.now() / 1000 - 60, Date.now() / 1000 - 25);
    });

    it("answers the gateways read only to a signed-in operator", async () => {
      const res = await operatorRequest(f, undefined, "get", "/v1/gateways");
      expect(res.status).to.equal(401);
      expect(res.body.code).to.equal("session.required");
    });

    it("refuses to start with a key whose lease was adopted, naming what to do", async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-retired-"));
      try {
        const config = loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent" });
        const gateway = await startGateway(config, quiet, { print: () => undefined });
        const [{ sender }] = await gateway.db.query<{ sender: string }>("select sender from gateway_leases");
        await gateway.db.query("update gateway_leases set adopted_by = $2, adopted_at = now() where sender = $1", [sender, address()]);
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline && (await fetch(`${gateway.url}/readyz`)).status === 200) await delay(200);
        expect((await fetch(`${gateway.url}/readyz`)).status, "unready once the lease is lost").to.equal(503);
        await gateway.stop();
        const restarted = await startGateway(config, quiet, { print: () => undefined }).then(
          async (g) => {
            await g.stop();
            return undefined;
          },
          (err: unknown) => err,
        );
        expect(restarted).to.be.instanceOf(GatewayKeyRetiredError);
        expect((restarted as Error).message).to.contain(sender).and.match(/Start this gateway with a new GATEWAY_KEY/);
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
});
