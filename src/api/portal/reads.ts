/**
 * What the portal shows a signed-in holder (ADR 0006): their card (number masked), points,
 * history with merchant names and the credit score with its parts; or their merchant's
 * agreement, totals and credit. Each read takes the account the session belongs to, never an ID
 * from the request alone: the router answers 404 for anyone else's.
 */
import type { LedgerClient } from "../../chain/ledger-client";
import type { IdentityStore } from "../operations/service";
import { HISTORY_PAGE, agreementJson, type ReadService } from "../reads/service";
import type { ReadIndex } from "../../index/indexer";
import { accountMovements, listTerminals, merchantDays as merchantDayRows, type MerchantDayRow } from "../../index/store";
import { MAX_SCORE, consumerScoreParts, merchantScoreParts, type ScoreParts } from "../../credit/score";
import { DomainError } from "../../domain/domain-error";
import { accountName } from "./schemas";
import { CARD_STATUSES } from "../../../packages/terminal-sdk/src/constants";

const ZERO_ID = "0x" + "00".repeat(32);

export const notFound = () => new DomainError({ code: "portal.not_found", detail: "nothing of this account here" });

/** The card number as the portal shows it: its last four hex digits only. */
export function maskedCard(cardId: string): string {
  return `•••• ${cardId.slice(-4).toUpperCase()}`;
}

const n = (v: bigint) => Number(v);
/** The most agreement versions the merchant's page lists (newest first). */
const AGREEMENT_HISTORY = 20;
/** The most terminals the merchant's page lists (operators page through all of them). */
const MERCHANT_TERMINALS = 200;
/** Days (with figures) in one page of a merchant's per-day figures. */
const DAYS_PAGE = 31;

type DayJson = MerchantDayRow;

/** The columns of a merchant's per-day CSV, in order. */
export const DAY_COLUMNS: readonly (keyof MerchantDayRow)[] = ["day", "terminal", "settlements", "amount", "points", "creditPoints", "refunds", "refundAmount", "pointsReversed", "redemptions", "pointsRedeemed"];

/** A merchant's per-day rows as CSV (RFC 4180; every value is a number, a date or an address). */
export function daysCsv(days: readonly DayJson[]): string {
  return [DAY_COLUMNS.join(","), ...days.map((d) => DAY_COLUMNS.map((c) => String(d[c])).join(","))].join("\r\n") + "\r\n";
}

export class PortalReads {
  constructor(
    private readonly chain: LedgerClient,
    private readonly reads: ReadService,
    private readonly identities: IdentityStore,
    private readonly index: ReadIndex,
  ) {}

  /** A consumer account's current card (the one its points account has now, after any replacement). */
  private async currentCard(account: string): Promise<string> {
    const cardId = (await this.chain.registry.cardOfAccount(account)).toLowerCase();
    if (cardId === ZERO_ID) throw notFound();
    return cardId;
  }

  async consumer(account: string) {
    const card = await this.reads.card(await this.currentCard(account));
    if (card.kind !== "consumer") throw notFound();
    const p = card.points;
    const parts = consumerScoreParts(
      {
        earned: BigInt(p.earned),
        reversed: BigInt(p.reversed),
        redeemed: BigInt(p.redeemed),
        merchantCount: BigInt(card.merchantCount),
        firstActivity: BigInt(card.firstActivity ?? 0),
        lastActivity: BigInt(card.lastActivity ?? 0),
      },
      await this.blockTime(),
    );
    return {
      account: accountName({ kind: "consumer", subject: account }),
      card: { masked: maskedCard(card.cardId), status: card.status },
      points: p,
      merchantCount: card.merchantCount,
      firstActivity: card.firstActivity,
      lastActivity: card.lastActivity,
      credit: await this.credit(card.cardId, parts, "consumer"),
    };
  }

  /**
   * One page of the movements of the account (every card it has had: a replacement card keeps
   * its predecessor's history), newest first, with merchant names and block times, from the read
   * index; only those of `movement` when given ("reversed": refunds and corrections). `before` is
   * the previous page's `nextBefore` (a position in the chain's order).
   */
  async history(account: string, before?: number, movement?: "earned" | "reversed" | "redeemed") {
    await this.currentCard(account);
    const { indexedBlock, value: page } = await this.index.read((db, source) => accountMovements(db, source, account, { before: before === undefined ? undefined : BigInt(before), kind: movement, limit: HISTORY_PAGE }));
    const names = new Map<number, Promise<string | null>>();
    const entries = await Promise.all(
      page.rows.map(async (e) => {
        if (!names.has(e.merchantId)) names.set(e.merchantId, this.merchantName(e.merchantId));
        return {
          movement: e.movement,
          block: e.block,
          time: e.time,
          merchantId: e.merchantId,
          merchantName: await names.get(e.merchantId)!,
          orderId: e.orderId,
          points: e.points,
          ...(e.amount === null ? {} : { amount: e.amount }),
        };
      }),
    );
    return { entries, nextBefore: page.next === null ? null : Number(page.next), indexedBlock };
  }

  async merchant(merchantId: number) {
    const m = await this.reads.merchant(merchantId);
    const card = await this.chain.registry.card(m.cardId);
    const s = await this.chain.ledger.merchantStats(merchantId);
    const parts = merchantScoreParts(s, await this.blockTime());
    const registry = this.chain.registry;
    const versions = Array.from({ length: Math.min(m.agreementVersion, AGREEMENT_HISTORY) }, (_, i) => m.agreementVersion - i);
    const [history, terminals] = await Promise.all([
      Promise.all(versions.map(async (version) => ({ version, ...agreementJson(await registry.agreement(merchantId, version)) }))),
      this.index.read((db, source) => listTerminals(db, source, merchantId, { limit: MERCHANT_TERMINALS })),
    ]);
    return {
      account: accountName({ kind: "merchant", subject: String(merchantId) }),
      merchantId,
      name: await this.merchantName(merchantId),
      active: m.active,
      card: { masked: maskedCard(m.cardId), status: CARD_STATUSES[n(card.status)] },
      agreementVersion: m.agreementVersion,
      agreement: m.agreement,
      agreementHistory: history,
      terminals: terminals.value.rows,
      stats: {
        pointsGranted: m.stats.pointsGranted,
        pointsReversed: m.stats.pointsReversed,
        creditPoints: m.stats.creditPoints,
        creditPointsReversed: m.stats.creditPointsReversed,
        pointsRedeemed: m.stats.pointsRedeemed,
        consumersServed: m.stats.consumersServed,
      },
      credit: await this.credit(m.cardId, parts, "merchant"),
    };
  }

  /**
   * One page of the merchant's settlements, refunds and redemptions, summed by day (UTC) and
   * terminal, newest day first, from the read index: up to DAYS_PAGE days, each with a row per
   * terminal. Corrections by the bank (no terminal) are left out. `before` is the previous page's
   * `nextBefore` (a day number, days since 1970-01-01).
   */
  async merchantDays(merchantId: number, before?: number) {
    const { indexedBlock, value: page } = await this.index.read((db, source) => merchantDayRows(db, source, merchantId, { before, days: DAYS_PAGE }));
    return { days: page.rows, nextBefore: page.next, indexedBlock };
  }

  /** The name the merchant's card was issued under (a business name), if the vault still has it. */
  private async merchantName(merchantId: number): Promise<string | null> {
    if (merchantId === 0) return null;
    const m = await this.chain.registry.merchant(merchantId);
    const record = (await this.identities.read(m.cardId).catch(() => undefined)) as { name?: unknown } | undefined;
    return typeof record?.name === "string" ? record.name : null;
  }

  /**
   * The card's credit line, its score's parts (and the most each can give), and the policy's next
   * tier above the limit it qualifies for now, with the score and points that tier needs.
   */
  private async credit(cardId: string, s: ScoreParts, kind: "consumer" | "merchant") {
    const grants = this.chain.creditGrants;
    if (!grants) return null;
    const [line, tiers] = await Promise.all([grants.creditOf(cardId), grants.policy(kind === "consumer" ? 0 : 1)]);
    const grant = line.grant;
    const next = tiers.find((t) => t.limit > line.eligibleLimit);
    const numbers = (r: Record<string, bigint>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, n(v)]));
    return {
      score: n(line.card.score),
      maxScore: n(MAX_SCORE),
      parts: numbers(s.parts),
      partsMax: numbers(s.max),
      reversalPenaltyBps: n(s.reversalPenaltyBps),
      points: line.card.points.toString(),
      eligibleLimit: line.eligibleLimit.toString(),
      nextTier: next ? { limit: next.limit.toString(), minScore: n(next.minScore), minPoints: next.minPoints.toString() } : null,
      grant: grant.limit === 0n ? null : { limit: grant.limit.toString(), expiresAt: n(grant.expiresAt), frozen: grant.frozen },
      availableLimit: line.availableLimit.toString(),
    };
  }

  private async blockTime(): Promise<bigint> {
    return BigInt((await this.chain.provider.getBlock("latest"))?.timestamp ?? Math.floor(Date.now() / 1000));
  }
}
