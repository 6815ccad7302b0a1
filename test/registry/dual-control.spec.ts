/**
 * Dual control of the registry (contracts/access/DualControl.sol through CredenceRegistry):
 * a credential of one institution (bank / credit center) proposes an action, a credential of the
 * other approves it before the deadline, and approval runs it. Each step is signed
 * (test/helpers/dual-control.ts); test/access/dual-control-steps.spec.ts covers the signatures. Exercised with the two dual-controlled actions,
 * issueCard and replaceCard. Also governance: who grants roles, and the admin handover delay.
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { id, keccak256 } from "ethers";
import { ROLES } from "../../src/chain/roles";
import { DEFAULT_ADMIN_DELAY, ROLE_GRANT_DELAY } from "../../src/chain/deploy";
import { CREDENTIALS, CardKind, cardIdFor, deploySuite, issueCard, keyFor, proposeAndGetId, removeAccountCredential } from "../helpers/suite";
import { CredentialStatus, StepKind } from "../../src/domain/operator-steps";
import { DEFAULT_ADMIN_ROLE, accountLabel, expectUnauthorized, shouldRequireRole } from "../helpers/role-behavior";
import type { CredenceRegistry } from "../../typechain-types";
import { dual } from "../helpers/dual-control";

const ProposalState = { None: 0n, Pending: 1n, Executed: 2n, Rejected: 3n, Withdrawn: 4n } as const;
const PROPOSAL_LIFETIME = 7n * 24n * 3600n;

const NEW_CARD = cardIdFor("dual-control:new");
const NEW_KEY = keyFor("dual-control:new").address;
const NEW_COMMITMENT = id("commitment:dual-control:new");

function issueAction(
  registry: CredenceRegistry,
  cardId = NEW_CARD,
  key = NEW_KEY,
  commitment = NEW_COMMITMENT,
): string {
  return registry.interface.encodeFunctionData("issueCard", [cardId, CardKind.Consumer, key, commitment]);
}

function replaceAction(registry: CredenceRegistry, oldCardId: string, newCardId: string, newKey: string): string {
  return registry.interface.encodeFunctionData("replaceCard", [oldCardId, newCardId, newKey]);
}

/** The bank has proposed issuing NEW_CARD (proposal 1). */
async function bankProposalFixture() {
  const suite = await deploySuite();
  const { registry, accounts } = suite;
  const action = issueAction(registry);
  const proposalId = await proposeAndGetId(registry, accounts.bank, action);
  const { deadline } = await registry.proposal(proposalId);
  return { ...suite, action, proposalId, deadline };
}

/** The credit center has proposed issuing NEW_CARD (proposal 1). */
async function creditCenterProposalFixture() {
  const suite = await deploySuite();
  const { registry, accounts } = suite;
  const action = issueAction(registry);
  const proposalId = await proposeAndGetId(registry, accounts.creditCenter, action);
  return { ...suite, action, proposalId };
}

/** An issued card, and a credit-center proposal (proposal 2) to replace it. */
async function replaceProposalFixture() {
  const suite = await deploySuite();
  const { registry, accounts } = suite;
  const oldCardId = cardIdFor("dual-control:old");
  await issueCard(registry, accounts.bank, accounts.creditCenter, oldCardId, CardKind.Consumer, keyFor("old").address);
  const action = replaceAction(registry, oldCardId, NEW_CARD, NEW_KEY);
  const proposalId = await proposeAndGetId(registry, accounts.creditCenter, action);
  return { ...suite, oldCardId, action, proposalId };
}

/** NEW_CARD exists already, and the bank has proposed issuing it again (proposal 2). */
async function failingProposalFixture() {
  const suite = await deploySuite();
  const { registry, accounts } = suite;
  await issueCard(registry, accounts.bank, accounts.creditCenter, NEW_CARD, CardKind.Consumer, NEW_KEY, NEW_COMMITMENT);
  const action = issueAction(registry, NEW_CARD, keyFor("other").address);
  const proposalId = await proposeAndGetId(registry, accounts.bank, action);
  return { ...suite, action, proposalId };
}

/** A proposal to replace a card that does not exist yet (proposal 1). */
async function replaceUnknownProposalFixture() {
  const suite = await deploySuite();
  const { registry, accounts } = suite;
  const oldCardId = cardIdFor("dual-control:not-yet");
  const action = replaceAction(registry, oldCardId, NEW_CARD, NEW_KEY);
  const proposalId = await proposeAndGetId(registry, accounts.bank, action);
  return { ...suite, oldCardId, action, proposalId };
}

/** Governance has begun handing the default admin role over to the outsider. */
async function adminTransferFixture() {
  const suite = await deploySuite();
  const { registry, accounts } = suite;
  await (await registry.connect(accounts.governance).beginDefaultAdminTransfer(accounts.outsider.address)).wait();
  const [, schedule] = await registry.pendingDefaultAdmin();
  return { ...suite, schedule };
}

async function statusOf(registry: CredenceRegistry, cardId: string): Promise<bigint> {
  return (await registry.card(cardId)).status;
}

describe("DualControl (CredenceRegistry)", function () {
  describe("propose", function () {
    describe("when the caller holds a controlling role", function () {
      it("records a bank proposal as pending with the action hash, proposer credential, institution and deadline", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        const action = issueAction(registry);
        const at = (await time.latest()) + 60;
        await time.setNextBlockTimestamp(at);
        await dual(registry, accounts.bank).propose(action);

        const p = await registry.proposal(1);
        expect(p.actionHash).to.equal(keccak256(action));
        expect(p.proposerCredential).to.equal(CREDENTIALS.bank);
        expect(p.institution).to.equal(ROLES.BANK);
        expect(p.deadline).to.equal(BigInt(at) + PROPOSAL_LIFETIME);
        expect(p.state).to.equal(ProposalState.Pending);
      });

      it("emits ProposalCreated with the action bytes and a deadline seven days after the block", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        const action = issueAction(registry);
        const at = (await time.latest()) + 60;
        await time.setNextBlockTimestamp(at);

        await expect(dual(registry, accounts.bank).propose(action))
          .to.emit(registry, "ProposalCreated")
          .withArgs(1n, CREDENTIALS.bank, ROLES.BANK, action, BigInt(at) + PROPOSAL_LIFETIME);
        expect(await registry.PROPOSAL_LIFETIME()).to.equal(PROPOSAL_LIFETIME);
      });

      it("records a credit-center proposal with the credit-center institution", async function () {
        const { registry } = await loadFixture(creditCenterProposalFixture);
        const p = await registry.proposal(1);
        expect(p.proposerCredential).to.equal(CREDENTIALS.creditCenter);
        expect(p.institution).to.equal(ROLES.CREDIT_CENTER);
      });

      it("numbers proposals 1, 2, ... and counts them", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        expect(await registry.proposalCount()).to.equal(0n);
        const first = issueAction(registry, cardIdFor("a"));
        const second = issueAction(registry, cardIdFor("b"));
        const step = await dual(registry, accounts.bank).step(StepKind.Propose, 0n, keccak256(first));
        expect(await registry.propose.staticCall(first, step)).to.equal(1n);

        await dual(registry, accounts.bank).propose(first);
        const at = (await time.latest()) + 60;
        await time.setNextBlockTimestamp(at);
        await expect(dual(registry, accounts.creditCenter).propose(second))
          .to.emit(registry, "ProposalCreated")
          .withArgs(2n, CREDENTIALS.creditCenter, ROLES.CREDIT_CENTER, second, BigInt(at) + PROPOSAL_LIFETIME);
        expect(await registry.proposalCount()).to.equal(2n);
        expect((await registry.proposal(2)).actionHash).to.equal(keccak256(second));
      });

      it("does not run the action before approval", async function () {
        const { registry } = await loadFixture(bankProposalFixture);
        expect(await statusOf(registry, NEW_CARD)).to.equal(0n);
      });
    });

    describe("when the signer is no operator credential", function () {
      for (const name of ["outsider", "gateway", "governance"] as const) {
        it(`refuses ${accountLabel(name)}`, async function () {
          const { operators, registry, accounts } = await loadFixture(deploySuite);
          await expect(dual(registry, accounts[name]).propose(issueAction(registry)))
            .to.be.revertedWithCustomError(operators, "OperatorCredentialsCredentialNotActive")
            .withArgs(0n, CredentialStatus.None);
        });
      }
    });

    describe("when the action is not a dual-controlled function", function () {
      it("refuses freezeCard", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        const action = registry.interface.encodeFunctionData("freezeCard", [NEW_CARD]);
        await expect(dual(registry, accounts.bank).propose(action))
          .to.be.revertedWithCustomError(registry, "DualControlActionNotAllowed")
          .withArgs(registry.interface.getFunction("freezeCard").selector);
      });

      it("refuses registerMerchant", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        const action = registry.interface.encodeFunctionData("registerMerchant", [NEW_CARD]);
        await expect(dual(registry, accounts.creditCenter).propose(action))
          .to.be.revertedWithCustomError(registry, "DualControlActionNotAllowed")
          .withArgs(registry.interface.getFunction("registerMerchant").selector);
      });

      it("refuses grantRole, so approval cannot escalate privileges through the registry itself", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        const action = registry.interface.encodeFunctionData("grantRole", [ROLES.BANK, accounts.outsider.address]);
        await expect(dual(registry, accounts.bank).propose(action))
          .to.be.revertedWithCustomError(registry, "DualControlActionNotAllowed")
          .withArgs(registry.interface.getFunction("grantRole").selector);
      });

      it("refuses an action shorter than a selector, reporting a zero selector", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        for (const action of ["0x", "0x9a2b3c"]) {
          await expect(dual(registry, accounts.bank).propose(action))
            .to.be.revertedWithCustomError(registry, "DualControlActionNotAllowed")
            .withArgs("0x00000000");
        }
      });
    });
  });

  describe("approve", function () {
    describe("when a holder of the other role approves", function () {
      it("runs an issueCard proposed by the bank and approved by the credit center", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.emit(registry, "CardIssued")
          .withArgs(NEW_CARD, 1n, CardKind.Consumer, NEW_KEY, NEW_COMMITMENT)
          .and.to.emit(registry, "ProposalExecuted")
          .withArgs(proposalId, CREDENTIALS.creditCenter);
        expect(await statusOf(registry, NEW_CARD)).to.equal(1n);
        expect((await registry.proposal(proposalId)).state).to.equal(ProposalState.Executed);
      });

      it("runs an issueCard proposed by the credit center and approved by the bank", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(creditCenterProposalFixture);
        await expect(dual(registry, accounts.bank).approve(proposalId, action))
          .to.emit(registry, "ProposalExecuted")
          .withArgs(proposalId, CREDENTIALS.bank);
        expect(await statusOf(registry, NEW_CARD)).to.equal(1n);
      });

      it("runs a replaceCard proposed by the credit center and approved by the bank", async function () {
        const { registry, accounts, action, proposalId, oldCardId } = await loadFixture(replaceProposalFixture);
        await expect(dual(registry, accounts.bank).approve(proposalId, action))
          .to.emit(registry, "CardReplaced")
          .withArgs(oldCardId, NEW_CARD, 1n, NEW_KEY)
          .and.to.emit(registry, "ProposalExecuted")
          .withArgs(proposalId, CREDENTIALS.bank);
        expect(await registry.replacementOf(oldCardId)).to.equal(NEW_CARD);
      });

      it("accepts any holder of the other role, not only the first one", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await expect(dual(registry, accounts.creditCenter2).approve(proposalId, action))
          .to.emit(registry, "ProposalExecuted")
          .withArgs(proposalId, CREDENTIALS.creditCenter2);
      });

      it("accepts an approval in the block at the deadline itself", async function () {
        const { registry, accounts, action, proposalId, deadline } = await loadFixture(bankProposalFixture);
        await time.setNextBlockTimestamp(deadline);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.emit(registry, "ProposalExecuted")
          .withArgs(proposalId, CREDENTIALS.creditCenter);
      });
    });

    describe("when the approver is not the proposer's counterpart", function () {
      it("rejects an approval by the proposer", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await expect(dual(registry, accounts.bank).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlApproverNotCounterpart")
          .withArgs(proposalId, CREDENTIALS.bank);
      });

      it("rejects an approval by another bank holder of a bank proposal", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await expect(dual(registry, accounts.bank2).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlApproverNotCounterpart")
          .withArgs(proposalId, CREDENTIALS.bank2);
      });

      it("rejects an approval by another credit-center holder of a credit-center proposal", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(creditCenterProposalFixture);
        await expect(dual(registry, accounts.creditCenter2).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlApproverNotCounterpart")
          .withArgs(proposalId, CREDENTIALS.creditCenter2);
      });

      for (const name of ["outsider", "gateway", "governance"] as const) {
        it(`rejects an approval by ${accountLabel(name)}, which is no operator credential`, async function () {
          const { operators, registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
          await expect(dual(registry, accounts[name]).approve(proposalId, action))
            .to.be.revertedWithCustomError(operators, "OperatorCredentialsCredentialNotActive")
            .withArgs(0n, CredentialStatus.None);
        });
      }

    });

    describe("when the proposer's credential has been removed since proposing", function () {
      it("rejects the approval and leaves the proposal pending", async function () {
        const { operators, registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await removeAccountCredential(operators, accounts.bank);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlProposerCredentialRemoved")
          .withArgs(proposalId, CREDENTIALS.bank);
        expect(await statusOf(registry, NEW_CARD)).to.equal(0n);
        expect((await registry.proposal(proposalId)).state).to.equal(ProposalState.Pending);
      });
    });

    describe("when the proposer's address has lost its role since proposing", function () {
      it("accepts the approval: credentials decide dual control, roles do not", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await registry.connect(accounts.governance).revokeRole(ROLES.BANK, accounts.bank.address);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.emit(registry, "ProposalExecuted")
          .withArgs(proposalId, CREDENTIALS.creditCenter);
      });
    });

    describe("when the deadline has passed", function () {
      it("rejects the approval with the deadline", async function () {
        const { registry, accounts, action, proposalId, deadline } = await loadFixture(bankProposalFixture);
        await time.increaseTo(deadline + 1n);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlProposalExpired")
          .withArgs(proposalId, deadline);
      });

      it("rejects the approval a full proposal lifetime later", async function () {
        const { registry, accounts, action, proposalId, deadline } = await loadFixture(bankProposalFixture);
        await time.increase(PROPOSAL_LIFETIME + 1n);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlProposalExpired")
          .withArgs(proposalId, deadline);
      });
    });

    describe("when the action differs from the one proposed", function () {
      it("rejects another card ID", async function () {
        const { registry, accounts, proposalId } = await loadFixture(bankProposalFixture);
        const other = issueAction(registry, cardIdFor("dual-control:other"));
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, other))
          .to.be.revertedWithCustomError(registry, "DualControlActionMismatch")
          .withArgs(proposalId);
      });

      it("rejects another card key", async function () {
        const { registry, accounts, proposalId } = await loadFixture(bankProposalFixture);
        const other = issueAction(registry, NEW_CARD, keyFor("attacker").address);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, other))
          .to.be.revertedWithCustomError(registry, "DualControlActionMismatch")
          .withArgs(proposalId);
      });

      it("rejects the proposed bytes with trailing data", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action + "00"))
          .to.be.revertedWithCustomError(registry, "DualControlActionMismatch")
          .withArgs(proposalId);
      });
    });

    describe("when the proposal is not pending", function () {
      it("rejects a second approval", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await dual(registry, accounts.creditCenter).approve(proposalId, action);
        await expect(dual(registry, accounts.creditCenter2).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlProposalNotPending")
          .withArgs(proposalId);
      });

      it("rejects an unknown proposal ID", async function () {
        const { registry, accounts, action } = await loadFixture(bankProposalFixture);
        for (const unknown of [0n, 2n]) {
          await expect(dual(registry, accounts.creditCenter).approve(unknown, action))
            .to.be.revertedWithCustomError(registry, "DualControlProposalNotPending")
            .withArgs(unknown);
        }
      });
    });

    describe("when the action reverts", function () {
      it("reverts with DualControlActionFailed wrapping the inner error", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(failingProposalFixture);
        const inner = registry.interface.encodeErrorResult("CardAlreadyExists", [NEW_CARD]);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, inner);
      });

      it("leaves the proposal pending and the existing card untouched", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(failingProposalFixture);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, registry.interface.encodeErrorResult("CardAlreadyExists", [NEW_CARD]));
        expect((await registry.proposal(proposalId)).state).to.equal(ProposalState.Pending);
        expect((await registry.card(NEW_CARD)).key).to.equal(NEW_KEY);
      });

      it("runs the action on a later approval once it can succeed", async function () {
        const { registry, accounts, action, proposalId, oldCardId } = await loadFixture(replaceUnknownProposalFixture);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlActionFailed")
          .withArgs(proposalId, registry.interface.encodeErrorResult("CardUnknown", [oldCardId]));

        await issueCard(
          registry,
          accounts.bank,
          accounts.creditCenter,
          oldCardId,
          CardKind.Consumer,
          keyFor("late").address,
        );
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.emit(registry, "ProposalExecuted")
          .withArgs(proposalId, CREDENTIALS.creditCenter);
        expect(await registry.replacementOf(oldCardId)).to.equal(NEW_CARD);
      });
    });
  });

  describe("withdraw and reject", function () {
    describe("when a pending proposal is withdrawn or rejected", function () {
      it("lets the proposer withdraw it, and refuses a later approval", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await expect(dual(registry, accounts.bank).withdraw(proposalId))
          .to.emit(registry, "ProposalWithdrawn")
          .withArgs(proposalId, CREDENTIALS.bank);
        expect((await registry.proposal(proposalId)).state).to.equal(ProposalState.Withdrawn);
        await expect(dual(registry, accounts.creditCenter).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlProposalNotPending")
          .withArgs(proposalId);
        expect(await statusOf(registry, NEW_CARD)).to.equal(0n);
      });

      it("lets another credential of the proposer's institution withdraw it", async function () {
        const { registry, accounts, proposalId } = await loadFixture(bankProposalFixture);
        await expect(dual(registry, accounts.bank2).withdraw(proposalId))
          .to.emit(registry, "ProposalWithdrawn")
          .withArgs(proposalId, CREDENTIALS.bank2);
      });

      it("lets the other side reject it, and refuses a later approval", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await expect(dual(registry, accounts.creditCenter).reject(proposalId))
          .to.emit(registry, "ProposalRejected")
          .withArgs(proposalId, CREDENTIALS.creditCenter);
        expect((await registry.proposal(proposalId)).state).to.equal(ProposalState.Rejected);
        await expect(dual(registry, accounts.creditCenter2).approve(proposalId, action))
          .to.be.revertedWithCustomError(registry, "DualControlProposalNotPending")
          .withArgs(proposalId);
      });
    });

    describe("when the signer is no operator credential", function () {
      for (const name of ["outsider", "gateway", "governance"] as const) {
        it(`refuses ${accountLabel(name)}`, async function () {
          const { operators, registry, accounts, proposalId } = await loadFixture(bankProposalFixture);
          for (const call of [dual(registry, accounts[name]).reject(proposalId), dual(registry, accounts[name]).withdraw(proposalId)]) {
            await expect(call)
              .to.be.revertedWithCustomError(operators, "OperatorCredentialsCredentialNotActive")
              .withArgs(0n, CredentialStatus.None);
          }
          expect((await registry.proposal(proposalId)).state).to.equal(ProposalState.Pending);
        });
      }
    });

    describe("when the signer's institution is not the one the step needs", function () {
      it("refuses a rejection by the proposer's institution", async function () {
        const { registry, accounts, proposalId } = await loadFixture(bankProposalFixture);
        await expect(dual(registry, accounts.bank2).reject(proposalId))
          .to.be.revertedWithCustomError(registry, "DualControlApproverNotCounterpart")
          .withArgs(proposalId, CREDENTIALS.bank2);
      });

      it("refuses a withdrawal by the other institution", async function () {
        const { registry, accounts, proposalId } = await loadFixture(bankProposalFixture);
        await expect(dual(registry, accounts.creditCenter).withdraw(proposalId))
          .to.be.revertedWithCustomError(registry, "DualControlNotProposerInstitution")
          .withArgs(proposalId, CREDENTIALS.creditCenter);
      });
    });

    describe("when the proposal is not pending", function () {
      it("refuses to cancel it twice", async function () {
        const { registry, accounts, proposalId } = await loadFixture(bankProposalFixture);
        await dual(registry, accounts.bank).cancel(proposalId);
        await expect(dual(registry, accounts.creditCenter).cancel(proposalId))
          .to.be.revertedWithCustomError(registry, "DualControlProposalNotPending")
          .withArgs(proposalId);
      });

      it("refuses to cancel an executed proposal", async function () {
        const { registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
        await dual(registry, accounts.creditCenter).approve(proposalId, action);
        await expect(dual(registry, accounts.bank).cancel(proposalId))
          .to.be.revertedWithCustomError(registry, "DualControlProposalNotPending")
          .withArgs(proposalId);
      });

      it("refuses to cancel an unknown proposal", async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        await expect(dual(registry, accounts.bank).cancel(42n))
          .to.be.revertedWithCustomError(registry, "DualControlProposalNotPending")
          .withArgs(42n);
      });
    });
  });

  describe("proposal", function () {
    it("returns an empty record for an unknown ID", async function () {
      const { registry } = await loadFixture(bankProposalFixture);
      const p = await registry.proposal(2);
      expect(p.actionHash).to.equal(ethers.ZeroHash);
      expect(p.proposerCredential).to.equal(0n);
      expect(p.institution).to.equal(ethers.ZeroHash);
      expect(p.deadline).to.equal(0n);
      expect(p.state).to.equal(ProposalState.None);
    });
  });

  describe("issueCard and replaceCard called directly", function () {
    for (const name of ["bank", "creditCenter", "outsider"] as const) {
      it(`refuses issueCard from ${accountLabel(name)}`, async function () {
        const { registry, accounts } = await loadFixture(deploySuite);
        await expect(registry.connect(accounts[name]).issueCard(NEW_CARD, CardKind.Consumer, NEW_KEY, NEW_COMMITMENT))
          .to.be.revertedWithCustomError(registry, "DualControlOnlySelf")
          .withArgs(accounts[name].address);
      });
    }

    it("refuses replaceCard from the bank", async function () {
      const { registry, accounts, oldCardId } = await loadFixture(replaceProposalFixture);
      await expect(registry.connect(accounts.bank).replaceCard(oldCardId, NEW_CARD, NEW_KEY))
        .to.be.revertedWithCustomError(registry, "DualControlOnlySelf")
        .withArgs(accounts.bank.address);
    });

    it("refuses replaceCard from the credit center", async function () {
      const { registry, accounts, oldCardId } = await loadFixture(replaceProposalFixture);
      await expect(registry.connect(accounts.creditCenter).replaceCard(oldCardId, NEW_CARD, NEW_KEY))
        .to.be.revertedWithCustomError(registry, "DualControlOnlySelf")
        .withArgs(accounts.creditCenter.address);
    });
  });
});

describe("Governance (CredenceRegistry)", function () {
  describe("scheduleRoleGrant and grantRole", function () {
    it("grants GATEWAY only once the delay from its schedule has passed, consuming the schedule", async function () {
      const { registry, accounts } = await loadFixture(deploySuite);
      const at = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(at);
      const readyAt = at + BigInt(ROLE_GRANT_DELAY);
      await expect(registry.connect(accounts.governance).scheduleRoleGrant(ROLES.GATEWAY, accounts.outsider.address))
        .to.emit(registry, "RoleGrantScheduled")
        .withArgs(ROLES.GATEWAY, accounts.outsider.address, readyAt);
      expect(await registry.roleGrantReadyAt(ROLES.GATEWAY, accounts.outsider.address)).to.equal(readyAt);

      await time.setNextBlockTimestamp(readyAt - 1n);
      await expect(registry.connect(accounts.governance).grantRole(ROLES.GATEWAY, accounts.outsider.address))
        .to.be.revertedWithCustomError(registry, "RoleGrantNotReady")
        .withArgs(ROLES.GATEWAY, accounts.outsider.address, readyAt);

      await time.setNextBlockTimestamp(readyAt);
      await expect(registry.connect(accounts.governance).grantRole(ROLES.GATEWAY, accounts.outsider.address))
        .to.emit(registry, "RoleGranted")
        .withArgs(ROLES.GATEWAY, accounts.outsider.address, accounts.governance.address);
      expect(await registry.hasRole(ROLES.GATEWAY, accounts.outsider.address)).to.equal(true);
      expect(await registry.roleGrantReadyAt(ROLES.GATEWAY, accounts.outsider.address)).to.equal(0n);
    });

    it("refuses a grant never scheduled", async function () {
      const { registry, accounts } = await loadFixture(deploySuite);
      await expect(registry.connect(accounts.governance).grantRole(ROLES.GATEWAY, accounts.outsider.address))
        .to.be.revertedWithCustomError(registry, "RoleGrantNotReady")
        .withArgs(ROLES.GATEWAY, accounts.outsider.address, 0n);
    });

    it("refuses to schedule the institutions or the default admin: they are not granted to addresses", async function () {
      const { registry, accounts } = await loadFixture(deploySuite);
      for (const role of [ROLES.BANK, ROLES.CREDIT_CENTER, DEFAULT_ADMIN_ROLE]) {
        await expect(registry.connect(accounts.governance).scheduleRoleGrant(role, accounts.outsider.address))
          .to.be.revertedWithCustomError(registry, "RoleGrantNotSchedulable")
          .withArgs(role);
      }
      expect(await registry.hasRole(ROLES.BANK, accounts.bank.address)).to.equal(false);
      expect(await registry.hasRole(ROLES.CREDIT_CENTER, accounts.creditCenter.address)).to.equal(false);
    });

    it("grants the deployment's GATEWAY holders at construction, in RoleGranted events", async function () {
      const { registry, accounts } = await loadFixture(deploySuite);
      expect(await registry.hasRole(ROLES.GATEWAY, accounts.gateway.address)).to.equal(true);
      const granted = await registry.queryFilter(registry.filters.RoleGranted(ROLES.GATEWAY));
      expect(granted.map((e) => e.args.account)).to.deep.equal([accounts.gateway.address]);
      expect(await registry.roleGrantDelay()).to.equal(BigInt(ROLE_GRANT_DELAY));
    });

    it("refuses to grant the default admin role directly", async function () {
      const { registry, accounts } = await loadFixture(deploySuite);
      await expect(registry.connect(accounts.governance).grantRole(DEFAULT_ADMIN_ROLE, accounts.outsider.address))
        .to.be.revertedWithCustomError(registry, "AccessControlEnforcedDefaultAdminRules")
        .withArgs();
    });

    shouldRequireRole({
      fixture: deploySuite,
      contract: (f) => f.registry,
      role: DEFAULT_ADMIN_ROLE,
      callers: ["bank", "creditCenter", "gateway", "outsider"],
      call: (f, caller) => f.registry.connect(caller).scheduleRoleGrant(ROLES.GATEWAY, f.accounts.outsider.address),
    });
  });

  describe("cancelRoleGrant", function () {
    it("cancels a schedule, after which the grant is refused", async function () {
      const { registry, accounts } = await loadFixture(deploySuite);
      await (await registry.connect(accounts.governance).scheduleRoleGrant(ROLES.GATEWAY, accounts.outsider.address)).wait();
      await expect(registry.connect(accounts.governance).cancelRoleGrant(ROLES.GATEWAY, accounts.outsider.address))
        .to.emit(registry, "RoleGrantCancelled")
        .withArgs(ROLES.GATEWAY, accounts.outsider.address);
      await time.increase(ROLE_GRANT_DELAY);
      await expect(registry.connect(accounts.governance).grantRole(ROLES.GATEWAY, accounts.outsider.address))
        .to.be.revertedWithCustomError(registry, "RoleGrantNotReady")
        .withArgs(ROLES.GATEWAY, accounts.outsider.address, 0n);
    });

    shouldRequireRole({
      fixture: deploySuite,
      contract: (f) => f.registry,
      role: DEFAULT_ADMIN_ROLE,
      callers: ["bank", "gateway", "outsider"],
      call: (f, caller) => f.registry.connect(caller).cancelRoleGrant(ROLES.GATEWAY, f.accounts.outsider.address),
    });
  });

  describe("revokeRole", function () {
    it("revokes GATEWAY at once: the ledger refuses the account's next settlement call", async function () {
      const { registry, ledger, accounts } = await loadFixture(deploySuite);
      await expect(registry.connect(accounts.governance).revokeRole(ROLES.GATEWAY, accounts.gateway.address))
        .to.emit(registry, "RoleRevoked")
        .withArgs(ROLES.GATEWAY, accounts.gateway.address, accounts.governance.address);
      await expect(ledger.connect(accounts.gateway).settleBatch([]))
        .to.be.revertedWithCustomError(ledger, "LedgerUnauthorized")
        .withArgs(accounts.gateway.address, ROLES.GATEWAY);
    });

    shouldRequireRole({
      fixture: deploySuite,
      contract: (f) => f.registry,
      role: DEFAULT_ADMIN_ROLE,
      callers: ["bank", "creditCenter", "gateway", "outsider"],
      call: (f, caller) => f.registry.connect(caller).revokeRole(ROLES.GATEWAY, f.accounts.gateway.address),
    });
  });

  describe("default admin transfer", function () {
    it("schedules the handover the configured delay after the request", async function () {
      const { registry, accounts } = await loadFixture(deploySuite);
      const at = (await time.latest()) + 60;
      await time.setNextBlockTimestamp(at);
      await expect(registry.connect(accounts.governance).beginDefaultAdminTransfer(accounts.outsider.address))
        .to.emit(registry, "DefaultAdminTransferScheduled")
        .withArgs(accounts.outsider.address, BigInt(at + DEFAULT_ADMIN_DELAY));
      expect(await registry.defaultAdminDelay()).to.equal(BigInt(DEFAULT_ADMIN_DELAY));
    });

    it("refuses acceptance until the delay has passed", async function () {
      const { registry, accounts, schedule } = await loadFixture(adminTransferFixture);
      await time.setNextBlockTimestamp(schedule);
      await expect(registry.connect(accounts.outsider).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(registry, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);
      expect(await registry.defaultAdmin()).to.equal(accounts.governance.address);
    });

    it("hands the admin role over on acceptance after the delay, and the old admin loses it", async function () {
      const { registry, accounts, schedule } = await loadFixture(adminTransferFixture);
      await time.increaseTo(schedule + 1n);
      await registry.connect(accounts.outsider).acceptDefaultAdminTransfer();

      expect(await registry.defaultAdmin()).to.equal(accounts.outsider.address);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, accounts.governance.address)).to.equal(false);
      await expectUnauthorized(
        registry.connect(accounts.governance).scheduleRoleGrant(ROLES.GATEWAY, accounts.governance.address),
        registry,
        accounts.governance,
        DEFAULT_ADMIN_ROLE,
      );
    });
  });

  describe("the default admin alone", function () {
    it("cannot propose a card issuance", async function () {
      const { operators, registry, accounts } = await loadFixture(deploySuite);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, accounts.governance.address)).to.equal(true);
      await expect(dual(registry, accounts.governance).propose(issueAction(registry)))
        .to.be.revertedWithCustomError(operators, "OperatorCredentialsCredentialNotActive")
        .withArgs(0n, CredentialStatus.None);
    });

    it("cannot approve a bank proposal to issue a card", async function () {
      const { operators, registry, accounts, action, proposalId } = await loadFixture(bankProposalFixture);
      await expect(dual(registry, accounts.governance).approve(proposalId, action))
        .to.be.revertedWithCustomError(operators, "OperatorCredentialsCredentialNotActive")
        .withArgs(0n, CredentialStatus.None);
    });

    it("cannot call issueCard directly", async function () {
      const { registry, accounts } = await loadFixture(deploySuite);
      await expect(
        registry.connect(accounts.governance).issueCard(NEW_CARD, CardKind.Consumer, NEW_KEY, NEW_COMMITMENT),
      )
        .to.be.revertedWithCustomError(registry, "DualControlOnlySelf")
        .withArgs(accounts.governance.address);
    });
  });
});
