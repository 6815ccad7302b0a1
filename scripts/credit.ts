/**
 * The credit center's command line.
 *
 *   npm run credit -- export --format json|csv [--gateway URL] [--out FILE] [--page-size N]
 *
 * Logs in as a credit-center operator (CREDENCE_USERNAME / CREDENCE_PASSWORD, else the
 * credit_center entry of $DATA_DIR/operators.json), then exports every account's credit line
 * page by page: data on stdout (or --out FILE), progress on stderr.
 */
import fs from "node:fs";
import { finished } from "node:stream/promises";
import { Command, Option } from "commander";
import { SingleBar } from "cli-progress";
import { OperatorClient } from "../src/sdk/operator-client";
import { exportCredit, resolveCredentials, type ExportFormat } from "../src/credit/export";

interface ExportCommandOptions {
  format: ExportFormat;
  gateway: string;
  out?: string;
  pageSize: number;
}

async function runExport(opts: ExportCommandOptions): Promise<void> {
  const credentials = resolveCredentials(process.env);
  const client = await OperatorClient.login(opts.gateway, credentials.username, credentials.password);
  const out = opts.out ? fs.createWriteStream(opts.out) : process.stdout;
  const bar = new SingleBar({ stream: process.stderr, format: "export |{bar}| {value}/{total} accounts | {eta_formatted}", hideCursor: true });
  let started = false;
  const count = await exportCredit({
    client,
    format: opts.format,
    out,
    pageSize: opts.pageSize,
    onProgress: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
  });
  if (started) bar.stop();
  if (out !== process.stdout) {
    out.end();
    await finished(out);
  }
  process.stderr.write(`exported ${count} records as ${opts.format} to ${opts.out ?? "stdout"} (as ${credentials.username}, credentials from ${credentials.source})\n`);
}

const program = new Command().name("credit").description("Credence credit-center tools");

program
  .command("export")
  .description("export every card's score, eligible limit and current grant")
  .addOption(new Option("--format <format>", "output format").choices(["json", "csv"]).default("json"))
  .option("--gateway <url>", "gateway URL", process.env.CREDENCE_GATEWAY ?? "http://127.0.0.1:8080")
  .option("--out <file>", "write to FILE instead of stdout")
  .option("--page-size <n>", "accounts per request (1..200)", (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 200) throw new Error("--page-size must be 1..200");
    return n;
  }, 100)
  .action(async (opts: ExportCommandOptions) => runExport(opts));

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`credit: ${err.message}\n`);
  process.exitCode = 1;
});
