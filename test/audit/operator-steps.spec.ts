import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { Wallet, id, keccak256, type BaseContract, type Signer } from "ethers";
import {
  CredenceOperators__factory,
  CredenceRegistry__factory,
  ForwardingRelayer__factory,
  LaxCredenceOperators__factory,
  PointsLedger__factory,
} from "../../typechain-types";
import { DEFAULT_ADMIN_DELAY, deployCredence, secp256k1InitialOperator } from "../../src/chain/deploy";
import type { DeploymentRecord } from "../../src/chain/deployment";
import { ROLES } from "../../src/chain/roles";
import {
  NO_DEADLINE,
  OPERATOR_STEP_TYPES,
  StepKind,
  codeRedemptionStep,
  encodeSecp256k1Signature,
  recoveryVetoStep,
  removalStep,
  secp256k1Key,
  stepDigest,
  type OperatorStep,
} from "../../src/domain/operator-steps";
import { RECOVERY_DELAY } from "../../src/audit/operator-steps";
import { CardKind, cardIdFor, enrolAccount, keyFor, latestTime, proposeAndGetId, removeAccountCredential } from "../helpers/suite";
import { voidAction } from "../helpers/ledger-ops";
import { domainOf, initialCode, keyOf, operatorIdFor, passkeyFor, signStep, type Fault, type Operator } from "../helpers/operators";
import { acting, dual, enrolHolder } from "../helpers/dual-control";
import { audit, codes, deployAuditedLedger } from "./helpers/audit-fixture";

/** An issueCard action for a fresh card named by `label`. */
function issueAction(registry: { interface: { encodeFunctionData(name: "issueCard", args: unknown[]): string } }, label: string): string {
  return registry.interface.encodeFunctionData("issueCard", [cardIdFor(label), CardKind.Consumer, keyFor(label).address, id(label)]);
}

/** `signer`'s (a secp256k1 credential's) signature over one of the credentials contract's own steps. */
async function hsmSignature(operators: BaseContract, credentialId: bigint, signer: Signer, step: OperatorStep) {
  return { credentialId, signature: await signer.signTypedData(await domainOf(operators), OPERATOR_STEP_TYPES, step) };
}

/**
 * The production contracts, with every kind of step performed once or more, by passkeys and by
 * secp256k1 credentials, relayed by an account that is no credential: proposals approved,
 * withdrawn and rejected on the registry, the ledger and CreditGrants; an act; an enrolment by two
 * operators; a removal by two others; a recovery vetoed; a recovery completed after its delay.
 */
async function everyStepKind() {
  const f = await deployAuditedLedger();
  const { operators, registry, ledger, creditGrants, accounts, consumers } = f;
  const relayer = accounts.outsider;
  const ana = await enrolHolder(operators, ROLES.BANK, "steps:bank-ana", { passkey: passkeyFor("steps:bank-ana") }, [accounts.bank, accounts.bank2]);
  const bo = await enrolHolder(operators, ROLES.CREDIT_CENTER, "steps:credit-bo", { passkey: passkeyFor("steps:credit-bo") }, [accounts.creditCenter, accounts.creditCenter2]);
  // Registry: a passkey proposes, a passkey of the other institution approves (the card is issued).
  const issue = issueAction(registry, "steps:card");
  await (await dual(registry, ana, relayer).propose(issue)).wait();
  await (await dual(registry, bo, relayer).approve(await registry.proposalCount(), issue)).wait();
  // Ledger: an HSM proposes a correction; a passkey of the proposer's institution withdraws it.
  const correction = voidAction(ledger, { cardId: consumers[0].cardId, merchantId: 1n, points: 1n, creditPoints: 0n, reasonCode: 7 });
  await (await dual(ledger, ana, relayer).withdraw(await proposeAndGetId(ledger, accounts.bank, correction))).wait();
  // CreditGrants: the credit center proposes a revocation; the bank's passkey rejects it.
  const revocation = creditGrants.interface.encodeFunctionData("revokeCredit", [consumers[1].cardId]);
  await (await dual(creditGrants, ana, relayer).reject(await proposeAndGetId(creditGrants, accounts.creditCenter, revocation))).wait();
  // Registry: the bank's passkey acts alone on a bank function.
  await (await acting(registry, ana, relayer).setCreditPointRule(150)).wait();
  // Removal of the bank 2's credential (3) by two other operators: a passkey and an HSM.
  const removal = removalStep(3n, secp256k1Key(await accounts.bank2.getAddress()), id("steps:remove"));
  const removers = [await signStep(operators, removal, ana), await hsmSignature(operators, 1n, accounts.bank, removal)];
  await (await operators.connect(relayer).remove(3n, removal.salt, NO_DEADLINE, removers)).wait();
  // Recovery of the credit center: proposed, vetoed by its passkey; proposed again and completed when due.
  const governance = operators.connect(accounts.governance);
  const newKey = keyOf({ passkey: passkeyFor("steps:credit-new") });
  await (await governance.proposeRecovery(ROLES.CREDIT_CENTER, operatorIdFor("steps:credit-new"), newKey)).wait();
  const veto = recoveryVetoStep(1n, newKey, id("steps:veto"));
  await (await operators.connect(relayer).vetoRecovery(ROLES.CREDIT_CENTER, veto.salt, NO_DEADLINE, await signStep(operators, veto, bo))).wait();
  await (await governance.proposeRecovery(ROLES.CREDIT_CENTER, operatorIdFor("steps:credit-new"), newKey)).wait();
  await time.increase(RECOVERY_DELAY);
  await (await operators.connect(relayer).completeRecovery(ROLES.CREDIT_CENTER)).wait();
  return { ...f, ana, deployment: { ...f.deployment, creditGrants: await creditGrants.getAddress() } };
}

/** A deployment whose credit center's first operator came with an enrolment code, redeemed for a passkey. */
async function redeemedCode(): Promise<DeploymentRecord> {
  const [governance, bank] = await ethers.getSigners();
  const code = new Wallet(id("steps:enrolment-code"));
  const { operators, registry, ledger, deploymentBlock } = await deployCredence(
    governance,
    { gateway: [] },
    { bank: secp256k1InitialOperator(operatorIdFor("bank"), bank.address), creditCenter: initialCode(code.address) },
  );
  const key = keyOf({ passkey: passkeyFor("steps:redeemed") });
  const step = codeRedemptionStep(ROLES.CREDIT_CENTER, operatorIdFor("steps:redeemed"), key, id("steps:redeem"));
  const signature = encodeSecp256k1Signature(code.signingKey.sign(stepDigest(await domainOf(operators), step)));
  await (await operators.redeemEnrolmentCode(ROLES.CREDIT_CENTER, operatorIdFor("steps:redeemed"), key, step.salt, NO_DEADLINE, signature)).wait();
  return {
    chainId: (await ethers.provider.getNetwork()).chainId.toString(),
    operators: await operators.getAddress(),
    registry: await registry.getAddress(),
    ledger: await ledger.getAddress(),
    deploymentBlock,
  };
}

/**
 * A registry and a ledger whose credentials contract is LaxCredenceOperators
 * (contracts/testing): credential 1 the bank, 2 the credit center, 3 the bank 2 (secp256k1 keys
 * of the suite's accounts). Each test switches one of its faults on.
 */
async function laxOperators() {
  const [governance, bank, creditCenter, , outsider, bank2] = await ethers.getSigners();
  const lax = await new LaxCredenceOperators__factory(governance).deploy(
    secp256k1InitialOperator(operatorIdFor("bank"), bank.address),
    secp256k1InitialOperator(operatorIdFor("credit-center"), creditCenter.address),
  );
  const deploymentBlock = (await lax.deploymentTransaction()!.wait())!.blockNumber;
  const registry = await new CredenceRegistry__factory(governance).deploy(DEFAULT_ADMIN_DELAY, governance.address, await lax.getAddress(), 0, [], []);
  const ledger = await new PointsLedger__factory(governance).deploy(await registry.getAddress());
  await ledger.waitForDeployment();
  await (await registry.setLedger(await ledger.getAddress())).wait();
  // The lax contract has CredenceOperators' functions, so the test helpers drive it through its ABI.
  const operators = CredenceOperators__factory.connect(await lax.getAddress(), governance);
  await enrolAccount(operators, ROLES.BANK, operatorIdFor("bank2"), bank2, bank);
  const deployment: DeploymentRecord = {
    chainId: (await ethers.provider.getNetwork()).chainId.toString(),
    operators: await lax.getAddress(),
    registry: await registry.getAddress(),
    ledger: await ledger.getAddress(),
    deploymentBlock,
  };
  return { lax, operators, registry, deployment, accounts: { bank, creditCenter, outsider, bank2 } };
}

describe("auditor: operator steps re-verified", function () {
  describe("on the production contracts", function () {
    it("finds no discrepancy when every kind of step is performed by passkeys and secp256k1 credentials", async function () {
      const f = await loadFixture(everyStepKind);
      const report = await audit(f.deployment);
      expect(report.discrepancies).to.deep.equal([]);
      // The fixture's 26 secp256k1 steps (proposals, approvals and the bank's acts that register
      // merchants and terminals), then 2 x 2 (enrolments) + 2 (issue) + 2 (correction) +
      // 2 (revocation) + 1 (act) + 2 (removal) + 1 (veto).
      expect(report.counts.operatorSteps).to.equal(26 + 14);
    });

    it("finds no discrepancy in an enrolment code's redemption", async function () {
      const report = await audit(await loadFixture(redeemedCode));
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts.operatorSteps).to.equal(1);
    });

    it("reports a step relayed through another contract, whose signature it cannot re-verify", async function () {
      const f = await loadFixture(deployAuditedLedger);
      const relay = await new ForwardingRelayer__factory(f.accounts.outsider).deploy();
      const action = issueAction(f.registry, "steps:forwarded");
      const step = await dual(f.registry, f.accounts.bank).step(StepKind.Propose, 0n, keccak256(action));
      await (await relay.forward(await f.registry.getAddress(), f.registry.interface.encodeFunctionData("propose", [action, step]))).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["operator_step.undecodable"]);
      expect(report.discrepancies[0].message).to.contain(`credential ${1n}`);
    });
  });

  describe("on a credentials contract that accepts what it should refuse (contracts/testing/LaxCredenceOperators.sol)", function () {
    const LaxFault = { SkipSignature: 0, MisreportInstitution: 1, AcceptRemovedCredential: 2, AcceptReplay: 3, AcceptExpired: 4, SkipQuorum: 5, HideStep: 6, AcceptEarlyRecovery: 7 } as const;

    it("is clean while every check is kept", async function () {
      const f = await loadFixture(laxOperators);
      const issue = issueAction(f.registry, "lax:honest");
      await (await dual(f.registry, f.accounts.bank).propose(issue)).wait();
      await (await dual(f.registry, f.accounts.creditCenter).approve(1n, issue)).wait();
      const report = await audit(f.deployment);
      expect(report.discrepancies).to.deep.equal([]);
      expect(report.counts.operatorSteps).to.equal(1 + 2);
    });

    it("names a step whose secp256k1 signature is by another credential's key", async function () {
      const f = await loadFixture(laxOperators);
      await (await f.lax.setFault(LaxFault.SkipSignature, true)).wait();
      // The bank's key signs as credential 2, the credit center's.
      await (await dual(f.registry, f.accounts.bank).propose(issueAction(f.registry, "lax:forged"), { credentialId: 2n })).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["operator_step.bad_signature"]);
      expect(report.discrepancies[0].message).to.contain(`signed by ${f.accounts.bank.address}`);
    });

    /** The bank's passkey operator proposes with `fault` built into her signature; the contract skips signature checks. */
    async function auditFaultyPasskeyStep(fault: Fault) {
      const f = await loadFixture(laxOperators);
      const ana: Operator = await enrolHolder(f.operators, ROLES.BANK, "lax:ana", { passkey: passkeyFor("lax:ana") }, [f.accounts.bank, f.accounts.bank2]);
      await (await f.lax.setFault(LaxFault.SkipSignature, true)).wait();
      await (await dual(f.registry, ana, f.accounts.outsider).propose(issueAction(f.registry, "lax:passkey"), { fault })).wait();
      return audit(f.deployment);
    }

    it("names a passkey step asserted without user verification", async function () {
      const report = await auditFaultyPasskeyStep({ userNotVerified: true });
      expect(codes(report)).to.deep.equal(["operator_step.bad_signature"]);
      expect(report.discrepancies[0].message).to.match(/lack user presence or verification/);
    });

    it("names a passkey step whose authenticator data was altered after it was signed", async function () {
      const report = await auditFaultyPasskeyStep({ tampered: true });
      expect(codes(report)).to.deep.equal(["operator_step.bad_signature"]);
      expect(report.discrepancies[0].message).to.match(/the P-256 signature does not verify/);
    });

    it("names a rejection signed by the proposer's own institution", async function () {
      const f = await loadFixture(laxOperators);
      await (await dual(f.registry, f.accounts.bank).propose(issueAction(f.registry, "lax:own-reject"))).wait();
      await (await f.lax.setFault(LaxFault.MisreportInstitution, true)).wait();
      await (await dual(f.registry, f.accounts.bank2).reject(1n)).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["operator_step.wrong_institution"]);
      expect(report.discrepancies[0].message).to.contain("credential 3 of the bank");
    });

    it("names a bank act signed by the credit center", async function () {
      const f = await loadFixture(laxOperators);
      await (await f.lax.setFault(LaxFault.MisreportInstitution, true)).wait();
      await (await acting(f.registry, f.accounts.creditCenter).setCreditPointRule(150)).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["operator_step.wrong_institution"]);
      expect(report.discrepancies[0].message).to.contain("credential 2 of the credit center; it needs the bank");
    });

    it("names a step signed by a removed credential", async function () {
      const f = await loadFixture(laxOperators);
      await removeAccountCredential(f.operators, f.accounts.bank2);
      await (await f.lax.setFault(LaxFault.AcceptRemovedCredential, true)).wait();
      await (await dual(f.registry, f.accounts.bank2, f.accounts.outsider).propose(issueAction(f.registry, "lax:removed"), { credentialId: 3n })).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["operator_step.inactive_credential"]);
      expect(report.discrepancies[0].message).to.contain("credential 3, removed");
    });

    it("names a step whose digest was consumed before", async function () {
      const f = await loadFixture(laxOperators);
      await (await f.lax.setFault(LaxFault.AcceptReplay, true)).wait();
      const action = issueAction(f.registry, "lax:replayed");
      const step = await dual(f.registry, f.accounts.bank).step(StepKind.Propose, 0n, keccak256(action));
      await (await f.registry.connect(f.accounts.outsider).propose(action, step)).wait();
      await (await f.registry.connect(f.accounts.outsider).propose(action, step)).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["operator_step.replayed"]);
      expect(report.discrepancies).to.have.length(1);
    });

    it("names a step performed after its notAfter", async function () {
      const f = await loadFixture(laxOperators);
      await (await f.lax.setFault(LaxFault.AcceptExpired, true)).wait();
      const notAfter = (await latestTime()) - 1n;
      await (await dual(f.registry, f.accounts.bank).propose(issueAction(f.registry, "lax:late"), { notAfter })).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["operator_step.expired"]);
      expect(report.discrepancies[0].message).to.contain(`after its notAfter ${notAfter}`);
    });

    it("names an enrolment signed by one operator of an institution that has two", async function () {
      const f = await loadFixture(laxOperators);
      await (await f.lax.setFault(LaxFault.SkipQuorum, true)).wait();
      await enrolAccount(f.operators, ROLES.BANK, operatorIdFor("lax:bank3"), f.accounts.outsider, f.accounts.bank);
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["operator_step.quorum_not_met"]);
      expect(report.discrepancies[0].message).to.contain("1 signatures, the institution's quorum is 2");
    });

    it("names a step the contract performed without an OperatorStepVerified event", async function () {
      const f = await loadFixture(laxOperators);
      await (await f.lax.setFault(LaxFault.HideStep, true)).wait();
      await (await dual(f.registry, f.accounts.creditCenter).propose(issueAction(f.registry, "lax:hidden"))).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["operator_step.unverified"]);
      expect(report.discrepancies[0].message).to.contain("Propose step signed by credential 2");
    });

    it("names a recovery completed before its delay", async function () {
      const f = await loadFixture(laxOperators);
      await (await f.operators.proposeRecovery(ROLES.CREDIT_CENTER, operatorIdFor("lax:recovered"), keyOf({ passkey: passkeyFor("lax:recovered") }))).wait();
      await (await f.lax.setFault(LaxFault.AcceptEarlyRecovery, true)).wait();
      await time.increase(RECOVERY_DELAY - 60n);
      await (await f.operators.completeRecovery(ROLES.CREDIT_CENTER)).wait();
      const report = await audit(f.deployment);
      expect(codes(report)).to.deep.equal(["operator_step.recovery_not_due"]);
      expect(report.discrepancies[0].message).to.match(/^recovery 1 completed at \d+, proposed at \d+, due at \d+$/);
    });
  });
});
