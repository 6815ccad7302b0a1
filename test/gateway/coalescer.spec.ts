import { expect } from "chai";
import { Coalescer } from "../../src/store/coalescer";

describe("Coalescer", () => {
  it("runs the calls of one moment as one batch and gives each caller its own result", async () => {
    const batches: number[][] = [];
    const c = new Coalescer<number, number>(async (xs) => {
      batches.push(xs);
      return xs.map((x) => (x < 0 ? { error: new Error(`negative ${x}`) } : { ok: x * 2 }));
    });
    const results = await Promise.allSettled([c.call(1), c.call(-2), c.call(3)]);
    expect(batches).to.deep.equal([[1, -2, 3]]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).to.deep.equal([2, "negative -2", 6]);
  });

  it("gathers calls that arrive while a batch runs into the next one, up to the batch limit", async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const c = new Coalescer<number, number>(async (xs) => {
      batches.push(xs);
      if (batches.length === 1) await first;
      return xs.map((x) => ({ ok: x }));
    }, 2);
    const a = c.call(1);
    await new Promise((r) => setImmediate(r));
    const rest = [c.call(2), c.call(3), c.call(4)];
    release();
    expect(await Promise.all([a, ...rest])).to.deep.equal([1, 2, 3, 4]);
    expect(batches).to.deep.equal([[1], [2, 3], [4]]);
  });

  it("fails every call of a batch whose run throws, and keeps serving later calls", async () => {
    let fail = true;
    const c = new Coalescer<number, number>(async (xs) => {
      if (fail) throw new Error("database down");
      return xs.map((x) => ({ ok: x }));
    }, 256, 5);
    const failed = await Promise.allSettled([c.call(1), c.call(2)]);
    expect(failed.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
    fail = false;
    expect(await c.call(3)).to.equal(3);
  });
});
