/**
 * The terminal test vectors re-derived from docs/terminal-integration.md's rules alone, with
 * libraries that are not ethers (@noble/hashes' keccak_256, @noble/curves' secp256k1) and a small
 * EIP-712 encoder written here: if the document leaves a rule out, or the project's code starts
 * to depend on a quirk of ethers, these fail. Nothing from src/ is imported.
 */
import { expect } from "chai";
import { keccak_256 } from "@noble/hashes/sha3";
import { secp256k1 } from "@noble/curves/secp256k1";
import domain from "../../test-vectors/domain.json";
import slips from "../../test-vectors/slips.json";
import settlements from "../../test-vectors/settlements.json";
import refunds from "../../test-vectors/refunds.json";
import redemptions from "../../test-vectors/redemptions.json";

const utf8 = (text: string) => new TextEncoder().encode(text);
const toHex = (bytes: Uint8Array) => "0x" + Buffer.from(bytes).toString("hex");
const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
const keccak = (bytes: Uint8Array) => keccak_256(bytes);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

/** EIP-55: hex digit i upper-cased when nibble i of keccak256(lower-case hex text) is 8 or more. */
function checksummed(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = Buffer.from(keccak(utf8(lower))).toString("hex");
  return "0x" + [...lower].map((c, i) => (parseInt(hash[i], 16) >= 8 ? c.toUpperCase() : c)).join("");
}

/** One 32-byte EIP-712 word of an atomic value (the document's "Encoding" table). */
function word(type: string, value: string | number): Uint8Array {
  const out = new Uint8Array(32);
  if (type === "bytes32") return fromHex(String(value));
  if (type === "address") {
    out.set(fromHex(String(value)), 12);
    return out;
  }
  if (type === "bytes3") {
    out.set(fromHex(String(value)), 0);
    return out;
  }
  const bits = Number(/^uint(\d+)$/.exec(type)![1]);
  const n = BigInt(value);
  if (n < 0n || n >= 1n << BigInt(bits)) throw new RangeError(`${value} is no ${type}`);
  out.set(Buffer.from(n.toString(16).padStart(64, "0"), "hex"));
  return out;
}

/** The fields of a type string "Name(type name,...)". */
const fieldsOf = (typeString: string) =>
  /\((.*)\)/.exec(typeString)![1].split(",").map((f) => {
    const [type, name] = f.split(" ");
    return { type, name };
  });

function structHash(typeString: string, message: Record<string, string | number>): Uint8Array {
  return keccak(concat(keccak(utf8(typeString)), ...fieldsOf(typeString).map((f) => word(f.type, message[f.name]))));
}

const domainSeparator = keccak(
  concat(
    keccak(utf8("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")),
    keccak(utf8(domain.domain.name)),
    keccak(utf8(domain.domain.version)),
    word("uint256", domain.domain.chainId),
    word("address", domain.domain.verifyingContract),
  ),
);

const digestOf = (structHashBytes: Uint8Array) => keccak(concat(Uint8Array.of(0x19, 0x01), domainSeparator, structHashBytes));

/** The address of a public key: the last 20 bytes of keccak256 of its uncompressed X || Y. */
const addressOf = (publicKey: Uint8Array) => checksummed(toHex(keccak(publicKey.subarray(1)).subarray(12)));

/** RFC 6979 signature with low s, as EIP-2098 {r, vs}: vs = s with the y parity in its top bit. */
function signCompact(digest: Uint8Array, privateKey: string): { r: string; vs: string } {
  const sig = secp256k1.sign(digest, fromHex(privateKey), { lowS: true });
  const vs = sig.s | (BigInt(sig.recovery) << 255n);
  return { r: "0x" + sig.r.toString(16).padStart(64, "0"), vs: "0x" + vs.toString(16).padStart(64, "0") };
}

function recoverCompact(digest: Uint8Array, sig: { r: string; vs: string }): string {
  const vs = BigInt(sig.vs);
  const s = vs & ((1n << 255n) - 1n);
  expect(s <= secp256k1.CURVE.n / 2n, "s in the lower half").to.equal(true);
  const signature = new secp256k1.Signature(BigInt(sig.r), s).addRecoveryBit(Number(vs >> 255n));
  return addressOf(signature.recoverPublicKey(digest).toRawBytes(false));
}

/** The canonical slip: the document's rules, nothing else. */
function canonical(slip: (typeof slips)[number]["slip"]): string {
  const value = {
    ...slip,
    cardId: slip.cardId.toLowerCase(),
    terminal: checksummed(slip.terminal),
    total: BigInt(slip.total).toString(),
    lines: slip.lines.map((l) => ({ ...l, unitPrice: BigInt(l.unitPrice).toString() })),
  };
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return "[" + v.map(write).join(",") + "]";
    if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      return "{" + Object.keys(o).sort().map((k) => JSON.stringify(k) + ":" + write(o[k])).join(",") + "}";
    }
    return JSON.stringify(v);
  };
  return write(value);
}

const orderIdOf = (orderNumber: string) => toHex(keccak(utf8(`credence.order:${orderNumber}`)));
const types = domain.types;

describe("Test vectors against the integration guide's rules, without ethers", function () {
  it("the type hashes and the domain separator", function () {
    for (const t of Object.values(types)) expect(toHex(keccak(utf8(t.typeString)))).to.equal(t.typeHash);
    expect(toHex(domainSeparator)).to.equal(domain.domainSeparator);
  });

  it("the keys' addresses", function () {
    for (const k of Object.values(domain.keys)) expect(addressOf(secp256k1.getPublicKey(fromHex(k.privateKey), false))).to.equal(k.address);
  });

  for (const v of slips) {
    it(`slip ${v.name}: canonical JSON, slip hash, order ID, settlement fields and the slip signature`, function () {
      expect(canonical(v.slip)).to.equal(v.canonicalJson);
      const slipHash = toHex(keccak(utf8(v.canonicalJson)));
      expect(slipHash).to.equal(v.slipHash);
      expect(orderIdOf(v.slip.orderNumber)).to.equal(v.orderId);
      expect(v.settlementFields).to.deep.equal({
        cardId: v.slip.cardId.toLowerCase(),
        terminal: checksummed(v.slip.terminal),
        orderId: v.orderId,
        slipHash,
        amount: BigInt(v.slip.total).toString(),
        currency: toHex(utf8(v.slip.currency)),
        category: v.slip.category,
        time: String(v.slip.time),
      });
      const digest = digestOf(structHash(types.OrderSlip.typeString, { slipHash }));
      expect(toHex(digest)).to.equal(v.orderSlip.digest);
      expect(signCompact(digest, domain.keys.terminal.privateKey)).to.deep.equal(v.orderSlip.request.signature);
    });
  }

  const signed = [
    ...settlements.map((v) => ({ ...v, kind: "Settlement" as const, signers: { terminal: v.request.signatures.terminal, card: v.request.signatures.card } })),
    ...refunds.refunds.map((v) => ({ ...v, kind: "Refund" as const, signers: { otherTerminal: v.request.signature } })),
    ...redemptions.map((v) => ({ ...v, kind: "Redemption" as const, signers: { terminal: v.request.signatures.terminal, card: v.request.signatures.card } })),
  ];
  for (const v of signed) {
    it(`${v.kind} ${v.name}: encoded data, struct hash, digest and signatures`, function () {
      const fields = fieldsOf(types[v.kind].typeString);
      const message = v.message as Record<string, string | number>;
      const encoded = concat(fromHex(types[v.kind].typeHash), ...fields.map((f) => word(f.type, message[f.name])));
      expect(toHex(encoded)).to.equal(v.encodedData);
      const hash = structHash(types[v.kind].typeString, message);
      expect(toHex(hash)).to.equal(v.structHash);
      const digest = digestOf(hash);
      expect(toHex(digest)).to.equal(v.digest);
      for (const [key, sig] of Object.entries(v.signers)) {
        const k = domain.keys[key as keyof typeof domain.keys];
        expect(signCompact(digest, k.privateKey), key).to.deep.equal(sig);
        expect(recoverCompact(digest, sig), key).to.equal(k.address);
      }
    });
  }

  it("settlements carry their slip's fields", function () {
    for (const v of settlements) {
      const slip = slips.find((s) => s.name === v.slipName)!;
      const { nonce: _nonce, ...fields } = v.message;
      expect(fields, v.name).to.deep.equal({ ...slip.settlementFields, time: String(slip.settlementFields.time) });
    }
  });

  it("refund rounding: floor(points x after / amount) - floor(points x before / amount)", function () {
    for (const r of refunds.rounding) {
      const [p, a, before, after] = [r.orderPoints, r.orderAmount, r.refundedBefore, r.refundedAfter].map(BigInt);
      expect(((p * after) / a - (p * before) / a).toString()).to.equal(r.reversed);
    }
  });
});
