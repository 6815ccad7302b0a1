import { expect } from "chai";
import fc from "fast-check";
import { Result, getAddress, hexlify, type EventFragment, type Interface, type ParamType } from "ethers";
import { CredenceRegistry__factory, IDualControl__factory, PointsLedger__factory } from "../../typechain-types";
import { creditGrantsInterface } from "../../src/audit/dual-control-subjects";
import { EventDecoder } from "../../src/audit/events";

const interfaces: Interface[] = [
  CredenceRegistry__factory.createInterface(),
  PointsLedger__factory.createInterface(),
  IDualControl__factory.createInterface(),
  creditGrantsInterface(),
];
const decoder = new EventDecoder([creditGrantsInterface()]);
const events: { iface: Interface; fragment: EventFragment }[] = [];
for (const iface of interfaces) iface.forEachEvent((fragment) => events.push({ iface, fragment }));

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => hexlify(b));

/** Values of any ABI type these events use, as ethers' encoder takes them. */
function valueOf(p: ParamType): fc.Arbitrary<unknown> {
  if (p.isTuple()) return fc.tuple(...p.components.map(valueOf));
  if (p.isArray()) {
    const n = p.arrayLength;
    return fc.array(valueOf(p.arrayChildren), n >= 0 ? { minLength: n, maxLength: n } : { maxLength: 3 });
  }
  if (p.type === "address") return bytes(20).map((a) => getAddress(a));
  if (p.type === "bool") return fc.boolean();
  if (p.type === "string") return fc.string();
  if (p.type === "bytes") return fc.uint8Array({ maxLength: 70 }).map((b) => hexlify(b));
  const fixed = /^bytes(\d+)$/.exec(p.type);
  if (fixed) return bytes(Number(fixed[1]));
  const int = /^(u?)int(\d*)$/.exec(p.type);
  if (int) {
    const bits = BigInt(int[2] || 256);
    return int[1] ? fc.bigInt({ min: 0n, max: 2n ** bits - 1n }) : fc.bigInt({ min: -(2n ** (bits - 1n)), max: 2n ** (bits - 1n) - 1n });
  }
  throw new Error(`no values for ABI type ${p.type}`);
}

/** ethers' Result (nested) as plain arrays, to compare with what the decoder returns. */
function plain(v: unknown): unknown {
  if (v instanceof Result) return v.toArray().map(plain);
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

function rawLog(iface: Interface, fragment: EventFragment, values: unknown[]) {
  const { data, topics } = iface.encodeEventLog(fragment, values);
  return { address: "0x" + "11".repeat(20), blockNumber: 1, transactionHash: "0x" + "22".repeat(32), logIndex: 0, data, topics };
}

describe("auditor: event decoding", function () {
  it("covers every event of the registry, the ledger, dual control and the credit grants", function () {
    expect(events.length).to.be.greaterThan(20);
  });

  for (const { iface, fragment } of events) {
    it(`decodes ${fragment.name} exactly as ethers' Interface does, by position and by name`, function () {
      fc.assert(
        fc.property(fc.tuple(...fragment.inputs.map(valueOf)), (values) => {
          const log = rawLog(iface, fragment, values);
          const ours = decoder.decode(log as never)!;
          const theirs = iface.decodeEventLog(fragment, log.data, log.topics);
          expect(ours.name).to.equal(fragment.name);
          fragment.inputs.forEach((p, i) => {
            expect(plain(ours.args[i]), `${p.name} (${p.type})`).to.deep.equal(plain(theirs[i]));
            if (p.name) expect(plain(ours.args[p.name])).to.deep.equal(plain(theirs[i]));
          });
        }),
        { numRuns: 25 },
      );
    });
  }

  it("reads a small integer word with bits above its width as ethers does (masked), and refuses an address word with them like ethers", function () {
    const withUint8 = events.find((e) => e.fragment.inputs.some((p) => !p.indexed && p.type === "uint8") && e.fragment.inputs.every((p) => !p.isTuple() && !p.isArray() && p.type !== "bytes"));
    expect(withUint8, "an event with a uint8 data word").to.not.equal(undefined);
    const { iface, fragment } = withUint8!;
    const values = fc.sample(fc.tuple(...fragment.inputs.map(valueOf)), { numRuns: 1, seed: 7 })[0];
    const log = rawLog(iface, fragment, values);
    const dataParams = fragment.inputs.filter((p) => !p.indexed);
    const at = dataParams.findIndex((p) => p.type === "uint8");
    const dirty = log.data.slice(0, 2 + 64 * at) + "ff".repeat(31) + log.data.slice(2 + 64 * at + 62);
    const ours = decoder.decode({ ...log, data: dirty } as never)!;
    const theirs = iface.decodeEventLog(fragment, dirty, log.topics);
    const i = fragment.inputs.indexOf(dataParams[at]);
    expect(ours.args[i]).to.equal(theirs[i]);

    const withAddress = events.find((e) => e.fragment.inputs.some((p) => !p.indexed && p.type === "address") && e.fragment.inputs.every((p) => !p.isTuple() && !p.isArray() && p.type !== "bytes"));
    const a = withAddress!;
    const aValues = fc.sample(fc.tuple(...a.fragment.inputs.map(valueOf)), { numRuns: 1, seed: 7 })[0];
    const aLog = rawLog(a.iface, a.fragment, aValues);
    const aAt = a.fragment.inputs.filter((p) => !p.indexed).findIndex((p) => p.type === "address");
    const dirtyAddress = aLog.data.slice(0, 2 + 64 * aAt) + "01" + aLog.data.slice(4 + 64 * aAt);
    expect(() => a.iface.decodeEventLog(a.fragment, dirtyAddress, aLog.topics).toArray()).to.throw(/deferred error during ABI decoding/);
    expect(() => decoder.decode({ ...aLog, data: dirtyAddress } as never)).to.throw(/deferred error during ABI decoding/);
  });
});
