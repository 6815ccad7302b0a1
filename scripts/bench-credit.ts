/**
 * Gas benchmark of the credit center, on Hardhat's in-process network: reading one score, a
 * full page of scores and of credit lines (what an export costs a node per request), and the
 * dual-controlled grant (propose + approve) and the emergency freeze (an act) with its
 * confirmation by the other institution.
 *
 *   npm run bench:credit
 */
import { CardKind, cardIdFor, issueCard, keyFor, latestTime } from "../test/helpers/suite";
import { deployLedgerFixture } from "../test/helpers/ledger-ops";
import { CONSUMER_TIERS, MERCHANT_TIERS, jointly, grantAction, policyAction, purchase } from "../test/helpers/credit";
import { acting, dual } from "../test/helpers/dual-control";

const CARDS = 200;

async function main(): Promise<void> {
  const f = { ...(await deployLedgerFixture()), nonces: new Map<string, bigint>() };
  const { creditGrants, creditScores, accounts } = f;
  await jointly(creditGrants, accounts.creditCenter, accounts.bank, policyAction(creditGrants, CardKind.Consumer, CONSUMER_TIERS));
  await jointly(creditGrants, accounts.bank, accounts.creditCenter, policyAction(creditGrants, CardKind.Merchant, MERCHANT_TIERS));
  const existing = Number(await f.registry.accountCount());
  for (let i = existing; i < CARDS; i++) {
    const key = keyFor(`bench-credit-${i}`);
    const card = { cardId: cardIdFor(`bench-credit-${i}`), key };
    await issueCard(f.registry, accounts.bank, accounts.creditCenter, card.cardId, CardKind.Consumer, key.address);
    await purchase(f, i % 2 ? f.shop : f.cafe, card, 500_000n);
  }
  const rich = cardIdFor(`bench-credit-${CARDS - 2}`); // shopped at the cafe: eligible
  const one = await creditScores.scoreOf.estimateGas(rich);
  const line = await creditGrants.creditOf.estimateGas(rich);
  const scoresPage = await creditScores.scoresPage.estimateGas(1, CARDS);
  const creditPage = await creditGrants.creditPage.estimateGas(1, CARDS);

  const action = grantAction(creditGrants, rich, 1_000n, (await latestTime()) + 365n * 86_400n);
  const proposed = await (await dual(creditGrants, accounts.creditCenter).propose(action)).wait();
  const approved = await (await dual(creditGrants, accounts.bank).approve(await creditGrants.proposalCount(), action)).wait();
  const frozen = await (await acting(creditGrants, accounts.bank).freezeCredit(rich)).wait();
  const confirmed = await (await dual(creditGrants, accounts.creditCenter).confirm(rich)).wait();

  console.log(`scoreOf (one consumer card): ${one} gas; creditOf: ${line} gas`);
  console.log(`scoresPage of ${CARDS} accounts: ${scoresPage} gas, ${scoresPage / BigInt(CARDS)} per account`);
  console.log(`creditPage of ${CARDS} accounts: ${creditPage} gas, ${creditPage / BigInt(CARDS)} per account`);
  console.log(`grantCredit: propose ${proposed!.gasUsed} gas, approve (runs it) ${approved!.gasUsed} gas`);
  console.log(`freezeCredit (an act): ${frozen!.gasUsed} gas; confirmFreeze: ${confirmed!.gasUsed} gas`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
