/**
 * `npm run test:fuzz`: the hostile-request fuzzer (hostile-requests.ts) over FUZZ_REQUESTS
 * requests (default 10,000; seed FUZZ_SEED) against a fresh gateway with its first operators
 * signed in. Prints `fuzz: requests=N 5xx=N hangs=N ledger_changes=N unknown_codes=N` (and the
 * first failures) and exits 1 unless every count of failures is 0: a problem whose `code` is not
 * in the catalogue (src/domain/error-catalogue.ts) is a failure like a 5xx.
 */
import { DEFAULT_RP, startGatewayFixture } from "../gateway/helpers/gateway-fixture";
import { fuzz, summaryLine } from "./hostile-requests";

async function main(): Promise<void> {
  const count = Number(process.env.FUZZ_REQUESTS ?? 10_000);
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  const f = await startGatewayFixture();
  try {
    const started = Date.now();
    const report = await fuzz({ url: f.url, db: f.gateway.db, chain: f.chain, session: { cookie: f.operators.bank.cookie, origin: DEFAULT_RP.origin } }, {
      count,
      seed,
      onProgress: (r) => process.stderr.write(`  ${r.requests} requests, ${((Date.now() - started) / 1000).toFixed(0)} s\n`),
    });
    for (const example of report.examples) console.log(`  ${example}`);
    if (report.unknownCodes || report.contractViolations) {
      console.log(`  problem codes not in the catalogue: ${report.unknownCodes}, answers off the contract: ${report.contractViolations}`);
    }
    console.log(`  seed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(summaryLine(report));
    const failed = report.serverErrors + report.hangs + report.ledgerChanges + report.unknownCodes + report.contractViolations;
    process.exitCode = failed === 0 ? 0 : 1;
  } finally {
    await f.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
