/**
 * The credit center's command line.
 *
 *   npm run credit -- export --key FILE --format json|csv [--gateway URL] [--out FILE] [--page-size N]
 *
 * Signs in with a credit-center operator's software-authenticator passkey (the key file
 * `npm run operator -- enrol` made; --key, else CREDENCE_OPERATOR_KEY), then exports every
 * account's credit line page by page: data on stdout (or --out FILE), progress on stderr. The
 * gateway is --gateway, else CREDENCE_GATEWAY, else the one running on DATA_DIR (its
 * DATA_DIR/gateway.url), else http://127.0.0.1:$PORT.
 */
import fs from "node:fs";
import { finished } from "node:stream/promises";
import { Command, Option } from "commander";
import { SingleBar } from "cli-progress";
import { exportCredit, type ExportFormat } from "../src/credit/export";
import { resolveGatewayUrl } from "../src/gateway-address";
import { GatewayProblem, PasskeyOperator } from "./lib/passkey-operator";

interface ExportCommandOptions {
  key?: string;
  format: ExportFormat;
  gateway?: string;
  origin: string;
  rpId: string;
  out?: string;
  pageSize: number;
}

/** The credit-center operator whose passkey signs in: its key file must exist and be enrolled. */
function creditCenterOperator(opts: ExportCommandOptions, gateway: string): PasskeyOperator {
  const key = opts.key ?? process.env.CREDENCE_OPERATOR_KEY;
  if (!key) throw new Error("no operator key: give --key FILE (or CREDENCE_OPERATOR_KEY), a credit-center operator's key file from `npm run operator -- enrol`");
  if (!fs.existsSync(key)) throw new Error(`${key} does not exist: enrol a credit-center operator first (npm run operator -- enrol --key ${key} --institution credit_center ...)`);
  const operator = PasskeyOperator.open({ gateway, origin: opts.origin, rpId: opts.rpId }, key);
  if (!operator.identity) throw new Error(`${key} is not enrolled yet: run npm run operator -- enrol first`);
  if (operator.identity.institution !== "credit_center") throw new Error(`${key} is a ${operator.identity.institution} operator's: the export is the credit center's`);
  return operator;
}

async function runExport(opts: ExportCommandOptions): Promise<void> {
  const gateway = resolveGatewayUrl(opts.gateway);
  const operator = creditCenterOperator(opts, gateway.url);
  await operator.signIn();
  const out = opts.out ? fs.createWriteStream(opts.out) : process.stdout;
  const bar = new SingleBar({ stream: process.stderr, format: "export |{bar}| {value}/{total} accounts | {eta_formatted}", hideCursor: true });
  let started = false;
  const count = await exportCredit({
    client: { call: (method, path) => operator.request(method, path) },
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
  process.stderr.write(
    `exported ${count} records as ${opts.format} to ${opts.out ?? "stdout"} (credential ${operator.identity!.credentialId} of credit_center, gateway ${gateway.url} from ${gateway.source})\n`,
  );
}

const program = new Command().name("credit").description("Credence credit-center tools");

program
  .command("export")
  .description("export every card's score, eligible limit and current grant")
  .option("--key <file>", "a credit-center operator's software-authenticator key file (default $CREDENCE_OPERATOR_KEY)")
  .addOption(new Option("--format <format>", "output format").choices(["json", "csv"]).default("json"))
  .option("--gateway <url>", "gateway URL (default $CREDENCE_GATEWAY, else the gateway running on $DATA_DIR, else port $PORT)")
  .option("--origin <origin>", "the gateway's PUBLIC_ORIGIN", process.env.PUBLIC_ORIGIN ?? "http://localhost:8080")
  .option("--rp-id <id>", "the gateway's RP_ID", process.env.RP_ID ?? "localhost")
  .option("--out <file>", "write to FILE instead of stdout")
  .option("--page-size <n>", "accounts per request (1..200)", (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 200) throw new Error("--page-size must be 1..200");
    return n;
  }, 100)
  .action(async (opts: ExportCommandOptions) => runExport(opts));

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`credit: ${err instanceof GatewayProblem ? `refused (${err.message})` : err.message}\n`);
  process.exitCode = 1;
});
