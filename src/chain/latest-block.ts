/**
 * The chain's latest block number as the gateway last heard it from the node: asked again once
 * it is `maxAgeMs` old (callers meanwhile share one eth_blockNumber), or at once after `forget`
 * (the gateway saw a block mined: its own transaction confirmed). A number read here is a block
 * the node has, so state read at it is state the code can name; it may lag the head by up to
 * `maxAgeMs`.
 */
import type { JsonRpcProvider } from "ethers";

export class LatestBlock {
  private known?: { number: number; askedAt: number };
  private asking?: Promise<number>;
  /** Counts `forget` calls: an answer to a question asked before one is not kept. */
  private generation = 0;

  constructor(
    private readonly provider: Pick<JsonRpcProvider, "send">,
    readonly maxAgeMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The latest block number, at most `maxAgeMs` old (raw eth_blockNumber: ethers caches getBlockNumber() briefly). */
  number(): Promise<number> {
    if (this.known && this.now() - this.known.askedAt < this.maxAgeMs) return Promise.resolve(this.known.number);
    if (!this.asking) {
      const asking = this.ask(this.generation);
      const done = () => {
        if (this.asking === asking) this.asking = undefined;
      };
      asking.then(done, done);
      this.asking = asking;
    }
    return this.asking;
  }

  /** A block was mined since the number was read: the next caller asks the node. */
  forget(): void {
    this.known = undefined;
    this.asking = undefined;
    this.generation++;
  }

  private async ask(generation: number): Promise<number> {
    // Aged from the question, not the answer: the answer is at least this new.
    const askedAt = this.now();
    const number = Number(await this.provider.send("eth_blockNumber", []));
    if (generation === this.generation && (!this.known || number >= this.known.number)) this.known = { number, askedAt };
    return number;
  }
}
