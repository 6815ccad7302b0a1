/**
 * Auditor benchmark: builds a ledger of at least 10,000 settlements on a real anvil node
 * (full batches, signed by 8 terminals and 200 cards), then audits it from the deployment block
 * with signature checks on worker threads, and checks the audit found nothing wrong.
 *
 *   npm run bench:audit [-- --settlements N --batch N --workers N]
 *
 * Last line: audit: settlements=N seconds=X rate=X/s
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { runAudit } from "../src/audit/auditor";
import { defaultSignatureWorkers } from "../src/audit/signature-pool";
import { anvilLedger } from "../test/audit/helpers/anvil-ledger";

const opts = new Command()
  .option("--settlements <n>", "settlements to build", "10240")
  .option("--batch <n>", "settlements per batch", "256")
  .option("--workers <n>", "signature-checking threads (default as npm run audit: 2 on 2 cores or more)", String(defaultSignatureWorkers()))
  .parse()
  .opts<{ settlements: string; batch: string; workers: string }>();

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-audit-"));
  const built = Date.now();
  const chain = await anvilLedger(dir, { merchants: 4, terminalsPerMerchant: 2, cards: 200 });
  try {
    const total = Number(opts.settlements);
    const step = 20 * Number(opts.batch);
    for (let done = 0; done < total; done += step) {
      await chain.settle(Math.min(step, total - done), Number(opts.batch));
      process.stderr.write(`settled ${chain.settled}/${total}\r`);
    }
    process.stderr.write(`built ${chain.settled} settlements in ${((Date.now() - built) / 1000).toFixed(1)} s; auditing...\n`);
    const report = await runAudit({ provider: chain.provider, rpcUrl: chain.node.ipcPath, deployment: chain.deployment, workers: Number(opts.workers) });
    const found = report.discrepancies.length + report.discrepanciesOmitted;
    if (found > 0) throw new Error(`the audit of an honest ledger found ${found} discrepancies, first: ${report.discrepancies[0].code}`);
    if (report.counts.settlements !== chain.settled) throw new Error(`audited ${report.counts.settlements} settlements, built ${chain.settled}`);
    const { settlements } = report.counts;
    process.stdout.write(
      `audit: settlements=${settlements} seconds=${report.seconds.toFixed(2)} rate=${(settlements / report.seconds).toFixed(0)}/s\n`,
    );
  } finally {
    await chain.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:audit failed: ${(err as Error).message}\n`);
  process.exit(1);
});
