/**
 * The embedded default's chain, for an audit run with no --rpc: `npm start` keeps anvil's state
 * in DATA_DIR/chain. The auditor never touches that directory: it copies the state into a
 * temporary directory and starts its own private anvil on the copy (whether or not the gateway
 * is running), and deletes the copy afterwards. The copy holds the chain as of anvil's last
 * state dump (on a running gateway, at most a few seconds old).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalNode } from "../chain/node";
import { AuditSetupError } from "./auditor";

export interface EmbeddedChain {
  rpcUrl: string;
  stop(): Promise<void>;
}

export async function startEmbeddedChainCopy(dataDir: string): Promise<EmbeddedChain> {
  const chainDir = path.join(dataDir, "chain");
  const state = [path.join(chainDir, "state.json"), path.join(chainDir, "state.json.bak")].find(isCompleteJson);
  if (!state) throw new AuditSetupError(`no chain state in ${chainDir} (run \`npm start\` first, or pass --rpc URL)`);
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "credence-audit-"));
  fs.mkdirSync(path.join(copy, "chain"));
  fs.copyFileSync(state, path.join(copy, "chain", "state.json"));
  if (fs.existsSync(path.join(chainDir, "node.json"))) fs.copyFileSync(path.join(chainDir, "node.json"), path.join(copy, "chain", "node.json"));
  const quiet = { info: () => undefined, warn: () => undefined };
  try {
    const node = await startLocalNode({ dataDir: copy, log: quiet });
    return {
      rpcUrl: node.rpcUrl,
      stop: async () => {
        await node.stop();
        fs.rmSync(copy, { recursive: true, force: true });
      },
    };
  } catch (err) {
    fs.rmSync(copy, { recursive: true, force: true });
    throw err;
  }
}

function isCompleteJson(file: string): boolean {
  try {
    JSON.parse(fs.readFileSync(file, "utf8"));
    return true;
  } catch {
    return false;
  }
}
