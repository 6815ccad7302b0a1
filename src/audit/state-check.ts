/**
 * The recomputed state against the contracts' own views at the audited block (blockTag): every
 * card's balance and account statistics, every holding, every merchant's totals and credit
 * points, the ledger totals, the batch count and every batch digest; with the credit center
 * deployed, every card's score too (the score formulas of src/credit/score.ts over the recomputed
 * statistics, at the audited block's time). Views are read in parallel (ethers batches them
 * into JSON-RPC batch requests).
 */
import type { CreditScores, PointsLedger } from "../../typechain-types";
import { consumerScore, merchantScore } from "../credit/score";
import type { RegistryModel } from "./registry-model";
import type { LedgerModel } from "./ledger-model";
import type { AuditCounts, Findings } from "./report";

const PARALLEL = 64;
/** ICardRegistry.CardKind.Consumer */
const CONSUMER = 0;

/** A view's struct output, read by field name (typechain types it as tuple & record). */
const named = (o: object) => o as unknown as Record<string, bigint>;

export async function compareState(
  ledgerContract: PointsLedger,
  blockTag: number,
  registry: RegistryModel,
  ledger: LedgerModel,
  findings: Findings,
  counts: AuditCounts,
  scores?: { contract: CreditScores; blockTime: bigint },
): Promise<void> {
  const overrides = { blockTag };
  const tasks: (() => Promise<void>)[] = [];
  const compare = (what: string, expected: Record<string, bigint>, actual: Record<string, bigint>, where: { card?: string; merchant?: number }) => {
    for (const field of Object.keys(expected)) {
      counts.stateValuesCompared++;
      if (BigInt(actual[field]) !== expected[field]) {
        findings.add({
          code: `state.${what}`,
          message: `${what}.${field} recomputed as ${expected[field]}, the contract says ${actual[field]}`,
          block: blockTag,
          expected: expected[field].toString(),
          actual: BigInt(actual[field]).toString(),
          ...where,
        });
      }
    }
  };
  // One card per account carries the account's figures; holdings are read through it too.
  const cardOfAccount = new Map<bigint, string>();
  for (const [cardId, card] of registry.cards) {
    cardOfAccount.set(card.account, cardId);
    tasks.push(async () => {
      const a = ledger.account(card.account);
      const [balance, stats] = await Promise.all([ledgerContract.balanceOf(cardId, overrides), ledgerContract.accountStats(cardId, overrides)]);
      compare("balance", { balance: a.earned - a.reversed - a.redeemed }, { balance }, { card: cardId });
      compare("account", { ...a }, named(stats), { card: cardId });
    });
  }
  for (const [key, h] of ledger.holdings) {
    const [account, merchant] = key.split(":");
    const cardId = cardOfAccount.get(BigInt(account));
    if (!cardId) continue;
    tasks.push(async () => {
      const view = await ledgerContract.holding(cardId, Number(merchant), overrides);
      compare("holding", { ...h }, named(view), { card: cardId, merchant: Number(merchant) });
    });
  }
  for (const merchantId of new Set([...registry.merchants.keys(), ...ledger.merchants.keys()])) {
    tasks.push(async () => {
      const view = await ledgerContract.merchantStats(merchantId, overrides);
      compare("merchant", { ...ledger.merchant(merchantId) }, named(view), { merchant: merchantId });
    });
  }
  tasks.push(async () => {
    const [earned, reversed, redeemed] = await ledgerContract.totals(overrides);
    compare("totals", { ...ledger.totals }, { earned, reversed, redeemed }, {});
    compare("batches", { batchCount: ledger.batchCount }, { batchCount: await ledgerContract.batchCount(overrides) }, {});
  });
  for (const [batchId, digest] of ledger.batchDigests) {
    tasks.push(async () => {
      counts.stateValuesCompared++;
      const onChain = await ledgerContract.batchDigest(batchId, overrides);
      if (onChain !== digest) {
        findings.add({ code: "state.batch_digest", message: `batch ${batchId}'s stored digest differs from its recorded orders`, block: blockTag, expected: digest, actual: onChain });
      }
    });
  }
  if (scores) {
    const merchantOfCard = new Map([...registry.merchants].map(([id, m]) => [m.cardId.toLowerCase(), id]));
    for (const [cardId, card] of registry.cards) {
      tasks.push(async () => {
        const merchantId = merchantOfCard.get(cardId.toLowerCase());
        const expected =
          card.kind === CONSUMER
            ? consumerScore(ledger.account(card.account), scores.blockTime)
            : merchantId === undefined
              ? 0n
              : merchantScore(ledger.merchant(merchantId), scores.blockTime);
        const view = await scores.contract.scoreOf(cardId, overrides);
        compare("score", { score: expected }, { score: view.score }, { card: cardId, ...(merchantId === undefined ? {} : { merchant: merchantId }) });
      });
    }
  }
  counts.cards = registry.cards.size;
  counts.merchants = registry.merchants.size;
  for (let i = 0; i < tasks.length; i += PARALLEL) await Promise.all(tasks.slice(i, i + PARALLEL).map((t) => t()));
}
