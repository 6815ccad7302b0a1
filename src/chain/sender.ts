/**
 * Sending from one key: a queue that serialises its transactions and counts its nonces, a wallet
 * that sends with headroom over the node's gas estimate, and a contract's refusal decoded into a
 * ContractRefusal. The gateway's transitional institution keys and the relayer (ADR 0001,
 * section 8: a key with no role that sends operator steps other people signed, and pays for
 * them) both send this way.
 */
import { Wallet, type ContractTransactionReceipt, type ContractTransactionResponse, type TransactionRequest } from "ethers";
import { contractRefusal, refusedBeforeSending } from "./contract-errors";
import type { LedgerClient } from "./ledger-client";
import { WriteGate } from "./write-gate";

/** Gas limit = the node's estimate plus this share (percent). */
const GAS_HEADROOM_PERCENT = 25n;

/**
 * A wallet that sends with headroom over the node's gas estimate. An estimate is the least gas
 * that works in the block the node simulates; a credit action's gas depends on the block's time
 * (the score's recency and tenure take different branches), so the block that mines it can need
 * a little more than the estimate, and a transaction sent with the bare estimate runs out of gas.
 */
class HeadroomWallet extends Wallet {
  override async estimateGas(tx: TransactionRequest): Promise<bigint> {
    return ((await super.estimateGas(tx)) * (100n + GAS_HEADROOM_PERCENT)) / 100n;
  }
}

/**
 * Serialises the transactions of one key, so concurrent requests never race for a nonce, and
 * counts its nonces locally: ethers briefly caches identical RPC reads, so asking the node again
 * right after a transaction can return the old count.
 */
class KeyQueue {
  private tail: Promise<unknown> = Promise.resolve();
  next: number | undefined;
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** One key's sender: every transaction of that key goes through one instance. */
export class ChainSender {
  readonly wallet: Wallet;
  private readonly queue = new KeyQueue();

  constructor(
    private readonly chain: LedgerClient,
    wallet: Wallet,
    private readonly writeGate: WriteGate = new WriteGate(),
  ) {
    this.wallet = new HeadroomWallet(wallet.signingKey, wallet.provider ?? chain.provider);
  }

  /** Send one transaction built by `fn` with the key's next nonce and wait for its receipt. */
  send(fn: (overrides: { nonce: number }) => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    return this.queue.run(() =>
      this.writeGate.hold(async () => {
        try {
          const nonce = this.queue.next ?? (await this.wallet.getNonce("latest"));
          const tx = await fn({ nonce });
          this.queue.next = nonce + 1;
          const receipt = await tx.wait();
          return receipt!;
        } catch (err) {
          // A refusal at gas estimation used no nonce; after anything else, read it again.
          if (!refusedBeforeSending(err)) this.queue.next = undefined;
          throw contractRefusal(this.chain, err) ?? err;
        }
      }),
    );
  }
}
