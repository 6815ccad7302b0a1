/**
 * The store behaves the same on PGlite and on PostgreSQL: migrations, row types, transactions
 * and the submissions outbox. One shared behaviour, run against both engines; PostgreSQL-only
 * specs cover what needs real parallel connections (concurrent migrations, SKIP LOCKED).
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import {
  enqueueSubmission,
  getBatch,
  getSubmission,
  loadMigrations,
  lockDue,
  markSent,
  migrate,
  openDb,
  type Db,
  type DueSubmission,
  type NewSubmission,
} from "../../src/store";
import { recordBatch, recordDropped, requeueReverted, type SentTx } from "../../src/store/outbox-outcomes";
import { settlementKey } from "../../src/chain/settlement-calldata";
import type { ItemOutcome } from "../../src/store/outbox-outcomes";

const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let seq = 0;
function submission(overrides: Partial<NewSubmission> = {}): NewSubmission {
  seq += 1;
  return {
    kind: "settlement",
    terminal: "0x000000000000000000000000000000000000t001",
    nonce: BigInt(seq),
    orderId: `order-${seq}`,
    cardId: "0xcard",
    merchantId: 7,
    payload: { message: { amount: 1234n, nonce: seq }, signatures: ["0xaa", "0xbb"] },
    requestHash: `0xhash${seq}`,
    ...overrides,
  };
}

let ledgerNonce = 0;

/** Claims as the submitter does: locks due settlements and marks them sent in a new ledger transaction. */
async function claim(db: Db, limit: number, minRows = 1): Promise<SentTx> {
  return db.transaction(async (tx) => {
    const rows: DueSubmission[] = await lockDue(tx, { kinds: ["settlement"], limit, minRows });
    const sent = { hash: `0x${randomBytes(32).toString("hex")}`, raw: "0x02f8", nonce: ++ledgerNonce, kind: "settlement" as const, rows };
    if (rows.length > 0) await markSent(tx, { ids: rows.map((r) => r.id), txHash: sent.hash, sender: "0xgateway", nonce: sent.nonce, kind: "settlement", raw: sent.raw });
    return sent;
  });
}

const ids = (sent: SentTx) => sent.rows.map((r) => r.id);

async function expectSqlState(promise: Promise<unknown>, code: string) {
  try {
    await promise;
  } catch (err) {
    expect((err as { code?: string }).code, String(err)).to.equal(code);
    return;
  }
  expect.fail(`expected SQLSTATE ${code}, but the statement succeeded`);
}

function behavesLikeTheStore(getDb: () => Db) {
  describe("migrations", () => {
    it("records every migration once, 001_init first, and reapplies nothing", async () => {
      const db = getDb();
      const rows = await db.query<{ version: number; name: string }>("select version, name from schema_migrations order by version");
      expect(rows[0]).to.deep.equal({ version: 1, name: "init" });
      expect(rows.map((r) => r.version)).to.deep.equal(loadMigrations().map((m) => m.version));
      expect(await migrate(db)).to.deep.equal([]);
    });

    it("creates every table of the schema", async () => {
      const rows = await getDb().query<{ table_name: string }>(
        "select table_name from information_schema.tables where table_schema = current_schema() order by table_name",
      );
      expect(rows.map((r) => r.table_name)).to.include.members([
        "batches", "cards_meta", "identities", "operator_sessions", "portal_accounts", "schema_migrations", "slips", "submissions",
      ]);
      // Operators sign in with passkeys: the password accounts' table is gone.
      expect(rows.map((r) => r.table_name)).not.to.include("operators");
    });
  });

  describe("row types", () => {
    it("returns numeric and int8 as strings, bytea as Buffer, jsonb parsed, timestamptz as Date", async () => {
      const [row] = await getDb().query<Record<string, unknown>>(
        "select $1::numeric(20,0) as n, $2::bigint as b, $3::bytea as by, $4::jsonb as j, now() as t",
        ["18446744073709551615", "9007199254740993", Buffer.from("hi"), JSON.stringify([1, { a: "2" }])],
      );
      expect(row.n).to.equal("18446744073709551615");
      expect(row.b).to.equal("9007199254740993");
      expect(Buffer.isBuffer(row.by)).to.equal(true);
      expect((row.by as Buffer).toString()).to.equal("hi");
      expect(row.j).to.deep.equal([1, { a: "2" }]);
      expect(row.t).to.be.instanceOf(Date);
    });

    it("enforces unique (merchant_id, order_id) on slips", async () => {
      const db = getDb();
      const insert = (id: string, hash: string) =>
        db.query(
          `insert into slips (id, merchant_id, terminal, card_id, order_id, slip_hash, currency, category, amount, body)
           values ($1, 1, '0xt', '0xc', 'o-dup', $2, 'CNY', 0, 100, '{}'::jsonb)`,
          [id, hash],
        );
      await insert(randomBytes(16).toString("hex"), "0xslip-a");
      await expectSqlState(insert(randomBytes(16).toString("hex"), "0xslip-b"), "23505");
    });
  });

  describe("transaction", () => {
    it("commits on success and rolls back when the callback throws", async () => {
      const db = getDb();
      await db.query("create table if not exists tx_probe (v text primary key)");
      await db.transaction((tx) => tx.query("insert into tx_probe values ('kept')"));
      await db
        .transaction(async (tx) => {
          await tx.query("insert into tx_probe values ('dropped')");
          throw new Error("boom");
        })
        .catch(() => undefined);
      const rows = await db.query<{ v: string }>("select v from tx_probe order by v");
      expect(rows.map((r) => r.v)).to.deep.equal(["kept"]);
    });

    it("rolls back a nested transaction alone (savepoint)", async () => {
      const db = getDb();
      await db.query("create table if not exists tx_nested (v text primary key)");
      await db.transaction(async (tx) => {
        await tx.query("insert into tx_nested values ('outer')");
        await tx
          .transaction(async (inner) => {
            await inner.query("insert into tx_nested values ('inner')");
            throw new Error("inner fails");
          })
          .catch(() => undefined);
      });
      const rows = await db.query<{ v: string }>("select v from tx_nested");
      expect(rows.map((r) => r.v)).to.deep.equal(["outer"]);
    });
  });

  describe("submissions outbox", () => {
    beforeEach(async () => {
      await getDb().exec("delete from submissions; delete from batches");
    });

    describe("enqueueSubmission", () => {
      it("stores a new submission as queued, with uint64 nonce, uint32 merchant and the payload as JSON", async () => {
        const input = submission({ nonce: 18446744073709551615n, merchantId: 4294967295 });
        const { outcome, submission: s } = await enqueueSubmission(getDb(), input);
        expect(outcome).to.equal("created");
        expect(s).to.include({ status: "queued", attempts: 0, kind: "settlement", requestHash: input.requestHash });
        expect(s.nonce).to.equal(18446744073709551615n);
        expect(s.merchantId).to.equal(4294967295);
        const [stored] = await getDb().query<{ payload: unknown }>("select payload from submissions where id = $1", [s.id]);
        expect(stored.payload).to.deep.equal({ message: { amount: "1234", nonce: seq }, signatures: ["0xaa", "0xbb"] });
      });

      it("answers duplicate for the same (terminal, nonce) and request hash", async () => {
        const input = submission();
        const first = await enqueueSubmission(getDb(), input);
        const again = await enqueueSubmission(getDb(), input);
        expect(again.outcome).to.equal("duplicate");
        expect(again.submission.id).to.equal(first.submission.id);
      });

      it("answers conflict when the nonce was used for a different request", async () => {
        const input = submission();
        await enqueueSubmission(getDb(), input);
        const other = await enqueueSubmission(getDb(), { ...input, requestHash: "0xdifferent" });
        expect(other.outcome).to.equal("conflict");
        expect(other.submission.requestHash).to.equal(input.requestHash);
      });

      it("rejects an unknown kind and a nonce beyond uint64 at the database", async () => {
        await expectSqlState(enqueueSubmission(getDb(), submission({ kind: "gift" as never })), "23514");
        await expectSqlState(enqueueSubmission(getDb(), submission({ nonce: 2n ** 64n })), "23514");
      });
    });

    describe("lockDue / markSent", () => {
      it("claims due rows oldest first, up to the limit, marking them submitted in their ledger transaction", async () => {
        const db = getDb();
        const queued = [];
        for (let i = 0; i < 5; i++) queued.push((await enqueueSubmission(db, submission())).submission.id);
        const first = await claim(db, 3);
        expect(ids(first)).to.deep.equal(queued.slice(0, 3));
        const stored = (await getSubmission(db, queued[0]))!;
        expect(stored).to.include({ status: "submitted", attempts: 1, txHash: first.hash });
        const [ledgerTx] = await db.query<{ status: string; nonce: string }>("select status, nonce from chain_txs where tx_hash = $1", [first.hash]);
        expect(ledgerTx).to.deep.equal({ status: "sent", nonce: String(first.nonce) });
        expect(ids(await claim(db, 10))).to.deep.equal(queued.slice(3));
        expect(ids(await claim(db, 10))).to.deep.equal([]);
      });

      it("reads nothing while fewer than minRows are due", async () => {
        const db = getDb();
        const queued = [(await enqueueSubmission(db, submission())).submission.id, (await enqueueSubmission(db, submission())).submission.id];
        expect(ids(await claim(db, 10, 3))).to.deep.equal([]);
        expect(ids(await claim(db, 10, 2))).to.deep.equal(queued);
      });

      it("takes only the kinds asked for", async () => {
        const db = getDb();
        const settlement = (await enqueueSubmission(db, submission())).submission;
        const refund = (await enqueueSubmission(db, submission({ kind: "refund" }))).submission;
        const singles = await db.transaction((tx) => lockDue(tx, { kinds: ["refund", "redemption"], limit: 10 }));
        expect(singles.map((r) => r.id)).to.deep.equal([refund.id]);
        expect(ids(await claim(db, 10))).to.deep.equal([settlement.id]);
      });

      it("never hands the same row to concurrent claimers", async () => {
        const db = getDb();
        for (let i = 0; i < 25; i++) await enqueueSubmission(db, submission());
        const claims = await Promise.all([1, 2, 3, 4].map(() => claim(db, 10)));
        const claimed = claims.flatMap(ids);
        expect(claimed).to.have.length(25);
        expect(new Set(claimed).size).to.equal(25);
      });

      it("rejects a non-positive limit", async () => {
        let error: unknown;
        await getDb()
          .transaction((tx) => lockDue(tx, { kinds: ["settlement"], limit: 0 }))
          .catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(RangeError);
      });
    });

    describe("recording the chain's answers", () => {
      it("records a mined batch: its leaves, each confirmed item's points and leaf, each rejected item's reason", async () => {
        const db = getDb();
        const a = (await enqueueSubmission(db, submission())).submission;
        const b = (await enqueueSubmission(db, submission())).submission;
        const sent = await claim(db, 2);
        const batchId = 2n ** 63n + 5n;
        const items = new Map<string, ItemOutcome>([
          [settlementKey(a.terminal, a.nonce), { kind: "confirmed", points: 12n, creditPoints: 3n, leaf: "0x01" }],
          [settlementKey(b.terminal, b.nonce), { kind: "rejected", reason: "card.not_active" }],
        ]);
        const finals = await recordBatch(db, sent, 42, { batchId, leaves: ["0x01"], items });
        expect(finals.map((f) => [f.id, f.status, f.reason, f.points])).to.deep.equal([
          [a.id, "confirmed", null, "12"],
          [b.id, "rejected", "card.not_active", null],
        ]);
        const rows = await db.query<Record<string, unknown>>(
          "select id, status, reason, points, credit_points, leaf, block_number, batch_id from submissions where id = any($1::bigint[]) order by id",
          [[a.id, b.id]],
        );
        expect(rows).to.deep.equal([
          { id: a.id, status: "confirmed", reason: null, points: "12", credit_points: "3", leaf: "0x01", block_number: "42", batch_id: batchId.toString() },
          { id: b.id, status: "rejected", reason: "card.not_active", points: null, credit_points: null, leaf: null, block_number: "42", batch_id: batchId.toString() },
        ]);
        expect(await getBatch(db, sent.hash)).to.deep.equal({ txHash: sent.hash, batchId, blockNumber: 42, leaves: ["0x01"] });
        expect(await db.query("select status from chain_txs where tx_hash = $1", [sent.hash])).to.deep.equal([{ status: "mined" }]);
      });

      it("puts a reverted transaction's submissions back in the queue, due in 2 s, with the reason", async () => {
        const db = getDb();
        const a = (await enqueueSubmission(db, submission())).submission;
        const sent = await claim(db, 1);
        await requeueReverted(db, sent, 7, "ledger.paused");
        expect(await getSubmission(db, a.id)).to.include({ status: "queued", reason: "ledger.paused", txHash: null });
        expect(ids(await claim(db, 10))).to.deep.equal([]); // not due yet
        expect(await db.query("select status from chain_txs where tx_hash = $1", [sent.hash])).to.deep.equal([{ status: "reverted" }]);
      });

      it("after a dropped transaction, confirms what the ledger recorded (receipt lost) and queues the rest", async () => {
        const db = getDb();
        const a = (await enqueueSubmission(db, submission())).submission;
        const b = (await enqueueSubmission(db, submission())).submission;
        const sent = await claim(db, 2);
        await recordDropped(db, sent, [a.id]);
        expect(await getSubmission(db, a.id)).to.include({ status: "confirmed", reason: "ledger.receipt_lost" });
        expect(await getSubmission(db, b.id)).to.include({ status: "queued", txHash: null });
        const [again] = (await claim(db, 10)).rows;
        expect(again.id).to.equal(b.id);
        expect((await getSubmission(db, b.id))!.attempts).to.equal(2);
      });

      it("records a transaction's answer once: a second recorder of the same transaction writes nothing", async () => {
        const db = getDb();
        const a = (await enqueueSubmission(db, submission())).submission;
        const sent = await claim(db, 1);
        const items = new Map([[settlementKey(a.terminal, a.nonce), { kind: "confirmed" as const, points: 5n, creditPoints: 1n, leaf: "0x05" }]]);
        await recordBatch(db, sent, 9, { batchId: 1n, leaves: ["0x05"], items });
        // A second gateway that saw the same answer, or thought the transaction lost or reverted.
        await recordBatch(db, sent, 10, { batchId: 1n, leaves: ["0x05"], items: new Map() });
        await recordDropped(db, sent, []);
        await requeueReverted(db, sent, 11, "ledger.paused");
        expect(await getSubmission(db, a.id)).to.include({ status: "confirmed", reason: null, blockNumber: 9, txHash: sent.hash });
        expect(await db.query("select status, block_number from chain_txs where tx_hash = $1", [sent.hash])).to.deep.equal([{ status: "mined", block_number: "9" }]);
      });
    });
  });
}

describe("store", function () {
  describe("on PGlite", function () {
    let dir: string;
    let db: Db;

    before(async function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-store-"));
      db = await openDb({ dataDir: dir });
    });
    after(async function () {
      await db?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    behavesLikeTheStore(() => db);

    it("serialises concurrent transactions on its single connection", async () => {
      await db.query("create table if not exists counter (n integer not null)");
      await db.query("delete from counter");
      await db.query("insert into counter values (0)");
      // read-then-write with a yield between: interleaving would lose increments
      await Promise.all(
        Array.from({ length: 20 }, () =>
          db.transaction(async (tx) => {
            const [{ n }] = await tx.query<{ n: number }>("select n from counter");
            await new Promise((r) => setImmediate(r));
            await tx.query("update counter set n = $1", [n + 1]);
          }),
        ),
      );
      expect(await db.query("select n from counter")).to.deep.equal([{ n: 20 }]);
    });

    it("refuses the outer Db inside its own transaction instead of deadlocking", async () => {
      let error: unknown;
      await db.transaction(() => db.query("select 1")).catch((e) => (error = e));
      expect(String(error)).to.match(/inside its own transaction/);
    });

    it("keeps its data across close and reopen", async () => {
      await db.query("create table if not exists persisted (v text)");
      await db.query("insert into persisted values ('survives')");
      await db.close();
      db = await openDb({ dataDir: dir });
      expect(await db.query("select v from persisted")).to.deep.equal([{ v: "survives" }]);
    });
  });

  describe("on PostgreSQL", function () {
    const dbName = `credence_test_${process.pid}_${randomBytes(4).toString("hex")}`;
    let admin: Client | undefined;
    let url: string;
    let db: Db;

    before(async function () {
      const candidate = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
      try {
        await candidate.connect();
      } catch (err) {
        const problem = `PostgreSQL not reachable at ${PG_ADMIN_URL} (${(err as Error).message})`;
        if (process.env.REQUIRE_POSTGRES === "1") throw new Error(`${problem}, and REQUIRE_POSTGRES=1 requires it`);
        console.warn(`    ! ${problem}: skipping`);
        this.skip();
      }
      admin = candidate;
      await admin.query(`create database ${dbName}`);
      const u = new URL(PG_ADMIN_URL);
      u.pathname = `/${dbName}`;
      url = u.toString();
      db = await openDb({ dataDir: "/nonexistent", databaseUrl: url });
    });
    after(async function () {
      if (!admin) return;
      await db?.close();
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
    });

    behavesLikeTheStore(() => db);

    it("migrates once when several gateways start at the same time", async () => {
      const fresh = `${dbName}_race`;
      await admin!.query(`create database ${fresh}`);
      const u = new URL(url);
      u.pathname = `/${fresh}`;
      try {
        const dbs = await Promise.all([1, 2, 3, 4].map(() => openDb({ dataDir: "/nonexistent", databaseUrl: u.toString() })));
        const rows = await dbs[0].query<{ version: number }>("select version from schema_migrations order by version");
        expect(rows.map((r) => r.version)).to.deep.equal(loadMigrations().map((m) => m.version));
        await Promise.all(dbs.map((d) => d.close()));
      } finally {
        await admin!.query(`drop database if exists ${fresh} with (force)`);
      }
    });

    it("skips rows another transaction has locked instead of waiting", async () => {
      await db.exec("delete from submissions");
      const first = (await enqueueSubmission(db, submission())).submission;
      const second = (await enqueueSubmission(db, submission())).submission;
      const claimedMeanwhile = await db.transaction(async (tx) => {
        await tx.query("select id from submissions where id = $1 for update", [first.id]);
        return claim(db, 10); // another connection
      });
      expect(ids(claimedMeanwhile)).to.deep.equal([second.id]);
    });
  });
});
