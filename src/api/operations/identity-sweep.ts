/**
 * The identity sweep: on a schedule, erase the personal data no card will carry, without waiting
 * for an operator to cancel anything:
 * - the identity of a card issuance whose proposal expired (past its deadline by chain time),
 *   was rejected or withdrawn, and whose card does not exist;
 * - the identity stored for an issuance whose proposal never reached the chain (older than
 *   `orphanAfterMs`);
 * - the identity of every card whose erasure both institutions approved (IdentityErasureApproved)
 *   and that is still stored: an approval relayed by something other than this gateway;
 * - the data keys in this gateway's key store whose record is erased (through another gateway
 *   over the same PostgreSQL) or was never stored (`destroyOrphanKeys`).
 * Each run logs one line of counts and adds what it erased to identity_sweep_erased_total: never a
 * card ID or anything of the holder.
 */
import type { Logger } from "pino";
import type { Counter } from "prom-client";
import type { LedgerClient } from "../../chain/ledger-client";
import type { Db } from "../../store/db";
import type { IdentityStore } from "./service";
import { CardStatus } from "../../../packages/terminal-sdk/src/constants";

/** IDualControl.ProposalState.Pending. */
const PENDING = 1n;
/** Cards read per cardWords call. */
const CARD_BATCH = 500;

export interface IdentitySweepResult {
  /** Identities of issuances that expired, were cancelled or never reached the chain. */
  unissued: number;
  /** Identities whose erasure was approved on chain and that were still stored. */
  approved: number;
  /** Identities of issuances still pending. */
  pending: number;
  /** Data keys destroyed whose record was already erased or never stored. */
  orphanKeys: number;
}

export interface IdentitySweepOptions {
  db: Db;
  chain: LedgerClient;
  identities: IdentityStore;
  log: Pick<Logger, "info" | "warn">;
  erasedTotal?: Counter<"reason">;
  /** Destroys the key store's keys of no live record; returns the count. */
  destroyOrphanKeys?: () => Promise<number>;
  /** An identity with no issuance proposal on chain is kept this long (default 1 hour). */
  orphanAfterMs?: number;
}

export class IdentitySweep {
  /** The first block whose IdentityErasureApproved events the next run reads (all of them at first). */
  private erasuresFrom?: number;

  constructor(private readonly o: IdentitySweepOptions) {}

  async run(): Promise<IdentitySweepResult> {
    const { db, chain, identities } = this.o;
    const result: IdentitySweepResult = { unissued: 0, approved: 0, pending: 0, orphanKeys: 0 };
    const registry = chain.registry;
    const from = chain.deployment.deploymentBlock;

    // Asked of the node itself: the provider's own "latest" may lag a block behind for a moment.
    const latest = (await chain.provider.send("eth_getBlockByNumber", ["latest", false])) as { number: string; timestamp: string };
    const head = Number(latest.number);
    const now = BigInt(latest.timestamp);
    const erasuresFrom = this.erasuresFrom ?? from;
    if (erasuresFrom <= head) {
      for (const event of await registry.queryFilter(registry.filters.IdentityErasureApproved(), erasuresFrom, head)) {
        if (await identities.erase(event.args.cardId)) result.approved += 1;
      }
      this.erasuresFrom = head + 1;
    }

    const orphanAfterMs = this.o.orphanAfterMs ?? 3_600_000;
    const live = await db.query<{ card_id: string; age_ms: string }>(
      "select card_id, (extract(epoch from now() - stored_at) * 1000)::bigint as age_ms from identities where erased_at is null and not card_issued order by card_id",
    );
    const unissued: { cardId: string; ageMs: number }[] = [];
    for (let i = 0; i < live.length; i += CARD_BATCH) {
      const slice = live.slice(i, i + CARD_BATCH);
      const words = await registry.cardWords(slice.map((r) => r.card_id));
      const issued: string[] = [];
      slice.forEach((r, j) => {
        if (words[j] === 0n) unissued.push({ cardId: r.card_id.toLowerCase(), ageMs: Number(r.age_ms) });
        else issued.push(r.card_id);
      });
      if (issued.length > 0) await db.query("update identities set card_issued = true where card_id = any($1::text[])", [issued]);
    }
    if (unissued.length > 0) {
      // The issuance proposal of each card not issued, from the registry's ProposalCreated events.
      const proposals = new Map<string, { id: bigint; deadline: bigint }[]>();
      for (const log of await registry.queryFilter(registry.filters.ProposalCreated(), from, head)) {
        const call = registry.interface.parseTransaction({ data: log.args.action });
        if (call?.name !== "issueCard") continue;
        const cardId = String(call.args[0]).toLowerCase();
        proposals.set(cardId, [...(proposals.get(cardId) ?? []), { id: log.args.proposalId, deadline: log.args.deadline }]);
      }
      for (const { cardId, ageMs } of unissued) {
        const mine = proposals.get(cardId) ?? [];
        let alive = mine.length === 0 && ageMs < orphanAfterMs;
        for (const p of mine) {
          // Still approvable: pending and, by the next block's time, not past its deadline.
          if ((await registry.proposal(p.id)).state === PENDING && now < p.deadline) alive = true;
        }
        if (alive) {
          result.pending += 1;
          continue;
        }
        // Read the card again: an approval mined since the batch read issued it.
        if (Number((await registry.card(cardId)).status) !== CardStatus.None) continue;
        if (await identities.erase(cardId)) result.unissued += 1;
      }
    }
    result.orphanKeys = (await this.o.destroyOrphanKeys?.()) ?? 0;
    this.o.erasedTotal?.inc({ reason: "unissued" }, result.unissued);
    this.o.erasedTotal?.inc({ reason: "approved" }, result.approved);
    this.o.log.info(result, "identity sweep");
    return result;
  }
}
