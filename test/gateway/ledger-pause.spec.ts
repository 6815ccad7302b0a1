/**
 * The submitter against a real gateway while the bank has paused the ledger: it sends nothing
 * (the gateway key's nonce on chain stays where it was), every accepted settlement waits as
 * `queued` with reason `ledger.paused`, and all of them are recorded once after the ledger is
 * unpaused.
 */
import { expect } from "chai";
import {
  decided,
  issueConsumer,
  openMerchant,
  readCard,
  startGatewayFixture,
  waitForFinal,
  type Consumer,
  type GatewayFixture,
  type Merchant,
} from "./helpers/gateway-fixture";
import { PAUSE_READ_MS } from "../../src/worker/submitter";
import type { SubmissionStatus } from "../../src/sdk/terminal-client";

const GROCERIES = [{ description: "Rice 5kg", quantity: 2, unitPrice: "4590" }];
/** Longer than a pause read is trusted plus the 2 s a reverted batch waits before it is due again. */
const QUIET_MS = PAUSE_READ_MS + 3_000;

describe("Submitter while the ledger is paused", function () {
  this.timeout(180_000);
  let f: GatewayFixture;
  let store: Merchant;
  let orders = 0;

  before(async function () {
    f = await startGatewayFixture();
    store = await openMerchant(f, "pause-store");
  });

  after(async function () {
    await f?.stop();
  });

  const settle = async (card: Consumer) => {
    const slip = store.terminal.slip({ orderNumber: `P-${++orders}`, cardId: card.cardId, currency: "CNY", category: 0, lines: GROCERIES });
    return store.terminal.settle(slip, card.signer);
  };
  /** The gateway key's transaction count on chain (the sender of the submitter's transactions). */
  const sentCount = async (sender: string) => f.chain.provider.getTransactionCount(sender, "latest");

  it("sends no transaction while paused, says the settlements wait for the ledger, and records each once after", async function () {
    // One settlement before the pause: names the gateway key that sends the submitter's transactions.
    const warm = await issueConsumer(f, "pause-warm");
    const first = await waitForFinal(f, (await settle(warm)).id);
    expect(first.status).to.equal("confirmed");
    const [{ sender }] = await f.gateway.db.query<{ sender: string }>("select sender from chain_txs where tx_hash = $1", [first.txHash]);

    const cards = [await issueConsumer(f, "pause-a"), await issueConsumer(f, "pause-b"), await issueConsumer(f, "pause-c")];
    await decided(f, "bank", "put", "/v1/ledger/paused", { paused: true });
    try {
      expect(await f.chain.ledger.paused()).to.equal(true);
      // A read of paused() made just before the pause is trusted for PAUSE_READ_MS; past it, nothing goes out.
      await new Promise((r) => setTimeout(r, PAUSE_READ_MS + 200));
      const before = await sentCount(sender);
      const accepted = [];
      for (const card of cards) accepted.push(await settle(card));
      accepted.push(await settle(cards[0]));

      const deadline = Date.now() + 15_000;
      let statuses: SubmissionStatus[] = [];
      for (;;) {
        statuses = await Promise.all(accepted.map((a) => store.terminal.status(a.id)));
        if (statuses.every((s) => s.reason === "ledger.paused") || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const s of statuses) expect(s).to.deep.include({ status: "queued", reason: "ledger.paused", points: null, txHash: null });

      await new Promise((r) => setTimeout(r, QUIET_MS));
      expect(await sentCount(sender)).to.equal(before, "the gateway key sent transactions while the ledger was paused");
      expect((await f.gateway.db.query("select 1 from chain_txs where status = 'reverted'")).length).to.equal(0);
      for (const a of accepted) expect(await store.terminal.status(a.id)).to.deep.include({ status: "queued", reason: "ledger.paused" });

      await decided(f, "bank", "put", "/v1/ledger/paused", { paused: false });
      const finals = await Promise.all(accepted.map((a) => waitForFinal(f, a.id)));
      for (const s of finals) expect(s).to.deep.include({ status: "confirmed", reason: null });
      const txs = new Set(finals.map((s) => s.txHash));
      expect(await sentCount(sender)).to.equal(before + txs.size);
      const points = (i: number) => BigInt(finals[i].points!);
      expect((await readCard(f, cards[0].cardId)).points.balance).to.equal((points(0) + points(3)).toString());
      expect((await readCard(f, cards[1].cardId)).points.balance).to.equal(points(1).toString());
      expect((await readCard(f, cards[2].cardId)).points.balance).to.equal(points(2).toString());
    } finally {
      if (await f.chain.ledger.paused()) await decided(f, "bank", "put", "/v1/ledger/paused", { paused: false });
    }
  });
});
