/**
 * A bare JSON-RPC client for hot and bulky reads (the submitter's broadcasts and receipt polls,
 * the auditor's log pages and transactions). ethers' provider decodes every answer with a
 * JavaScript UTF-8 decoder and caches identical reads for a moment; this client posts over a
 * keep-alive node:http connection (the SDK's transport: fetch costs several times more CPU per
 * request) and leaves decoding to the runtime.
 */
import { sendJson } from "../sdk/http";

/** A node that has not answered in this long is treated as down (the caller retries). */
const TIMEOUT_MS = 30_000;

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
  private readonly endpoint: URL;

  constructor(readonly url: string) {
    this.endpoint = new URL(url);
  }

  async call<T>(method: string, params: readonly unknown[]): Promise<T> {
    const body = (await this.post({ jsonrpc: "2.0", id: ++this.id, method, params }, method)) as Answer;
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
    const answers = (await this.post(
      calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params })),
      what,
    )) as Answer[];
    if (!Array.isArray(answers)) throw new JsonRpcError(`${what}: the node did not answer with a batch`, undefined, undefined);
    const out: (unknown | JsonRpcError)[] = calls.map((c) => new JsonRpcError(`${c.method}: no answer in the batch`, undefined, undefined));
    for (const a of answers) {
      const i = a.id - first;
      if (i >= 0 && i < calls.length) out[i] = a.error ? answerError(calls[i].method, a.error) : a.result;
    }
    return out;
  }

  private async post(payload: unknown, what: string): Promise<unknown> {
    const res = await sendJson(this.endpoint, "POST", JSON.stringify(payload), TIMEOUT_MS);
    if (res.status < 200 || res.status > 299) throw new JsonRpcError(`${what}: HTTP ${res.status}`, undefined, undefined);
    return JSON.parse(res.text);
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
