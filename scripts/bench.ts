/**
 * Every capacity figure in one run, in the machine's own unit: one libsecp256k1 recovery, measured
 * first, then gas (bench:gas's measurements), the raw ceiling (signed settlements straight to the
 * ledger in batches, no gateway), the peer figure (OpenZeppelin ERC-20 transfers on the same
 * node), the auditor's rate over the ledger the raw ceiling built, and end to end through HTTP
 * (embedded store; PostgreSQL too when DATABASE_URL names an empty database) at several numbers
 * of terminals. Prints one table, writes bench/results.json, and ends with the summary line.
 *
 *   npm run bench [-- --quick] [-- --seconds 30 --terminals 8,32,128 --no-gas --out FILE]
 *   npm run bench -- --soak 600 [--rate N] [--node external] [--store postgres]
 *
 * --soak SECONDS runs the unit, then the soak instead of the other parts (soak.ts): a short
 * capacity run (unless --rate), settlements offered at half of it for SECONDS, a row per 10 s
 * sample (memory, latency, outbox depth, the node's state and memory) and a verdict per series;
 * the parts not run read `na`.
 *
 * --node external runs the gateways against an anvil the bench starts itself, over RPC_URL (no
 * state dumps, which the embedded node makes and which bound how long it can be soaked);
 * --store postgres uses DATABASE_URL (an empty database) for the soak's store. --profile DIR
 * starts the end-to-end gateways with --cpu-prof (every thread) and shows where their CPU went
 * during the measured runs, per settlement, by part (HTTP, JSON, validation, SQL, signatures, GC).
 *
 * Last line: bench: e2e_rate=X/s p99_confirm=Xms gateway_cpu_recoveries=X.X gateway_to_raw=X.XX
 * settlements_per_erc20=X.XX gas_batch100=N audit_rate=X/s recovery_us=X
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { anvilBinary } from "../src/chain/node";
import { anvilLedger } from "../test/audit/helpers/anvil-ledger";
import { ROOT } from "./lib/gateway-process";
import { auditSeconds, erc20Transfers, rawCeiling } from "./lib/bench/chain";
import { endToEnd } from "./lib/bench/end-to-end";
import { soak, soakRow, SOAK_HEADER } from "./lib/bench/soak";
import { derive, formatTable, parseTerminals, rateFigure, summaryLine, tableRows, type BenchResults, type Machine } from "./lib/bench/results";
import { recoveryMicroseconds } from "./lib/bench/unit";

const opts = new Command()
  .option("--quick", "shorter runs and fewer terminals (under 3 minutes on 2 cores)")
  .option("--seconds <n>", "length of each end-to-end run (default 30, quick 8)")
  .option("--terminals <list>", "terminal counts of the end-to-end runs (default 8,32,128, quick 8,32)")
  .option("--raw <n>", "settlements of the raw ceiling (default 10240, quick 2560)")
  .option("--batch <n>", "settlements per batch of the raw ceiling", "256")
  .option("--erc20 <n>", "ERC-20 transfers of the peer figure (default 4000, quick 1000)")
  .option("--no-gas", "skip the gas figures (Hardhat's in-process network, the slowest part to start)")
  .option("--soak <seconds>", "only the soak: half the measured capacity (or --rate) for SECONDS, sampled every 10 s")
  .option("--rate <n>", "settlements a second the soak offers (default half the capacity it measures first)")
  .option("--node <node>", "the gateways' chain: embedded (their own node) or external (an anvil over RPC_URL)", "embedded")
  .option("--store <store>", "the soak's store: embedded or postgres (DATABASE_URL)", "embedded")
  .option("--profile <dir>", "profile the gateway's threads (--cpu-prof) into DIR and show its CPU per settlement by part")
  .option("--out <file>", "where the results go", "bench/results.json")
  .parse()
  .opts<{ quick?: boolean; seconds?: string; terminals?: string; raw?: string; batch: string; erc20?: string; gas: boolean; soak?: string; rate?: string; node: string; store: string; profile?: string; out: string }>();

const node = oneOf("node", opts.node, ["embedded", "external"] as const);
const soakStore = oneOf("store", opts.store, ["embedded", "postgres"] as const);
if (soakStore === "postgres" && !process.env.DATABASE_URL) throw new Error("--store postgres needs DATABASE_URL (an empty database)");

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`--${name} must be one of ${allowed.join(", ")}, got "${value}"`);
  return value as T;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

function versionOf(pkg: string): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
}

function machine(): Machine {
  let anvil = "unknown";
  try {
    anvil = execFileSync(anvilBinary(), ["--version"], { encoding: "utf8" }).split("\n")[0].trim();
  } catch {
    // no anvil binary: the chain parts fail with their own error
  }
  return {
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    versions: { node: process.version, anvil, hardhat: versionOf("hardhat"), ethers: versionOf("ethers"), solc: versionOf("solc") },
  };
}

async function main(): Promise<void> {
  const quick = opts.quick === true;
  const seconds = Number(opts.seconds ?? (quick ? 8 : 30));
  const terminals = parseTerminals(opts.terminals ?? (quick ? "8,32" : "8,32,128"));
  const rawCount = Number(opts.raw ?? (quick ? 2560 : 10240));
  const batch = Number(opts.batch);
  const erc20Count = Number(opts.erc20 ?? (quick ? 1000 : 4000));
  const date = new Date().toISOString();
  const host = machine();

  const recoveryUs = recoveryMicroseconds();
  progress(`unit: one libsecp256k1 recovery = ${recoveryUs.toFixed(1)} µs`);

  if (opts.soak !== undefined) {
    const windowSeconds = 10;
    process.stdout.write(`${SOAK_HEADER}\n`);
    const soaked = await soak({
      store: soakStore,
      node,
      seconds: positiveNumber("soak", opts.soak),
      rate: opts.rate === undefined ? undefined : positiveNumber("rate", opts.rate),
      terminals: 32,
      capacitySeconds: 10,
      warmup: 300,
      windowSeconds,
      recoveryUs,
      progress,
      onSample: (sample) => process.stdout.write(`${soakRow(sample, windowSeconds)}\n`),
    });
    const endToEnd = soaked.capacity ? [soaked.capacity] : [];
    write({ date, quick, machine: host, recoveryUs, gas: null, endToEnd, raw: null, erc20: null, audit: null, soak: soaked, profile: [], derived: { gatewayToRaw: null, settlementsPerErc20: null } });
    return;
  }

  let gas: BenchResults["gas"] = null;
  if (opts.gas) {
    // Hardhat (and its in-process network) loads only for this part.
    const { measureGas, gasFigures } = await import("./lib/bench/gas");
    gas = gasFigures(await measureGas());
    progress(`gas: batch100=${gas.batch100} per settlement`);
  }

  const chainDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-chain-"));
  const chain = await anvilLedger(chainDir, { merchants: 4, terminalsPerMerchant: 2, cards: quick ? 50 : 200 });
  let raw: BenchResults["raw"];
  let erc20: BenchResults["erc20"];
  let audit: BenchResults["audit"];
  try {
    raw = { ...rateFigure(rawCount, await rawCeiling(chain, rawCount, batch), recoveryUs), batch };
    progress(`raw ceiling: ${raw.rate.toFixed(0)} settlements/s`);
    const peer = await erc20Transfers(chain, erc20Count);
    erc20 = rateFigure(peer.count, peer.seconds, recoveryUs);
    progress(`peer: ${erc20.rate.toFixed(0)} ERC-20 transfers/s`);
    const audited = await auditSeconds(chain);
    audit = rateFigure(audited.settlements, audited.seconds, recoveryUs);
    progress(`audit: ${audit.rate.toFixed(0)} settlements/s`);
  } finally {
    await chain.stop();
    fs.rmSync(chainDir, { recursive: true, force: true });
  }

  const plan = { terminals, seconds, warmup: quick ? 300 : 1000, recoveryUs, progress, node };
  const runs: BenchResults["endToEnd"] = [];
  const profile: BenchResults["profile"] = [];
  for (const store of process.env.DATABASE_URL ? (["embedded", "postgres"] as const) : (["embedded"] as const)) {
    const profileDir = opts.profile ? path.join(path.resolve(opts.profile), store) : undefined;
    if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
    const measured = await endToEnd({ ...plan, store, profileDir });
    runs.push(...measured.runs);
    if (measured.profile) profile.push(measured.profile);
  }

  write({ date, quick, machine: host, recoveryUs, gas, endToEnd: runs, raw, erc20, audit, soak: null, profile, derived: { gatewayToRaw: null, settlementsPerErc20: null } });
}

function positiveNumber(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${text}"`);
  return n;
}

/** Writes results.json, prints the table and ends with the summary line. */
function write(results: BenchResults): void {
  const { machine: host, date } = results;
  results.derived = derive(results);
  fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
  fs.writeFileSync(opts.out, JSON.stringify(results, null, 2) + "\n");
  process.stdout.write(`${host.cpuModel}, ${host.cores} cores, load ${host.loadAverage.join(" ")}; ${date}; figures in ${opts.out}\n`);
  process.stdout.write(`${formatTable([["part", "figure", "value", "in recoveries"], ...tableRows(results)])}\n`);
  process.stdout.write(`${summaryLine(results)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
