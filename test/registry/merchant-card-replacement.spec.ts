import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { cardIdFor, keyFor, latestTime, proposeAndGetId } from "../helpers/suite";
import { deployLedgerFixture, settleRecorded, signItem, type LedgerFixture } from "../helpers/ledger-ops";
import { audit, deploymentOf } from "../audit/helpers/audit-fixture";
import { dual } from "../helpers/dual-control";

const NEW_CARD = cardIdFor("cafe:replacement");

/** The cafe's customers earned at the cafe, so the cafe holds credit points and a merchant score. */
async function earningCafeFixture() {
  const f = await deployLedgerFixture();
  const now = await latestTime();
  const items = await Promise.all(f.consumers.map((c, i) => signItem(f.ledger, f.cafe.terminals[0], c, { nonce: BigInt(i + 1), time: now })));
  await settleRecorded(f, items);
  return f;
}

/** Replaces `cardId` by NEW_CARD under dual control (the bank proposes, the credit center approves). */
async function replace(f: LedgerFixture, cardId: string) {
  const action = f.registry.interface.encodeFunctionData("replaceCard", [cardId, NEW_CARD, keyFor("cafe:replacement").address]);
  const proposalId = await proposeAndGetId(f.registry, f.accounts.bank, action);
  return dual(f.registry, f.accounts.creditCenter).approve(proposalId, action);
}

describe("CredenceRegistry: replacing a merchant's card", function () {
  it("binds the merchant to the new card and emits MerchantCardReplaced", async function () {
    const f = await loadFixture(earningCafeFixture);
    await expect(replace(f, f.cafe.cardId)).to.emit(f.registry, "MerchantCardReplaced").withArgs(f.cafe.id, f.cafe.cardId, NEW_CARD);
    expect((await f.registry.merchant(f.cafe.id)).cardId).to.equal(NEW_CARD);
    expect(await f.registry.merchantOfCard(NEW_CARD)).to.equal(f.cafe.id);
    expect(await f.registry.merchantOfCard(f.cafe.cardId)).to.equal(0n);
  });

  it("carries the merchant's score and credit points over to the new card", async function () {
    const f = await loadFixture(earningCafeFixture);
    const before = await f.creditScores.scoreOf(f.cafe.cardId);
    expect(before.score).to.be.greaterThan(0n);
    await (await replace(f, f.cafe.cardId)).wait();
    const after = await f.creditScores.scoreOf(NEW_CARD);
    expect([after.merchantId, after.score, after.points]).to.deep.equal([f.cafe.id, before.score, before.points]);
  });

  it("leaves merchants alone when a consumer card is replaced", async function () {
    const f = await loadFixture(earningCafeFixture);
    await expect(replace(f, f.consumers[0].cardId)).not.to.emit(f.registry, "MerchantCardReplaced");
  });

  it("is followed by the auditor: the ledger stays clean, scores included", async function () {
    const f = await loadFixture(earningCafeFixture);
    await (await replace(f, f.cafe.cardId)).wait();
    const deployment = { ...(await deploymentOf(f.registry, f.ledger)), creditScores: await f.creditScores.getAddress() };
    const report = await audit(deployment);
    expect(report.discrepancies).to.deep.equal([]);
  });
});
