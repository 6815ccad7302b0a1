/**
 * A holder's lost-card report (CardReportedLost, ADR 0010), judged against the registry as
 * replayed to its block: the reporting key held CARD_FREEZER, and the card was an active
 * consumer card. The contract refuses anything else, so a finding here means the chain recorded
 * a freeze the registry's rules do not allow.
 */
import { ROLES } from "../chain/roles";
import type { NamedEvent, RegistryModel } from "./registry-model";
import type { Discrepancy } from "./report";
import { CardKind, CardStatus } from "../../packages/terminal-sdk/src/constants";

type Where = Pick<Discrepancy, "block" | "tx">;

/** Check one CardReportedLost event before the model applies it. */
export function checkLostCardReport(registry: RegistryModel, e: NamedEvent, where: Where): Discrepancy[] {
  const cardId = String(e.args.cardId);
  const reporter = String(e.args.reporter);
  const found: Discrepancy[] = [];
  if (!registry.hasRole(ROLES.CARD_FREEZER, reporter)) {
    found.push({ code: "lost_report.reporter_not_card_freezer", message: `card ${cardId} was reported lost by ${reporter}, which did not hold CARD_FREEZER at that block`, card: cardId, ...where });
  }
  const c = registry.card(cardId);
  if (!c) {
    found.push({ code: "lost_report.card_unknown", message: `card ${cardId} was reported lost, never issued`, card: cardId, ...where });
  } else if (c.kind !== CardKind.Consumer || c.status !== CardStatus.Active) {
    found.push({ code: "lost_report.card_not_active_consumer", message: `card ${cardId} (kind ${c.kind}, status ${c.status}) was reported lost: only an active consumer card can be`, card: cardId, ...where });
  }
  return found;
}
