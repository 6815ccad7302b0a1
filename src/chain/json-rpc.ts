/**
 * A bare JSON-RPC client for hot and bulky reads (the submitter's broadcasts and receipt polls,
 * the auditor's log pages and transactions). ethers' provider decodes every answer with a
 * JavaScript UTF-8 decoder and caches identical reads for a moment; this client posts over a
 * keep-alive node:http connection (the SDK's transport: fetch costs several times more CPU per
 * request), or over the embedded node's IPC socket, and leaves decoding to the runtime. Over HTTP
 * it fails over between RPC_URL's URLs as the provider does (rpc-transport.ts).
 */
import { openTransport, type RpcTransport } from "./rpc-transport";

export class JsonRpcError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
    readonly data: unknown,
  ) {
    super(message);
  }
}

export class JsonRpc {
  private id = 0;
  private readonly transport: RpcTransport;
  private readonly ownsTransport: boolean;

  /**
   * `endpoint`: an http(s) URL (or several of one chain, comma-separated) or the path of a
   * node's IPC socket; or a transport already open (a provider's, see rpc-endpoint.ts
   * `rawEndpointOf`), which `close` leaves open.
   */
  constructor(endpoint: string | RpcTransport) {
    this.ownsTransport = typeof endpoint === "string";
    this.transport = typeof endpoint === "string" ? openTransport(endpoint) : endpoint;
  }

  /** Closes the client's IPC connections (HTTP ones are pooled per process and close themselves). */
  close(): void {
    if (this.ownsTransport) this.transport.close();
  }

  private post(body: string, what: string): Promise<string> {
    return this.transport.post(body, what);
  }

  async call<T>(method: string, params: readonly unknown[]): Promise<T> {
    const body = JSON.parse(await this.post(JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }), method)) as Answer;
    if (body.error) throw answerError(method, body.error);
    return body.result as T;
  }

  /**
   * Several calls in one JSON-RPC batch request; each result or error in the order asked
   * (an error answer becomes a JsonRpcError in its place, it does not fail the others).
   */
  async batch(calls: readonly { method: string; params: readonly unknown[] }[]): Promise<(unknown | JsonRpcError)[]> {
    if (calls.length === 0) return [];
    const first = this.id + 1;
    this.id += calls.length;
    const what = `batch of ${calls.length}`;
    const answers = JSON.parse(
      await this.post(JSON.stringify(calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params }))), what),
    ) as Answer[];
    if (!Array.isArray(answers)) throw new JsonRpcError(`${what}: the node did not answer with a batch`, undefined, undefined);
    const out: (unknown | JsonRpcError)[] = calls.map((c) => new JsonRpcError(`${c.method}: no answer in the batch`, undefined, undefined));
    for (const a of answers) {
      const i = a.id - first;
      if (i >= 0 && i < calls.length) out[i] = a.error ? answerError(calls[i].method, a.error) : a.result;
    }
    return out;
  }

  /** The shape of ethers' provider.send, for code that takes either. */
  send(method: string, params: unknown[]): Promise<unknown> {
    return this.call(method, params);
  }
}

interface Answer {
  id: number;
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
}

function answerError(method: string, e: NonNullable<Answer["error"]>): JsonRpcError {
  return new JsonRpcError(`${method}: ${e.message ?? "failed"} (code ${e.code})`, e.code, e.data);
}
