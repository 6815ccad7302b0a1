/**
 * Operator credentials (contracts/access/OperatorCredentials.sol, through the test-only
 * OperatorCredentialsHarness): passkey and HSM credentials of the bank and the credit center,
 * signed steps that work once, enrolment and removal by operators of the same institution,
 * one-time enrolment codes, and recovery behind a vetoable delay
 * (docs/adr/0001-operators-sign-their-own-decisions.md).
 */
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import { Wallet, id, recoverAddress } from "ethers";
import { ROLES } from "../../src/chain/roles";
import {
  CredentialKind,
  CredentialStatus,
  NO_DEADLINE,
  StepKind,
  codeRedemptionStep,
  encodeSecp256k1Signature,
  enrolmentCodePrivateKey,
  enrolmentHash,
  enrolmentStep,
  keyHash,
  operatorDomain,
  passkeyKey,
  recoveryVetoStep,
  removalStep,
  secp256k1Key,
  stepDigest,
  type CredentialKey,
  type OperatorStep,
} from "../../src/domain/operator-steps";
import { P256_N } from "../../src/domain/webauthn";
import { OperatorCredentialsHarness__factory } from "../../typechain-types";
import type { OperatorCredentialsHarness } from "../../typechain-types";
import {
  deployCredentials,
  domainOf,
  enrolOperator,
  hsmFor,
  initialCode,
  initialOperator,
  keyOf,
  noOpStep,
  operatorIdFor,
  passkeyFor,
  signStep,
  signStepIn,
  type Operator,
} from "../helpers/operators";

const RECOVERY_DELAY = 7n * 24n * 3600n;
const MAX_ACTIVE_CREDENTIALS = 16n;

/** Steps a contract performs through `_verifyStep` (the harness's no-op stands in for them). */
const VERIFIED_KINDS = ["Propose", "Approve", "Reject", "Withdraw", "Act", "Confirm"] as const;
/** Steps only the module's own functions perform. */
const RESERVED_KINDS = ["Enrol", "Remove", "VetoRecovery", "RedeemEnrolmentCode"] as const;

const BANK_CODE = "bank-enrolment-code-0123456789abcdef";
const codeWallet = (code: string) => new Wallet(enrolmentCodePrivateKey(code));

/** Ana (bank) has enrolled Carl (bank): the bank has two operators. */
async function twoBankOperatorsFixture() {
  const f = await deployCredentials();
  const carl = await enrolOperator(f.credentials, ROLES.BANK, "bank-carl", { passkey: passkeyFor("bank-carl") }, [f.operators.ana]);
  return { ...f, operators: { ...f.operators, carl } };
}

/** Ana and Carl have enrolled Dora: the bank has three operators. */
async function threeBankOperatorsFixture() {
  const f = await twoBankOperatorsFixture();
  const { ana, carl } = f.operators;
  const dora = await enrolOperator(f.credentials, ROLES.BANK, "bank-dora", { passkey: passkeyFor("bank-dora") }, [ana, carl]);
  return { ...f, operators: { ...f.operators, dora } };
}

/** Ana has enrolled the bank's HSM key as a credential of her own operator ID. */
async function hsmFixture() {
  const f = await deployCredentials();
  const hsm = await enrolOperator(f.credentials, ROLES.BANK, "bank-hsm", { hsm: hsmFor("bank") }, [f.operators.ana], f.operators.ana.operatorId);
  return { ...f, operators: { ...f.operators, hsm } };
}

/** A second deployment with the same first credentials (another verifying contract). */
async function twoDeploymentsFixture() {
  const f = await deployCredentials();
  const other = await deployCredentials();
  return { ...f, other: other.credentials };
}

/** The bank's first operator is to come with an enrolment code; the credit center's is Bo. */
async function enrolmentCodeFixture() {
  const [governance, relayer, outsider] = await ethers.getSigners();
  const bo = { passkey: passkeyFor("credit-bo") };
  const credentials = await new OperatorCredentialsHarness__factory(governance).deploy(
    governance.address,
    initialCode(codeWallet(BANK_CODE).address),
    initialOperator("credit-bo", bo),
  );
  await credentials.waitForDeployment();
  return { credentials, accounts: { governance, relayer, outsider } };
}

/** The bank (Ana, Carl) lost its keys: governance has proposed Dan's passkey as its new first credential (recovery 1). */
async function recoveryFixture() {
  const f = await twoBankOperatorsFixture();
  const dan = { passkey: passkeyFor("bank-dan") };
  const danKey = keyOf(dan);
  await (await f.credentials.connect(f.accounts.governance).proposeRecovery(ROLES.BANK, operatorIdFor("bank-dan"), danKey)).wait();
  const { effectiveAt } = await f.credentials.pendingRecovery(ROLES.BANK);
  return { ...f, dan, danKey, effectiveAt };
}

/** The bank's first credential is an HSM key, and 15 more of the same operator fill its 16 places. */
async function fullBankFixture() {
  const [governance] = await ethers.getSigners();
  const first = { hsm: hsmFor("bank-0") };
  const credentials = await new OperatorCredentialsHarness__factory(governance).deploy(
    governance.address,
    initialOperator("bank-hsm", first),
    initialOperator("credit-bo", { passkey: passkeyFor("credit-bo") }),
  );
  await credentials.waitForDeployment();
  const signer: Operator = { credentialId: 1n, operatorId: operatorIdFor("bank-hsm"), institution: ROLES.BANK, holder: first };
  for (let i = 1n; i < MAX_ACTIVE_CREDENTIALS; i++) {
    await enrolOperator(credentials, ROLES.BANK, `bank-${i}`, { hsm: hsmFor(`bank-${i}`) }, [signer], signer.operatorId);
  }
  return { credentials, signer };
}

function keyTuple(key: CredentialKey): [number, string, string, string] {
  return [key.kind, key.qx, key.qy, key.signer];
}

async function digestOf(credentials: OperatorCredentialsHarness, step: OperatorStep): Promise<string> {
  return stepDigest(await domainOf(credentials), step);
}

/** Remove `target` with the signatures of `signers`; returns the transaction. */
async function removeBy(credentials: OperatorCredentialsHarness, target: Operator, signers: readonly Operator[], salt = id("remove")) {
  const step = removalStep(target.credentialId, keyOf(target.holder), salt);
  const signatures = await Promise.all(signers.map((s) => signStep(credentials, step, s)));
  return credentials.remove(target.credentialId, salt, NO_DEADLINE, signatures);
}

describe("OperatorCredentials", function () {
  describe("deployment", function () {
    it("enrols the first credential of each institution, a passkey each", async function () {
      const { credentials, operators } = await loadFixture(deployCredentials);
      const ana = await credentials.credential(1);
      expect(ana.institution).to.equal(ROLES.BANK);
      expect(ana.operatorId).to.equal(operatorIdFor("bank-ana"));
      expect(ana.kind).to.equal(BigInt(CredentialKind.WebAuthnP256));
      expect(ana.status).to.equal(BigInt(CredentialStatus.Active));
      expect([ana.qx, ana.qy]).to.deep.equal([keyOf(operators.ana.holder).qx, keyOf(operators.ana.holder).qy]);
      expect((await credentials.credential(2)).institution).to.equal(ROLES.CREDIT_CENTER);
      expect(await credentials.credentialCount()).to.equal(2n);
      expect(await credentials.activeCredentials(ROLES.BANK)).to.deep.equal([1n]);
      expect(await credentials.activeCredentials(ROLES.CREDIT_CENTER)).to.deep.equal([2n]);
      expect(await credentials.activeOperatorCount(ROLES.BANK)).to.equal(1n);
      expect(await credentials.enrolmentCode(ROLES.BANK)).to.equal(ethers.ZeroAddress);
    });

    it("emits CredentialEnrolled for each first credential", async function () {
      const { credentials, operators } = await loadFixture(deployCredentials);
      await expect(credentials.deploymentTransaction())
        .to.emit(credentials, "CredentialEnrolled")
        .withArgs(1n, ROLES.BANK, operatorIdFor("bank-ana"), keyTuple(keyOf(operators.ana.holder)))
        .and.to.emit(credentials, "CredentialEnrolled")
        .withArgs(2n, ROLES.CREDIT_CENTER, operatorIdFor("credit-bo"), keyTuple(keyOf(operators.bo.holder)));
    });

    it("records an enrolment code's address in place of a credential", async function () {
      const { credentials } = await loadFixture(enrolmentCodeFixture);
      await expect(credentials.deploymentTransaction())
        .to.emit(credentials, "EnrolmentCodeSet")
        .withArgs(ROLES.BANK, codeWallet(BANK_CODE).address);
      expect(await credentials.enrolmentCode(ROLES.BANK)).to.equal(codeWallet(BANK_CODE).address);
      expect(await credentials.activeCredentials(ROLES.BANK)).to.deep.equal([]);
      expect(await credentials.activeCredentials(ROLES.CREDIT_CENTER)).to.deep.equal([1n]);
    });

    describe("when an initial operator is not valid", function () {
      it("refuses one naming both a credential and a code, or neither", async function () {
        const [governance] = await ethers.getSigners();
        const factory = new OperatorCredentialsHarness__factory(governance);
        const bo = initialOperator("credit-bo", { passkey: passkeyFor("credit-bo") });
        const both = { ...initialOperator("bank-ana", { passkey: passkeyFor("bank-ana") }), enrolmentCode: codeWallet(BANK_CODE).address };
        const neither = initialCode(ethers.ZeroAddress);
        for (const bank of [both, neither]) {
          await expect(factory.deploy(governance.address, bank, bo))
            .to.be.revertedWithCustomError(factory, "OperatorCredentialsInvalidInitialOperator")
            .withArgs(ROLES.BANK);
        }
      });

      it("refuses the same key for both institutions", async function () {
        const [governance] = await ethers.getSigners();
        const factory = new OperatorCredentialsHarness__factory(governance);
        const shared = { passkey: passkeyFor("shared") };
        await expect(factory.deploy(governance.address, initialOperator("bank-ana", shared), initialOperator("credit-bo", shared)))
          .to.be.revertedWithCustomError(factory, "OperatorCredentialsKeyAlreadyRegistered")
          .withArgs(keyHash(keyOf(shared)), 1n);
      });

      it("refuses a P-256 key off the curve", async function () {
        const [governance] = await ethers.getSigners();
        const factory = new OperatorCredentialsHarness__factory(governance);
        const good = keyOf({ passkey: passkeyFor("bank-ana") });
        const offCurve = { operatorId: operatorIdFor("bank-ana"), key: passkeyKey(good.qx, id("not y")), enrolmentCode: ethers.ZeroAddress };
        await expect(factory.deploy(governance.address, offCurve, initialOperator("credit-bo", { passkey: passkeyFor("credit-bo") })))
          .to.be.revertedWithCustomError(factory, "OperatorCredentialsInvalidKey")
          .withArgs(CredentialKind.WebAuthnP256);
      });
    });
  });

  describe("performStep (a signed step)", function () {
    describe("when a passkey signs a valid step", function () {
      for (const name of VERIFIED_KINDS) {
        it(`accepts a ${name} step once, attributed to the credential`, async function () {
          const { credentials, operators, accounts } = await loadFixture(deployCredentials);
          const step = noOpStep(StepKind[name], { subject: 7n, actionHash: id(`action:${name}`) });
          const signature = await signStep(credentials, step, operators.ana);
          const digest = await digestOf(credentials, step);

          await expect(credentials.connect(accounts.relayer).performStep(step, ROLES.BANK, signature))
            .to.emit(credentials, "OperatorStepVerified")
            .withArgs(digest, 1n, StepKind[name], 7n, id(`action:${name}`));
          expect(await credentials.isStepUsed(digest)).to.equal(true);
          await expect(credentials.connect(accounts.relayer).performStep(step, ROLES.BANK, signature))
            .to.be.revertedWithCustomError(credentials, "OperatorCredentialsStepAlreadyUsed")
            .withArgs(digest);
        });
      }

      it("returns the signing credential and its institution, whoever relays it", async function () {
        const { credentials, operators, accounts } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Approve);
        const signature = await signStep(credentials, step, operators.bo);
        const [credentialId, institution] = await credentials.connect(accounts.outsider).performStep.staticCall(step, ethers.ZeroHash, signature);
        expect(credentialId).to.equal(2n);
        expect(institution).to.equal(ROLES.CREDIT_CENTER);
      });

      it("accepts the same decision again as a new step under a new salt", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const first = noOpStep(StepKind.Propose, { salt: id("first") });
        const second = noOpStep(StepKind.Propose, { salt: id("second") });
        await credentials.performStep(first, ROLES.BANK, await signStep(credentials, first, operators.ana));
        await expect(credentials.performStep(second, ROLES.BANK, await signStep(credentials, second, operators.ana)))
          .to.emit(credentials, "OperatorStepVerified")
          .withArgs(await digestOf(credentials, second), 1n, StepKind.Propose, 1n, id("action"));
      });

      it("accepts a step in the block at its notAfter", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const notAfter = BigInt(await time.latest()) + 60n;
        const step = noOpStep(StepKind.Act, { notAfter });
        const signature = await signStep(credentials, step, operators.ana);
        await time.setNextBlockTimestamp(notAfter);
        await expect(credentials.performStep(step, ROLES.BANK, signature)).to.emit(credentials, "OperatorStepVerified");
      });
    });

    describe("when a signature is used again", function () {
      it("refuses it for another proposal", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const signed = noOpStep(StepKind.Approve, { subject: 1n });
        const signature = await signStep(credentials, signed, operators.ana);
        await credentials.performStep(signed, ROLES.BANK, signature);
        const other = { ...signed, subject: 2n };
        await expect(credentials.performStep(other, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesWrongChallenge")
          .withArgs(await digestOf(credentials, other));
      });

      it("refuses it for another action of the same proposal", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const signed = noOpStep(StepKind.Approve);
        const other = { ...signed, actionHash: id("another action") };
        await expect(credentials.performStep(other, ROLES.BANK, await signStep(credentials, signed, operators.ana)))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesWrongChallenge")
          .withArgs(await digestOf(credentials, other));
      });

      it("refuses it for another kind of step (an approval used as a rejection)", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const signed = noOpStep(StepKind.Approve);
        const other = { ...signed, kind: StepKind.Reject };
        await expect(credentials.performStep(other, ROLES.BANK, await signStep(credentials, signed, operators.ana)))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesWrongChallenge")
          .withArgs(await digestOf(credentials, other));
      });

      it("refuses it on another contract holding the same credentials", async function () {
        const { credentials, other, operators } = await loadFixture(twoDeploymentsFixture);
        const step = noOpStep(StepKind.Propose);
        const signature = await signStep(credentials, step, operators.ana);
        await credentials.performStep(step, ROLES.BANK, signature);
        await expect(other.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(other, "OperatorSignaturesWrongChallenge")
          .withArgs(await digestOf(other, step));
      });

      it("refuses a signature made for another chain", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Propose);
        const mainnet = operatorDomain(1n, await credentials.getAddress());
        const signature = signStepIn(mainnet, step, operators.ana.credentialId, operators.ana.holder);
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesWrongChallenge")
          .withArgs(await digestOf(credentials, step));
      });

      it("refuses a second signature over a step already performed (one step, one use)", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Withdraw);
        await credentials.performStep(step, ROLES.BANK, await signStep(credentials, step, operators.ana));
        // A fresh assertion over the same challenge is a different signature of the same step.
        await expect(credentials.performStep(step, ROLES.BANK, await signStep(credentials, step, operators.ana)))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsStepAlreadyUsed")
          .withArgs(await digestOf(credentials, step));
      });
    });

    describe("when the assertion breaks a WebAuthn rule", function () {
      it("refuses a challenge other than the step's digest", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Propose);
        const signature = await signStep(credentials, step, operators.ana, { challenge: id("some other digest") });
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesWrongChallenge")
          .withArgs(await digestOf(credentials, step));
      });

      it("refuses an assertion without user verification", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Approve);
        const signature = await signStep(credentials, step, operators.ana, { userNotVerified: true });
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesUserNotVerified")
          .withArgs("0x01");
      });

      it("refuses client data of another type (a registration, webauthn.create)", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Approve);
        const signature = await signStep(credentials, step, operators.ana, { clientDataType: "webauthn.create" });
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesWrongClientDataType")
          .withArgs(1n); // {"type":... starts at byte 1
      });

      it("refuses the high-s twin of a valid signature", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Approve);
        const signature = await signStep(credentials, step, operators.ana, { highS: true });
        const s = ethers.dataSlice(signature.signature, 32, 64); // the encoding's second word
        expect(BigInt(s) > P256_N / 2n).to.equal(true);
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesHighS")
          .withArgs(s);
      });

      it("refuses authenticator data changed after signing", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Approve);
        const signature = await signStep(credentials, step, operators.ana, { tampered: true });
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesInvalidSignature")
          .withArgs(await digestOf(credentials, step));
      });

      it("refuses another passkey's valid assertion presented as this credential's", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Approve);
        const signature = await signStep(credentials, step, { ...operators.ana, holder: operators.bo.holder });
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesInvalidSignature")
          .withArgs(await digestOf(credentials, step));
      });

      it("refuses bytes that are no WebAuthn assertion", async function () {
        const { credentials } = await loadFixture(deployCredentials);
        await expect(credentials.performStep(noOpStep(StepKind.Approve), ROLES.BANK, { credentialId: 1n, signature: "0x1234" }))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesMalformed")
          .withArgs(2n);
      });
    });

    describe("when the credential may not sign this step", function () {
      it("refuses an unknown credential", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Propose);
        const signature = await signStep(credentials, step, { ...operators.ana, credentialId: 99n });
        await expect(credentials.performStep(step, ethers.ZeroHash, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsCredentialNotActive")
          .withArgs(99n, CredentialStatus.None);
      });

      it("refuses a removed credential", async function () {
        const { credentials, operators } = await loadFixture(twoBankOperatorsFixture);
        await removeBy(credentials, operators.ana, [operators.carl]);
        const step = noOpStep(StepKind.Propose);
        await expect(credentials.performStep(step, ROLES.BANK, await signStep(credentials, step, operators.ana)))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsCredentialNotActive")
          .withArgs(1n, CredentialStatus.Removed);
      });

      it("refuses a credential of the other institution", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const step = noOpStep(StepKind.Approve);
        await expect(credentials.performStep(step, ROLES.BANK, await signStep(credentials, step, operators.bo)))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsWrongInstitution")
          .withArgs(2n, ROLES.CREDIT_CENTER, ROLES.BANK);
      });

      it("refuses a step after its notAfter", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const notAfter = BigInt(await time.latest()) + 60n;
        const step = noOpStep(StepKind.Propose, { notAfter });
        const signature = await signStep(credentials, step, operators.ana);
        await time.setNextBlockTimestamp(notAfter + 1n);
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsStepExpired")
          .withArgs(notAfter);
      });

      for (const name of RESERVED_KINDS) {
        it(`refuses a ${name} step, which only the module's own function performs`, async function () {
          const { credentials, operators } = await loadFixture(deployCredentials);
          const step = noOpStep(StepKind[name]);
          await expect(credentials.performStep(step, ROLES.BANK, await signStep(credentials, step, operators.ana)))
            .to.be.revertedWithCustomError(credentials, "OperatorCredentialsReservedStep")
            .withArgs(StepKind[name]);
        });
      }
    });

    describe("when an HSM key (secp256k1) signs", function () {
      it("accepts its EIP-712 signature once", async function () {
        const { credentials, operators } = await loadFixture(hsmFixture);
        const step = noOpStep(StepKind.Act);
        const signature = await signStep(credentials, step, operators.hsm);
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.emit(credentials, "OperatorStepVerified")
          .withArgs(await digestOf(credentials, step), operators.hsm.credentialId, StepKind.Act, 1n, id("action"));
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsStepAlreadyUsed")
          .withArgs(await digestOf(credentials, step));
      });

      it("refuses the high-s twin of its signature", async function () {
        const { credentials, operators } = await loadFixture(hsmFixture);
        const step = noOpStep(StepKind.Act);
        const signature = await signStep(credentials, step, operators.hsm, { highS: true });
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesHighS")
          .withArgs(ethers.dataSlice(signature.signature, 32, 64));
      });

      it("refuses another key's signature, naming the signer it recovers", async function () {
        const { credentials, operators } = await loadFixture(hsmFixture);
        const step = noOpStep(StepKind.Act);
        const stranger = hsmFor("stranger");
        const signature = await signStep(credentials, step, { ...operators.hsm, holder: { hsm: stranger } });
        await expect(credentials.performStep(step, ROLES.BANK, signature))
          .to.be.revertedWithCustomError(credentials, "OperatorSignaturesWrongSigner")
          .withArgs(hsmFor("bank").address, stranger.address);
      });
    });
  });

  describe("enrol", function () {
    describe("when the institution has one operator", function () {
      it("lets that operator alone enrol a second, attributing the step to it", async function () {
        const { credentials, operators, accounts } = await loadFixture(deployCredentials);
        const carl = keyOf({ passkey: passkeyFor("bank-carl") });
        const carlId = operatorIdFor("bank-carl");
        const step = enrolmentStep(ROLES.BANK, carlId, carl, id("salt"));
        const signature = await signStep(credentials, step, operators.ana);

        await expect(credentials.connect(accounts.relayer).enrol(ROLES.BANK, carlId, carl, id("salt"), NO_DEADLINE, [signature]))
          .to.emit(credentials, "CredentialEnrolled")
          .withArgs(3n, ROLES.BANK, carlId, keyTuple(carl))
          .and.to.emit(credentials, "OperatorStepVerified")
          .withArgs(await digestOf(credentials, step), 1n, StepKind.Enrol, 0n, enrolmentHash(ROLES.BANK, carlId, carl));
        expect((await credentials.credential(3)).status).to.equal(BigInt(CredentialStatus.Active));
        expect(await credentials.activeCredentials(ROLES.BANK)).to.deep.equal([1n, 3n]);
        expect(await credentials.activeOperatorCount(ROLES.BANK)).to.equal(2n);
        expect(await credentials.credentialOfKey(keyHash(carl))).to.equal(3n);
        expect(await credentials.institutionOfOperator(carlId)).to.equal(ROLES.BANK);
      });

      it("enrols an HSM key, and another credential of the same operator leaves one operator", async function () {
        const { credentials, operators } = await loadFixture(hsmFixture);
        const hsm = await credentials.credential(operators.hsm.credentialId);
        expect(hsm.kind).to.equal(BigInt(CredentialKind.Secp256k1));
        expect(hsm.signer).to.equal(hsmFor("bank").address);
        expect(await credentials.activeCredentials(ROLES.BANK)).to.deep.equal([1n, 3n]);
        expect(await credentials.activeOperatorCount(ROLES.BANK)).to.equal(1n);
      });
    });

    describe("when the institution has two operators or more", function () {
      it("refuses one operator's signature alone", async function () {
        const { credentials, operators } = await loadFixture(twoBankOperatorsFixture);
        const dora = keyOf({ passkey: passkeyFor("bank-dora") });
        const step = enrolmentStep(ROLES.BANK, operatorIdFor("bank-dora"), dora, id("salt"));
        const signature = await signStep(credentials, step, operators.ana);
        await expect(credentials.enrol(ROLES.BANK, operatorIdFor("bank-dora"), dora, id("salt"), NO_DEADLINE, [signature]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsQuorumNotMet")
          .withArgs(ROLES.BANK, 2n, 1n);
      });

      it("refuses two credentials of one operator as if they were two operators", async function () {
        const f = await loadFixture(twoBankOperatorsFixture);
        const anaHsm = await enrolOperator(f.credentials, ROLES.BANK, "ana-hsm", { hsm: hsmFor("ana") }, [f.operators.ana, f.operators.carl], f.operators.ana.operatorId);
        const dora = keyOf({ passkey: passkeyFor("bank-dora") });
        const step = enrolmentStep(ROLES.BANK, operatorIdFor("bank-dora"), dora, id("salt"));
        const signatures = [await signStep(f.credentials, step, f.operators.ana), await signStep(f.credentials, step, anaHsm)];
        await expect(f.credentials.enrol(ROLES.BANK, operatorIdFor("bank-dora"), dora, id("salt"), NO_DEADLINE, signatures))
          .to.be.revertedWithCustomError(f.credentials, "OperatorCredentialsDuplicateOperator")
          .withArgs(f.operators.ana.operatorId);
      });

      it("enrols with two operators' signatures over the one step", async function () {
        const { credentials, operators } = await loadFixture(threeBankOperatorsFixture);
        expect(operators.dora.credentialId).to.equal(4n);
        expect(await credentials.activeOperatorCount(ROLES.BANK)).to.equal(3n);
      });
    });

    describe("when a signer is of the other institution", function () {
      it("refuses a credit-center operator enrolling for the bank", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const mallory = keyOf({ passkey: passkeyFor("mallory") });
        const step = enrolmentStep(ROLES.BANK, operatorIdFor("mallory"), mallory, id("salt"));
        const signature = await signStep(credentials, step, operators.bo);
        await expect(credentials.enrol(ROLES.BANK, operatorIdFor("mallory"), mallory, id("salt"), NO_DEADLINE, [signature]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsWrongInstitution")
          .withArgs(2n, ROLES.CREDIT_CENTER, ROLES.BANK);
      });

      it("refuses a bank operator enrolling for the credit center", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const mallory = keyOf({ passkey: passkeyFor("mallory") });
        const step = enrolmentStep(ROLES.CREDIT_CENTER, operatorIdFor("mallory"), mallory, id("salt"));
        const signature = await signStep(credentials, step, operators.ana);
        await expect(credentials.enrol(ROLES.CREDIT_CENTER, operatorIdFor("mallory"), mallory, id("salt"), NO_DEADLINE, [signature]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsWrongInstitution")
          .withArgs(1n, ROLES.BANK, ROLES.CREDIT_CENTER);
      });

      it("refuses a bank operator ID for the credit center", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const key = keyOf({ passkey: passkeyFor("bo-second") });
        const step = enrolmentStep(ROLES.CREDIT_CENTER, operators.ana.operatorId, key, id("salt"));
        const signature = await signStep(credentials, step, operators.bo);
        await expect(credentials.enrol(ROLES.CREDIT_CENTER, operators.ana.operatorId, key, id("salt"), NO_DEADLINE, [signature]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsOperatorOfOtherInstitution")
          .withArgs(operators.ana.operatorId, ROLES.BANK);
      });
    });

    describe("when the enrolment cannot be made", function () {
      it("refuses the same signed enrolment twice", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const carl = keyOf({ passkey: passkeyFor("bank-carl") });
        const step = enrolmentStep(ROLES.BANK, operatorIdFor("bank-carl"), carl, id("salt"));
        const signature = await signStep(credentials, step, operators.ana);
        await credentials.enrol(ROLES.BANK, operatorIdFor("bank-carl"), carl, id("salt"), NO_DEADLINE, [signature]);
        await expect(credentials.enrol(ROLES.BANK, operatorIdFor("bank-carl"), carl, id("salt"), NO_DEADLINE, [signature]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsStepAlreadyUsed")
          .withArgs(await digestOf(credentials, step));
      });

      it("refuses a key registered before, even since removed", async function () {
        const { credentials, operators } = await loadFixture(twoBankOperatorsFixture);
        await removeBy(credentials, operators.ana, [operators.carl]);
        const ana = keyOf(operators.ana.holder);
        const step = enrolmentStep(ROLES.BANK, operators.ana.operatorId, ana, id("again"));
        const signature = await signStep(credentials, step, operators.carl);
        await expect(credentials.enrol(ROLES.BANK, operators.ana.operatorId, ana, id("again"), NO_DEADLINE, [signature]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsKeyAlreadyRegistered")
          .withArgs(keyHash(ana), 1n);
      });

      it("refuses an institution that is neither bank nor credit center", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const key = keyOf({ passkey: passkeyFor("x") });
        const step = enrolmentStep(ROLES.GATEWAY, operatorIdFor("x"), key, id("salt"));
        const signature = await signStep(credentials, step, operators.ana);
        await expect(credentials.enrol(ROLES.GATEWAY, operatorIdFor("x"), key, id("salt"), NO_DEADLINE, [signature]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsNotAnInstitution")
          .withArgs(ROLES.GATEWAY);
      });

      it("refuses a zero operator ID and a key of no valid kind", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        const cases: [string, CredentialKey, string, unknown[]][] = [
          [ethers.ZeroHash, keyOf({ passkey: passkeyFor("x") }), "OperatorCredentialsZeroOperatorId", []],
          [operatorIdFor("x"), secp256k1Key(ethers.ZeroAddress), "OperatorCredentialsInvalidKey", [CredentialKind.Secp256k1]],
          [operatorIdFor("x"), { ...secp256k1Key(hsmFor("x").address), qx: id("stray") }, "OperatorCredentialsInvalidKey", [CredentialKind.Secp256k1]],
          [operatorIdFor("x"), { ...secp256k1Key(ethers.ZeroAddress), kind: CredentialKind.None }, "OperatorCredentialsInvalidKey", [CredentialKind.None]],
        ];
        for (const [operatorId, key, error, args] of cases) {
          const step = enrolmentStep(ROLES.BANK, operatorId, key, id("salt"));
          const signature = await signStep(credentials, step, operators.ana);
          await expect(credentials.enrol(ROLES.BANK, operatorId, key, id("salt"), NO_DEADLINE, [signature]))
            .to.be.revertedWithCustomError(credentials, error)
            .withArgs(...args);
        }
      });

      it(`refuses a credential beyond the institution's ${MAX_ACTIVE_CREDENTIALS}`, async function () {
        const { credentials, signer } = await loadFixture(fullBankFixture);
        expect(await credentials.activeCredentials(ROLES.BANK)).to.have.length(Number(MAX_ACTIVE_CREDENTIALS));
        const key = secp256k1Key(hsmFor("one too many").address);
        const step = enrolmentStep(ROLES.BANK, signer.operatorId, key, id("salt"));
        const signature = await signStep(credentials, step, signer);
        await expect(credentials.enrol(ROLES.BANK, signer.operatorId, key, id("salt"), NO_DEADLINE, [signature]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsTooManyCredentials")
          .withArgs(ROLES.BANK, MAX_ACTIVE_CREDENTIALS);
      });
    });
  });

  describe("remove", function () {
    describe("when the quorum signs", function () {
      it("removes at once: the credential's very next step is refused", async function () {
        const { credentials, operators } = await loadFixture(twoBankOperatorsFixture);
        await expect(removeBy(credentials, operators.ana, [operators.carl]))
          .to.emit(credentials, "CredentialRemoved")
          .withArgs(1n, ROLES.BANK)
          .and.to.emit(credentials, "OperatorStepVerified")
          .withArgs(
            await digestOf(credentials, removalStep(1n, keyOf(operators.ana.holder), id("remove"))),
            operators.carl.credentialId,
            StepKind.Remove,
            1n,
            keyHash(keyOf(operators.ana.holder)),
          );
        const removed = await credentials.credential(1);
        expect(removed.status).to.equal(BigInt(CredentialStatus.Removed));
        expect(removed.removedAt).to.equal(BigInt(await time.latest()));
        expect(await credentials.activeCredentials(ROLES.BANK)).to.deep.equal([operators.carl.credentialId]);
        expect(await credentials.activeOperatorCount(ROLES.BANK)).to.equal(1n);

        const step = noOpStep(StepKind.Propose);
        await expect(credentials.performStep(step, ROLES.BANK, await signStep(credentials, step, operators.ana)))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsCredentialNotActive")
          .withArgs(1n, CredentialStatus.Removed);
      });

      it("lets an operator remove a credential of their own alone", async function () {
        const { credentials, operators } = await loadFixture(threeBankOperatorsFixture);
        await expect(removeBy(credentials, operators.dora, [operators.dora]))
          .to.emit(credentials, "CredentialRemoved")
          .withArgs(operators.dora.credentialId, ROLES.BANK);
        expect(await credentials.activeOperatorCount(ROLES.BANK)).to.equal(2n);
      });

      it("with three operators, removes by two of the others", async function () {
        const { credentials, operators } = await loadFixture(threeBankOperatorsFixture);
        await expect(removeBy(credentials, operators.ana, [operators.carl, operators.dora]))
          .to.emit(credentials, "CredentialRemoved")
          .withArgs(1n, ROLES.BANK);
      });
    });

    describe("when the quorum is not met", function () {
      it("refuses one other operator alone when the institution has three", async function () {
        const { credentials, operators } = await loadFixture(threeBankOperatorsFixture);
        await expect(removeBy(credentials, operators.ana, [operators.carl]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsQuorumNotMet")
          .withArgs(ROLES.BANK, 2n, 1n);
      });

      it("does not count the removed credential's own operator among the two", async function () {
        const { credentials, operators } = await loadFixture(threeBankOperatorsFixture);
        await expect(removeBy(credentials, operators.ana, [operators.ana, operators.carl]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsQuorumNotMet")
          .withArgs(ROLES.BANK, 2n, 1n);
      });

      it("refuses no signature at all", async function () {
        const { credentials, operators } = await loadFixture(twoBankOperatorsFixture);
        await expect(removeBy(credentials, operators.ana, []))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsQuorumNotMet")
          .withArgs(ROLES.BANK, 1n, 0n);
      });
    });

    describe("when the removal cannot be made", function () {
      it("refuses a credit-center operator removing a bank credential", async function () {
        const { credentials, operators } = await loadFixture(deployCredentials);
        await expect(removeBy(credentials, operators.ana, [operators.bo]))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsWrongInstitution")
          .withArgs(2n, ROLES.CREDIT_CENTER, ROLES.BANK);
      });

      it("refuses removing a credential twice", async function () {
        const { credentials, operators } = await loadFixture(twoBankOperatorsFixture);
        await removeBy(credentials, operators.ana, [operators.carl]);
        await expect(removeBy(credentials, operators.ana, [operators.carl], id("again")))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsCredentialNotActive")
          .withArgs(1n, CredentialStatus.Removed);
      });
    });
  });

  describe("redeemEnrolmentCode", function () {
    async function redeem(
      credentials: OperatorCredentialsHarness,
      code: string,
      signedKey: CredentialKey,
      sentKey = signedKey,
      institution = ROLES.BANK,
    ) {
      const operatorId = operatorIdFor("bank-ana");
      const step = codeRedemptionStep(institution, operatorId, signedKey, id("salt"));
      const digest = stepDigest(await domainOf(credentials), step);
      const signature = codeWallet(code).signingKey.sign(digest);
      const tx = credentials.redeemEnrolmentCode(institution, operatorId, sentKey, id("salt"), NO_DEADLINE, encodeSecp256k1Signature(signature));
      return { tx, signature };
    }

    it("enrols the institution's first operator and forgets the code", async function () {
      const { credentials, accounts } = await loadFixture(enrolmentCodeFixture);
      const ana = keyOf({ passkey: passkeyFor("bank-ana") });
      const { tx } = await redeem(credentials.connect(accounts.relayer), BANK_CODE, ana);
      await expect(tx)
        .to.emit(credentials, "CredentialEnrolled")
        .withArgs(2n, ROLES.BANK, operatorIdFor("bank-ana"), keyTuple(ana))
        .and.to.emit(credentials, "EnrolmentCodeRedeemed")
        .withArgs(ROLES.BANK, 2n);
      expect(await credentials.enrolmentCode(ROLES.BANK)).to.equal(ethers.ZeroAddress);
      expect(await credentials.activeCredentials(ROLES.BANK)).to.deep.equal([2n]);
    });

    it("works once", async function () {
      const { credentials } = await loadFixture(enrolmentCodeFixture);
      await (await redeem(credentials, BANK_CODE, keyOf({ passkey: passkeyFor("bank-ana") }))).tx;
      const { tx } = await redeem(credentials, BANK_CODE, keyOf({ passkey: passkeyFor("bank-eve") }));
      await expect(tx).to.be.revertedWithCustomError(credentials, "OperatorCredentialsNoEnrolmentCode").withArgs(ROLES.BANK);
    });

    it("refuses another key than the one the code signed for (a relayer cannot substitute its own)", async function () {
      const { credentials } = await loadFixture(enrolmentCodeFixture);
      const ana = keyOf({ passkey: passkeyFor("bank-ana") });
      const relayers = keyOf({ passkey: passkeyFor("relayer's") });
      const { tx, signature } = await redeem(credentials, BANK_CODE, ana, relayers);
      const sent = stepDigest(await domainOf(credentials), codeRedemptionStep(ROLES.BANK, operatorIdFor("bank-ana"), relayers, id("salt")));
      await expect(tx)
        .to.be.revertedWithCustomError(credentials, "OperatorCredentialsWrongEnrolmentCode")
        .withArgs(ROLES.BANK, recoverAddress(sent, signature));
    });

    it("refuses a wrong code", async function () {
      const { credentials } = await loadFixture(enrolmentCodeFixture);
      const { tx } = await redeem(credentials, "a guess", keyOf({ passkey: passkeyFor("bank-ana") }));
      await expect(tx)
        .to.be.revertedWithCustomError(credentials, "OperatorCredentialsWrongEnrolmentCode")
        .withArgs(ROLES.BANK, codeWallet("a guess").address);
    });

    it("refuses an institution whose first operator was named by key", async function () {
      const { credentials } = await loadFixture(enrolmentCodeFixture);
      const { tx } = await redeem(credentials, BANK_CODE, keyOf({ passkey: passkeyFor("credit-eve") }), undefined, ROLES.CREDIT_CENTER);
      await expect(tx).to.be.revertedWithCustomError(credentials, "OperatorCredentialsNoEnrolmentCode").withArgs(ROLES.CREDIT_CENTER);
    });
  });

  describe("recovery", function () {
    describe("proposeRecovery", function () {
      it("schedules the new first credential RECOVERY_DELAY after the request", async function () {
        const { credentials, accounts } = await loadFixture(deployCredentials);
        const dan = keyOf({ passkey: passkeyFor("bank-dan") });
        const at = BigInt(await time.latest()) + 60n;
        await time.setNextBlockTimestamp(at);
        await expect(credentials.connect(accounts.governance).proposeRecovery(ROLES.BANK, operatorIdFor("bank-dan"), dan))
          .to.emit(credentials, "RecoveryProposed")
          .withArgs(ROLES.BANK, 1n, operatorIdFor("bank-dan"), keyTuple(dan), at + RECOVERY_DELAY);
        expect(await credentials.RECOVERY_DELAY()).to.equal(RECOVERY_DELAY);
        const pending = await credentials.pendingRecovery(ROLES.BANK);
        expect([pending.recoveryId, pending.effectiveAt]).to.deep.equal([1n, at + RECOVERY_DELAY]);
      });

      it("refuses anyone but governance", async function () {
        const { credentials, accounts } = await loadFixture(deployCredentials);
        const dan = keyOf({ passkey: passkeyFor("bank-dan") });
        for (const account of [accounts.relayer, accounts.outsider]) {
          await expect(credentials.connect(account).proposeRecovery(ROLES.BANK, operatorIdFor("bank-dan"), dan))
            .to.be.revertedWithCustomError(credentials, "OperatorCredentialsNotGovernance")
            .withArgs(account.address);
        }
      });

      it("refuses a second recovery while one is pending, for either institution", async function () {
        const { credentials, accounts, effectiveAt } = await loadFixture(recoveryFixture);
        const eve = keyOf({ passkey: passkeyFor("eve") });
        for (const institution of [ROLES.BANK, ROLES.CREDIT_CENTER]) {
          await expect(credentials.connect(accounts.governance).proposeRecovery(institution, operatorIdFor("eve"), eve))
            .to.be.revertedWithCustomError(credentials, "OperatorCredentialsRecoveryPending")
            .withArgs(ROLES.BANK, effectiveAt);
        }
      });

      it("refuses a key ever registered, such as the other institution's", async function () {
        const { credentials, accounts, operators } = await loadFixture(deployCredentials);
        const bo = keyOf(operators.bo.holder);
        await expect(credentials.connect(accounts.governance).proposeRecovery(ROLES.BANK, operatorIdFor("bank-dan"), bo))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsKeyAlreadyRegistered")
          .withArgs(keyHash(bo), 2n);
      });
    });

    describe("completeRecovery", function () {
      it("refuses before the delay has passed", async function () {
        const { credentials, effectiveAt } = await loadFixture(recoveryFixture);
        await time.setNextBlockTimestamp(effectiveAt - 1n);
        await expect(credentials.completeRecovery(ROLES.BANK))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsRecoveryNotDue")
          .withArgs(ROLES.BANK, effectiveAt);
      });

      it("at the delay, removes the institution's credentials and enrols the new one; anyone may complete it", async function () {
        const { credentials, accounts, operators, dan, danKey, effectiveAt } = await loadFixture(recoveryFixture);
        await time.setNextBlockTimestamp(effectiveAt);
        await expect(credentials.connect(accounts.outsider).completeRecovery(ROLES.BANK))
          .to.emit(credentials, "CredentialRemoved")
          .withArgs(1n, ROLES.BANK)
          .and.to.emit(credentials, "CredentialRemoved")
          .withArgs(operators.carl.credentialId, ROLES.BANK)
          .and.to.emit(credentials, "CredentialEnrolled")
          .withArgs(4n, ROLES.BANK, operatorIdFor("bank-dan"), keyTuple(danKey))
          .and.to.emit(credentials, "RecoveryCompleted")
          .withArgs(ROLES.BANK, 1n, 4n);
        expect(await credentials.activeCredentials(ROLES.BANK)).to.deep.equal([4n]);
        expect(await credentials.activeOperatorCount(ROLES.BANK)).to.equal(1n);
        expect(await credentials.activeCredentials(ROLES.CREDIT_CENTER)).to.deep.equal([2n]);
        expect((await credentials.pendingRecovery(ROLES.BANK)).recoveryId).to.equal(0n);

        const step = noOpStep(StepKind.Propose);
        const danOperator: Operator = { credentialId: 4n, operatorId: operatorIdFor("bank-dan"), institution: ROLES.BANK, holder: dan };
        await expect(credentials.performStep(step, ROLES.BANK, await signStep(credentials, step, operators.ana)))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsCredentialNotActive")
          .withArgs(1n, CredentialStatus.Removed);
        await expect(credentials.performStep(step, ROLES.BANK, await signStep(credentials, step, danOperator)))
          .to.emit(credentials, "OperatorStepVerified");
      });

      it("forgets an enrolment code the institution never used", async function () {
        const { credentials, accounts } = await loadFixture(enrolmentCodeFixture);
        const dan = keyOf({ passkey: passkeyFor("bank-dan") });
        await credentials.connect(accounts.governance).proposeRecovery(ROLES.BANK, operatorIdFor("bank-dan"), dan);
        await time.increase(RECOVERY_DELAY);
        await expect(credentials.completeRecovery(ROLES.BANK))
          .to.emit(credentials, "RecoveryCompleted")
          .withArgs(ROLES.BANK, 1n, 2n);
        expect(await credentials.enrolmentCode(ROLES.BANK)).to.equal(ethers.ZeroAddress);
      });

      it("refuses when no recovery is pending", async function () {
        const { credentials } = await loadFixture(deployCredentials);
        await expect(credentials.completeRecovery(ROLES.BANK))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsNoRecovery")
          .withArgs(ROLES.BANK);
      });
    });

    describe("vetoRecovery", function () {
      it("lets an active credential of the institution veto it, after which it cannot complete", async function () {
        const { credentials, operators, danKey, effectiveAt } = await loadFixture(recoveryFixture);
        const step = recoveryVetoStep(1n, danKey, id("veto"));
        await expect(credentials.vetoRecovery(ROLES.BANK, id("veto"), NO_DEADLINE, await signStep(credentials, step, operators.ana)))
          .to.emit(credentials, "RecoveryVetoed")
          .withArgs(ROLES.BANK, 1n, 1n)
          .and.to.emit(credentials, "OperatorStepVerified")
          .withArgs(await digestOf(credentials, step), 1n, StepKind.VetoRecovery, 1n, keyHash(danKey));
        await time.increaseTo(effectiveAt);
        await expect(credentials.completeRecovery(ROLES.BANK))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsNoRecovery")
          .withArgs(ROLES.BANK);
      });

      it("refuses a veto by the other institution", async function () {
        const { credentials, operators, danKey } = await loadFixture(recoveryFixture);
        const step = recoveryVetoStep(1n, danKey, id("veto"));
        await expect(credentials.vetoRecovery(ROLES.BANK, id("veto"), NO_DEADLINE, await signStep(credentials, step, operators.bo)))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsWrongInstitution")
          .withArgs(2n, ROLES.CREDIT_CENTER, ROLES.BANK);
      });
    });

    describe("cancelRecovery", function () {
      it("lets governance withdraw its proposal", async function () {
        const { credentials, accounts } = await loadFixture(recoveryFixture);
        await expect(credentials.connect(accounts.governance).cancelRecovery(ROLES.BANK))
          .to.emit(credentials, "RecoveryCancelled")
          .withArgs(ROLES.BANK, 1n);
        expect((await credentials.pendingRecovery(ROLES.BANK)).recoveryId).to.equal(0n);
      });

      it("refuses anyone else", async function () {
        const { credentials, accounts } = await loadFixture(recoveryFixture);
        await expect(credentials.connect(accounts.outsider).cancelRecovery(ROLES.BANK))
          .to.be.revertedWithCustomError(credentials, "OperatorCredentialsNotGovernance")
          .withArgs(accounts.outsider.address);
      });
    });
  });

  describe("hashStep", function () {
    it("agrees with the TypeScript digest a credential signs", async function () {
      const { credentials } = await loadFixture(deployCredentials);
      const step = noOpStep(StepKind.Confirm, { subject: 2n ** 200n, notAfter: 12345n });
      expect(await credentials.hashStep(step)).to.equal(await digestOf(credentials, step));
    });
  });

  describe("gas", function () {
    // Hardhat's network has no P-256 precompile: a passkey is verified by OpenZeppelin's Solidity
    // fallback. Whole transactions, from receipts; `npm run bench:operators` prints the figures
    // (a passkey step: median 424,651 gas over 20 signatures, 420,251 to 429,051; an HSM step 64,326).
    it("a passkey-verified step costs under 440,000 gas; an HSM-verified one under 70,000", async function () {
      const { credentials, operators } = await loadFixture(hsmFixture);
      const passkeyStep = noOpStep(StepKind.Approve);
      const hsmStep = noOpStep(StepKind.Act);
      const passkey = await (await credentials.performStep(passkeyStep, ROLES.BANK, await signStep(credentials, passkeyStep, operators.ana))).wait();
      const hsm = await (await credentials.performStep(hsmStep, ROLES.BANK, await signStep(credentials, hsmStep, operators.hsm))).wait();
      expect(passkey!.gasUsed).to.be.lessThan(440_000n);
      expect(hsm!.gasUsed).to.be.lessThan(70_000n);
    });
  });
});
