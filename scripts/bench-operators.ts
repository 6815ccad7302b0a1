/**
 * Gas of operator steps (contracts/access/OperatorCredentials.sol through the test-only harness),
 * from transaction receipts on Hardhat's in-process network, which has no P-256 precompile: a
 * passkey's signature is verified by OpenZeppelin's Solidity fallback. Each figure is the whole
 * transaction (21,000 base, calldata, the consumed-digest slot, the event and the verification);
 * passkey figures vary with the signature, so they are taken over RUNS fresh signatures.
 *
 *   npm run bench:operators
 */
import { id } from "ethers";
import { ROLES } from "../src/chain/roles";
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
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
