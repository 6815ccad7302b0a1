/**
 * The terminal test vectors re-derived from docs/terminal-integration.md's rules alone, with
 * libraries that are not ethers (@noble/hashes' keccak_256, @noble/curves' secp256k1) and a small
 * EIP-712 encoder (test/helpers/independent-terminal.ts, which test/api/vendor-terminal.spec.ts
 * drives a live gateway with): if the document leaves a rule out, or the project's code starts
 * to depend on a quirk of ethers, these fail. Nothing from src/ is imported.
 */
import { expect } from "chai";
import {
  TYPE_STRINGS,
  addressOfKey,
  canonicalSlipJson,
  digestOf,
  domainSeparatorOf,
  encodedData,
  keccak,
  orderIdOf,
  recoverCompact,
  settlementFieldsOf,
  signCompact,
  structHash,
  toHex,
  utf8,
} from "../helpers/independent-terminal";
import domain from "../../test-vectors/domain.json";
import slips from "../../test-vectors/slips.json";
import settlements from "../../test-vectors/settlements.json";
import refunds from "../../test-vectors/refunds.json";
import redemptions from "../../test-vectors/redemptions.json";

const domainSeparator = domainSeparatorOf(domain.domain);
const types = domain.types;

describe("Test vectors against the integration guide's rules, without ethers", function () {
  it("the type strings as the guide writes them, the type hashes and the domain separator", function () {
    for (const [name, t] of Object.entries(types)) {
      expect(TYPE_STRINGS[name as keyof typeof TYPE_STRINGS], name).to.equal(t.typeString);
      expect(toHex(keccak(utf8(t.typeString)))).to.equal(t.typeHash);
    }
    expect(toHex(domainSeparator)).to.equal(domain.domainSeparator);
  });

  it("the keys' addresses", function () {
    for (const k of Object.values(domain.keys)) expect(addressOfKey(k.privateKey)).to.equal(k.address);
  });

  for (const v of slips) {
    it(`slip ${v.name}: canonical JSON, slip hash, order ID, settlement fields and the slip signature`, function () {
      expect(canonicalSlipJson(v.slip)).to.equal(v.canonicalJson);
      const slipHash = toHex(keccak(utf8(v.canonicalJson)));
      expect(slipHash).to.equal(v.slipHash);
      expect(orderIdOf(v.slip.orderNumber)).to.equal(v.orderId);
      expect(v.settlementFields).to.deep.equal(settlementFieldsOf(v.slip));
      const digest = digestOf(domainSeparator, structHash(types.OrderSlip.typeString, { slipHash }));
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
      const message = v.message as Record<string, string | number>;
      expect(toHex(encodedData(types[v.kind].typeString, message))).to.equal(v.encodedData);
      const hash = structHash(types[v.kind].typeString, message);
      expect(toHex(hash)).to.equal(v.structHash);
      const digest = digestOf(domainSeparator, hash);
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
