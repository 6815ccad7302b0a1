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
    return { status: res.status, text: await res.text() };
  };
}

/** A problem answer from the gateway (RFC 9457), with its stable code to switch on. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = "GatewayError";
  }
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
    throw new GatewayError(res.status, "unknown", `the answer is not JSON: ${res.text.slice(0, 200)}`);
  }
  if (res.status < 200 || res.status >= 300) {
    throw new GatewayError(res.status, String(parsed.code ?? "unknown"), String(parsed.detail ?? parsed.title ?? (res.text || "no body")));
  }
  return parsed as T;
}
