/**
 * Reads the logs of a set of contracts over a block range in pages (eth_getLogs over block
 * ranges), so a long chain never sits in memory at once. The page size adapts: it halves when
 * the node refuses a range (too many results, response too large, timeout) and grows while
 * pages come back small. Logs come out in chain order (block, then log index).
 */

/** A log as eth_getLogs returns it, numbers parsed. */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
  /** The block's timestamp, when the node includes it in logs (anvil does; Hardhat's network does not). */
  blockTimestamp?: bigint;
}

export interface Page {
  fromBlock: number;
  toBlock: number;
  logs: RawLog[];
}

export interface PagerOptions {
  /** First page size in blocks (default 100: the replay starts on a quick first answer). */
  initialBlocks?: number;
  /** Aim for at most this many logs per page (default 20,000). */
  targetLogs?: number;
  maxBlocks?: number;
}

interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash: string;
  logIndex: string;
  blockTimestamp?: string;
}

export async function* pageLogs(
  provider: { send(method: string, params: unknown[]): Promise<unknown> },
  addresses: readonly string[],
  fromBlock: number,
  toBlock: number,
  options: PagerOptions = {},
): AsyncGenerator<Page> {
  const target = options.targetLogs ?? 20_000;
  const maxBlocks = options.maxBlocks ?? 100_000;
  let size = options.initialBlocks ?? 100;
  let from = fromBlock;
  while (from <= toBlock) {
    const to = Math.min(toBlock, from + size - 1);
    let raw: RpcLog[];
    try {
      raw = (await provider.send("eth_getLogs", [
        { address: addresses, fromBlock: hex(from), toBlock: hex(to) },
      ])) as RpcLog[];
    } catch (err) {
      if (size > 1 && isRangeRefusal(err)) {
        size = Math.max(1, Math.floor(size / 2));
        continue;
      }
      throw err;
    }
    const logs = raw.map(parseLog).sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    yield { fromBlock: from, toBlock: to, logs };
    from = to + 1;
    if (logs.length < target / 4) size = Math.min(maxBlocks, size * 2);
    else if (logs.length > target) size = Math.max(1, Math.floor(size / 2));
  }
}

function parseLog(l: RpcLog): RawLog {
  return {
    address: l.address.toLowerCase(),
    topics: l.topics,
    data: l.data,
    blockNumber: Number(l.blockNumber),
    transactionHash: l.transactionHash,
    logIndex: Number(l.logIndex),
    ...(l.blockTimestamp !== undefined ? { blockTimestamp: BigInt(l.blockTimestamp) } : {}),
  };
}

/** Errors nodes give for a range with too many logs (geth, Besu, anvil, providers). */
function isRangeRefusal(err: unknown): boolean {
  const text = String((err as { message?: string }).message ?? err).toLowerCase();
  return /too many|limit|range|exceed|timeout|timed out|response size|query returned more/.test(text);
}

const hex = (n: number) => "0x" + n.toString(16);
