/**
 * Reads of the ledger for operators, the portal and terminals: a card's points, statistics and
 * history, a merchant's agreement and totals. The chain is the source of truth for current
 * state; history comes from the read index (src/index/, ADR 0008) of the ledger's events.
 */
import type { LedgerClient } from "../../chain/ledger-client";
import { CORRECTION_REASONS, correctionReasonName } from "../../domain/correction-reasons";
import { ORDER_SLIP_TYPES, REDEMPTION_TYPES, REFUND_TYPES, SETTLEMENT_TYPES, ledgerDomain } from "../../domain/typed-data";
import type { IMerchantRegistry } from "../../../typechain-types/contracts/registry/CredenceRegistry";
import { DomainError } from "../../domain/domain-error";
import type { ReadIndex } from "../../index/indexer";
import { accountMovements, type MovementRow } from "../../index/store";
import { CARD_KINDS, CARD_STATUSES, CardStatus } from "../../../packages/terminal-sdk/src/constants";

/** Movements in one page of a history. */
export const HISTORY_PAGE = 100;

/** A movement as a history lists it (the fields of its kind only). */
export function historyEntry(m: MovementRow) {
  const at = { movement: m.movement, cardId: m.cardId, block: m.block, logIndex: m.logIndex, txHash: m.txHash, time: m.time, merchantId: m.merchantId, orderId: m.orderId, points: m.points };
  switch (m.movement) {
    case "earned":
      return { ...at, amount: m.amount!, agreementVersion: m.agreementVersion! };
    case "reversed_refund":
      return { ...at, amount: m.amount!, reasonCode: m.reasonCode! };
    case "reversed_correction":
      return { ...at, amount: m.amount!, reasonCode: m.reasonCode!, reason: correctionReasonName(m.reasonCode!) };
    case "redeemed":
      return at;
  }
}

/** An agreement as the API shows it: amounts as decimal strings, the currency as its ISO code, multipliers unpacked. */
export function agreementJson(agreement: IMerchantRegistry.AgreementStructOutput) {
  return {
    baseRateBps: Number(agreement.baseRateBps),
    maxPointsPerSettlement: agreement.maxPointsPerSettlement.toString(),
    minAmount: agreement.minAmount.toString(),
    validFrom: Number(agreement.validFrom),
    validUntil: Number(agreement.validUntil),
    currency: Buffer.from(agreement.currency.slice(2), "hex").toString("ascii"),
    categoryMultipliers: Array.from({ length: 16 }, (_, c) => Number((agreement.categoryMultipliers >> BigInt(16 * c)) & 0xffffn)),
  };
}

export class ReadService {
  constructor(
    private readonly chain: LedgerClient,
    private readonly index: ReadIndex,
  ) {}

  async card(cardId: string) {
    const card = await this.chain.registry.card(cardId);
    if (Number(card.status) === CardStatus.None) throw new DomainError({ code: "card.not_found", detail: "no such card" });
    const [balance, stats, replacedBy, merchantId] = await Promise.all([
      this.chain.ledger.balanceOf(cardId),
      this.chain.ledger.accountStats(cardId),
      this.chain.registry.replacementOf(cardId),
      this.chain.registry.merchantOfCard(cardId),
    ]);
    return {
      cardId,
      kind: CARD_KINDS[Number(card.kind)],
      status: CARD_STATUSES[Number(card.status)],
      account: card.account.toString(),
      key: card.key,
      replacedBy: /^0x0+$/.test(replacedBy) ? null : replacedBy,
      merchantId: merchantId === 0n ? null : Number(merchantId),
      points: {
        balance: balance.toString(),
        earned: stats.earned.toString(),
        reversed: stats.reversed.toString(),
        redeemed: stats.redeemed.toString(),
      },
      merchantCount: Number(stats.merchantCount),
      firstActivity: Number(stats.firstActivity) || null,
      lastActivity: Number(stats.lastActivity) || null,
    };
  }

  /**
   * One page of the points movements of the account a card belongs to, newest first, from the
   * read index: a replacement card's history includes its predecessors' entries (each names its
   * card). `before` is the cursor of the page (the previous page's `nextBefore`, a position in
   * the chain's order); `indexedBlock` says how far the index has got.
   */
  async history(cardId: string, before?: number) {
    const card = await this.chain.registry.card(cardId);
    const { indexedBlock, value: page } = await this.index.read((db, source) =>
      card.account === 0n ? Promise.resolve({ rows: [], next: null }) : accountMovements(db, source, card.account.toString(), { before: before === undefined ? undefined : BigInt(before), limit: HISTORY_PAGE }),
    );
    return { cardId, indexedBlock, entries: page.rows.map(historyEntry), nextBefore: page.next === null ? null : Number(page.next) };
  }

  async merchant(merchantId: number) {
    const m = await this.chain.registry.merchant(merchantId);
    if (m.cardId === "0x" + "00".repeat(32)) {
      throw new DomainError({ code: "merchant.unknown", detail: "no such merchant" });
    }
    const [agreement, stats] = await Promise.all([
      m.agreementVersion === 0n ? null : this.chain.registry.agreement(merchantId, m.agreementVersion),
      this.chain.ledger.merchantStats(merchantId),
    ]);
    return {
      merchantId,
      cardId: m.cardId,
      active: m.active,
      agreementVersion: Number(m.agreementVersion),
      agreement: agreement && agreementJson(agreement),
      stats: {
        pointsGranted: stats.pointsGranted.toString(),
        pointsReversed: stats.pointsReversed.toString(),
        creditPoints: stats.creditPoints.toString(),
        creditPointsReversed: stats.creditPointsReversed.toString(),
        pointsRedeemed: stats.pointsRedeemed.toString(),
        consumersServed: Number(stats.consumersServed),
        firstActivity: Number(stats.firstActivity) || null,
        lastActivity: Number(stats.lastActivity) || null,
      },
    };
  }

  info() {
    return {
      chainId: this.chain.deployment.chainId,
      operators: this.chain.deployment.operators ?? null,
      registry: this.chain.deployment.registry,
      ledger: this.chain.deployment.ledger,
      deploymentBlock: this.chain.deployment.deploymentBlock,
      creditScores: this.chain.deployment.creditScores ?? null,
      creditGrants: this.chain.deployment.creditGrants ?? null,
      eip712: {
        domain: { ...ledgerDomain(BigInt(this.chain.deployment.chainId), this.chain.deployment.ledger), chainId: this.chain.deployment.chainId },
        types: { ...SETTLEMENT_TYPES, ...REFUND_TYPES, ...REDEMPTION_TYPES, ...ORDER_SLIP_TYPES },
      },
      correctionReasons: CORRECTION_REASONS.map((r) => ({ ...r })),
    };
  }
}
