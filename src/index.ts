/**
 * `npm start`: read the configuration, start the gateway, print where everything is, and stop
 * cleanly on SIGINT / SIGTERM.
 */
import { ConfigError, loadConfig } from "./config";
import { startGateway } from "./gateway";
import { isIpcPath, printableEndpoint } from "./chain/rpc-endpoint";
import { LocalNodeIsolationUnavailable } from "./chain/node";

async function main(): Promise<void> {
  const config = loadConfig();
  const gw = await startGateway(config);
  const lines = [
    `Credence gateway  ${gw.url}`,
    `  API document    ${gw.url}/openapi.json`,
    `  health          ${gw.url}/healthz   readiness ${gw.url}/readyz   metrics ${gw.url}/metrics`,
    `  chain           ${isIpcPath(gw.rpcEndpoint) ? `${gw.rpcEndpoint} (IPC socket)` : printableEndpoint(gw.rpcEndpoint)} (chain ${gw.deployment.chainId})`,
    `  ledger          ${gw.deployment.ledger}   registry ${gw.deployment.registry}`,
    `  operators       ${gw.deployment.operators ?? "(none)"} (credentials that sign dual-control steps)`,
    `  data            ${config.dataDir}${config.databaseUrl ? " (store: PostgreSQL)" : " (embedded store)"}`,
    `  console         ${config.publicOrigin}/console/ (operators enrol a passkey and sign in there, or with npm run operator)`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gw.log.info({ signal }, "stopping");
    gw.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof LocalNodeIsolationUnavailable) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`gateway failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
