/**
 * The gateway of the chaos tests that stand an anvil in for an external node: a child process
 * with RPC_URL, its keys funded from anvil's dev account, each institution's first operator
 * handed over as a passkey, and a demo (4 terminals, 8 cards) to stream settlements from; and
 * the suite set-up around it (`externalNodeSuite`): the node, the gateway, their clean-up.
 */
import path from "node:path";
import { Wallet, parseEther } from "ethers";
import { fundFromDevAccount } from "../../../src/chain/node";
import { handedOverOperators, handedOverPasskeys } from "../../gateway/helpers/gateway-fixture";
import { cleanUp, setUpDemo, startGatewayProcess, tempDir, type Demo, type GatewayProcess } from "../../gateway/helpers/process";
import { RestartableAnvil } from "./restartable-anvil";

/**
 * Starts the gateway on `rpcUrl` (funding through `nodeUrl`, the node's own URL) and pushes it
 * onto `started` before setting up the demo, so that the caller's clean-up stops it either way.
 */
async function startExternalNodeGateway(o: {
  nodeUrl: string;
  rpcUrl: string;
  dataDir: string;
  deploymentFile: string;
  tag: string;
  started: GatewayProcess[];
}): Promise<{ gateway: GatewayProcess; demo: Demo }> {
  const keys = { gateway: Wallet.createRandom(), governance: Wallet.createRandom(), relayer: Wallet.createRandom() };
  await fundFromDevAccount(o.nodeUrl, Object.values(keys).map((k) => k.address), parseEther("100"));
  const firstOperators = handedOverPasskeys();
  const gateway = await startGatewayProcess({
    dataDir: o.dataDir,
    env: {
      RPC_URL: o.rpcUrl,
      DEPLOYMENT_FILE: o.deploymentFile,
      GATEWAY_KEY: keys.gateway.privateKey,
      GOVERNANCE_KEY: keys.governance.privateKey,
      RELAYER_KEY: keys.relayer.privateKey,
      ...firstOperators.env,
    },
  });
  o.started.push(gateway);
  const demo = await setUpDemo(await handedOverOperators(gateway.url, firstOperators.passkeys), { terminals: 4, cards: 8, tag: o.tag });
  return { gateway, demo };
}

/** What `externalNodeSuite` set up; `node`, `gateway` and `demo` once its `before` has run. */
export interface ExternalNodeSuite {
  readonly node: RestartableAnvil;
  readonly gateway: GatewayProcess;
  readonly demo: Demo;
  readonly dataDir: string;
  readonly deploymentFile: string;
  /** Every gateway process started for the suite (the auditor's copies too): stopped after it. */
  readonly started: GatewayProcess[];
}

/**
 * Sets up the calling `describe`: before its tests, an anvil standing in for the external node
 * and the gateway on `rpcUrl(node)` (default: the node's own URL) with DATA_DIR a fresh temporary
 * directory named for `tag`; after them, every gateway started stopped, DATA_DIR removed and the
 * node destroyed. Hooks the caller adds after this call run after these.
 */
export function externalNodeSuite(o: { tag: string; rpcUrl?: (node: RestartableAnvil) => Promise<string> }): ExternalNodeSuite {
  const dataDir = tempDir(o.tag);
  const deploymentFile = path.join(dataDir, "deployment.json");
  const started: GatewayProcess[] = [];
  let node: RestartableAnvil | undefined;
  let up: { gateway: GatewayProcess; demo: Demo } | undefined;

  before(async function () {
    this.timeout(180_000);
    node = await RestartableAnvil.create();
    const rpcUrl = o.rpcUrl ? await o.rpcUrl(node) : node.url;
    up = await startExternalNodeGateway({ nodeUrl: node.url, rpcUrl, dataDir, deploymentFile, tag: o.tag, started });
  });

  after(async function () {
    this.timeout(60_000);
    await cleanUp(started, [dataDir]);
    await node?.destroy();
  });

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the suite's ${what} is not set up yet: read it in a test or a later hook`);
    return value;
  };
  return {
    dataDir,
    deploymentFile,
    started,
    get node() {
      return ready(node, "node");
    },
    get gateway() {
      return ready(up, "gateway").gateway;
    },
    get demo() {
      return ready(up, "gateway").demo;
    },
  };
}
