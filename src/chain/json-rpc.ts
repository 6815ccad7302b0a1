/**
 * A bare JSON-RPC client for hot and bulky reads (the submitter's broadcasts and receipt polls,
 * the auditor's log pages and transactions). ethers' provider decodes every answer with a
 * JavaScript UTF-8 decoder and caches identical reads for a moment; this client posts over a
 * keep-alive node:http connection (the SDK's transport: fetch costs several times more CPU per
 * request), or over the embedded node's IPC socket, and leaves decoding to the runtime.
 */
import { sendJson } from "../sdk/http";
import { IpcClient } from "./ipc-client";
import { isIpcPath } from "./rpc-endpoint";

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
  private readonly post: (body: string, what: string) => Promise<string>;
  /** Closes the client's IPC connections (HTTP ones are pooled per process and close themselves). */
  readonly close: () => void;

  /** `endpoint`: an http(s) URL or the path of a node's IPC socket. */
  constructor(readonly endpoint: string) {
    if (isIpcPath(endpoint)) {
      const ipc = new IpcClient(endpoint);
      this.post = async (body) => (await ipc.request(body, TIMEOUT_MS)).toString("utf8");
      this.close = () => ipc.close();
    } else {
      const url = new URL(endpoint);
      this.post = async (body, what) => {
        const res = await sendJson(url, "POST", body, TIMEOUT_MS);
        if (res.status < 200 || res.status > 299) throw new JsonRpcError(`${what}: HTTP ${res.status}`, undefined, undefined);
        return res.text;
      };
      this.close = () => undefined;
    }
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
