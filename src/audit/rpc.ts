/**
 * Raw JSON-RPC for the bulky reads of an audit (eth_getLogs pages, settlement transactions):
 * Node's own fetch and JSON parser, several times faster on large bodies than ethers' provider,
 * which decodes UTF-8 in JavaScript. Without a URL (Hardhat's in-process network in tests) the
 * provider's `send` serves instead.
 */
export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

export function httpRpc(url: string): RpcSender {
  let id = 0;
  return {
    async send(method, params) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
      });
      if (!res.ok) throw new Error(`${method}: HTTP ${res.status} from the node`);
      const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
      if (body.error) throw new Error(`${method}: ${body.error.message} (code ${body.error.code})`);
      return body.result;
    },
  };
}
