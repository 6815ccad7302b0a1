/**
 * The embedded default's chain, for an audit run with no --rpc: `npm start` keeps anvil's state
 * in DATA_DIR/chain. The auditor starts its own private anvil that loads the newest saved state
 * there, read-only (it writes nothing into DATA_DIR and dumps nothing), whether or not the
 * gateway is running. That state is the chain as of the gateway's last state dump (on a running
 * gateway, at most one dump interval old).
 */
import fs from "node:fs";
import path from "node:path";
import { savedStates, startLocalNode } from "../chain/node";
import { AuditSetupError } from "./auditor";

export interface EmbeddedChain {
  /** The private node's IPC socket. */
  ipcPath: string;
  stop(): Promise<void>;
}

export async function startEmbeddedChainReader(dataDir: string): Promise<EmbeddedChain> {
  const chainDir = path.join(dataDir, "chain");
  if (!fs.existsSync(chainDir) || savedStates(chainDir).length === 0) {
    throw new AuditSetupError(`no chain state in ${chainDir} (run \`npm start\` first, or pass --rpc URL)`);
  }
  const quiet = { info: () => undefined, warn: () => undefined };
  const node = await startLocalNode({ dataDir, log: quiet, readOnly: true });
  return { ipcPath: node.ipcPath, stop: () => node.stop() };
}
