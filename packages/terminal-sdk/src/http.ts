/** The client's HTTP transport (fetch by default) and the gateway's problem answers. */

export interface HttpRequest {
  url: string;
  method: string;
  /** JSON text, when the request has a body. */
  body?: string;
  headers: Record<string, string>;
}

export interface HttpReply {
  status: number;
  text: string;
  /** The Retry-After header, when the answer has one (503 and 429 answers may). */
  retryAfter?: string;
}

/** Sends one request and resolves with the status and body text (rejects on a network error). */
export type Transport = (request: HttpRequest) => Promise<HttpReply>;

/** The transport over the platform's fetch (Node 18+, browsers), with a timeout. */
export function fetchTransport(timeoutMs = 130_000): Transport {
  return async ({ url, method, body, headers }) => {
    const res = await fetch(url, {
      method,
      body,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const retryAfter = res.headers.get("retry-after") ?? undefined;
    return { status: res.status, text: await res.text(), ...(retryAfter === undefined ? {} : { retryAfter }) };
  };
}

/** When `resendingTransport` sends a request again, and how long it waits between. */
export interface ResendPolicy {
  /** Sends after the first, at most (default 3). */
  resends?: number;
  /** The first wait without a Retry-After, doubled at each resend (default 250 ms). */
  baseDelayMs?: number;
  /** The longest wait, Retry-After included (default 30 s). */
  maxDelayMs?: number;
  /** How a wait is waited (tests record it). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A transport that sends a request again, the same body byte for byte, after a network error, a
 * `5xx` or a `429`: as long as the answer's `Retry-After` says (capped at `maxDelayMs`), else an
 * exponential back-off with jitter. Safe for the gateway's submissions, whose terminal and nonce
 * are the idempotency key (a resend of a stored one is answered `200`, `duplicate: true`). A
 * `4xx` other than `429` is never sent again. The last answer is returned, or the last network
 * error thrown, once the resends are spent.
 */
export function resendingTransport(inner: Transport, policy: ResendPolicy = {}): Transport {
  const { resends = 3, baseDelayMs = 250, maxDelayMs = 30_000, sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) } = policy;
  return async (request) => {
    for (let attempt = 0; ; attempt++) {
      let reply: HttpReply | undefined;
      let failure: unknown;
      try {
        reply = await inner(request);
      } catch (err) {
        failure = err;
      }
      const again = reply === undefined || reply.status >= 500 || reply.status === 429;
      if (!again || attempt >= resends) {
        if (reply === undefined) throw failure;
        return reply;
      }
      const backoff = baseDelayMs * 2 ** attempt * (0.5 + Math.random() / 2);
      await sleep(Math.min(maxDelayMs, retryAfterMs(reply?.retryAfter) ?? backoff));
    }
  };
}

/**
 * A problem answer from the gateway (RFC 9457), with its stable code to switch on, and how long
 * the gateway asked to wait before the same request is sent again (its Retry-After, in ms).
 */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    /** From Retry-After (delay-seconds or an HTTP date); undefined when absent or unreadable. */
    readonly retryAfterMs?: number,
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = "GatewayError";
  }
}

/**
 * A Retry-After value (RFC 9110: delay-seconds, or an HTTP date) as milliseconds from `now`; a
 * date already past is 0. Undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP date form starts with the weekday; Date.parse alone would read "1.5" as a date.
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)/.test(text)) return undefined;
  // asctime's form names no zone: HTTP dates are all GMT.
  const at = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** JSON with bigints as decimal strings, as the gateway reads them. */
export const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));

/**
 * A JSON call to the gateway: `body` sent as JSON, the answer's JSON returned. A problem answer,
 * or one that is not JSON, is thrown as a GatewayError.
 */
export async function requestJson<T = Record<string, unknown>>(
  transport: Transport,
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await transport({ url: new URL(path, base).toString(), method, body: body === undefined ? undefined : json(body), headers });
  let parsed: Record<string, unknown>;
  try {
    parsed = res.text ? (JSON.parse(res.text) as Record<string, unknown>) : {};
  } catch {
    throw new GatewayError(res.status, "unknown", `the answer is not JSON: ${res.text.slice(0, 200)}`, retryAfterMs(res.retryAfter));
  }
  if (res.status < 200 || res.status >= 300) {
    throw new GatewayError(res.status, String(parsed.code ?? "unknown"), String(parsed.detail ?? parsed.title ?? (res.text || "no body")), retryAfterMs(res.retryAfter));
  }
  return parsed as T;
}
