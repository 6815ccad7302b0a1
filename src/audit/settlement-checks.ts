/**
 * What one settlement must satisfy, judged against the registry as replayed to its block:
 * the terminal registered to the merchant and enabled, the merchant and its card active, the card an active
 * consumer card, the settlement within the terms of the agreement the merchant had then, and the
 * points and credit points that agreement and the bank's rule give.
 */
import { creditPoints, settlementPoints } from "../domain/points";
import { CATEGORY_COUNT, MAX_AMOUNT } from "../domain/slips";
import type { SettlementMessage } from "../domain/typed-data";
import type { PointsEarnedFields } from "../chain/settlement-calldata";
import type { RegistryModel } from "./registry-model";
import type { Discrepancy } from "./report";
import { CardKind, CardStatus } from "../../packages/terminal-sdk/src/constants";

/** What PointsEarned says (its order and amount are the signed settlement's, in calldata). */
export type EarnedEvent = PointsEarnedFields;

type Where = Pick<Discrepancy, "block" | "tx" | "card" | "merchant">;

/** Checks a terminal (and its merchant) at this point of the replay. */
export function checkTerminal(registry: RegistryModel, terminal: string, merchantId: number, where: Where, kind = "settlement"): Discrepancy[] {
  const t = registry.terminal(terminal);
  const found: Discrepancy[] = [];
  if (!t) {
    found.push({ code: `${kind}.terminal_not_registered`, message: `terminal ${terminal} was not registered at that block`, ...where });
  } else if (t.merchantId !== merchantId) {
    found.push({
      code: `${kind}.terminal_not_registered`,
      message: `terminal ${terminal} was registered to merchant ${t.merchantId}, not to merchant ${merchantId}`,
      expected: String(merchantId),
      actual: String(t.merchantId),
      ...where,
    });
  } else if (!t.enabled) {
    found.push({ code: `${kind}.terminal_disabled`, message: `terminal ${terminal} was disabled at that block`, ...where });
  }
  const m = registry.merchants.get(merchantId);
  if (t && m && !m.active) found.push({ code: `${kind}.merchant_inactive`, message: `merchant ${merchantId} was suspended at that block`, ...where });
  const merchantCard = m && registry.card(m.cardId);
  if (t && merchantCard && merchantCard.status !== CardStatus.Active) {
    found.push({ code: `${kind}.merchant_card_not_active`, message: `merchant ${merchantId}'s card ${m.cardId} was not active (status ${merchantCard.status}) at that block`, ...where });
  }
  return found;
}

/** Checks a card is an issued, active consumer card at this point of the replay. */
export function checkCard(registry: RegistryModel, cardId: string, where: Where, kind = "settlement"): Discrepancy[] {
  const c = registry.card(cardId);
  if (!c) return [{ code: `${kind}.card_unknown`, message: `card ${cardId} was not issued at that block`, ...where }];
  if (c.status !== CardStatus.Active) return [{ code: `${kind}.card_not_active`, message: `card was not active (status ${c.status})`, ...where }];
  if (c.kind !== CardKind.Consumer) return [{ code: `${kind}.card_not_consumer`, message: "card is a merchant card", ...where }];
  return [];
}

/**
 * The points and credit points the settlement should have earned, and what differs from the
 * event. `settlement` is the signed settlement from calldata (undefined when it was not found:
 * then nothing can be recomputed and the event's figures are taken as they are). Points and
 * credit points are priced under the merchant's agreement and the bank's credit-point rule as the
 * replayed registry holds them at this point of the chain.
 */
export function priceSettlement(
  registry: RegistryModel,
  e: EarnedEvent,
  settlement: SettlementMessage | undefined,
  where: Where,
): { points: bigint; creditPoints: bigint; found: Discrepancy[] } {
  const found: Discrepancy[] = [];
  // The merchant's agreement version and the bank's rule at this point of the chain: the ones the
  // ledger read in the same transaction (PointsEarned names neither, ADR 0012).
  const agreementVersion = registry.merchants.get(e.merchantId)?.agreementVersion ?? 0;
  const agreement = registry.agreement(e.merchantId, agreementVersion);
  const creditRuleVersion = registry.creditRuleVersion;
  const rate = registry.creditRate(creditRuleVersion);
  if (!agreement || rate === undefined || !settlement) {
    if (!agreement) found.push({ code: "settlement.agreement_unknown", message: `merchant ${e.merchantId} has no agreement version ${agreementVersion}`, ...where });
    if (rate === undefined) found.push({ code: "settlement.credit_rule_unknown", message: `no credit-point rule version ${creditRuleVersion}`, ...where });
    return { points: e.points, creditPoints: e.creditPoints, found };
  }
  const s = settlement;
  const broken: string[] = [];
  if (s.amount === 0n || s.amount > MAX_AMOUNT) broken.push("amount out of bounds");
  if (s.amount < agreement.minAmount) broken.push(`amount below the minimum ${agreement.minAmount}`);
  if (s.time < agreement.validFrom || s.time > agreement.validUntil) broken.push("agreement not in force at the settlement's time");
  if (s.currency.toLowerCase() !== agreement.currency.toLowerCase()) broken.push(`currency ${s.currency} is not the agreement's ${agreement.currency}`);
  if (s.category >= CATEGORY_COUNT) broken.push(`unknown category ${s.category}`);
  if (broken.length > 0) found.push({ code: "settlement.terms_violated", message: broken.join("; "), ...where });
  const points = settlementPoints(s.amount, agreement, s.category);
  const credit = creditPoints(points, rate);
  if (points !== e.points) {
    found.push({
      code: "settlement.points_mismatch",
      message: `agreement ${e.merchantId}/v${agreementVersion} gives ${points} points for ${s.amount} (category ${s.category}); the ledger granted ${e.points}`,
      expected: points.toString(),
      actual: e.points.toString(),
      ...where,
    });
  }
  if (credit !== e.creditPoints) {
    found.push({
      code: "settlement.credit_points_mismatch",
      message: `credit-point rule v${creditRuleVersion} gives ${credit} credit points for ${points} points; the ledger credited ${e.creditPoints}`,
      expected: credit.toString(),
      actual: e.creditPoints.toString(),
      ...where,
    });
  }
  return { points, creditPoints: credit, found };
}
