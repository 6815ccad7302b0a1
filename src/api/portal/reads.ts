/**
 * What the portal shows a signed-in holder (ADR 0006): their card (number masked), points,
 * history with merchant names and the credit score with its parts; or their merchant's
 * agreement, totals and credit. Each read takes the account the session belongs to, never an ID
 * from the request alone: the router answers 404 for anyone else's.
 */
import type { LedgerClient } from "../../chain/ledger-client";
import type { IdentityStore } from "../operations/service";
import { agreementJson, type ReadService } from "../reads/service";
import { MAX_SCORE, consumerScoreParts, merchantScoreParts, type ScoreParts } from "../../credit/score";
import { DomainError } from "../../http/problem";
import { accountName } from "./schemas";

const ZERO_ID = "0x" + "00".repeat(32);

export const notFound = () => new DomainError({ code: "portal.not_found", status: 404, title: "Not found", detail: "nothing of this account here" });

/** The card number as the portal shows it: its last four hex digits only. */
export function maskedCard(cardId: string): string {
  return `•••• ${cardId.slice(-4).toUpperCase()}`;
}

const n = (v: bigint) => Number(v);
/** The most agreement versions the merchant's page lists (newest first). */
const AGREEMENT_HISTORY = 20;

interface DayRow {
  day: string;
  terminal: string;
  settlements: number;
  amount: bigint;
  points: bigint;
  creditPoints: bigint;
  refunds: number;
  refundAmount: bigint;
  pointsReversed: bigint;
  redemptions: number;
  pointsRedeemed: bigint;
}

type DayJson = { [K in keyof DayRow]: DayRow[K] extends bigint ? string : DayRow[K] };

const emptyDay = () => ({ settlements: 0, amount: 0n, points: 0n, creditPoints: 0n, refunds: 0, refundAmount: 0n, pointsReversed: 0n, redemptions: 0, pointsRedeemed: 0n });

/** The columns of a merchant's per-day CSV, in order. */
export const DAY_COLUMNS: readonly (keyof DayRow)[] = ["day", "terminal", "settlements", "amount", "points", "creditPoints", "refunds", "refundAmount", "pointsReversed", "redemptions", "pointsRedeemed"];

/** A merchant's per-day rows as CSV (RFC 4180; every value is a number, a date or an address). */
export function daysCsv(days: readonly DayJson[]): string {
  return [DAY_COLUMNS.join(","), ...days.map((d) => DAY_COLUMNS.map((c) => String(d[c])).join(","))].join("\r\n") + "\r\n";
}

export class PortalReads {
  constructor(
    private readonly chain: LedgerClient,
    private readonly reads: ReadService,
    private readonly identities: IdentityStore,
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
   * One block page of the movements of every card the account has had (a replacement card keeps
   * its predecessor's history), newest first, with merchant names and block times; only those of
   * `movement` when given ("reversed": refunds and corrections).
   */
  async history(account: string, before?: number, movement?: "earned" | "reversed" | "redeemed") {
    const all = await this.reads.history(await this.currentCard(account), before);
    const page = { entries: all.entries.filter((e) => movement === undefined || e.movement.startsWith(movement)), nextBefore: all.nextBefore };
    const names = new Map<number, Promise<string | null>>();
    const times = new Map<number, Promise<number>>();
    const entries = await Promise.all(
      page.entries.map(async (e) => {
        if (!names.has(e.merchantId)) names.set(e.merchantId, this.merchantName(e.merchantId));
        if (!times.has(e.block)) times.set(e.block, this.chain.provider.getBlock(e.block).then((b) => b?.timestamp ?? 0));
        return {
          movement: e.movement,
          block: e.block,
          time: await times.get(e.block)!,
          merchantId: e.merchantId,
          merchantName: await names.get(e.merchantId)!,
          orderId: e.orderId,
          points: e.points,
          ...("amount" in e ? { amount: e.amount } : {}),
        };
      }),
    );
    return { entries, nextBefore: page.nextBefore };
  }

  async merchant(merchantId: number) {
    const m = await this.reads.merchant(merchantId);
    const card = await this.chain.registry.card(m.cardId);
    const s = await this.chain.ledger.merchantStats(merchantId);
    const parts = merchantScoreParts(s, await this.blockTime());
    const registry = this.chain.registry;
    const versions = Array.from({ length: Math.min(m.agreementVersion, AGREEMENT_HISTORY) }, (_, i) => m.agreementVersion - i);
    const [history, registered] = await Promise.all([
      Promise.all(versions.map(async (version) => ({ version, ...agreementJson(await registry.agreement(merchantId, version)) }))),
      registry.queryFilter(registry.filters.TerminalRegistered(undefined, merchantId), this.chain.deployment.deploymentBlock),
    ]);
    const addresses = [...new Set(registered.map((e) => e.args.terminal))];
    const terminals = await Promise.all(
      addresses.map(async (terminal) => {
        const t = await registry.terminal(terminal);
        return { terminal, merchantId: n(t.merchantId), enabled: t.enabled };
      }),
    );
    return {
      account: accountName({ kind: "merchant", subject: String(merchantId) }),
      merchantId,
      name: await this.merchantName(merchantId),
      active: m.active,
      card: { masked: maskedCard(m.cardId), status: (["none", "active", "frozen", "closed"] as const)[n(card.status)] },
      agreementVersion: m.agreementVersion,
      agreement: m.agreement,
      agreementHistory: history,
      terminals: terminals.filter((t) => t.merchantId === merchantId).map((t) => ({ terminal: t.terminal, enabled: t.enabled })),
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
   * One block page of the merchant's settlements, refunds and redemptions, summed by day (UTC)
   * and terminal, newest day first. Corrections by the bank (no terminal) are left out.
   */
  async merchantDays(merchantId: number, before?: number) {
    const ledger = this.chain.ledger;
    const { from, to, nextBefore } = await this.reads.blockPage(before);
    if (to < from) return { days: [], nextBefore: null };
    const [earned, reversed, redeemed] = await Promise.all([
      ledger.queryFilter(ledger.filters.PointsEarned(undefined, merchantId), from, to),
      ledger.queryFilter(ledger.filters.PointsReversed(undefined, merchantId), from, to),
      ledger.queryFilter(ledger.filters.PointsRedeemed(undefined, merchantId), from, to),
    ]);
    const times = new Map<number, Promise<number>>();
    const dayOf = (block: number) => {
      if (!times.has(block)) times.set(block, this.chain.provider.getBlock(block).then((b) => b?.timestamp ?? 0));
      return times.get(block)!.then((t) => new Date(t * 1000).toISOString().slice(0, 10));
    };
    const rows = new Map<string, DayRow>();
    const row = async (block: number, terminal: string) => {
      const day = await dayOf(block);
      const key = `${day} ${terminal}`;
      if (!rows.has(key)) rows.set(key, { day, terminal, ...emptyDay() });
      return rows.get(key)!;
    };
    for (const e of earned) {
      const r = await row(e.blockNumber, e.args.terminal);
      r.settlements += 1;
      r.amount += e.args.amount;
      r.points += e.args.points;
      r.creditPoints += e.args.creditPoints;
    }
    for (const e of reversed.filter((e) => Number(e.args.reason) === 0)) {
      const r = await row(e.blockNumber, e.args.terminal);
      r.refunds += 1;
      r.refundAmount += e.args.refundAmount;
      r.pointsReversed += e.args.points;
    }
    for (const e of redeemed) {
      const r = await row(e.blockNumber, e.args.terminal);
      r.redemptions += 1;
      r.pointsRedeemed += e.args.points;
    }
    const days = [...rows.values()]
      .sort((a, b) => b.day.localeCompare(a.day) || a.terminal.localeCompare(b.terminal))
      .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v])) as DayJson);
    return { days, nextBefore };
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
