/**
 * The outbox as an operator reads it on /metrics: unanswered submissions by sender (the gateway
 * key whose unrecorded transaction carries them) or queued, with the age of the oldest, so that
 * one stranded with a stopped gateway shows before a terminal gives up (ADR 0007).
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { enqueueSubmission, lockDue, markSent, openDb, type Db } from "../../src/store";
import { outboxHealth } from "../../src/store/outbox-health";
import { createMetrics, registerOutboxMetrics } from "../../src/http/observability";

describe("outbox health", function () {
  this.timeout(60_000);
  let db: Db;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-outbox-health-"));
    db = await openDb({ dataDir: dir });
  });
  after(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function accept(n: number, createdSecondsAgo: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const { submission } = await enqueueSubmission(db, {
        kind: "settlement",
        terminal: "0x00000000000000000000000000000000000000a1",
        nonce: BigInt(Math.floor(Math.random() * 1e12)),
        payload: {},
        requestHash: `0x${i}-${createdSecondsAgo}-${Math.random()}`,
      });
      await db.query("update submissions set created_at = now() - make_interval(secs => $2) where id = $1", [submission.id, createdSecondsAgo]);
    }
  }

  /** Claims `n` due settlements into one ledger transaction of `sender`, as the submitter does. */
  async function claimFor(sender: string, n: number, nonce: number): Promise<void> {
    await db.transaction(async (tx) => {
      const rows = await lockDue(tx, { kinds: ["settlement"], limit: n, minRows: 1 });
      await markSent(tx, { ids: rows.map((r) => r.id), txHash: `0x${sender.slice(2)}${nonce}`, sender, nonce, kind: "settlement", raw: "0x02" });
    });
  }

  it("shows each sender's unanswered submissions, its transactions and the oldest age, and the queue", async () => {
    await accept(3, 120); // oldest first: claimed by the stopped gateway below
    await accept(2, 30);
    await accept(4, 5);
    await claimFor("0xdead", 2, 0);
    await claimFor("0xdead", 1, 1);
    await claimFor("0xa11e", 2, 0);

    const health = await outboxHealth(db);
    const rounded = health.map((h) => ({ ...h, oldestSeconds: Math.round(h.oldestSeconds / 5) * 5 }));
    expect(rounded).to.deep.equal([
      { sender: null, status: "queued", items: 4, transactions: 0, oldestSeconds: 5 },
      { sender: "0xa11e", status: "submitted", items: 2, transactions: 1, oldestSeconds: 30 },
      { sender: "0xdead", status: "submitted", items: 3, transactions: 2, oldestSeconds: 120 },
    ]);

    const metrics = createMetrics({ defaultMetrics: false });
    registerOutboxMetrics(metrics.registry, () => outboxHealth(db));
    const text = await metrics.registry.metrics();
    expect(text).to.match(/^outbox_items\{status="submitted",sender="0xdead"\} 3$/m);
    expect(text).to.match(/^outbox_transactions\{status="submitted",sender="0xdead"\} 2$/m);
    expect(text).to.match(/^outbox_items\{status="queued",sender=""\} 4$/m);
    expect(text).to.match(/^outbox_oldest_seconds\{status="submitted",sender="0xdead"\} 1[12]\d(\.\d+)?$/m);
  });
});
