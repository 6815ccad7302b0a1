/**
 * The recomputed state against the contracts' own views at the audited block (blockTag): every
 * card's balance and account statistics, the ledger's copy of every card (key, status, kind and
 * account, which settlements and redemptions read) against the registry's, every holding, every merchant's totals and credit
 * points, the ledger totals, the batch count (and the ledger's CHAIN_RING), and the batch chain's
 * value after every batch the ledger still holds one for (`batchChain`: the last CHAIN_RING
 * batches, every CHAIN_RING-th and every batch a ChainSealed event named) against the model's,
 * recomputed from the batches' orders; with the credit center deployed, every card's score too
 * (the score formulas of src/credit/score.ts over the recomputed statistics, at the audited
 * block's time). Views are read through a ViewReader, in JSON-RPC batch requests.
 */
import { CreditScores__factory, PointsLedger__factory } from "../../typechain-types";
import { consumerScore, merchantScore } from "../credit/score";
import type { ViewReader, ViewResult } from "./view-reader";
import type { RegistryModel } from "./registry-model";
import { CHAIN_RING } from "../domain/settled-order";
import type { LedgerModel } from "./ledger-model";
import type { AuditCounts, Findings } from "./report";
import { CardKind } from "../../packages/terminal-sdk/src/constants";

/** Comparisons started at once (each holds its expected figures until its view answers). */
const WINDOW = 4096;

export interface ContractsAtBlock {
  /** Reads views at the audited block. */
  reader: ViewReader;
  blockTag: number;
  ledger: string;
  /** The CreditScores address and the audited block's time, when the credit center is deployed. */
  scores?: { address: string; blockTime: bigint };
}

export async function compareState(
  at: ContractsAtBlock,
  registry: RegistryModel,
  ledger: LedgerModel,
  findings: Findings,
  counts: AuditCounts,
): Promise<void> {
  const { reader, blockTag, scores } = at;
  const ledgerInterface = PointsLedger__factory.createInterface();
  const ledgerView = (name: string) => {
    const view = reader.view(ledgerInterface, name);
    return (...args: (string | number | bigint)[]) => view(at.ledger, args);
  };
  const views = {
    balanceOf: ledgerView("balanceOf"),
    accountStats: ledgerView("accountStats"),
    cardCopy: ledgerView("cardCopy"),
    holding: ledgerView("holding"),
    merchantStats: ledgerView("merchantStats"),
    totals: ledgerView("totals"),
    batchCount: ledgerView("batchCount"),
    chainRing: ledgerView("CHAIN_RING"),
    batchChain: ledgerView("batchChain"),
  };
  const tasks: (() => Promise<void>)[] = [];
  const compare = (what: string, expected: Record<string, bigint>, actual: ViewResult, where: { card?: string; merchant?: number }) => {
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
      const [balance, stats] = await Promise.all([views.balanceOf(cardId), views.accountStats(cardId)]);
      compare("balance", { balance: a.earned - a.reversed - a.redeemed }, { balance: balance[0] }, { card: cardId });
      compare("account", { ...a }, stats, { card: cardId });
    });
    tasks.push(async () => {
      // Found under the registry's key: a copy under another key reads as status None.
      const expected = { status: BigInt(card.status), kind: BigInt(card.kind), account: card.account };
      compare("card_copy", expected, await views.cardCopy(cardId, card.key), { card: cardId });
    });
  }
  for (const [key, h] of ledger.holdings) {
    const [account, merchant] = key.split(":");
    const cardId = cardOfAccount.get(BigInt(account));
    if (!cardId) continue;
    tasks.push(async () => {
      compare("holding", { ...h }, await views.holding(cardId, Number(merchant)), { card: cardId, merchant: Number(merchant) });
    });
  }
  for (const merchantId of new Set([...registry.merchants.keys(), ...ledger.merchants.keys()])) {
    tasks.push(async () => {
      compare("merchant", { ...ledger.merchant(merchantId) }, await views.merchantStats(merchantId), { merchant: merchantId });
    });
  }
  tasks.push(async () => {
    const [totals, batchCount, chainRing] = await Promise.all([views.totals(), views.batchCount(), views.chainRing()]);
    compare("totals", { ...ledger.totals }, totals, {});
    compare("batches", { batchCount: ledger.batchCount, chainRing: CHAIN_RING }, { batchCount: batchCount[0], chainRing: chainRing[0] }, {});
  });
  for (const batchId of ledger.heldChains()) {
    const expected = ledger.chainAfter(batchId);
    if (expected === undefined) continue; // a batch ID the events skipped: batch.id_out_of_sequence
    tasks.push(async () => {
      counts.stateValuesCompared++;
      const onChain = "0x" + (await views.batchChain(batchId))[0].toString(16).padStart(64, "0");
      if (onChain !== expected) {
        findings.add({
          code: "state.batch_chain",
          message: `the ledger's batch chain value after batch ${batchId} differs from the one recomputed from the orders of batches 1..${batchId}`,
          block: blockTag,
          expected,
          actual: onChain,
        });
      }
    });
  }
  if (scores) {
    const scoreOf = reader.view(CreditScores__factory.createInterface(), "scoreOf");
    const merchantOfCard = new Map([...registry.merchants].map(([id, m]) => [m.cardId.toLowerCase(), id]));
    for (const [cardId, card] of registry.cards) {
      tasks.push(async () => {
        const merchantId = merchantOfCard.get(cardId.toLowerCase());
        const expected =
          card.kind === CardKind.Consumer
            ? consumerScore(ledger.account(card.account), scores.blockTime)
            : merchantId === undefined
              ? 0n
              : merchantScore(ledger.merchant(merchantId), scores.blockTime);
        const view = await scoreOf(scores.address, [cardId]);
        compare("score", { score: expected }, { score: view.score }, { card: cardId, ...(merchantId === undefined ? {} : { merchant: merchantId }) });
      });
    }
  }
  counts.cards = registry.cards.size;
  counts.merchants = registry.merchants.size;
  for (let i = 0; i < tasks.length; i += WINDOW) await Promise.all(tasks.slice(i, i + WINDOW).map((t) => t()));
}
