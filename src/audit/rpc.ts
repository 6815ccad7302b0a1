/**
 * Raw JSON-RPC for the bulky reads of an audit (eth_getLogs pages, settlement transactions):
 * the bare client of src/chain/json-rpc.ts, over HTTP or a node's IPC socket. Without an
 * endpoint (Hardhat's in-process network in tests) the provider's `send` serves instead.
 */
import { JsonRpc } from "../chain/json-rpc";

export type { RpcSender } from "../chain/bulk-calls";

/** `endpoint`: an http(s) URL or a node's IPC socket path. */
export function bulkRpc(endpoint: string): JsonRpc {
  return new JsonRpc(endpoint);
}
