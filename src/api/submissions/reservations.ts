/**
 * Reservations: intake accepts a redemption or a refund only when it will succeed given what the
 * gateway has already accepted, so "accepted" means "will be recorded unless the chain changes
 * underneath" (a card frozen, the ledger paused).
 *
 * - A redemption reserves its points against the card's balance: it is refused
 *   (points.insufficient) when the on-chain balance, less the points of the card's accepted but
 *   unconfirmed redemptions and the most that its accepted but unconfirmed refunds may reverse,
 *   is below its points.
 * - A refund reserves its amount against the settlement it refunds: it is refused
 *   (refund.exceeds_order) when the settlement's amount, less the refunds of it that are not
 *   rejected, is below its amount.
 *
 * Settlements still pending for the card are not counted, though they may raise the balance:
 * the reservation is conservative. The balance is read at a known block (before the transaction,
 * outside any lock; the latest the gateway knows, see readCardBalance); a refund or redemption
 * confirmed in a later block counts as unconfirmed, so the read and the store can never disagree
 * in the card's favour.
 *
 * The check runs in the transaction that stores the submissions, after taking each card's lock
 * (lockCardsForIntake): two intakes of one card, in one gateway or in several over one
 * PostgreSQL, are decided one after the other, each seeing what the other stored.
 */
import type { LatestBlock } from "../../chain/latest-block";
import type { LedgerClient } from "../../chain/ledger-client";
import type { Db } from "../../store/db";
import { lockCardsForIntake, refundableSettlement, unsettledDebits, type RefundableSettlement, type UnsettledDebit } from "../../store/outbox";
import { DomainError } from "../../domain/domain-error";
import type { ErrorCode } from "../../domain/error-catalogue";

/** A card's points balance as the ledger held it at the end of a block. */
export interface CardBalance {
  balance: bigint;
  blockNumber: number;
}

export type Reservation =
  | { kind: "redemption"; cardId: string; terminal: string; nonce: bigint; points: bigint; balance: CardBalance }
  | { kind: "refund"; cardId: string; terminal: string; nonce: bigint; amount: bigint; settlementTerminal: string; settlementNonce: bigint };

/**
 * The card's balance at the latest block the gateway knows (`head`, at most a second old, asked
 * again once the gateway sees a block mined): one eth_call at that block, no eth_blockNumber of
 * its own. A number behind the head is safe, as a refund or redemption confirmed after it counts
 * as unconfirmed; a settlement confirmed after it is not yet counted, as one still pending is not.
 */
export async function readCardBalance(chain: LedgerClient, head: LatestBlock, cardId: string): Promise<CardBalance> {
  const blockNumber = await head.number();
  const balance = await chain.ledger.balanceOf(cardId, { blockTag: blockNumber });
  return { balance, blockNumber };
}

/**
 * The most points a refund of `amount` can reverse of an order of `orderAmount` that earned
 * `orderPoints`: the ledger reverses floor(points * after / amount) - floor(points * before /
 * amount), which is at most the ceiling of the refunded share, and never more than the order's.
 */
export function maxReversal(orderPoints: bigint, orderAmount: bigint, amount: bigint): bigint {
  if (orderAmount <= 0n) return orderPoints;
  const share = (orderPoints * amount + orderAmount - 1n) / orderAmount;
  return share < orderPoints ? share : orderPoints;
}

/** The refused reservation of a redemption. */
export function pointsInsufficient(balance: bigint, reserved: bigint): DomainError {
  const held = `the card holds ${balance} points`;
  return refused("points.insufficient", reserved > 0n ? `${held}, ${reserved} of them reserved by accepted redemptions and refunds` : held);
}

/** The refused reservation of a refund. */
export function refundExceedsOrder(orderAmount: bigint, claimed: bigint): DomainError {
  const left = orderAmount > claimed ? orderAmount - claimed : 0n;
  return refused("refund.exceeds_order", `the order's amount is ${orderAmount}, of which ${left} is left to refund`);
}

export function refundOrderUnknown(): DomainError {
  return refused("refund.order_unknown", "no settlement by this terminal and nonce at this merchant");
}

function refused(code: ErrorCode, detail: string): DomainError {
  return new DomainError({ code, detail });
}

/**
 * Inside the transaction that then stores the accepted ones: locks the cards of `items` and
 * decides each reservation in order (an item counts those accepted before it). Returns, in
 * order, the refusal of each refused item, undefined for each accepted one.
 */
export async function reserve(tx: Db, items: readonly Reservation[]): Promise<(DomainError | undefined)[]> {
  if (items.length === 0) return [];
  await lockCardsForIntake(tx, items.map((i) => i.cardId));
  const redemptions = items.filter((i) => i.kind === "redemption");
  const sinceBlock = Math.min(...redemptions.map((r) => r.balance.blockNumber));
  const debits = redemptions.length === 0 ? [] : await unsettledDebits(tx, redemptions.map((r) => r.cardId), sinceBlock);
  const settlements = new Map<string, RefundableSettlement | undefined>();
  for (const item of items) {
    if (item.kind !== "refund") continue;
    const key = settlementKey(item.settlementTerminal, item.settlementNonce);
    if (!settlements.has(key)) settlements.set(key, await refundableSettlement(tx, item.settlementTerminal, item.settlementNonce));
  }

  const accepted: UnsettledDebit[] = [];
  return items.map((item) => {
    if (item.kind === "redemption") {
      const pending = [...debits, ...accepted].filter((d) => d.cardId === item.cardId.toLowerCase());
      // A retry of a stored redemption is not a second one: storing it answers it as a duplicate.
      if (pending.some((d) => d.terminal === item.terminal && d.nonce === item.nonce)) return undefined;
      const reserved = pending.reduce((sum, d) => sum + reservedPoints(d, item.balance.blockNumber), 0n);
      if (item.balance.balance - reserved < item.points) return pointsInsufficient(item.balance.balance, reserved);
      accepted.push({ kind: "redemption", cardId: item.cardId.toLowerCase(), terminal: item.terminal, nonce: item.nonce, value: item.points, blockNumber: null });
      return undefined;
    }
    const settlement = settlements.get(settlementKey(item.settlementTerminal, item.settlementNonce));
    if (!settlement) return refundOrderUnknown();
    if (settlement.amount - settlement.claimed < item.amount) return refundExceedsOrder(settlement.amount, settlement.claimed);
    settlement.claimed += item.amount;
    accepted.push({
      kind: "refund",
      cardId: item.cardId.toLowerCase(),
      terminal: item.terminal,
      nonce: item.nonce,
      value: item.amount,
      blockNumber: null,
      refunded: { amount: settlement.amount, points: settlement.points, status: settlement.status, blockNumber: settlement.blockNumber },
    });
    return undefined;
  });
}

/**
 * What an unconfirmed debit may still take from a balance read at block `atBlock`: a
 * redemption its points; a refund the most it may reverse of an order whose points that balance
 * holds (a refund of an order confirmed later, or not yet, takes back no more than the order
 * will have added, so it reserves nothing).
 */
function reservedPoints(d: UnsettledDebit, atBlock: number): bigint {
  if (d.blockNumber !== null && d.blockNumber <= atBlock) return 0n;
  if (d.kind === "redemption") return d.value;
  const order = d.refunded;
  if (!order || order.status !== "confirmed" || order.blockNumber === null || order.blockNumber > atBlock) return 0n;
  return maxReversal(order.points ?? 0n, order.amount, d.value);
}

const settlementKey = (terminal: string, nonce: bigint) => `${terminal}/${nonce}`;
