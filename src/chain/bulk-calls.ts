/**
 * Many JSON-RPC calls at once, bounded: the read index's transactions and block headers, the
 * auditor's ledger and step transactions. Over the bare client (json-rpc.ts) they go in JSON-RPC
 * batches; through anything else that can `send` (ethers' provider, Hardhat's in tests), one
 * request each. A `limit` bounds how many requests are in flight.
 */
import { JsonRpc, JsonRpcError } from "./json-rpc";

/** What can answer one JSON-RPC call: ethers' provider, Hardhat's, or the bare client. */
export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

export interface RpcCall {
  method: string;
  params: unknown[];
}

export type Limit = <T>(task: () => Promise<T>) => Promise<T>;

/** Runs at most `parallel` of the tasks given to it at a time, the others queued in order. */
export function limiter(parallel: number): Limit {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active < parallel) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      if (waiting.length > 0) waiting.shift()!();
      else active--;
    }
  };
}

/** Calls per JSON-RPC batch when `sendAll` can send batches. */
const CALLS_PER_BATCH = 100;

/**
 * Each call's answer, in the order asked: in JSON-RPC batches of CALLS_PER_BATCH when `rpc` can
 * send them, else one request each; each batch or request is one task of `limit`. An error
 * answer rejects its own promise only.
 */
export function sendAll(rpc: RpcSender, calls: readonly RpcCall[], limit: Limit): Promise<unknown>[] {
  if (!(rpc instanceof JsonRpc)) return calls.map((c) => limit(() => rpc.send(c.method, c.params)));
  const answers: Promise<unknown>[] = [];
  for (let at = 0; at < calls.length; at += CALLS_PER_BATCH) {
    const batch = limit(() => rpc.batch(calls.slice(at, at + CALLS_PER_BATCH)));
    batch.catch(() => undefined); // surfaces through each answer
    for (let i = 0; i < Math.min(CALLS_PER_BATCH, calls.length - at); i++) {
      answers.push(batch.then((all) => (all[i] instanceof JsonRpcError ? Promise.reject(all[i] as JsonRpcError) : all[i])));
    }
  }
  return answers;
}
