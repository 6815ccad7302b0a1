/**
 * Every card ID of the account a card belongs to: the card itself, its predecessors and its
 * successors (CardReplaced events, indexed by account). A holder's personal data is stored under
 * the account's first card and follows the account through replacements.
 */
import type { LedgerClient } from "./ledger-client";

export function cardsOfAccount(chain: LedgerClient): (cardId: string) => Promise<readonly string[]> {
  return async (cardId) => {
    const card = await chain.registry.card(cardId);
    if (card.account === 0n) return [cardId];
    const replaced = await chain.registry.queryFilter(chain.registry.filters.CardReplaced(undefined, undefined, card.account), chain.deployment.deploymentBlock);
    return [cardId, ...replaced.flatMap((e) => [e.args.oldCardId, e.args.newCardId])];
  };
}
