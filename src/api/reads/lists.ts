/**
 * What an operator lists (issue 21): cards by status, kind or merchant served, merchants, a
 * merchant's terminals with their enabled state, all from the read index one page at a time;
 * and whether the ledger is paused, from the chain.
 */
import type { LedgerClient } from "../../chain/ledger-client";
import { DomainError } from "../../domain/domain-error";
import type { ReadIndex } from "../../index/indexer";
import { listCards, listMerchants, listTerminals, merchantIndexed, type CardListRow } from "../../index/store";

export class ListService {
  constructor(
    private readonly chain: LedgerClient,
    private readonly index: ReadIndex,
  ) {}

  async cards(filter: { status?: CardListRow["status"]; kind?: CardListRow["kind"]; merchant?: number; after?: string; limit: number }) {
    const { indexedBlock, value } = await this.index.read((db, source) => listCards(db, source, filter));
    return { cards: value.rows, nextAfter: value.next, indexedBlock };
  }

  async merchants(filter: { active?: boolean; after?: number; limit: number }) {
    const { indexedBlock, value } = await this.index.read((db, source) => listMerchants(db, source, filter));
    return { merchants: value.rows, nextAfter: value.next, indexedBlock };
  }

  async terminals(merchantId: number, filter: { enabled?: boolean; after?: string; limit: number }) {
    const { indexedBlock, value } = await this.index.read(async (db, source) => {
      if (!(await merchantIndexed(db, source, merchantId))) {
        throw new DomainError({ code: "merchant.unknown", detail: "no such merchant (as far as the index has got)" });
      }
      return listTerminals(db, source, merchantId, { ...filter, after: filter.after?.toLowerCase() });
    });
    return { merchantId, terminals: value.rows, nextAfter: value.next, indexedBlock };
  }

  /** Whether the ledger is paused, the chain's head and how far the index has got. */
  async ledger() {
    const [paused, head, indexedBlock] = await Promise.all([this.chain.ledger.paused(), this.chain.provider.send("eth_blockNumber", []) as Promise<string>, this.index.indexedBlock()]);
    return { paused, headBlock: Number(head), indexedBlock, indexConfirmations: this.index.confirmations };
  }
}
