/**
 * The submitter's ledger transaction loses its nonce to another transaction of the gateway key
 * (a second process misconfigured with the same key, or a local node that kept a block's state
 * but lost the block). The submitter must notice without waiting out its receipt timeout, and:
 * - settlements the other transaction recorded are confirmed (never sent again: the ledger would
 *   refuse them as replays although their points stand);
 * - settlements it did not record go back to the queue and are confirmed by a new transaction.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { Transaction, Wallet } from "ethers";
import { KEY_FILE } from "../../src/config";
import {
  issueConsumer,
  openMerchant,
  rowIdOf,
  startGatewayFixture,
  waitForFinal,
  type Consumer,
  type GatewayFixture,
  type Merchant,
} from "./helpers/gateway-fixture";
import { rpc } from "./helpers/process";

describe("submitter: a ledger transaction whose nonce another transaction took", function () {
  let f: GatewayFixture;
  let merchant: Merchant;
  let consumer: Consumer;
  let gatewayKey: Wallet;
  let order = 0;

  before(async () => {
    f = await startGatewayFixture();
    merchant = await openMerchant(f, "nonce-taken");
    consumer = await issueConsumer(f, "nonce-taken");
    const keys = JSON.parse(fs.readFileSync(path.join(f.dataDir, KEY_FILE), "utf8")) as { gatewayKey: string };
    gatewayKey = new Wallet(keys.gatewayKey);
  });
  after(async () => f?.stop());
  afterEach(async () => rpc(f.gateway.rpcEndpoint, "evm_setAutomine", [true]));

  /** Holds mining, submits one settlement and returns it with the ledger transaction carrying it (broadcast, not mined). */
  async function settlementInFlight() {
    await rpc(f.gateway.rpcEndpoint, "evm_setAutomine", [false]);
    const slip = merchant.terminal.slip({
      orderNumber: `nonce-taken-${++order}`,
      cardId: consumer.cardId,
      currency: "CNY",
      category: 0,
      lines: [{ description: "Tea", quantity: 1, unitPrice: "2000" }],
    });
    const accepted = await merchant.terminal.settle(slip, consumer.signer);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [row] = await f.gateway.db.query<{ tx_hash: string; raw: string }>(
        "select c.tx_hash, c.raw from chain_txs c join submissions s on s.tx_hash = c.tx_hash where s.id = $1 and c.status = 'sent'",
        [rowIdOf(accepted.id)],
      );
      if (row && (await rpc(f.gateway.rpcEndpoint, "eth_getTransactionByHash", [row.tx_hash]))) return { accepted, ours: Transaction.from(row.raw) };
      if (Date.now() > deadline) throw new Error("the submitter broadcast no ledger transaction within 10 s");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Signs `tx` with the gateway key at a higher fee (so the node replaces ours with it) and mines it. */
  async function mineInstead(ours: Transaction, change: { data?: string; to?: string }): Promise<string> {
    const other = Transaction.from({
      to: change.to ?? ours.to,
      data: change.data ?? ours.data,
      nonce: ours.nonce,
      gasLimit: ours.gasLimit,
      chainId: ours.chainId,
      maxFeePerGas: ours.maxFeePerGas! * 2n,
      maxPriorityFeePerGas: ours.maxPriorityFeePerGas! * 2n + 1n,
    });
    other.signature = gatewayKey.signingKey.sign(other.unsignedHash);
    const hash = (await rpc(f.gateway.rpcEndpoint, "eth_sendRawTransaction", [other.serialized])) as string;
    await rpc(f.gateway.rpcEndpoint, "evm_mine");
    await rpc(f.gateway.rpcEndpoint, "evm_setAutomine", [true]);
    return hash;
  }

  it("confirms, without sending them again, settlements the other transaction recorded", async () => {
    const earnedBefore = (await f.chain.ledger.accountStats(consumer.cardId)).earned;
    const { accepted, ours } = await settlementInFlight();
    await mineInstead(ours, {}); // the same batch under another hash: it records our settlement

    const status = await waitForFinal(f, accepted.id);
    expect(status.status).to.equal("confirmed");
    expect(status.reason).to.equal("ledger.receipt_lost");
    const earned = (await f.chain.ledger.accountStats(consumer.cardId)).earned;
    expect(earned > earnedBefore, "the other transaction credited the points").to.equal(true);
    const [tx] = await f.gateway.db.query<{ status: string }>("select status from chain_txs where tx_hash = $1", [ours.hash]);
    expect(tx.status).to.equal("dropped");
    const [{ n }] = await f.gateway.db.query<{ n: string }>("select count(*) as n from submissions where id = $1 and attempts = 1", [rowIdOf(accepted.id)]);
    expect(Number(n), "claimed once, never sent again").to.equal(1);
  });

  it("requeues, and confirms through a new transaction, settlements the other transaction did not record", async () => {
    const earnedBefore = (await f.chain.ledger.accountStats(consumer.cardId)).earned;
    const { accepted, ours } = await settlementInFlight();
    await mineInstead(ours, { to: gatewayKey.address, data: "0x" }); // a plain transfer took the nonce

    const status = await waitForFinal(f, accepted.id);
    expect(status.status).to.equal("confirmed");
    expect(status.reason).to.equal(null);
    expect(status.txHash).to.not.equal(ours.hash);
    expect(BigInt(status.points!) > 0n).to.equal(true);
    const earned = (await f.chain.ledger.accountStats(consumer.cardId)).earned;
    expect(earned - earnedBefore).to.equal(BigInt(status.points!));
  });
});
