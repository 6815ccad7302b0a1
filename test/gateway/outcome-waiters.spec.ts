import { EventEmitter } from "node:events";
import { expect } from "chai";
import { OutcomeWaiters } from "../../src/api/submissions/outcome-waiters";
import type { FinalOutcome } from "../../src/store/outbox-outcomes";

const final = (id: string): FinalOutcome => ({
  id,
  status: "confirmed",
  reason: null,
  txHash: "0x" + "ab".repeat(32),
  blockNumber: 7,
  batchId: "3",
  points: "12",
  creditPoints: "1",
});

describe("outcome waiters (requests waiting for a final status)", function () {
  let outcomes: EventEmitter;
  let waiters: OutcomeWaiters;

  beforeEach(() => {
    outcomes = new EventEmitter();
    waiters = new OutcomeWaiters(outcomes);
  });

  it("wakes every waiter of an ID with its final outcome, and only those", async function () {
    const a1 = waiters.wait("1", 5_000);
    const a2 = waiters.wait("1", 5_000);
    const b = waiters.wait("2", 50);
    outcomes.emit("outcome", ["1", "9"], [final("1"), final("9")]);
    expect(await a1.result).to.deep.equal(final("1"));
    expect(await a2.result).to.deep.equal(final("1"));
    expect(await b.result).to.equal("timeout");
    expect(outcomes.listenerCount("outcome")).to.equal(1);
  });

  it("says final without fields when the event names the ID only", async function () {
    const w = waiters.wait("5", 5_000);
    outcomes.emit("outcome", ["5"]);
    expect(await w.result).to.equal("final");
  });

  it("forgets a waiter once cancelled or timed out: a later outcome wakes nothing", async function () {
    const w = waiters.wait("7", 5_000);
    w.cancel();
    expect(await w.result).to.equal("timeout");
    const late = waiters.wait("8", 0);
    expect(await late.result).to.equal("timeout");
    const fresh = waiters.wait("7", 5_000);
    outcomes.emit("outcome", ["7"], [final("7")]);
    expect(await fresh.result).to.deep.equal(final("7"));
  });
});
