/**
 * Reads of the ledger for operators, the portal and terminals: a card's points, statistics and
 * history, a merchant's agreement and totals. The chain is the source of truth; history comes
 * from the ledger's events, read in block pages.
 */
import type { LedgerClient } from "../../chain/ledger-client";
import { cardsOfAccount } from "../../chain/account-cards";
import { CORRECTION_REASONS, correctionReasonName } from "../../domain/correction-reasons";
import { ORDER_SLIP_TYPES, REDEMPTION_TYPES, REFUND_TYPES, SETTLEMENT_TYPES, ledgerDomain } from "../../domain/typed-data";
import type { IMerchantRegistry } from "../../../typechain-types/contracts/registry/CredenceRegistry";
import { DomainError } from "../../http/problem";

const STATUS = ["none", "active", "frozen", "closed"] as const;
const KIND = ["consumer", "merchant"] as const;
const HISTORY_PAGE_BLOCKS = 50_000;

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
  private readonly accountCards: (cardId: string) => Promise<readonly string[]>;

  constructor(private readonly chain: LedgerClient) {
    this.accountCards = cardsOfAccount(chain);
  }

  async card(cardId: string) {
    const card = await this.chain.registry.card(cardId);
    if (card.status === 0n) throw new DomainError({ code: "card.unknown", status: 404, title: "Not found", detail: "no such card" });
    const [balance, stats, replacedBy, merchantId] = await Promise.all([
      this.chain.ledger.balanceOf(cardId),
      this.chain.ledger.accountStats(cardId),
      this.chain.registry.replacementOf(cardId),
      this.chain.registry.merchantOfCard(cardId),
    ]);
    return {
      cardId,
      kind: KIND[Number(card.kind)],
      status: STATUS[Number(card.status)],
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
   * The block range of one history page ending before `beforeBlock` (the newest first), and the
   * `before` of the page after it (null after the deployment block).
   */
  async blockPage(beforeBlock?: number): Promise<{ from: number; to: number; nextBefore: number | null }> {
    // Raw eth_blockNumber: ethers caches getBlockNumber() briefly, which would hide a movement
    // made just before this read.
    const head = Number(await this.chain.provider.send("eth_blockNumber", []));
    const to = Math.min(beforeBlock === undefined ? head : beforeBlock - 1, head);
    const from = Math.max(this.chain.deployment.deploymentBlock, to - HISTORY_PAGE_BLOCKS + 1);
    return { from, to, nextBefore: to >= from && from > this.chain.deployment.deploymentBlock ? from : null };
  }

  /**
   * Points movements of the account a card belongs to, newest block range first, one page at a
   * time: a replacement card's history includes its predecessors' entries (each names its card).
   */
  async history(cardId: string, beforeBlock?: number) {
    const { from, to, nextBefore } = await this.blockPage(beforeBlock);
    if (to < from) return { cardId, fromBlock: from, toBlock: to, entries: [], nextBefore: null };
    const cards = [...new Set((await this.accountCards(cardId)).map((id) => id.toLowerCase()))];
    const entries = (await Promise.all(cards.map((card) => this.cardEntries(card, from, to)))).flat().sort((a, b) => b.block - a.block || b.logIndex - a.logIndex);
    return { cardId, fromBlock: from, toBlock: to, entries, nextBefore };
  }

  /** One card's points movements in a block range. */
  private async cardEntries(cardId: string, from: number, to: number) {
    const ledger = this.chain.ledger;
    const [earned, reversed, redeemed] = await Promise.all([
      ledger.queryFilter(ledger.filters.PointsEarned(cardId), from, to),
      ledger.queryFilter(ledger.filters.PointsReversed(cardId), from, to),
      ledger.queryFilter(ledger.filters.PointsRedeemed(cardId), from, to),
    ]);
    const entries = [
      ...earned.map((e) => ({
        movement: "earned" as const,
        cardId,
        block: e.blockNumber,
        logIndex: e.index,
        txHash: e.transactionHash,
        merchantId: Number(e.args.merchantId),
        orderId: e.args.orderId,
        points: e.args.points.toString(),
        amount: e.args.amount.toString(),
        agreementVersion: Number(e.args.agreementVersion),
      })),
      ...reversed.map((e) => ({
        movement: (Number(e.args.reason) === 0 ? "reversed_refund" : "reversed_correction") as "reversed_refund" | "reversed_correction",
        cardId,
        block: e.blockNumber,
        logIndex: e.index,
        txHash: e.transactionHash,
        merchantId: Number(e.args.merchantId),
        orderId: e.args.orderId,
        points: (-e.args.points).toString(),
        amount: e.args.refundAmount.toString(),
        reasonCode: Number(e.args.reasonCode),
        ...(Number(e.args.reason) === 0 ? {} : { reason: correctionReasonName(Number(e.args.reasonCode)) }),
      })),
      ...redeemed.map((e) => ({
        movement: "redeemed" as const,
        cardId,
        block: e.blockNumber,
        logIndex: e.index,
        txHash: e.transactionHash,
        merchantId: Number(e.args.merchantId),
        orderId: e.args.orderId,
        points: (-e.args.points).toString(),
      })),
    ];
    return entries;
  }

  async merchant(merchantId: number) {
    const m = await this.chain.registry.merchant(merchantId);
    if (m.cardId === "0x" + "00".repeat(32)) {
      throw new DomainError({ code: "merchant.unknown", status: 404, title: "Not found", detail: "no such merchant" });
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
