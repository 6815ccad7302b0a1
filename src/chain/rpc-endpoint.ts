/**
 * Where a node answers JSON-RPC: an http(s) URL (an external node) or the path of an IPC socket
 * (the embedded node, reachable by the gateway alone; see node.ts). One place turns either into
 * an ethers provider, so every consumer (gateway, submitter, auditor, scripts, tests) connects
 * the same way.
 */
import { JsonRpcProvider, type JsonRpcApiProviderOptions, type JsonRpcPayload, type JsonRpcResult, type Networkish } from "ethers";
import { IpcClient } from "./ipc-client";

/** True for a socket path, false for a URL (`scheme://...`). */
export function isIpcPath(endpoint: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint);
}

/**
 * ethers' JsonRpcProvider over an IPC socket: the same provider the gateway uses over HTTP
 * (batches included), with the transport of ipc-client.ts under it.
 */
export class IpcJsonRpcProvider extends JsonRpcProvider {
  private readonly ipc: IpcClient;

  constructor(
    readonly ipcPath: string,
    network?: Networkish,
    options?: JsonRpcApiProviderOptions,
  ) {
    super(`ipc://${ipcPath}`, network, options);
    this.ipc = new IpcClient(ipcPath);
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    // The same patience as ethers over HTTP (its request timeout, 5 minutes by default).
    const timeoutMs = this._getConnection().timeout;
    const answer = JSON.parse((await this.ipc.request(JSON.stringify(payload), timeoutMs)).toString("utf8")) as JsonRpcResult | JsonRpcResult[];
    return Array.isArray(answer) ? answer : [answer];
  }

  override destroy(): void {
    this.ipc.close();
    super.destroy();
  }
}

/** A provider for `endpoint`: over its IPC socket, or over HTTP. */
export function connectProvider(endpoint: string, network?: Networkish, options?: JsonRpcApiProviderOptions): JsonRpcProvider {
  return isIpcPath(endpoint) ? new IpcJsonRpcProvider(endpoint, network, options) : new JsonRpcProvider(endpoint, network, options);
}

/** The endpoint a provider made by `connectProvider` talks to. */
export function endpointOf(provider: JsonRpcProvider): string {
  return provider instanceof IpcJsonRpcProvider ? provider.ipcPath : provider._getConnection().url;
}
