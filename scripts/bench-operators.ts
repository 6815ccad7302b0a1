/**
 * Gas of operator steps (contracts/access/OperatorCredentials.sol through the test-only harness,
 * and dual control's propose and approve and a single-institution act on the registry through
 * CredenceOperators),
 * from transaction receipts on Hardhat's in-process network, which has no P-256 precompile: a
 * passkey's signature is verified by OpenZeppelin's Solidity fallback. Each figure is the whole
 * transaction (21,000 base, calldata, the consumed-digest slot, the event and the verification);
 * passkey figures vary with the signature, so they are taken over RUNS fresh signatures.
 *
 *   npm run bench:operators
 */
import { id, type ContractTransactionResponse } from "ethers";
import { ROLES } from "../src/chain/roles";
import { CardKind, cardIdFor, deploySuite, keyFor } from "../test/helpers/suite";
import { actionOf, dual, enrolHolder, type Actor } from "../test/helpers/dual-control";
import { NO_DEADLINE, StepKind, enrolmentStep } from "../src/domain/operator-steps";
import { deployCredentials, enrolOperator, hsmFor, keyOf, noOpStep, operatorIdFor, passkeyFor, signStep } from "../test/helpers/operators";

const RUNS = 20;

function summary(gas: bigint[]): string {
  const sorted = [...gas].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const median = sorted[Math.floor(sorted.length / 2)];
  return sorted.length === 1 ? `${median}` : `median ${median} (${sorted[0]}–${sorted[sorted.length - 1]}, ${sorted.length} runs)`;
}

async function main(): Promise<void> {
  const { credentials, operators } = await deployCredentials();
  const { ana, bo } = operators;
  const hsm = await enrolOperator(credentials, ROLES.BANK, "bank-hsm", { hsm: hsmFor("bank") }, [ana], ana.operatorId);

  const passkeyStep: bigint[] = [];
  for (let i = 0; i < RUNS; i++) {
    const step = noOpStep(StepKind.Approve, { salt: id(`bench:${i}`) });
    const receipt = await (await credentials.performStep(step, ROLES.BANK, await signStep(credentials, step, ana))).wait();
    passkeyStep.push(receipt!.gasUsed);
  }
  const hsmStep = noOpStep(StepKind.Act);
  const hsmReceipt = await (await credentials.performStep(hsmStep, ROLES.BANK, await signStep(credentials, hsmStep, hsm))).wait();

  // Enrolment by the credit center's single operator (one passkey signature)...
  const carl = keyOf({ passkey: passkeyFor("credit-carl") });
  const one = enrolmentStep(ROLES.CREDIT_CENTER, operatorIdFor("credit-carl"), carl, id("one"));
  const oneReceipt = await (
    await credentials.enrol(ROLES.CREDIT_CENTER, operatorIdFor("credit-carl"), carl, id("one"), NO_DEADLINE, [await signStep(credentials, one, bo)])
  ).wait();
  // ...and, the credit center now having two operators, by both (two passkey signatures).
  const carlOperator = { credentialId: await credentials.credentialCount(), operatorId: operatorIdFor("credit-carl"), institution: ROLES.CREDIT_CENTER, holder: { passkey: passkeyFor("credit-carl") } };
  const dora = keyOf({ passkey: passkeyFor("credit-dora") });
  const two = enrolmentStep(ROLES.CREDIT_CENTER, operatorIdFor("credit-dora"), dora, id("two"));
  const signatures = [await signStep(credentials, two, bo), await signStep(credentials, two, carlOperator)];
  const twoReceipt = await (await credentials.enrol(ROLES.CREDIT_CENTER, operatorIdFor("credit-dora"), dora, id("two"), NO_DEADLINE, signatures)).wait();

  console.log(`passkey-signed step (WebAuthn, P-256 in Solidity): ${summary(passkeyStep)}`);
  console.log(`HSM-signed step (secp256k1, ecrecover):           ${hsmReceipt!.gasUsed}`);
  console.log(`enrolment signed by one passkey:                  ${oneReceipt!.gasUsed}`);
  console.log(`enrolment signed by two passkeys:                 ${twoReceipt!.gasUsed}`);
  await benchDualControl();
}

/**
 * Dual control on the registry: an issueCard proposed by the bank and approved by the credit
 * center (the approval runs the action), and a bank act (setCreditPointRule), each step relayed
 * by a third account, with secp256k1 (HSM-kind) credentials and with passkeys.
 */
async function benchDualControl(): Promise<void> {
  const { operators, registry, accounts } = await deploySuite();
  const ana = await enrolHolder(operators, ROLES.BANK, "bench:bank-ana", { passkey: passkeyFor("bench:bank-ana") }, [accounts.bank, accounts.bank2]);
  const bo = await enrolHolder(operators, ROLES.CREDIT_CENTER, "bench:credit-bo", { passkey: passkeyFor("bench:credit-bo") }, [
    accounts.creditCenter,
    accounts.creditCenter2,
  ]);
  const gasOf = async (tx: Promise<ContractTransactionResponse>) => (await (await tx).wait())!.gasUsed;
  let cards = 0;
  const run = async (proposer: Actor, approver: Actor) => {
    const n = ++cards;
    const action = registry.interface.encodeFunctionData("issueCard", [cardIdFor(`bench:${n}`), CardKind.Consumer, keyFor(`bench:${n}`).address, id(`c:${n}`)]);
    const propose = await gasOf(dual(registry, proposer, accounts.outsider).propose(action));
    const proposalId = await registry.proposalCount();
    const approve = await gasOf(dual(registry, approver, accounts.outsider).approve(proposalId, action));
    return { propose, approve };
  };
  const hsm = { propose: [] as bigint[], approve: [] as bigint[] };
  const passkey = { propose: [] as bigint[], approve: [] as bigint[] };
  for (let i = 0; i < RUNS; i++) {
    const h = await run(accounts.bank, accounts.creditCenter);
    hsm.propose.push(h.propose);
    hsm.approve.push(h.approve);
    const p = await run(ana, bo);
    passkey.propose.push(p.propose);
    passkey.approve.push(p.approve);
  }
  console.log(`dual control, propose issueCard, secp256k1:        ${summary(hsm.propose)}`);
  console.log(`dual control, approve issueCard, secp256k1:        ${summary(hsm.approve)}`);
  console.log(`dual control, propose issueCard, passkey:          ${summary(passkey.propose)}`);
  console.log(`dual control, approve issueCard, passkey:          ${summary(passkey.approve)}`);

  // A single-institution act: the bank sets the credit-point rule (a new version each time, so
  // every run writes the same slots), relayed by a third account.
  const acts = { hsm: [] as bigint[], passkey: [] as bigint[] };
  for (let i = 0; i < RUNS; i++) {
    acts.hsm.push(await gasOf(dual(registry, accounts.bank, accounts.outsider).act(actionOf(registry, "setCreditPointRule", [100 + 2 * i]))));
    acts.passkey.push(await gasOf(dual(registry, ana, accounts.outsider).act(actionOf(registry, "setCreditPointRule", [101 + 2 * i]))));
  }
  console.log(`act, setCreditPointRule, secp256k1:                ${summary(acts.hsm)}`);
  console.log(`act, setCreditPointRule, passkey:                  ${summary(acts.passkey)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
