/**
 * Raw JSON-RPC for the bulky reads of an audit (eth_getLogs pages, settlement transactions):
 * the bare client of src/chain/json-rpc.ts. Without a URL (Hardhat's in-process network in
 * tests) the provider's `send` serves instead.
 */
import { JsonRpc } from "../chain/json-rpc";

export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

export function httpRpc(url: string): JsonRpc {
  return new JsonRpc(url);
}
