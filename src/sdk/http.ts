/**
 * The SDK's HTTP transport: node:http(s) over keep-alive connections. A terminal fleet (or the
 * simulator) sends thousands of small requests a second; fetch costs several times more CPU
 * per request than the plain http module.
 */
import http from "node:http";
import https from "node:https";

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

export interface HttpReply {
  status: number;
  text: string;
}

/** Sends a request with an optional JSON body; resolves with the status and body text. */
export function sendJson(url: URL, method: string, body?: string, timeoutMs = 130_000, extraHeaders: Record<string, string> = {}): Promise<HttpReply> {
  if (url.protocol !== "http:" && url.protocol !== "https:") return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
  const transport = url.protocol === "https:" ? https : http;
  const headers: Record<string, string | number> = {
    ...extraHeaders,
    ...(body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
  };
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method, headers, agent: agents[url.protocol as keyof typeof agents], timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}
