/**
 * The signed steps of dual control (contracts/access/DualControl.sol, verified by
 * CredenceOperators): for each step kind (propose, approve, reject, withdraw), a valid signature
 * works once and is attributed to its credential whoever relays it; the same signature is
 * refused when replayed on the same call, another proposal, another contract or as another
 * step; a credential of the wrong institution, a removed credential and an expired step are
 * refused. Both kinds of credential sign: the suite's accounts as secp256k1 (HSM) keys, and one
 * passkey per institution.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { expect } from "chai";
import { id, keccak256, type ContractTransactionResponse, type Signer } from "ethers";
import { ROLES } from "../../src/chain/roles";
import { CredentialStatus, StepKind } from "../../src/domain/operator-steps";
import { CREDENTIALS, CardKind, cardIdFor, deploySuite, keyFor, latestTime, proposeAndGetId, removeAccountCredential } from "../helpers/suite";
import { enrolHolder, signedStep, type Actor, type DualControlled, type StepOptions } from "../helpers/dual-control";
import { passkeyFor } from "../helpers/operators";
import type { IDualControl } from "../../typechain-types/contracts/registry/CredenceRegistry";
import { NO_ORDER } from "../helpers/ledger-ops";

const ACTION_CARD = cardIdFor("steps:new");

/**
 * The suite, a passkey per institution (credentials 5 and 6), two pending bank proposals on the
 * registry with the same action (1 and 2), and a pending bank proposal on the ledger (1).
 */
async function stepsFixture() {
  const suite = await deploySuite();
  const { operators, registry, ledger, accounts } = suite;
  const ana = await enrolHolder(operators, ROLES.BANK, "steps:bank-ana", { passkey: passkeyFor("steps:bank-ana") }, [accounts.bank, accounts.bank2]);
  const bo = await enrolHolder(operators, ROLES.CREDIT_CENTER, "steps:credit-bo", { passkey: passkeyFor("steps:credit-bo") }, [
    accounts.creditCenter,
    accounts.creditCenter2,
  ]);
  const action = registry.interface.encodeFunctionData("issueCard", [ACTION_CARD, CardKind.Consumer, keyFor("steps:new").address, id("c")]);
  const ledgerAction = ledger.interface.encodeFunctionData("voidPoints", [cardIdFor("steps:any"), 1, 1n, 0n, 7, NO_ORDER.order, NO_ORDER.proof]);
  await proposeAndGetId(registry, accounts.bank, action);
  await proposeAndGetId(registry, accounts.bank, action);
  await proposeAndGetId(ledger, accounts.bank, ledgerAction);
  return { ...suite, passkeys: { ana, bo }, action, ledgerAction };
}
type Fixture = Awaited<ReturnType<typeof stepsFixture>>;

/** Perform a step of `kind` on `target` with a given signature, relayed by `relayer`. */
function submit(
  target: DualControlled,
  kind: StepKind,
  proposalId: bigint,
  action: string,
  step: IDualControl.StepSignatureStruct,
  relayer: Signer,
): Promise<ContractTransactionResponse> {
  const c = target.connect(relayer) as DualControlled;
  if (kind === StepKind.Propose) return c.propose(action, step);
  if (kind === StepKind.Approve) return c.approveProposal(proposalId, action, step);
  if (kind === StepKind.Reject) return c.reject(proposalId, step);
  return c.withdraw(proposalId, step);
}

/** What a step of each kind needs, on the registry's bank proposal 1. */
interface KindCase {
  kind: StepKind;
  name: string;
  /** A credential that may sign it (secp256k1), its ID, and the passkey of that institution. */
  signer: (f: Fixture) => Signer;
  credential: bigint;
  passkey: (f: Fixture) => Actor;
  /** A credential of the institution that may not sign it, and the error refusing it. */
  wrong?: { signer: (f: Fixture) => Signer; credential: bigint; error: string };
  /** The event a performed step emits, and its arguments after the proposal ID. */
  event: string;
  another: StepKind;
}

const CASES: KindCase[] = [
  {
    kind: StepKind.Propose,
    name: "propose",
    signer: (f) => f.accounts.bank,
    credential: CREDENTIALS.bank,
    passkey: (f) => f.passkeys.ana,
    event: "ProposalCreated",
    another: StepKind.Approve,
  },
  {
    kind: StepKind.Approve,
    name: "approveProposal",
    signer: (f) => f.accounts.creditCenter,
    credential: CREDENTIALS.creditCenter,
    passkey: (f) => f.passkeys.bo,
    wrong: { signer: (f) => f.accounts.bank2, credential: CREDENTIALS.bank2, error: "DualControlApproverNotCounterpart" },
    event: "ProposalExecuted",
    another: StepKind.Reject,
  },
  {
    kind: StepKind.Reject,
    name: "reject",
    signer: (f) => f.accounts.creditCenter,
    credential: CREDENTIALS.creditCenter,
    passkey: (f) => f.passkeys.bo,
    wrong: { signer: (f) => f.accounts.bank2, credential: CREDENTIALS.bank2, error: "DualControlApproverNotCounterpart" },
    event: "ProposalRejected",
    another: StepKind.Approve,
  },
  {
    kind: StepKind.Withdraw,
    name: "withdraw",
    signer: (f) => f.accounts.bank2,
    credential: CREDENTIALS.bank2,
    passkey: (f) => f.passkeys.ana,
    wrong: { signer: (f) => f.accounts.creditCenter, credential: CREDENTIALS.creditCenter, error: "DualControlNotProposerInstitution" },
    event: "ProposalWithdrawn",
    another: StepKind.Reject,
  },
];

describe("DualControl signed steps (CredenceOperators)", function () {
  for (const c of CASES) {
    const isPropose = c.kind === StepKind.Propose;
    /** The registry step `actor` signs for proposal 1 (or a new proposal), with `options`. */
    const sign = (f: Fixture, actor: Actor, options: StepOptions = {}, kind = c.kind, target: DualControlled = f.registry) =>
      signedStep(target, actor, kind, isPropose ? 0n : 1n, keccak256(f.action), options);
    /** Where a performed step of this kind shows: proposal 3 for a new one, else proposal 1. */
    const performedId = isPropose ? 3n : 1n;

    describe(c.name, function () {
      describe("when validly signed", function () {
        it("works, attributed to the credential though an outsider relays it", async function () {
          const f = await loadFixture(stepsFixture);
          const step = await sign(f, c.signer(f));
          const tx = submit(f.registry, c.kind, 1n, f.action, step, f.accounts.outsider);
          if (isPropose) {
            await expect(tx).to.emit(f.registry, c.event).withArgs(performedId, c.credential, ROLES.BANK, f.action, anyValue);
          } else {
            await expect(tx).to.emit(f.registry, c.event).withArgs(performedId, c.credential);
          }
        });

        it("works with a passkey of the same institution", async function () {
          const f = await loadFixture(stepsFixture);
          const actor = c.passkey(f);
          const step = await sign(f, actor);
          const credential = (actor as { credentialId: bigint }).credentialId;
          const tx = submit(f.registry, c.kind, 1n, f.action, step, f.accounts.outsider);
          if (isPropose) {
            await expect(tx).to.emit(f.registry, c.event).withArgs(performedId, credential, ROLES.BANK, f.action, anyValue);
          } else {
            await expect(tx).to.emit(f.registry, c.event).withArgs(performedId, credential);
          }
        });

        it("emits OperatorStepVerified for the digest of this contract's step, which is then used", async function () {
          const f = await loadFixture(stepsFixture);
          const step = await sign(f, c.signer(f));
          const digest = await f.operators.hashStepFor(await f.registry.getAddress(), {
            kind: c.kind,
            subject: isPropose ? 0n : 1n,
            actionHash: keccak256(f.action),
            salt: step.salt,
            notAfter: step.notAfter,
          });
          await expect(submit(f.registry, c.kind, 1n, f.action, step, f.accounts.outsider))
            .to.emit(f.operators, "OperatorStepVerified")
            .withArgs(digest, c.credential, c.kind, isPropose ? 0n : 1n, keccak256(f.action));
          expect(await f.operators.isStepUsed(digest)).to.equal(true);
        });
      });

      describe("when the signature is replayed", function () {
        it("refuses it on the same call", async function () {
          const f = await loadFixture(stepsFixture);
          const step = await sign(f, c.signer(f));
          await (await submit(f.registry, c.kind, 1n, f.action, step, f.accounts.outsider)).wait();
          const replay = submit(f.registry, c.kind, 1n, f.action, step, f.accounts.outsider);
          if (isPropose) {
            const digest = await f.operators.hashStepFor(await f.registry.getAddress(), {
              kind: c.kind,
              subject: 0n,
              actionHash: keccak256(f.action),
              salt: step.salt,
              notAfter: step.notAfter,
            });
            await expect(replay).to.be.revertedWithCustomError(f.operators, "OperatorCredentialsStepAlreadyUsed").withArgs(digest);
          } else {
            // The proposal is no longer pending; its step's digest is consumed besides.
            await expect(replay).to.be.revertedWithCustomError(f.registry, "DualControlProposalNotPending").withArgs(1n);
          }
        });

        it(isPropose ? "refuses it for another action" : "refuses it on another proposal", async function () {
          const f = await loadFixture(stepsFixture);
          const step = await sign(f, c.signer(f));
          const other = isPropose
            ? f.registry.interface.encodeFunctionData("issueCard", [cardIdFor("steps:other"), CardKind.Consumer, keyFor("o").address, id("o")])
            : f.action;
          await expect(submit(f.registry, c.kind, 2n, other, step, f.accounts.outsider))
            .to.be.revertedWithCustomError(f.operators, "OperatorSignaturesWrongSigner")
            .withArgs(await c.signer(f).getAddress(), anyValue);
        });

        it("refuses a passkey's signature on another proposal or action", async function () {
          const f = await loadFixture(stepsFixture);
          const step = await sign(f, c.passkey(f));
          const other = isPropose
            ? f.registry.interface.encodeFunctionData("issueCard", [cardIdFor("steps:other"), CardKind.Consumer, keyFor("o").address, id("o")])
            : f.action;
          await expect(submit(f.registry, c.kind, 2n, other, step, f.accounts.outsider)).to.be.revertedWithCustomError(
            f.operators,
            "OperatorSignaturesWrongChallenge",
          );
        });

        it("refuses it at another contract", async function () {
          const f = await loadFixture(stepsFixture);
          // Exactly the ledger's step for its proposal 1, but signed under the registry's domain.
          const step = await signedStep(f.registry, c.signer(f), c.kind, isPropose ? 0n : 1n, keccak256(f.ledgerAction));
          await expect(submit(f.ledger, c.kind, 1n, f.ledgerAction, step, f.accounts.outsider))
            .to.be.revertedWithCustomError(f.operators, "OperatorSignaturesWrongSigner")
            .withArgs(await c.signer(f).getAddress(), anyValue);
        });

        it("refuses it as another kind of step", async function () {
          const f = await loadFixture(stepsFixture);
          const step = await sign(f, c.signer(f), {}, c.another);
          await expect(submit(f.registry, c.kind, 1n, f.action, step, f.accounts.outsider))
            .to.be.revertedWithCustomError(f.operators, "OperatorSignaturesWrongSigner")
            .withArgs(await c.signer(f).getAddress(), anyValue);
        });
      });

      describe("when the credential may not sign it", function () {
        if (c.wrong) {
          const wrong = c.wrong;
          it("refuses a credential of the wrong institution", async function () {
            const f = await loadFixture(stepsFixture);
            const step = await sign(f, wrong.signer(f));
            await expect(submit(f.registry, c.kind, 1n, f.action, step, f.accounts.outsider))
              .to.be.revertedWithCustomError(f.registry, wrong.error)
              .withArgs(1n, wrong.credential);
          });
        }

        it("refuses an account that is no credential", async function () {
          const f = await loadFixture(stepsFixture);
          const step = await sign(f, f.accounts.outsider);
          await expect(submit(f.registry, c.kind, 1n, f.action, step, f.accounts.outsider))
            .to.be.revertedWithCustomError(f.operators, "OperatorCredentialsCredentialNotActive")
            .withArgs(0n, CredentialStatus.None);
        });

        it("refuses a removed credential", async function () {
          const f = await loadFixture(stepsFixture);
          const step = await sign(f, c.signer(f));
          await removeAccountCredential(f.operators, c.signer(f));
          await expect(submit(f.registry, c.kind, 1n, f.action, step, f.accounts.outsider))
            .to.be.revertedWithCustomError(f.operators, "OperatorCredentialsCredentialNotActive")
            .withArgs(c.credential, CredentialStatus.Removed);
        });

        it("refuses a step past its notAfter", async function () {
          const f = await loadFixture(stepsFixture);
          const notAfter = await latestTime();
          const step = await sign(f, c.signer(f), { notAfter });
          await expect(submit(f.registry, c.kind, 1n, f.action, step, f.accounts.outsider))
            .to.be.revertedWithCustomError(f.operators, "OperatorCredentialsStepExpired")
            .withArgs(notAfter);
        });
      });
    });
  }

  describe("approveProposal with passkeys", function () {
    it("refuses a passkey of the proposer's own institution", async function () {
      const f = await loadFixture(stepsFixture);
      const step = await signedStep(f.registry, f.passkeys.ana, StepKind.Approve, 1n, keccak256(f.action));
      await expect(submit(f.registry, StepKind.Approve, 1n, f.action, step, f.accounts.outsider))
        .to.be.revertedWithCustomError(f.registry, "DualControlApproverNotCounterpart")
        .withArgs(1n, f.passkeys.ana.credentialId);
    });

    it("runs a passkey proposal approved by the other institution's passkey", async function () {
      const f = await loadFixture(stepsFixture);
      const propose = await signedStep(f.registry, f.passkeys.bo, StepKind.Propose, 0n, keccak256(f.action));
      await (await submit(f.registry, StepKind.Propose, 0n, f.action, propose, f.accounts.outsider)).wait();
      const approve = await signedStep(f.registry, f.passkeys.ana, StepKind.Approve, 3n, keccak256(f.action));
      await expect(submit(f.registry, StepKind.Approve, 3n, f.action, approve, f.accounts.outsider))
        .to.emit(f.registry, "CardIssued")
        .and.to.emit(f.registry, "ProposalExecuted")
        .withArgs(3n, f.passkeys.ana.credentialId);
    });
  });

  describe("verifyStep", function () {
    it("refuses the kinds reserved to the credentials contract's own functions", async function () {
      const f = await loadFixture(stepsFixture);
      const step = { kind: StepKind.Enrol, subject: 0n, actionHash: id("x"), salt: id("s"), notAfter: 2n ** 64n - 1n };
      await expect(f.operators.connect(f.accounts.outsider).verifyStep(step, { credentialId: CREDENTIALS.bank, signature: "0x" }, ROLES.BANK))
        .to.be.revertedWithCustomError(f.operators, "OperatorCredentialsReservedStep")
        .withArgs(StepKind.Enrol);
    });
  });
});
