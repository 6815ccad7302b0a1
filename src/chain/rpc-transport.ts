/**
 * How a JSON-RPC text reaches a node and its answer comes back, undecoded: over the embedded
 * node's IPC socket, or over HTTP to one or several URLs of one chain (RPC_URL may list several,
 * comma-separated). Both the ethers provider (rpc-endpoint.ts) and the raw client (json-rpc.ts)
 * post through a transport, so every RPC path of the gateway fails over the same way.
 *
 * Failover, over HTTP: a request the current URL does not answer at all (connection refused or
 * reset, a timeout; or a proxy's 502, 503 or 504 saying the node behind it is down) is sent to the
 * next URL, and that URL becomes the current one for every later request. An answer, a JSON-RPC
 * error among them (a revert, "nonce too low"), is never retried elsewhere: it is the chain's word.
 * A request sent again may have reached the first node already; every request the gateway sends
 * is a read or a signed transaction, which a second copy cannot apply twice (same hash).
 *
 * ethers' FallbackProvider is not used: it broadcasts a transaction to every backend at once,
 * sends a read to a second backend after a 400 ms stall, and offers no raw `send` (batches,
 * txpool_status) for the submitter and the auditor.
 */
import { sendJson } from "../sdk/http";
import { IpcClient } from "./ipc-client";
import { redactUrl } from "../redact-url";

/** Posts one JSON-RPC text (a call or a batch) and resolves with the answer's text. */
export interface RpcTransport {
  post(body: string, what: string): Promise<string>;
  /** Closes connections the transport keeps (IPC); HTTP ones are pooled per process. */
  close(): void;
}

/** A node that has not answered in this long is treated as down (the caller retries, or fails over). */
export const RPC_TIMEOUT_MS = 30_000;

/** Proxy answers meaning "the node behind me does not answer": failed over like a refused connection. */
const NODE_UNREACHABLE_STATUSES = new Set([502, 503, 504]);

/** The node answered over HTTP with a status other than 2xx (and not one of a proxy's "node down"). */
export class RpcHttpStatusError extends Error {
  constructor(
    what: string,
    readonly status: number,
  ) {
    super(`${what}: HTTP ${status}`);
  }
}

/** True for a socket path, false for a URL (`scheme://...`) or a list of them. */
export function isIpcPath(endpoint: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint);
}

/** The URLs of an RPC_URL-style list ("url1,url2"), in order, blanks dropped. */
export function splitRpcUrls(endpoint: string): string[] {
  return endpoint
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u !== "");
}

/** One node's IPC socket. */
export class IpcTransport implements RpcTransport {
  private readonly ipc: IpcClient;

  constructor(
    readonly path: string,
    private readonly timeoutMs: number,
  ) {
    this.ipc = new IpcClient(path);
  }

  async post(body: string): Promise<string> {
    return (await this.ipc.request(body, this.timeoutMs)).toString("utf8");
  }

  close(): void {
    this.ipc.close();
  }
}

/** What a failover left and what it took, for logs and metrics: positions in the list, from 0. */
export interface Failover {
  from: number;
  to: number;
  /** Why the `from` URL counts as down: an error code (ECONNREFUSED...), a timeout or an HTTP status. */
  reason: string;
}

/** What `checkChain` found at start: the chain's ID, and the URLs that did not answer then. */
export interface ChainCheck {
  chainId: bigint;
  /** Positions of the URLs not answering at start: each is checked when first failed over to. */
  unanswered: number[];
}

/** A URL of the list reaches another chain than the first answering one. */
export class RpcChainMismatchError extends Error {}

/** HTTP to the first answering URL of a list, all of one chain (see the module's comment). */
export class FailoverHttpTransport implements RpcTransport {
  private readonly targets: URL[];
  private active = 0;
  private readonly listeners: ((f: Failover) => void)[] = [];
  /** The chain every URL must reach, once `checkChain` has run. */
  private chainId?: bigint;
  /** URLs whose chain ID is known to be `chainId`. */
  private readonly checked = new Set<number>();
  /** URLs found on another chain: never posted to again. */
  private readonly foreign = new Set<number>();

  constructor(
    readonly urls: readonly string[],
    private readonly timeoutMs: number = RPC_TIMEOUT_MS,
  ) {
    if (urls.length === 0) throw new Error("no RPC URL given");
    this.targets = urls.map((u) => new URL(u));
  }

  /** The position in `urls` of the URL requests go to now. */
  get current(): number {
    return this.active;
  }

  /** Calls `listener` on every failover (after the switch). */
  onFailover(listener: (f: Failover) => void): void {
    this.listeners.push(listener);
  }

  /**
   * At start: asks every URL its chain ID. URLs of two chains refuse the start (naming the URL
   * that differs, redacted); so does a list where none answers. A URL that does not answer is
   * reported, not refused (a gateway must start while one node is down): its chain ID is asked
   * before its first request, and a URL of another chain is then left for good.
   */
  async checkChain(): Promise<ChainCheck> {
    const unanswered: number[] = [];
    const ask = this.targets.map((target) => askChainId(target, this.timeoutMs).catch(() => undefined));
    for (const [i, answer] of (await Promise.all(ask)).entries()) {
      if (answer === undefined) {
        unanswered.push(i);
        continue;
      }
      if (this.chainId === undefined) {
        this.chainId = answer;
        this.active = i;
      } else if (answer !== this.chainId) {
        throw new RpcChainMismatchError(
          `RPC_URL ${redactUrl(this.urls[i])} is chain ${answer}, ${redactUrl(this.urls[this.active])} is chain ${this.chainId}: every URL must reach one chain`,
        );
      }
      this.checked.add(i);
    }
    if (this.chainId === undefined) throw new Error(`no URL of RPC_URL answers eth_chainId (${this.urls.map(redactUrl).join(", ")})`);
    return { chainId: this.chainId, unanswered };
  }

  async post(body: string, what: string): Promise<string> {
    // Each URL once at most: the one current when the request starts, then the next ones.
    for (let tried = 1; ; tried++) {
      const at = this.active;
      let reason: string;
      try {
        if (!(await this.sameChain(at))) {
          if (tried >= this.targets.length) throw new RpcChainMismatchError(`${what}: RPC_URL ${redactUrl(this.urls[at])} reaches another chain`);
          this.failOver(at, "another chain");
          continue;
        }
        const res = await sendJson(this.targets[at], "POST", body, this.timeoutMs);
        if (res.status >= 200 && res.status <= 299) return res.text;
        if (!NODE_UNREACHABLE_STATUSES.has(res.status) || tried >= this.targets.length) throw new RpcHttpStatusError(what, res.status);
        reason = `HTTP ${res.status}`;
      } catch (err) {
        // sendJson rejects only when no HTTP answer came back: refused, reset (a code), or timed out.
        if (err instanceof RpcHttpStatusError || err instanceof RpcChainMismatchError || tried >= this.targets.length) throw err;
        reason = (err as NodeJS.ErrnoException).code ?? "timeout";
      }
      this.failOver(at, reason);
    }
  }

  close(): void {}

  /** Whether URL `at` may be used: checked at start or now (throws when it does not answer). */
  private async sameChain(at: number): Promise<boolean> {
    if (this.chainId === undefined || this.checked.has(at)) return true;
    if (this.foreign.has(at)) return false;
    const answer = await askChainId(this.targets[at], this.timeoutMs);
    if (answer !== this.chainId) {
      this.foreign.add(at);
      return false;
    }
    this.checked.add(at);
    return true;
  }

  /** Requests in flight on a dead URL fail together: the first to report it moves the list on. */
  private failOver(from: number, reason: string): void {
    if (this.active !== from) return;
    this.active = (from + 1) % this.targets.length;
    for (const listener of this.listeners) listener({ from, to: this.active, reason });
  }
}

/** One URL's eth_chainId; rejects when no HTTP answer comes back, or not a 2xx with a result. */
async function askChainId(target: URL, timeoutMs: number): Promise<bigint> {
  const res = await sendJson(target, "POST", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }), timeoutMs);
  const answer = res.status >= 200 && res.status <= 299 ? (JSON.parse(res.text) as { result?: unknown }).result : undefined;
  if (typeof answer !== "string") throw Object.assign(new Error(`eth_chainId: HTTP ${res.status}, no chain ID`), { code: `HTTP ${res.status}` });
  return BigInt(answer);
}

/** A transport to `endpoint`: an IPC socket path, or one or several http(s) URLs, comma-separated. */
export function openTransport(endpoint: string, timeoutMs: number = RPC_TIMEOUT_MS): IpcTransport | FailoverHttpTransport {
  return isIpcPath(endpoint) ? new IpcTransport(endpoint, timeoutMs) : new FailoverHttpTransport(splitRpcUrls(endpoint), timeoutMs);
}
