/**
 * Where a node answers JSON-RPC: one or several http(s) URLs of one chain, comma-separated (an
 * external node, RPC_URL), or the path of an IPC socket (the embedded node, reachable by the
 * gateway alone; see node.ts). One place turns either into an ethers provider, so every consumer
 * (gateway, submitter, auditor, scripts, tests) connects the same way, through the transports of
 * rpc-transport.ts (which fail over from a URL that does not answer to the next).
 */
import { JsonRpcProvider, type JsonRpcApiProviderOptions, type JsonRpcPayload, type JsonRpcResult, type Networkish } from "ethers";
import { redactUrl } from "../redact-url";
import { FailoverHttpTransport, IpcTransport, RPC_TIMEOUT_MS, isIpcPath, splitRpcUrls, type RpcTransport } from "./rpc-transport";

export { isIpcPath, splitRpcUrls };

/** The provider's patience over IPC: ethers' own request timeout (the embedded node is never elsewhere). */
const IPC_PROVIDER_TIMEOUT_MS = 300_000;

/**
 * ethers' JsonRpcProvider (batches included) posting through a transport of rpc-transport.ts
 * instead of its own fetch: over HTTP, the failover transport the raw client shares (see
 * `rawEndpointOf`).
 */
export class TransportJsonRpcProvider extends JsonRpcProvider {
  constructor(
    /** The endpoint as given: a socket path, or URLs comma-separated. */
    readonly endpoint: string,
    readonly transport: RpcTransport,
    network?: Networkish,
    options?: JsonRpcApiProviderOptions,
  ) {
    super(isIpcPath(endpoint) ? `ipc://${endpoint}` : splitRpcUrls(endpoint)[0], network, options);
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const answer = JSON.parse(await this.transport.post(JSON.stringify(payload), Array.isArray(payload) ? `batch of ${payload.length}` : payload.method)) as
      | JsonRpcResult
      | JsonRpcResult[];
    return Array.isArray(answer) ? answer : [answer];
  }

  override destroy(): void {
    this.transport.close();
    super.destroy();
  }
}

/** The provider over a node's IPC socket. */
export class IpcJsonRpcProvider extends TransportJsonRpcProvider {
  constructor(
    readonly ipcPath: string,
    network?: Networkish,
    options?: JsonRpcApiProviderOptions,
  ) {
    super(ipcPath, new IpcTransport(ipcPath, IPC_PROVIDER_TIMEOUT_MS), network, options);
  }
}

/** A provider for `endpoint`: over its IPC socket, or over HTTP to its URLs (failing over between them). */
export function connectProvider(endpoint: string, network?: Networkish, options?: JsonRpcApiProviderOptions): TransportJsonRpcProvider {
  return isIpcPath(endpoint)
    ? new IpcJsonRpcProvider(endpoint, network, options)
    : new TransportJsonRpcProvider(endpoint, new FailoverHttpTransport(splitRpcUrls(endpoint), RPC_TIMEOUT_MS), network, options);
}

/**
 * What the raw client (json-rpc.ts) takes to reach `provider`'s node: over HTTP the provider's
 * own transport, so both follow one failover and one current URL; over IPC the socket path (the
 * client keeps its own connections).
 */
export function rawEndpointOf(provider: TransportJsonRpcProvider): string | RpcTransport {
  return provider.transport instanceof FailoverHttpTransport ? provider.transport : provider.endpoint;
}

/** The endpoint fit for logs and the start-up banner: a socket path as is, each URL redacted. */
export function printableEndpoint(endpoint: string): string {
  return isIpcPath(endpoint) ? endpoint : splitRpcUrls(endpoint).map(redactUrl).join(",");
}
