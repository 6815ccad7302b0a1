import { expect } from "chai";
import { drift, GROWTH_THRESHOLD, leastSquaresSlope, metricSum } from "../../scripts/lib/bench/drift";
import type { SoakSample } from "../../scripts/lib/bench/results";
import { judgeSoak, soakRow } from "../../scripts/lib/bench/soak";

const every10s = (values: number[]) => values.map((v, i) => [(i + 1) * 10, v] as const);

const sample = (t: number, over: Partial<SoakSample> = {}): SoakSample => ({
  t,
  accepted: 500,
  confirmed: 500,
  rejected: 0,
  acceptP50Ms: 5,
  acceptP99Ms: 40,
  confirmP50Ms: 900,
  confirmP99Ms: 2000,
  rssBytes: 300 * 2 ** 20,
  heapUsedBytes: 80 * 2 ** 20,
  outboxDepth: 60,
  nodeStateBytes: null,
  nodeRssBytes: 512 * 2 ** 20,
  ...over,
});

describe("soak drift", function () {
  describe("the least-squares slope", function () {
    it("is the line's rise per unit of x, and 0 when x does not move", function () {
      expect(leastSquaresSlope([[0, 1], [1, 3], [2, 5]])).to.equal(2);
      expect(leastSquaresSlope([[5, 1], [5, 9]])).to.equal(0);
    });
  });

  describe("a series' verdict", function () {
    it("calls a series flat when its second half wobbles around a level, whatever the first half did", function () {
      const v = drift(every10s([100, 200, 300, 400, 410, 395, 405, 400]));
      expect(v.verdict).to.equal("flat");
      expect(Math.abs(v.growth)).to.be.below(GROWTH_THRESHOLD);
    });

    it("calls a series growing when its second half rises by more than the threshold of its mean", function () {
      const v = drift(every10s([100, 100, 100, 100, 120, 140, 160, 180]));
      expect(v.verdict).to.equal("growing");
      expect(v.slopePerMinute).to.be.closeTo(120, 1e-9);
      expect(v.mean).to.equal(150);
      expect(v.growth).to.be.closeTo(0.4, 1e-9);
    });

    it("compares a series near zero with its floor, so a few items more are not growth", function () {
      expect(drift(every10s([0, 0, 1, 3]), 0).verdict).to.equal("growing");
      expect(drift(every10s([0, 0, 1, 3]), 50).verdict).to.equal("flat");
    });

    it("gives no verdict with fewer than two samples in the second half", function () {
      expect(drift(every10s([7, 8, 8])).verdict).to.equal("flat");
      expect(drift(every10s([7, 9])).verdict).to.equal("na");
    });
  });

  describe("reading /metrics", function () {
    it("sums a metric over its label sets and ignores other metrics and comments", function () {
      const text = [
        "# HELP outbox_items Unanswered submissions",
        "# TYPE outbox_items gauge",
        'outbox_items{status="queued",sender=""} 4',
        'outbox_items{status="submitted",sender="0xdead"} 3',
        "outbox_items_other 100",
        "process_resident_memory_bytes 1234",
      ].join("\n");
      expect(metricSum(text, "outbox_items")).to.equal(7);
      expect(metricSum(text, "process_resident_memory_bytes")).to.equal(1234);
      expect(metricSum(text, "nodejs_heap_size_used_bytes")).to.equal(undefined);
    });
  });

  describe("the soak's verdict", function () {
    it("says a soak kept up when memory, latency and depth stay level and the offer is confirmed", function () {
      const samples = [10, 20, 30, 40, 50, 60].map((t) => sample(t));
      const judged = judgeSoak(samples, 50, 10);
      expect(judged.fellBehind).to.equal(false);
      expect(judged.confirmedRate).to.equal(50);
      expect(Object.values(judged.verdicts).map((v) => v.verdict)).to.deep.equal(Array(7).fill("flat"));
    });

    it("says a soak fell behind when the outbox depth grows", function () {
      const samples = [10, 20, 30, 40, 50, 60].map((t) => sample(t, { outboxDepth: t * 10 }));
      const judged = judgeSoak(samples, 50, 10);
      expect(judged.verdicts.outboxDepth.verdict).to.equal("growing");
      expect(judged.fellBehind).to.equal(true);
    });

    it("says a soak fell behind when fewer than 90% of the offered settlements are confirmed", function () {
      const judged = judgeSoak([10, 20, 30, 40].map((t) => sample(t, { confirmed: 400 })), 50, 10);
      expect(judged.confirmedRate).to.equal(40);
      expect(judged.fellBehind).to.equal(true);
    });

    it("prints a sample as one row, na where a figure is missing", function () {
      expect(soakRow(sample(30, { rssBytes: null, acceptP99Ms: null }))).to.equal(
        "soak    30        50.0         50.0               5/na            900/2000       na      80.0      60              na         512.0",
      );
    });
  });
});
