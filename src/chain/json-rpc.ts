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

  /** The shape of ethers' provider.send, for code that takes either. */
  send(method: string, params: unknown[]): Promise<unknown> {
    return this.call(method, params);
  }
}
