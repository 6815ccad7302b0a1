/**
 * The read index follows the chain (ADR 0008): it asks the node for the ledger's and the
 * registry's logs from its checkpoint up to the head less INDEX_CONFIRMATIONS blocks, decodes
 * them (events.ts) and writes them with the checkpoint in one transaction (store.ts). It runs
 * every `pollMs` in the background, and a read that wants what was just confirmed asks it to
 * catch up first (`fresh`). A node that does not answer leaves the index where it was: the next
 * round starts from the checkpoint, whether after a pause of the node or a restart of the gateway.
 */
import { toQuantity, type JsonRpcProvider } from "ethers";
import type { Logger } from "pino";
import type { Db } from "../store/db";
import { bySettlementKey, decodeSettlementCall, settlementKey } from "../chain/settlement-calldata";
import { IndexDecoder, INDEXED_TOPICS, earnedMovement, type DecodedEvent, type EarnedLog, type IndexedEvent, type IndexLog, type SettlementOrder } from "./events";
import { indexedBlock, openSource, writeBatch, type IndexSource } from "./store";
import { limiter, sendAll, type RpcCall } from "../chain/bulk-calls";

/** Requests for transactions or block headers in flight at once during a round. */
const CONFIRMED_PARALLEL = 100;

export interface ReadIndexOptions {
  db: Db;
  provider: JsonRpcProvider;
  source: IndexSource;
  /** Blocks a block must be under the head before the index takes it (INDEX_CONFIRMATIONS). */
  confirmations: number;
  log?: Logger;
  /** How often the background loop catches up (default 1 s). */
  pollMs?: number;
  /** The most blocks one request for logs spans (default 2,000). */
  blocksPerRequest?: number;
}

/** What one round of catching up did. */
export interface CatchUp {
  indexedBlock: number;
  events: number;
}

export class ReadIndex {
  readonly confirmations: number;
  private readonly decoder: IndexDecoder;
  private sourceId?: Promise<number>;
  private round?: Promise<CatchUp>;
  private next?: Promise<CatchUp>;
  /** The block the running round catches up to, once it has read the head. */
  private roundTarget?: number;
  /** The last indexed block a round of this gateway saw (another gateway may be further). */
  private indexed = -1;
  private timer?: NodeJS.Timeout;
  private stopped = true;
  /** Set by stop(): a long catch-up ends after its current batch. */
  private closing = false;
  private failing = false;

  constructor(private readonly options: ReadIndexOptions) {
    this.confirmations = options.confirmations;
    this.decoder = new IndexDecoder(options.source);
  }

  /** The store's ID of the deployment followed (created with nothing indexed on first use). */
  source(): Promise<number> {
    this.sourceId ??= openSource(this.options.db, this.options.source).catch((err: Error) => {
      this.sourceId = undefined;
      throw err;
    });
    return this.sourceId;
  }

  /** The last block whose events are all in the index. */
  async indexedBlock(): Promise<number> {
    return indexedBlock(this.options.db, await this.source());
  }

  /**
   * Runs a read of the index's tables after catching up (`fresh`), with the indexed block it saw.
   */
  async read<T>(query: (db: Db, sourceId: number) => Promise<T>): Promise<{ indexedBlock: number; value: T }> {
    const indexedBlock = await this.fresh();
    return { indexedBlock, value: await query(this.options.db, await this.source()) };
  }

  /**
   * Catches up to the head less the confirmation depth. A call made while a round runs gets the
   * round after it (which sees everything confirmed before the call); calls made meanwhile share it.
   */
  catchUp(): Promise<CatchUp> {
    if (!this.round) return (this.round = this.runRound());
    this.next ??= this.round.catch(() => undefined).then(() => {
      this.next = undefined;
      return (this.round = this.runRound());
    });
    return this.next;
  }

  /**
   * Catches up for a read to the block confirmed when it was called, waiting at most `timeoutMs`;
   * the index as it stands otherwise (a node that does not answer, a long catch-up after a
   * restart). Costs one eth_blockNumber when the index already holds that block; otherwise waits
   * for the running round if it aims that far, else for the next. Returns the indexed block.
   */
  async fresh(timeoutMs = 2_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const caughtUp = async (): Promise<number | undefined> => {
      const wanted = (await this.head()) - this.confirmations;
      if (this.indexed >= wanted) return this.indexed;
      // The running round may have read an older head than this call did: check what it reached.
      if (this.round !== undefined && (this.roundTarget === undefined || this.roundTarget >= wanted)) {
        const reached = (await this.round).indexedBlock;
        if (reached >= wanted) return reached;
      }
      return (await this.catchUp()).indexedBlock;
    };
    const done = await Promise.race([caughtUp().catch(() => undefined), late]);
    clearTimeout(timer);
    return done ?? (await this.indexedBlock());
  }

  /** The node's head (raw eth_blockNumber: ethers caches getBlockNumber() briefly). */
  private async head(): Promise<number> {
    return Number(await this.options.provider.send("eth_blockNumber", []));
  }

  /** Runs the background loop: a round every `pollMs` (errors logged once per outage, retried). */
  start(): void {
    this.stopped = false;
    this.closing = false;
    const tick = () => {
      this.timer = undefined;
      if (this.stopped) return;
      void this.catchUp()
        .then(() => {
          if (this.failing) this.options.log?.info("read index: the node answers again; caught up");
          this.failing = false;
        })
        .catch((err: Error) => {
          if (!this.failing) this.options.log?.warn({ err: err.message }, "read index: cannot catch up; retrying");
          this.failing = true;
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs ?? 1_000);
        });
    };
    tick();
  }

  /** Stops the loop and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([this.round, this.next]);
  }

  private async runRound(): Promise<CatchUp> {
    try {
      const { db } = this.options;
      const sourceId = await this.source();
      const target = (this.roundTarget = (await this.head()) - this.confirmations);
      let from = (await indexedBlock(db, sourceId)) + 1;
      let events = 0;
      const span = this.options.blocksPerRequest ?? 2_000;
      while (from <= target && !this.closing) {
        const to = Math.min(target, from + span - 1);
        const batch = await this.eventsOf(from, to);
        events += await writeBatch(db, sourceId, to, batch, await this.blockTimes(batch));
        from = to + 1;
      }
      this.indexed = await indexedBlock(db, sourceId);
      return { indexedBlock: this.indexed, events };
    } finally {
      this.round = undefined;
      this.roundTarget = undefined;
    }
  }

  private async eventsOf(fromBlock: number, toBlock: number): Promise<IndexedEvent[]> {
    const { ledger, registry } = this.options.source;
    // Raw eth_getLogs: ethers' getLogs checksums every log's address with a JavaScript keccak.
    const raw = await this.options.provider.send("eth_getLogs", [
      { address: [ledger, registry], topics: [[...INDEXED_TOPICS]], fromBlock: toQuantity(fromBlock), toBlock: toQuantity(toBlock) },
    ]);
    const decoded = (raw as RawLog[])
      .filter((l) => !l.removed)
      .map(indexLog)
      .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
      .map((l) => this.decoder.decode(l))
      .filter((e): e is DecodedEvent => e !== undefined);
    const orders = await this.settlementOrders(decoded.filter((e): e is EarnedLog => e.type === "earned"));
    return decoded.map((e) => (e.type === "earned" ? earnedMovement(e, orders.get(e.txHash)?.get(settlementKey(e.terminal, e.nonce))) : e));
  }

  /**
   * The order and amount of each settlement the transactions of `earned` carried, by transaction
   * hash and then `settlementKey`: one request per transaction, not per settlement (ADR 0012).
   */
  private async settlementOrders(earned: readonly EarnedLog[]): Promise<Map<string, Map<string, SettlementOrder>>> {
    const ledger = this.options.source.ledger.toLowerCase();
    const hashes = [...new Set(earned.map((e) => e.txHash))];
    const txs = await this.confirmed(hashes.map((h) => ({ method: "eth_getTransactionByHash", params: [h] })), (i) => `transaction ${hashes[i]}`);
    const orders = new Map<string, Map<string, SettlementOrder>>();
    txs.forEach((answer, i) => {
      const tx = answer as { to: string | null; input: string };
      // Only a call straight to the ledger carries its settlements in its own input.
      const items = tx.to?.toLowerCase() === ledger ? decodeSettlementCall(tx.input) : undefined;
      const byKey = bySettlementKey(items ?? [], (it) => it.settlement);
      orders.set(hashes[i], new Map([...byKey].map(([key, { settlement: s }]) => [key, { orderId: s.orderId, amount: s.amount }])));
    });
    return orders;
  }

  /** The timestamps of the blocks that hold movements (a day's figures are by block time). */
  private async blockTimes(events: readonly IndexedEvent[]): Promise<Map<number, number>> {
    const blocks = [...new Set(events.filter((e) => e.type === "movement").map((e) => e.block))];
    const headers = await this.confirmed(blocks.map((b) => ({ method: "eth_getBlockByNumber", params: [`0x${b.toString(16)}`, false] })), (i) => `block ${blocks[i]}`);
    return new Map(headers.map((h, i) => [blocks[i], Number((h as { timestamp: string }).timestamp)]));
  }

  /**
   * The node's answers to `calls`, at most CONFIRMED_PARALLEL in flight. The index reads only
   * confirmed blocks: a null answer means the chain rolled back that deep, and fails the round.
   */
  private async confirmed(calls: readonly RpcCall[], what: (i: number) => string): Promise<unknown[]> {
    const answers = await Promise.all(sendAll(this.options.provider, calls, limiter(CONFIRMED_PARALLEL)));
    answers.forEach((a, i) => {
      if (a === null || a === undefined) throw new Error(`${what(i)} is gone: the chain rolled back under the confirmation depth`);
    });
    return answers;
  }
}

/** A log as eth_getLogs answers it: numbers as hex quantities. */
interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  logIndex: string;
  transactionHash: string;
  removed?: boolean;
}

function indexLog(l: RawLog): IndexLog {
  return { address: l.address, topics: l.topics, data: l.data, blockNumber: Number(l.blockNumber), index: Number(l.logIndex), transactionHash: l.transactionHash };
}
