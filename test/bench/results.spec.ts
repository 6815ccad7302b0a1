import { expect } from "chai";
import {
  bestRun,
  derive,
  formatTable,
  inRecoveries,
  parseTerminals,
  rateFigure,
  summaryLine,
  tableRows,
  type BenchResults,
  type EndToEndRun,
} from "../../scripts/lib/bench/results";

const run = (terminals: number, rate: number, store: EndToEndRun["store"] = "embedded", node: EndToEndRun["node"] = "embedded"): EndToEndRun => ({
  store,
  node,
  terminals,
  settlements: 1000,
  confirmed: 1000,
  rejected: 0,
  seconds: 1000 / rate,
  rate,
  p50ConfirmMs: 400,
  p99ConfirmMs: 900 + terminals,
  gatewayCpuMs: 1.5,
  gatewayCpuRecoveries: inRecoveries(1.5, 100),
  anvilCpuMs: 0.3,
  anvilCpuRecoveries: inRecoveries(0.3, 100),
});

function results(over: Partial<BenchResults> = {}): BenchResults {
  const base: BenchResults = {
    date: "2026-01-01T00:00:00.000Z",
    quick: true,
    machine: { cpuModel: "test cpu", cores: 2, platform: "linux", loadAverage: [1, 1, 1], versions: { node: "v20" } },
    recoveryUs: 100,
    gas: null,
    endToEnd: [run(8, 400), run(32, 500), run(8, 900, "postgres")],
    raw: { ...rateFigure(1000, 2, 100), batch: 256 },
    erc20: rateFigure(200, 2, 100),
    audit: null,
    soak: null,
    profile: [],
    derived: { gatewayToRaw: null, settlementsPerErc20: null },
    ...over,
  };
  return { ...base, derived: derive(base) };
}

describe("bench figures", function () {
  describe("the machine unit", function () {
    it("expresses a duration as the recoveries the machine does in it", function () {
      expect(inRecoveries(1.7, 100)).to.be.closeTo(17, 1e-9);
      expect(inRecoveries(0.043, 43)).to.be.closeTo(1, 1e-9);
    });

    it("refuses a recovery time that is not positive", function () {
      expect(() => inRecoveries(1, 0)).to.throw("a recovery cannot take 0 µs");
      expect(() => inRecoveries(1, Number.NaN)).to.throw();
    });

    it("gives a rate and each item's wall time in recoveries", function () {
      const figure = rateFigure(500, 2, 50);
      expect(figure.rate).to.equal(250);
      expect(figure.recoveriesPerItem).to.be.closeTo(80, 1e-9); // 4 ms = 4,000 µs / 50 µs
      expect(() => rateFigure(0, 1, 50)).to.throw("no rate");
    });
  });

  describe("the summary", function () {
    it("reports the fastest embedded run and the ratios to the raw ceiling and the ERC-20 peer", function () {
      const r = results();
      expect(bestRun(r.endToEnd)?.terminals).to.equal(32);
      expect(r.derived.gatewayToRaw).to.equal(1); // 500/s over 500/s
      expect(r.derived.settlementsPerErc20).to.equal(5); // 500/s over 100/s
      expect(summaryLine(r)).to.equal(
        "bench: e2e_rate=500/s p99_confirm=932ms gateway_cpu_recoveries=15.0 gateway_to_raw=1.00 " +
          "settlements_per_erc20=5.00 gas_batch100=na audit_rate=na recovery_us=100",
      );
    });

    it("reports the default set-up's best run, and the best of the others when the default did not run", function () {
      const external = [run(8, 700, "embedded", "external"), run(32, 650, "postgres", "external")];
      expect(bestRun([...external, run(8, 300)])?.rate).to.equal(300);
      expect(bestRun(external)?.rate).to.equal(700);
    });

    it("says na for every part that did not run", function () {
      const line = summaryLine(results({ endToEnd: [], raw: null, erc20: null }));
      expect(line).to.equal(
        "bench: e2e_rate=na p99_confirm=na gateway_cpu_recoveries=na gateway_to_raw=na settlements_per_erc20=na gas_batch100=na audit_rate=na recovery_us=100",
      );
    });
  });

  describe("results.json", function () {
    it("keeps every figure and survives a JSON round trip", function () {
      const r = results();
      const back = JSON.parse(JSON.stringify(r)) as BenchResults;
      expect(back).to.deep.equal(r);
      expect(Object.keys(back)).to.have.members(["date", "quick", "machine", "recoveryUs", "gas", "endToEnd", "raw", "erc20", "audit", "soak", "profile", "derived"]);
      expect(back.endToEnd.map((e) => [e.store, e.terminals])).to.deep.equal([["embedded", 8], ["embedded", 32], ["postgres", 8]]);
    });
  });

  describe("options and table", function () {
    it("parses a list of terminal counts and refuses anything else", function () {
      expect(parseTerminals("8,32, 128")).to.deep.equal([8, 32, 128]);
      for (const bad of ["", "8,,32", "0", "-8", "8.5", "eight"]) expect(() => parseTerminals(bad), bad).to.throw("--terminals");
    });

    it("prints one row per figure, aligned", function () {
      const rows = tableRows(results());
      expect(rows[0]).to.deep.equal(["unit", "one libsecp256k1 recovery", "100.0 µs", "1"]);
      expect(rows).to.deep.include(["e2e embedded 32t", "gateway CPU/settlement", "1.50 ms", "15.0"]);
      const lines = formatTable([["a", "bb"], ["ccc", "d"]]).split("\n");
      expect(lines).to.deep.equal(["a    bb", "ccc  d"]);
    });
  });
});
