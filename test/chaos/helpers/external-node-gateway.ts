/**
 * The gateway of the chaos tests that stand an anvil in for an external node: a child process
 * with RPC_URL, its keys funded from anvil's dev account, each institution's first operator
 * handed over as a passkey, and a demo (4 terminals, 8 cards) to stream settlements from.
 */
import { Wallet, parseEther } from "ethers";
import { fundFromDevAccount } from "../../../src/chain/node";
import { handedOverOperators, handedOverPasskeys } from "../../gateway/helpers/gateway-fixture";
import { setUpDemo, startGatewayProcess, type Demo, type GatewayProcess } from "../../gateway/helpers/process";

/**
 * Starts the gateway on `rpcUrl` (funding through `nodeUrl`, the node's own URL) and pushes it
 * onto `started` before setting up the demo, so that the caller's clean-up stops it either way.
 */
export async function startExternalNodeGateway(o: {
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
