/**
 * The SDK's HTTP transport: node:http(s) over keep-alive connections. A terminal fleet (or the
 * simulator) sends thousands of small requests a second; fetch costs several times more CPU
 * per request than the plain http module.
 */
import http from "node:http";
import https from "node:https";
import { GatewayError, json, requestJson as sdkRequestJson, type Transport } from "../../packages/terminal-sdk/src";

export { GatewayError, json };

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

export interface HttpReply {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * Sends a request with an optional JSON body; resolves with the status and body text. A request
 * written to a kept-alive connection that the server had closed meanwhile (a restarted gateway,
 * an idle timeout) fails with ECONNRESET before the server read it; it is sent once more on a
 * fresh connection, as Node's documentation advises.
 */
export async function sendJson(url: URL, method: string, body?: string, timeoutMs = 130_000, extraHeaders: Record<string, string> = {}): Promise<HttpReply> {
  try {
    return await sendOnce(url, method, body, timeoutMs, extraHeaders);
  } catch (err) {
    if (!(err instanceof StaleConnectionError)) throw err;
    // Not through the agent: its other idle connections may be just as stale (several requests
    // in flight when the gateway restarted leave several), and the retry must not draw one.
    return sendOnce(url, method, body, timeoutMs, extraHeaders, { fresh: true });
  }
}

/** A reused keep-alive connection was found closed by the server. */
class StaleConnectionError extends Error {}

function sendOnce(url: URL, method: string, body: string | undefined, timeoutMs: number, extraHeaders: Record<string, string>, options: { fresh?: boolean } = {}): Promise<HttpReply> {
  if (url.protocol !== "http:" && url.protocol !== "https:") return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
  const transport = url.protocol === "https:" ? https : http;
  const headers: Record<string, string | number> = {
    ...extraHeaders,
    ...(body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
  };
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method, headers, agent: options.fresh ? false : agents[url.protocol as keyof typeof agents], timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname} timed out after ${timeoutMs} ms`)));
    req.on("error", (err: NodeJS.ErrnoException) => {
      reject(req.reusedSocket && err.code === "ECONNRESET" ? new StaleConnectionError(err.message) : err);
    });
    req.end(body);
  });
}

/**
 * A JSON call to the gateway over node:http: `body` sent as JSON, the answer's JSON returned. A
 * problem answer, or one that is not JSON, is thrown as a GatewayError.
 */
export function requestJson<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<T> {
  return sdkRequestJson<T>(nodeHttpTransport, base, method, path, body, headers);
}

/** sendJson as the terminal SDK's transport. */
export const nodeHttpTransport: Transport = async ({ url, method, body, headers }) => {
  const reply = await sendJson(new URL(url), method, body, undefined, headers);
  const retryAfter = reply.headers["retry-after"];
  return { status: reply.status, text: reply.text, ...(retryAfter === undefined ? {} : { retryAfter }) };
};
