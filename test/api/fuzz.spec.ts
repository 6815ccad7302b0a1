/**
 * No input gets a 5xx: a fast subset of the hostile-request fuzzer (test/fuzz/hostile-requests.ts)
 * against a real gateway (embedded node and store, first operators signed in). `npm run test:fuzz`
 * runs the same fuzzer over at least 10,000 requests.
 */
import { expect } from "chai";
import { DEFAULT_RP, startGatewayFixture, type GatewayFixture } from "../gateway/helpers/gateway-fixture";
import { contractOf } from "../helpers/api-contract";
import { fuzz, summaryLine } from "../fuzz/hostile-requests";

describe("hostile requests (no 5xx for any input)", () => {
  let f: GatewayFixture;

  before(async () => {
    f = await startGatewayFixture();
  });

  after(async () => {
    await f?.stop();
  });

  it("documents a response schema for every success of every operation", async () => {
    const document = (await (await fetch(`${f.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
    };
    const undocumented = Object.entries(document.paths).flatMap(([p, methods]) =>
      Object.entries(methods).flatMap(([m, op]) =>
        Object.entries(op.responses)
          .filter(([status, r]) => status !== "204" && !r.content)
          .map(([status]) => `${m.toUpperCase()} ${p} ${status}`),
      ),
    );
    expect(undocumented).to.deep.equal([]);
    expect((await contractOf(f.url))?.operationNames.length).to.be.greaterThan(50);
  });

  it("answers 300 hostile requests over every operation without a 5xx, a hang, an unknown code, a contract break or a change of ledger or store", async () => {
    const report = await fuzz(
      { url: f.url, db: f.gateway.db, chain: f.chain, session: { cookie: f.operators.bank.cookie, origin: DEFAULT_RP.origin } },
      { count: 300, seed: Number(process.env.FUZZ_SEED ?? 16) },
    );
    expect(report.examples, summaryLine(report)).to.deep.equal([]);
    expect(report).to.include({ requests: 300, serverErrors: 0, hangs: 0, ledgerChanges: 0, unknownCodes: 0, contractViolations: 0 });
  });
});
