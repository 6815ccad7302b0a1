/**
 * The auditor's command line: replays the chain and checks it (src/audit/auditor.ts).
 *
 *   npm run audit -- [--rpc URL|SOCKET] [--deployment FILE] [--slips DIR|DATABASE_URL] [--to-block N]
 *                    [--json FILE] [--workers N]
 *
 * With no --rpc it audits the embedded default of DATA_DIR (./data): a private copy of the chain
 * `npm start` left there. --deployment defaults to DATA_DIR/deployment.json. Slips are checked
 * only when --slips is given: a directory of slip JSON files or a postgres:// URL of the
 * gateway's database (read only). Exit code 0: clean; 1: discrepancies; 2: usage or connection
 * error. The summary goes to stdout, progress to stderr.
 */
import fs from "node:fs";
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { connectProvider, isIpcPath } from "../src/chain/rpc-endpoint";
import { readDeployment, type DeploymentRecord } from "../src/chain/deployment";
import { openPostgres, type Db } from "../src/store/db";
import { runAudit, AuditSetupError } from "../src/audit/auditor";
import { defaultSignatureWorkers } from "../src/audit/signature-pool";
import { startEmbeddedChainReader, type EmbeddedChain } from "../src/audit/embedded-chain";
import { directorySlips, databaseSlips, type SlipSource } from "../src/audit/slips";
import { formatSummary, reportJson } from "../src/audit/report";

const EXIT_CLEAN = 0;
const EXIT_DISCREPANCIES = 1;
const EXIT_USAGE = 2;
/**
 * Measured on a shared 2-core machine: worker threads (each compiling under ts-node) cost more
 * than they save there, so threads only when more cores are free.
 */
const DEFAULT_WORKERS = defaultSignatureWorkers();

interface Options {
  rpc?: string;
  deployment?: string;
  slips?: string;
  toBlock?: number;
  json?: string;
  workers: number;
}

function integer(name: string, min: number) {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return Number(value);
  };
}

function parseArgs(argv: string[]): Options {
  const program = new Command()
    .name("npm run audit --")
    .description("Audit the Credence ledger from the chain (and the slip archive)")
    .option("--rpc <url>", "JSON-RPC of a node: an http(s) URL or an IPC socket path (default: a private copy of DATA_DIR's embedded chain)")
    .option("--deployment <file>", "deployment record (default: DATA_DIR/deployment.json)")
    .option("--slips <dir|url>", "slip archive: a directory of slip JSON files, or the gateway's postgres:// URL")
    .option("--to-block <n>", "audit up to this block (default: latest)", integer("--to-block", 0))
    .option("--json <file>", "write the machine-readable report there")
    .option("--workers <n>", "signature-checking threads (0: main thread)", integer("--workers", 0), DEFAULT_WORKERS)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.parse(argv);
  return program.opts<Options>();
}

function loadDeployment(file: string): DeploymentRecord {
  let record: DeploymentRecord | undefined;
  try {
    record = readDeployment(file);
  } catch (err) {
    throw new AuditSetupError(`bad deployment file: ${(err as Error).message.split("\n")[0]}`);
  }
  if (!record) throw new AuditSetupError(`no deployment file at ${file}`);
  return record;
}

async function openSlips(spec: string | undefined, closers: (() => Promise<void>)[]): Promise<SlipSource | undefined> {
  if (spec === undefined) return undefined;
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const db: Db = openPostgres(spec);
    closers.push(() => db.close());
    try {
      await db.query("select 1 from slips limit 1");
    } catch (err) {
      throw new AuditSetupError(`cannot read slips from the database: ${(err as Error).message}`);
    }
    return databaseSlips(db);
  }
  if (!fs.existsSync(spec) || !fs.statSync(spec).isDirectory()) throw new AuditSetupError(`--slips ${spec} is neither a directory nor a postgres:// URL`);
  return directorySlips(spec);
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_CLEAN : EXIT_USAGE;
    throw err;
  }
  const dataDir = path.resolve(process.env.DATA_DIR || "data");
  const closers: (() => Promise<void>)[] = [];
  try {
    const deployment = loadDeployment(path.resolve(opts.deployment ?? path.join(dataDir, "deployment.json")));
    let rpcUrl = opts.rpc;
    if (!rpcUrl) {
      const chain: EmbeddedChain = await startEmbeddedChainReader(dataDir);
      closers.push(() => chain.stop());
      rpcUrl = chain.ipcPath;
    } else if (isIpcPath(rpcUrl) ? !fs.statSync(rpcUrl, { throwIfNoEntry: false })?.isSocket() : !/^https?:\/\//.test(rpcUrl)) {
      throw new AuditSetupError(`--rpc ${rpcUrl} is neither an http(s) URL nor a socket`);
    }
    const provider = connectProvider(rpcUrl, Number(deployment.chainId), { staticNetwork: true, batchMaxCount: 50 });
    closers.push(async () => provider.destroy());
    const slips = await openSlips(opts.slips, closers);
    const bar = new SingleBar({ format: "audit [{bar}] block {value}/{total} | {settlements} settlements", stream: process.stderr, etaBuffer: 50 }, Presets.shades_classic);
    let barStarted = false;
    const report = await runAudit({
      provider,
      rpcUrl,
      deployment,
      toBlock: opts.toBlock,
      slips,
      workers: opts.workers,
      onProgress: (p) => {
        if (!barStarted) bar.start(p.toBlock - p.fromBlock + 1, 0, { settlements: 0 });
        barStarted = true;
        bar.update(p.block - p.fromBlock + 1, { settlements: p.settlements });
      },
    }).finally(() => barStarted && bar.stop());
    process.stdout.write(formatSummary(report) + "\n");
    if (opts.json) fs.writeFileSync(opts.json, reportJson(report));
    return report.discrepancies.length + report.discrepanciesOmitted === 0 ? EXIT_CLEAN : EXIT_DISCREPANCIES;
  } catch (err) {
    process.stderr.write(`audit: ${oneLine(err)}\n`);
    return EXIT_USAGE;
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

function oneLine(err: unknown): string {
  const e = err as { code?: string; shortMessage?: string; message?: string };
  if (e.code === "ECONNREFUSED" || /ECONNREFUSED|fetch failed|getaddrinfo/.test(String(e.message))) return `cannot reach the node: ${String(e.shortMessage ?? e.message).split("\n")[0]}`;
  return String(e.shortMessage ?? e.message ?? err).split("\n")[0];
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`audit: ${oneLine(err)}\n`);
    process.exit(EXIT_USAGE);
  },
);
