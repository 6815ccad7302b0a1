/**
 * The terminal test vectors (test-vectors/*.json) against the project's code: the gateway's
 * request schemas and slip canonicalisation, its settlement hasher and signature recovery, and the
 * terminal SDK's signing. A vector the code no longer reproduces fails here (regenerate with
 * `npm run vectors` only when the change is meant, and say so in the changelog: terminals sign these).
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { canonicalJson, canonicalSlip, extractSettlement, orderIdOf, slipHash, slipSchema } from "../../src/domain/slips";
import {
  domainSeparator,
  ledgerDomain,
  orderSlipDigest,
  recoverSigner,
  redemptionDigest,
  refundDigest,
} from "../../src/domain/typed-data";
import { SettlementHasher } from "../../src/domain/settlement-hasher";
import { reversedShare } from "../../src/domain/points";
import { redemptionBody, refundBody, settlementBody, slipBody } from "../../src/api/submissions/schemas";
import { normaliseRefund, normaliseSettlement } from "../../src/api/submissions/service";
import { TerminalClient, walletCardSigner } from "../../src/sdk/terminal-client";
import domain from "../../test-vectors/domain.json";
import slips from "../../test-vectors/slips.json";
import settlements from "../../test-vectors/settlements.json";
import refunds from "../../test-vectors/refunds.json";
import redemptions from "../../test-vectors/redemptions.json";

const ledger = ledgerDomain(BigInt(domain.domain.chainId), domain.domain.verifyingContract);
const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");

describe("Test vectors against the gateway and the SDK", function () {
  it("the domain separator is the ledger domain's", function () {
    expect(domainSeparator(ledger)).to.equal(domain.domainSeparator);
  });

  describe("slips", function () {
    for (const v of slips) {
      it(`${v.name}: the gateway's canonical form, slip hash, order ID and settlement fields`, function () {
        const parsed = slipSchema.parse(v.slip);
        expect(canonicalJson(canonicalSlip(parsed))).to.equal(v.canonicalJson);
        expect(slipHash(parsed)).to.equal(v.slipHash);
        expect(orderIdOf(v.slip.orderNumber)).to.equal(v.orderId);
        const record = extractSettlement(parsed);
        expect({ ...record, amount: record.amount.toString(), time: record.time.toString() }).to.deep.equal(v.settlementFields);
      });

      it(`${v.name}: the signed slip request recovers to its terminal`, function () {
        const body = slipBody.parse(v.orderSlip.request);
        const digest = orderSlipDigest(ledger, slipHash(body.slip));
        expect(digest).to.equal(v.orderSlip.digest);
        expect(recoverSigner(digest, body.signature)).to.equal(domain.keys.terminal.address);
      });
    }
  });

  describe("settlements", function () {
    const hasher = new SettlementHasher(domain.domainSeparator);
    const terminal = new TerminalClient("http://gateway.invalid", new Wallet(domain.keys.terminal.privateKey), ledger);
    for (const v of settlements) {
      it(`${v.name}: the SDK signs the vector's slip into the vector's request`, async function () {
        const slip = slips.find((s) => s.name === v.slipName)!.slip;
        const signed = await terminal.signSettlement(slip, walletCardSigner(new Wallet(domain.keys.card.privateKey)), BigInt(v.message.nonce));
        const message = { ...signed.settlement, nonce: signed.settlement.nonce.toString(), amount: signed.settlement.amount.toString(), time: signed.settlement.time.toString() };
        expect(message).to.deep.equal(v.message);
        expect(signed.signatures).to.deep.equal(v.request.signatures);
      });

      it(`${v.name}: the gateway parses the request, hashes it and recovers terminal and card`, function () {
        const body = settlementBody.parse(v.request);
        const digest = hex(hasher.digest(normaliseSettlement(body.settlement)));
        expect(digest).to.equal(v.digest);
        expect(recoverSigner(digest, body.signatures.terminal)).to.equal(domain.keys.terminal.address);
        expect(recoverSigner(digest, body.signatures.card)).to.equal(domain.keys.card.address);
      });
    }
  });

  describe("refunds", function () {
    for (const v of refunds.refunds) {
      it(`${v.name}: the gateway parses the request, hashes it and recovers the refunding terminal`, function () {
        const body = refundBody.parse(v.request);
        const digest = refundDigest(ledger, normaliseRefund(body.refund));
        expect(digest).to.equal(v.digest);
        expect(recoverSigner(digest, body.signature)).to.equal(domain.keys.otherTerminal.address);
      });
    }

    it("reverses the rounding table's points", function () {
      for (const r of refunds.rounding) {
        const got = reversedShare(BigInt(r.orderPoints), BigInt(r.orderAmount), BigInt(r.refundedBefore), BigInt(r.refundedAfter));
        expect(got.toString(), JSON.stringify(r)).to.equal(r.reversed);
      }
    });
  });

  describe("redemptions", function () {
    for (const v of redemptions) {
      it(`${v.name}: the gateway parses the request, hashes it and recovers terminal and card`, function () {
        const body = redemptionBody.parse(v.request);
        expect(body.redemption.orderId).to.equal(orderIdOf(v.orderNumber));
        const digest = redemptionDigest(ledger, body.redemption);
        expect(digest).to.equal(v.digest);
        expect(recoverSigner(digest, body.signatures.terminal)).to.equal(domain.keys.terminal.address);
        expect(recoverSigner(digest, body.signatures.card)).to.equal(domain.keys.card.address);
      });
    }
  });
});
