/**
 * A ledger transaction the node refuses for good, in the middle of the gateway key's nonces
 * (ADR 0007): the block gas limit is lowered after the transaction was signed and broadcast, and
 * the node (anvil) answers its re-broadcast "intrinsic gas too high". The submitter must tell it
 * from a transaction that is only slow, fill its nonce so that the transaction after it is mined
 * unchanged, and confirm its settlements in a new transaction: each once, none twice.
 */
import { expect } from "chai";
import { Transaction } from "ethers";
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

/** anvil's default block gas limit, restored after each test. */
const DEFAULT_BLOCK_GAS_LIMIT = 30_000_000;

interface StoredTx {
  tx_hash: string;
  nonce: string;
  kind: string;
  status: string;
  replaces: string | null;
}

describe("submitter: a ledger transaction the node refuses for good", function () {
  this.timeout(120_000);
  let f: GatewayFixture;
  let merchant: Merchant;
  let consumer: Consumer;
  let order = 0;

  before(async () => {
    f = await startGatewayFixture();
    merchant = await openMerchant(f, "refused");
    consumer = await issueConsumer(f, "refused");
  });
  after(async () => f?.stop());
  afterEach(async () => {
    await rpc(f.gateway.rpcEndpoint, "evm_setBlockGasLimit", [`0x${DEFAULT_BLOCK_GAS_LIMIT.toString(16)}`]);
    await rpc(f.gateway.rpcEndpoint, "evm_setAutomine", [true]);
  });

  async function settle(): Promise<string> {
    const slip = merchant.terminal.slip({
      orderNumber: `refused-${++order}`,
      cardId: consumer.cardId,
      currency: "CNY",
      category: 0,
      lines: [{ description: "Tea", quantity: 1, unitPrice: "2000" }],
    });
    return (await merchant.terminal.settle(slip, consumer.signer)).id;
  }

  async function storedTxs(): Promise<StoredTx[]> {
    return f.gateway.db.query<StoredTx>("select tx_hash, nonce, kind, status, replaces from chain_txs order by nonce, created_at");
  }

  /** Waits until `check` holds of the stored transactions, and returns them. */
  async function until(what: string, check: (txs: StoredTx[]) => boolean | Promise<boolean>): Promise<StoredTx[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const txs = await storedTxs();
      if (await check(txs)) return txs;
      if (Date.now() > deadline) throw new Error(`not within 30 s: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const inPool = async (hash: string) => (await rpc(f.gateway.rpcEndpoint, "eth_getTransactionByHash", [hash])) !== null;

  it("tells a slow transaction from a refused one, fills the refused nonce and confirms every settlement once", async () => {
    const earnedBefore = (await f.chain.ledger.accountStats(consumer.cardId)).earned;
    await rpc(f.gateway.rpcEndpoint, "evm_setAutomine", [false]);

    // Nonce N: one settlement, alone in its transaction; 60 more queue while it waits.
    const first = await settle();
    const [n] = await until("the first transaction broadcast", async (txs) => {
      const sent = txs.filter((t) => t.status === "sent");
      return sent.length === 1 && (await inPool(sent[0].tx_hash));
    }).then((txs) => txs.filter((t) => t.status === "sent"));
    const batch: string[] = [];
    for (let i = 0; i < 60; i++) batch.push(await settle());
    await rpc(f.gateway.rpcEndpoint, "evm_mine");

    // Nonce N+1: the 60 in one transaction (6.2M gas), held unmined.
    const [refused] = await until("the batch broadcast", async (txs) => {
      const next = txs.filter((t) => Number(t.nonce) === Number(n.nonce) + 1);
      return next.length === 1 && (await inPool(next[0].tx_hash));
    }).then((txs) => txs.filter((t) => Number(t.nonce) === Number(n.nonce) + 1));
    const [{ raw }] = await f.gateway.db.query<{ raw: string }>("select raw from chain_txs where tx_hash = $1", [refused.tx_hash]);
    expect(Transaction.from(raw).gasLimit).to.equal(200_000n + 60n * 100_000n);
    const after = await settle(); // queued behind it

    // Slow is not refused: unmined for longer than the receipt lag and several re-broadcasts.
    await new Promise((r) => setTimeout(r, 4_000));
    expect((await storedTxs()).filter((t) => t.tx_hash === refused.tx_hash).map((t) => t.status)).to.deep.equal(["sent"]);
    expect((await storedTxs()).filter((t) => t.kind === "filler")).to.deep.equal([]);

    // The block gas limit falls to 1M: the node refuses the batch for good ("intrinsic gas too high").
    await rpc(f.gateway.rpcEndpoint, "evm_setBlockGasLimit", ["0xf4240"]);
    const [filler] = await until("a filler at the refused nonce", async (txs) => {
      const found = txs.find((t) => t.kind === "filler" && t.replaces === refused.tx_hash);
      return found !== undefined && (await inPool(found.tx_hash));
    }).then((txs) => txs.filter((t) => t.kind === "filler" && t.replaces === refused.tx_hash));
    expect(Number(filler.nonce)).to.equal(Number(refused.nonce));
    await rpc(f.gateway.rpcEndpoint, "evm_setAutomine", [true]);
    await rpc(f.gateway.rpcEndpoint, "evm_mine");

    // Every settlement is confirmed, the refused ones in new batches that fit in 1M gas.
    const statuses = [];
    for (const id of [first, ...batch, after]) statuses.push(await waitForFinal(f, id));
    expect(statuses.map((s) => s.status)).to.deep.equal(statuses.map(() => "confirmed"));
    expect(statuses.map((s) => s.reason)).to.deep.equal(statuses.map(() => null));
    expect(statuses[0].txHash).to.equal(n.tx_hash);
    const carriers = new Set(statuses.slice(1).map((s) => s.txHash));
    expect(carriers.has(refused.tx_hash), "nothing confirmed in the refused transaction").to.equal(false);
    for (const hash of carriers) {
      const [{ raw: carrier }] = await f.gateway.db.query<{ raw: string }>("select raw from chain_txs where tx_hash = $1", [hash]);
      expect(Transaction.from(carrier).gasLimit <= 1_000_000n, "the new batches fit in the lowered block gas limit").to.equal(true);
    }

    const stored = await storedTxs();
    const status = (hash: string) => stored.find((t) => t.tx_hash === hash)?.status;
    expect(status(refused.tx_hash)).to.equal("dropped");
    expect(status(filler.tx_hash)).to.equal("mined");
    const attempts = await f.gateway.db.query<{ attempts: number }>("select attempts from submissions where id = any($1::bigint[]) order by id", [
      batch.map(rowIdOf),
    ]);
    expect(attempts.map((a) => a.attempts), "claimed in the refused transaction and once more").to.deep.equal(batch.map(() => 2));

    // Exactly once on the ledger: the points credited are the sum of the confirmed ones.
    const earned = (await f.chain.ledger.accountStats(consumer.cardId)).earned;
    expect(earned - earnedBefore).to.equal(statuses.reduce((sum, s) => sum + BigInt(s.points!), 0n));
  });
});
