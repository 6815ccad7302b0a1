/**
 * "Report my card lost" (ADR 0010): a consumer signed in to the portal freezes the current card
 * of their own points account at once. The gateway relays `reportCardLost` from its card-freezer
 * key, which can do nothing on chain but move an active consumer card to frozen; unfreezing stays
 * with the bank's operators. Idempotent: a card already frozen answers as frozen, sending nothing.
 */
import { DomainError } from "../../domain/domain-error";
import { ContractRefusal } from "../../chain/contract-errors";
import type { LedgerClient } from "../../chain/ledger-client";
import type { ChainSender } from "../../chain/sender";
import { maskedCard, notFound } from "./reads";
import { CardKind, CardStatus } from "../../../packages/terminal-sdk/src/constants";

const ZERO_ID = `0x${"00".repeat(32)}`;

export interface LostCardReport {
  card: { masked: string; status: "frozen" };
  /** False when the card was already frozen (by an earlier report or by the bank): nothing was sent. */
  reported: boolean;
  /** The transaction that froze it, when this request sent one. */
  txHash: string | null;
}

export class LostCardReports {
  constructor(
    private readonly chain: LedgerClient,
    /** The card-freezer key's sender; without it every report answers 503. */
    private readonly freezer: ChainSender | undefined,
  ) {}

  /** Freeze the current card of consumer account `account` (the session's own, checked by the route). */
  async report(account: string): Promise<LostCardReport> {
    const cardId = (await this.chain.registry.cardOfAccount(account)).toLowerCase();
    if (cardId === ZERO_ID) throw notFound();
    const card = await this.chain.registry.card(cardId);
    if (Number(card.kind) !== CardKind.Consumer) throw notFound();
    if (Number(card.status) === CardStatus.Frozen) return frozen(cardId, false, null);
    if (Number(card.status) !== CardStatus.Active) {
      throw new DomainError({ code: "card.closed", detail: "a closed card cannot be used any more: nothing to freeze" });
    }
    const freezer = this.freezer;
    if (!freezer) throw unavailable("this gateway has no card-freezer key");
    try {
      const receipt = await freezer.send((overrides) => this.chain.registry.connect(freezer.wallet).reportCardLost(cardId, overrides));
      return frozen(cardId, true, receipt.hash);
    } catch (err) {
      if ((err as { code?: string }).code === "INSUFFICIENT_FUNDS") throw unavailable(`the gateway's card-freezer key ${freezer.wallet.address} has no funds to pay for the freeze`);
      if (!(err instanceof ContractRefusal)) throw err;
      // Two reports at once: the other one froze it first.
      if (err.error.name === "CardStatusForbids" && Number(err.error.args[1] as bigint) === CardStatus.Frozen) return frozen(cardId, false, null);
      if (err.error.name === "AccessControlUnauthorizedAccount") {
        throw unavailable(`the gateway's card-freezer key ${freezer.wallet.address} does not hold CARD_FREEZER: governance grants it`);
      }
      throw err;
    } finally {
      this.chain.invalidate({ cardId });
    }
  }
}

function frozen(cardId: string, reported: boolean, txHash: string | null): LostCardReport {
  return { card: { masked: maskedCard(cardId), status: "frozen" }, reported, txHash };
}

function unavailable(detail: string): DomainError {
  return new DomainError({ code: "portal.lost_report_unavailable", detail: `${detail}; call the bank to freeze the card` });
}
