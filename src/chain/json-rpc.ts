/**
 * A bare JSON-RPC client for hot and bulky reads (the submitter's broadcasts and receipt polls,
 * the auditor's log pages and transactions). ethers' provider decodes every answer with a
 * JavaScript UTF-8 decoder and caches identical reads for a moment; this client posts with
 * fetch and leaves decoding to the runtime.
 */
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

  constructor(readonly url: string) {}

  async call<T>(method: string, params: readonly unknown[]): Promise<T> {
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++this.id, method, params }),
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new JsonRpcError(`${method}: HTTP ${res.status}`, undefined, undefined);
    const body = (await res.json()) as { result?: T; error?: { code?: number; message?: string; data?: unknown } };
    if (body.error) throw new JsonRpcError(`${method}: ${body.error.message ?? "failed"} (code ${body.error.code})`, body.error.code, body.error.data);
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
    const res = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params }))),
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new JsonRpcError(`batch of ${calls.length}: HTTP ${res.status}`, undefined, undefined);
    const answers = (await res.json()) as { id: number; result?: unknown; error?: { code?: number; message?: string; data?: unknown } }[];
    if (!Array.isArray(answers)) throw new JsonRpcError(`batch of ${calls.length}: the node did not answer with a batch`, undefined, undefined);
    const out: (unknown | JsonRpcError)[] = calls.map((c) => new JsonRpcError(`${c.method}: no answer in the batch`, undefined, undefined));
    for (const a of answers) {
      const i = a.id - first;
      if (i < 0 || i >= calls.length) continue;
      out[i] = a.error ? new JsonRpcError(`${calls[i].method}: ${a.error.message ?? "failed"} (code ${a.error.code})`, a.error.code, a.error.data) : a.result;
    }
    return out;
  }

  /** The shape of ethers' provider.send, for code that takes either. */
  send(method: string, params: unknown[]): Promise<unknown> {
    return this.call(method, params);
  }
}
