/**
 * CreditGrants: the credit-limit policy and the grant registry under bank / credit-center dual
 * control. Every dual-control path is here: each role proposing, the proposer approving its own
 * proposal, another operator of the same institution, expiry, rejection,
 * direct calls, the eligibility re-check on approval. The emergency freeze and expiry are in
 * freeze.spec.ts.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { CREDENTIALS, CardKind, cardIdFor, issueCard, keyFor, latestTime, proposeAndGetId } from "../helpers/suite";
import { CredentialStatus } from "../../src/domain/operator-steps";
import {
  CONSUMER_TIERS,
  DAY,
  MERCHANT_TIERS,
  YEAR,
  deployCreditFixture,
  jointly,
  eligibleFixture,
  expectedCredit,
  grantAction,
  grantedFixture,
  policyAction,
} from "../helpers/credit";
import { dual, acting } from "../helpers/dual-control";
import { CardStatus } from "../../packages/terminal-sdk/src/constants";

const PROPOSAL_LIFETIME = 7n * DAY;

describe("CreditGrants", function () {
  describe("setPolicy", function () {
    it("sets a kind's tiers when the other role approves, bumping the policy version", async function () {
      const f = await loadFixture(deployCreditFixture);
      expect(await f.creditGrants.policyVersion()).to.equal(2n);
      const tiers = [{ minScore: 0, minPoints: 1n, limit: 7n }];
      const action = policyAction(f.creditGrants, CardKind.Consumer, tiers);
      const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.bank, action);
      await expect(dual(f.creditGrants, f.accounts.creditCenter).approve(proposalId, action))
        .to.emit(f.creditGrants, "CreditPolicySet")
        .withArgs(3n, CardKind.Consumer, anyValue)
        .and.to.emit(f.creditGrants, "ProposalExecuted")
        .withArgs(proposalId, CREDENTIALS.creditCenter);
      expect((await f.creditGrants.policy(CardKind.Consumer)).map((t) => [t.minScore, t.minPoints, t.limit])).to.deep.equal([[0n, 1n, 7n]]);
      expect((await f.creditGrants.policy(CardKind.Merchant)).length).to.equal(MERCHANT_TIERS.length);
    });

    it("refuses a direct call by the bank with DualControlOnlySelf", async function () {
      const f = await loadFixture(deployCreditFixture);
      await expect(f.creditGrants.connect(f.accounts.bank).setPolicy(CardKind.Consumer, []))
        .to.be.revertedWithCustomError(f.creditGrants, "DualControlOnlySelf")
        .withArgs(f.accounts.bank.address);
    });

    const invalid: [string, { minScore: number; minPoints: bigint; limit: bigint }[], number][] = [
      ["a limit that does not increase", [{ minScore: 1, minPoints: 1n, limit: 10n }, { minScore: 2, minPoints: 2n, limit: 10n }], 1],
      ["a score threshold that decreases", [{ minScore: 5, minPoints: 1n, limit: 10n }, { minScore: 4, minPoints: 2n, limit: 20n }], 1],
      ["a points threshold that decreases", [{ minScore: 1, minPoints: 9n, limit: 10n }, { minScore: 2, minPoints: 8n, limit: 20n }], 1],
      ["a score threshold above 1000", [{ minScore: 1_001, minPoints: 1n, limit: 10n }], 0],
      ["a zero limit", [{ minScore: 0, minPoints: 0n, limit: 0n }], 0],
      ["more than eight tiers", Array.from({ length: 9 }, (_, i) => ({ minScore: i, minPoints: BigInt(i), limit: BigInt(i + 1) })), 8],
    ];
    for (const [what, tiers, index] of invalid) {
      it(`fails the approval of a policy with ${what} (CreditPolicyInvalid(${index}))`, async function () {
        const f = await loadFixture(deployCreditFixture);
        const action = policyAction(f.creditGrants, CardKind.Consumer, tiers);
        const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.bank, action);
        await expect(dual(f.creditGrants, f.accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(f.creditGrants, "DualControlActionFailed")
          .withArgs(proposalId, f.creditGrants.interface.encodeErrorResult("CreditPolicyInvalid", [index]));
      });
    }
  });

  describe("eligibleLimit", function () {
    it("follows the TypeScript reference for consumer and merchant cards", async function () {
      const f = await loadFixture(eligibleFixture);
      const now = await latestTime();
      for (const cardId of [f.rich.cardId, f.fresh.cardId, f.shop.cardId, f.cafe.cardId, f.newcomer.cardId]) {
        expect(await f.creditGrants.eligibleLimit(cardId), cardId).to.equal((await expectedCredit(f, cardId, now)).eligible);
      }
      expect(await f.creditGrants.eligibleLimit(f.fresh.cardId)).to.equal(0n);
    });

    it("is 0 for a frozen card", async function () {
      const f = await loadFixture(eligibleFixture);
      await (await acting(f.registry, f.accounts.bank).freezeCard(f.rich.cardId)).wait();
      expect(await f.creditGrants.eligibleLimit(f.rich.cardId)).to.equal(0n);
    });
  });

  describe("grantCredit", function () {
    describe("when the other role approves", function () {
      it("grants a limit proposed by the credit center and approved by the bank, with expiry and policy version", async function () {
        const f = await loadFixture(eligibleFixture);
        const expiresAt = (await latestTime()) + YEAR;
        const action = grantAction(f.creditGrants, f.rich.cardId, f.eligible, expiresAt);
        const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.creditCenter, action);
        const account = (await f.registry.card(f.rich.cardId)).account;
        const { score } = await expectedCredit(f, f.rich.cardId, await latestTime());
        await expect(dual(f.creditGrants, f.accounts.bank).approve(proposalId, action))
          .to.emit(f.creditGrants, "CreditGranted")
          .withArgs(f.rich.cardId, account, f.eligible, 0n, expiresAt, 2n, score)
          .and.to.emit(f.creditGrants, "ProposalExecuted")
          .withArgs(proposalId, CREDENTIALS.bank);
        const grant = await f.creditGrants.grantOf(f.rich.cardId);
        expect([grant.limit, grant.expiresAt, grant.policyVersion, grant.frozen]).to.deep.equal([f.eligible, expiresAt, 2n, false]);
        expect((await f.creditGrants.creditOf(f.rich.cardId)).availableLimit).to.equal(f.eligible);
      });

      it("grants a limit proposed by the bank and approved by the credit center", async function () {
        const f = await loadFixture(eligibleFixture);
        const action = grantAction(f.creditGrants, f.rich.cardId, 1n, (await latestTime()) + DAY);
        await jointly(f.creditGrants, f.accounts.bank, f.accounts.creditCenter, action);
        expect((await f.creditGrants.grantOf(f.rich.cardId)).limit).to.equal(1n);
      });

      it("keeps the grant with the account when the card is replaced", async function () {
        const f = await loadFixture(grantedFixture);
        const newCardId = cardIdFor("rich-replacement");
        const replace = f.registry.interface.encodeFunctionData("replaceCard", [f.rich.cardId, newCardId, keyFor("rich-replacement").address]);
        await (await dual(f.registry, f.accounts.bank).propose(replace)).wait();
        await (await dual(f.registry, f.accounts.creditCenter).approve(await f.registry.proposalCount(), replace)).wait();
        expect((await f.creditGrants.grantOf(newCardId)).limit).to.equal(f.limit);
        expect((await f.creditGrants.creditOf(newCardId)).availableLimit).to.equal(f.limit);
        expect((await f.creditGrants.creditOf(f.rich.cardId)).availableLimit).to.equal(0n);
      });
    });

    describe("when the proposal breaks the policy", function () {
      it("refuses to propose a limit above the card's eligible limit", async function () {
        const f = await loadFixture(eligibleFixture);
        const action = grantAction(f.creditGrants, f.rich.cardId, f.eligible + 1n, (await latestTime()) + YEAR);
        await expect(dual(f.creditGrants, f.accounts.creditCenter).propose(action))
          .to.be.revertedWithCustomError(f.creditGrants, "CreditLimitAboveEligible")
          .withArgs(f.rich.cardId, f.eligible + 1n, f.eligible);
      });

      it("refuses any limit for a consumer without history", async function () {
        const f = await loadFixture(eligibleFixture);
        const action = grantAction(f.creditGrants, f.fresh.cardId, 1n, (await latestTime()) + YEAR);
        await expect(dual(f.creditGrants, f.accounts.creditCenter).propose(action))
          .to.be.revertedWithCustomError(f.creditGrants, "CreditLimitAboveEligible")
          .withArgs(f.fresh.cardId, 1n, 0n);
      });

      it("refuses a zero limit, an expiry in the past or beyond the maximum term, and a frozen card", async function () {
        const f = await loadFixture(eligibleFixture);
        const g = f.creditGrants.connect(f.accounts.creditCenter);
        const now = await latestTime();
        await expect(dual(f.creditGrants, f.accounts.creditCenter).propose(grantAction(g, f.rich.cardId, 0n, now + YEAR))).to.be.revertedWithCustomError(g, "CreditLimitZero").withArgs(f.rich.cardId);
        const maxTerm = await g.MAX_TERM();
        await time.setNextBlockTimestamp(now + 10n);
        await expect(dual(f.creditGrants, f.accounts.creditCenter).propose(grantAction(g, f.rich.cardId, 1n, now + 10n)))
          .to.be.revertedWithCustomError(g, "CreditExpiryInvalid")
          .withArgs(now + 10n, now + 11n, now + 10n + maxTerm);
        await time.setNextBlockTimestamp(now + 20n);
        await expect(dual(f.creditGrants, f.accounts.creditCenter).propose(grantAction(g, f.rich.cardId, 1n, now + 21n + maxTerm)))
          .to.be.revertedWithCustomError(g, "CreditExpiryInvalid")
          .withArgs(now + 21n + maxTerm, now + 21n, now + 20n + maxTerm);
        await (await acting(f.registry, f.accounts.bank).freezeCard(f.rich.cardId)).wait();
        await expect(dual(f.creditGrants, f.accounts.creditCenter).propose(grantAction(g, f.rich.cardId, 1n, now + YEAR)))
          .to.be.revertedWithCustomError(g, "CreditCardNotActive")
          .withArgs(f.rich.cardId, CardStatus.Frozen);
      });

      it("re-checks on approval: a policy lowered in between fails the approval with CreditLimitAboveEligible", async function () {
        const f = await loadFixture(eligibleFixture);
        const action = grantAction(f.creditGrants, f.rich.cardId, f.eligible, (await latestTime()) + YEAR);
        const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.creditCenter, action);
        const lowered = CONSUMER_TIERS.map((t) => ({ ...t, limit: t.limit / 10n }));
        await jointly(f.creditGrants, f.accounts.bank, f.accounts.creditCenter, policyAction(f.creditGrants, CardKind.Consumer, lowered));
        await expect(dual(f.creditGrants, f.accounts.bank).approve(proposalId, action))
          .to.be.revertedWithCustomError(f.creditGrants, "DualControlActionFailed")
          .withArgs(proposalId, f.creditGrants.interface.encodeErrorResult("CreditLimitAboveEligible", [f.rich.cardId, f.eligible, f.eligible / 10n]));
        expect((await f.creditGrants.grantOf(f.rich.cardId)).limit).to.equal(0n);
      });
    });

    describe("when one side tries to act alone", function () {
      it("refuses a direct call by the credit center with DualControlOnlySelf", async function () {
        const f = await loadFixture(eligibleFixture);
        await expect(f.creditGrants.connect(f.accounts.creditCenter).grantCredit(f.rich.cardId, 1n, (await latestTime()) + YEAR))
          .to.be.revertedWithCustomError(f.creditGrants, "DualControlOnlySelf")
          .withArgs(f.accounts.creditCenter.address);
      });

      it("refuses the proposer approving its own proposal", async function () {
        const f = await loadFixture(eligibleFixture);
        const action = grantAction(f.creditGrants, f.rich.cardId, 1n, (await latestTime()) + YEAR);
        const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.creditCenter, action);
        await expect(dual(f.creditGrants, f.accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(f.creditGrants, "DualControlApproverNotCounterpart")
          .withArgs(proposalId, CREDENTIALS.creditCenter);
      });

      it("refuses another holder of the proposer's role", async function () {
        const f = await loadFixture(eligibleFixture);
        const action = grantAction(f.creditGrants, f.rich.cardId, 1n, (await latestTime()) + YEAR);
        const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.creditCenter, action);
        await expect(dual(f.creditGrants, f.accounts.creditCenter2).approve(proposalId, action))
          .to.be.revertedWithCustomError(f.creditGrants, "DualControlApproverNotCounterpart")
          .withArgs(proposalId, CREDENTIALS.creditCenter2);
      });

      it("refuses a proposal by an account that is no operator credential", async function () {
        const f = await loadFixture(eligibleFixture);
        const action = grantAction(f.creditGrants, f.rich.cardId, 1n, (await latestTime()) + YEAR);
        await expect(dual(f.creditGrants, f.accounts.gateway).propose(action))
          .to.be.revertedWithCustomError(f.operators, "OperatorCredentialsCredentialNotActive")
          .withArgs(0n, CredentialStatus.None);
      });
    });

    describe("when the proposal is not approved in time or is rejected", function () {
      it("refuses an approval after the proposal expired", async function () {
        const f = await loadFixture(eligibleFixture);
        const action = grantAction(f.creditGrants, f.rich.cardId, 1n, (await latestTime()) + YEAR);
        const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.creditCenter, action);
        const { deadline } = await f.creditGrants.proposal(proposalId);
        expect(deadline).to.equal((await latestTime()) + PROPOSAL_LIFETIME);
        await time.increaseTo(deadline + 1n);
        await expect(dual(f.creditGrants, f.accounts.bank).approve(proposalId, action))
          .to.be.revertedWithCustomError(f.creditGrants, "DualControlProposalExpired")
          .withArgs(proposalId, deadline);
      });

      it("lets the other role reject a proposal, which then never runs", async function () {
        const f = await loadFixture(eligibleFixture);
        const action = grantAction(f.creditGrants, f.rich.cardId, 1n, (await latestTime()) + YEAR);
        const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.creditCenter, action);
        await expect(dual(f.creditGrants, f.accounts.bank).reject(proposalId))
          .to.emit(f.creditGrants, "ProposalRejected")
          .withArgs(proposalId, CREDENTIALS.bank);
        await expect(dual(f.creditGrants, f.accounts.bank).approve(proposalId, action))
          .to.be.revertedWithCustomError(f.creditGrants, "DualControlProposalNotPending")
          .withArgs(proposalId);
      });
    });
  });

  describe("decreaseLimit and revokeCredit", function () {
    it("lowers a limit under dual control", async function () {
      const f = await loadFixture(grantedFixture);
      const account = (await f.registry.card(f.rich.cardId)).account;
      const action = f.creditGrants.interface.encodeFunctionData("decreaseLimit", [f.rich.cardId, f.limit - 1n]);
      const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.bank, action);
      await expect(dual(f.creditGrants, f.accounts.creditCenter).approve(proposalId, action))
        .to.emit(f.creditGrants, "CreditLimitDecreased")
        .withArgs(f.rich.cardId, account, f.limit, f.limit - 1n);
      expect((await f.creditGrants.grantOf(f.rich.cardId)).limit).to.equal(f.limit - 1n);
    });

    it("refuses a 'decrease' that raises, keeps or zeroes the limit", async function () {
      const f = await loadFixture(grantedFixture);
      for (const limit of [f.limit + 1n, f.limit, 0n]) {
        const action = f.creditGrants.interface.encodeFunctionData("decreaseLimit", [f.rich.cardId, limit]);
        const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.bank, action);
        await expect(dual(f.creditGrants, f.accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(f.creditGrants, "DualControlActionFailed")
          .withArgs(proposalId, f.creditGrants.interface.encodeErrorResult("CreditNotADecrease", [f.rich.cardId, f.limit, limit]));
      }
    });

    it("refuses direct decreases and revocations by either role", async function () {
      const f = await loadFixture(grantedFixture);
      for (const who of [f.accounts.bank, f.accounts.creditCenter]) {
        await expect(f.creditGrants.connect(who).decreaseLimit(f.rich.cardId, 1n)).to.be.revertedWithCustomError(f.creditGrants, "DualControlOnlySelf");
        await expect(f.creditGrants.connect(who).revokeCredit(f.rich.cardId)).to.be.revertedWithCustomError(f.creditGrants, "DualControlOnlySelf");
      }
    });

    it("revokes a grant under dual control, leaving no limit", async function () {
      const f = await loadFixture(grantedFixture);
      const account = (await f.registry.card(f.rich.cardId)).account;
      const action = f.creditGrants.interface.encodeFunctionData("revokeCredit", [f.rich.cardId]);
      const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.creditCenter, action);
      await expect(dual(f.creditGrants, f.accounts.bank).approve(proposalId, action))
        .to.emit(f.creditGrants, "CreditRevoked")
        .withArgs(f.rich.cardId, account, f.limit);
      const grant = await f.creditGrants.grantOf(f.rich.cardId);
      expect([grant.limit, grant.expiresAt]).to.deep.equal([0n, 0n]);
    });

    it("fails the revocation of a card without a grant with CreditNoGrant", async function () {
      const f = await loadFixture(grantedFixture);
      const action = f.creditGrants.interface.encodeFunctionData("revokeCredit", [f.fresh.cardId]);
      const proposalId = await proposeAndGetId(f.creditGrants, f.accounts.creditCenter, action);
      await expect(dual(f.creditGrants, f.accounts.bank).approve(proposalId, action))
        .to.be.revertedWithCustomError(f.creditGrants, "DualControlActionFailed")
        .withArgs(proposalId, f.creditGrants.interface.encodeErrorResult("CreditNoGrant", [f.fresh.cardId]));
    });
  });

  describe("creditPage", function () {
    it("reads every account's credit line as creditOf does, in pages", async function () {
      const f = await loadFixture(grantedFixture);
      const total = await f.registry.accountCount();
      const seen: string[] = [];
      let from = 1n;
      while (from !== 0n) {
        const [page, next] = await f.creditGrants.creditPage(from, 3n);
        for (const line of page) {
          const one = await f.creditGrants.creditOf(line.card.cardId);
          expect(line.toString()).to.equal(one.toString());
          seen.push(line.card.cardId);
        }
        from = next;
      }
      expect(BigInt(seen.length)).to.equal(total);
      expect(new Set(seen).size).to.equal(seen.length);
    });
  });

  describe("merchant cards", function () {
    it("grants a merchant its eligible limit from its credit points", async function () {
      const f = await loadFixture(eligibleFixture);
      const { eligible } = await expectedCredit(f, f.cafe.cardId, await latestTime());
      expect(eligible).to.be.greaterThan(0n);
      await jointly(f.creditGrants, f.accounts.creditCenter, f.accounts.bank, grantAction(f.creditGrants, f.cafe.cardId, eligible, (await latestTime()) + YEAR));
      expect((await f.creditGrants.creditOf(f.cafe.cardId)).availableLimit).to.equal(eligible);
    });

    it("makes a merchant card bound to no merchant eligible for nothing", async function () {
      const f = await loadFixture(eligibleFixture);
      const cardId = cardIdFor("late-merchant");
      await issueCard(f.registry, f.accounts.bank, f.accounts.creditCenter, cardId, CardKind.Merchant, keyFor("late-merchant").address);
      expect(await f.creditGrants.eligibleLimit(cardId)).to.equal(0n);
    });
  });
});
