import { expect } from "chai";
import { WriteGate } from "../../src/chain/write-gate";

const tick = () => new Promise((r) => setImmediate(r));

describe("WriteGate", () => {
  it("runs a dump only after every holder has released", async () => {
    const gate = new WriteGate();
    const events: string[] = [];
    const first = await gate.acquire();
    const second = await gate.acquire();
    const dump = gate.exclusive(async () => void events.push("dump"));
    await tick();
    first();
    await tick();
    expect(events).to.deep.equal([]);
    second();
    await dump;
    expect(events).to.deep.equal(["dump"]);
  });

  it("keeps new holders out while a dump waits or runs, then lets them in", async () => {
    const gate = new WriteGate();
    const events: string[] = [];
    const holder = await gate.acquire();
    let finishDump!: () => void;
    const dump = gate.exclusive(() => new Promise<void>((r) => (finishDump = () => (events.push("dump"), r()))));
    const late = gate.hold(async () => void events.push("late holder"));
    await tick();
    expect(events).to.deep.equal([]);
    holder();
    await tick();
    finishDump();
    await Promise.all([dump, late]);
    expect(events).to.deep.equal(["dump", "late holder"]);
  });

  it("runs a dump at once when nobody holds the gate, and opens again if the dump fails", async () => {
    const gate = new WriteGate();
    await expect(gate.exclusive(() => Promise.reject(new Error("disk full")))).to.be.rejectedWith("disk full");
    expect(await gate.hold(async () => "written")).to.equal("written");
  });

  it("counts a release called twice once", async () => {
    const gate = new WriteGate();
    const a = await gate.acquire();
    const b = await gate.acquire();
    a();
    a();
    let dumped = false;
    const dump = gate.exclusive(async () => void (dumped = true));
    await tick();
    expect(dumped).to.equal(false);
    b();
    await dump;
    expect(dumped).to.equal(true);
  });
});
