/**
 * The auditor's command line, run as operators run it (a child process, `scripts/audit.ts`
 * under ts-node) against a real anvil node: exit codes 0, 1 and 2, the --json report, and the
 * embedded default (no flags: DATA_DIR's chain as `npm start` left it).
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { anvilLedger, writeSlips, type AnvilLedger } from "./helpers/anvil-ledger";
import type { AuditReport } from "../../src/audit/report";

const REPO_ROOT = path.resolve(__dirname, "../..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runAuditCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/audit.ts", ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATA_DIR: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("npm run audit (the CLI)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let chain: AnvilLedger;
  let slipDir: string;

  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-audit-cli-"));
    chain = await anvilLedger(dataDir, { merchants: 2, terminalsPerMerchant: 1, cards: 10 });
    await chain.settle(30, 10);
    slipDir = path.join(dataDir, "slips");
    writeSlips(slipDir, chain.slips);
  });

  after(async function () {
    await chain?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("exits 0 on a clean ledger and writes the --json report", async function () {
    const json = path.join(dataDir, "clean.json");
    const run = await runAuditCli(["--rpc", chain.node.ipcPath, "--deployment", path.join(dataDir, "deployment.json"), "--slips", slipDir, "--json", json]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.contain("result: CLEAN");
    const report = JSON.parse(fs.readFileSync(json, "utf8")) as AuditReport;
    expect(report.discrepancies).to.deep.equal([]);
    expect(report.counts).to.deep.include({ settlements: 30, slipsMatched: 30 });
  });

  it("exits 1 and lists the discrepancy in the --json report when a slip was altered", async function () {
    const altered = path.join(dataDir, "altered-slips");
    writeSlips(altered, chain.slips);
    const slip = JSON.parse(fs.readFileSync(path.join(altered, "bench-7.json"), "utf8"));
    slip.lines[0].description = "Tampered";
    fs.writeFileSync(path.join(altered, "bench-7.json"), JSON.stringify(slip));
    const json = path.join(dataDir, "altered.json");
    const run = await runAuditCli(["--rpc", chain.node.ipcPath, "--deployment", path.join(dataDir, "deployment.json"), "--slips", altered, "--json", json, "--workers", "0"]);
    expect(run.code, run.stderr).to.equal(1);
    expect(run.stdout).to.contain("1 x slip.altered");
    const report = JSON.parse(fs.readFileSync(json, "utf8")) as AuditReport;
    expect(report.discrepancies).to.have.length(1);
    expect(report.discrepancies[0]).to.include({ code: "slip.altered", card: slip.cardId });
    expect(report.discrepancies[0].block).to.be.a("number");
    expect(report.discrepancies[0].tx).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("exits 2 with a one-line message on usage and connection errors", async function () {
    const deployment = path.join(dataDir, "deployment.json");
    const runs = await Promise.all([
      runAuditCli(["--no-such-flag"]),
      runAuditCli(["--rpc", chain.node.ipcPath, "--deployment", deployment, "--to-block", "soon"]),
      runAuditCli(["--rpc", "http://127.0.0.1:1", "--deployment", deployment]),
      runAuditCli(["--rpc", chain.node.ipcPath, "--deployment", path.join(dataDir, "absent.json")]),
      runAuditCli(["--rpc", chain.node.ipcPath, "--deployment", deployment, "--to-block", "99999999"]),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stderr.trim().split("\n"), run.stderr).to.have.length(1);
    }
    expect(runs[2].stderr).to.contain("cannot reach the node");
    expect(runs[3].stderr).to.contain("no deployment file");
    expect(runs[4].stderr).to.contain("past the node's latest block");
  });

  it("with no flags audits a copy of DATA_DIR's embedded chain and leaves DATA_DIR as it was", async function () {
    await chain.node.stop(); // as after `npm start` stopped: anvil dumped its state in DATA_DIR/chain
    const stateFile = path.join(dataDir, "chain", "state.json");
    const before = fs.readFileSync(stateFile);
    const run = await runAuditCli([], { DATA_DIR: dataDir });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.contain("settlements 30 accepted");
    expect(fs.readFileSync(stateFile).equals(before)).to.equal(true);
  });
});
