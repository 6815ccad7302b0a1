/**
 * Order slips: generation (a terminal stores the slip of a payment and gets back its ID and
 * canonical hash, the hash its settlement signs) and reads. The slip stays off chain; only its
 * hash reaches the ledger.
 */
import { randomBytes } from "node:crypto";
import type { Db } from "../../store/db";
import type { LedgerClient } from "../../chain/ledger-client";
import { canonicalSlip, extractSettlement, type SettlementRecord, type Slip } from "../../domain/slips";
import { DomainError } from "../../http/problem";

export interface StoredSlip {
  id: string;
  merchantId: number;
  record: SettlementRecord;
  slip: Slip;
}

/**
 * Store a slip (idempotent by hash). A merchant's order number names one slip: another slip for
 * the same order is a conflict.
 */
export async function storeSlip(db: Db, merchantId: number, slip: Slip): Promise<StoredSlip> {
  const record = extractSettlement(slip);
  const canonical = canonicalSlip(slip);
  const id = randomBytes(16).toString("hex");
  const inserted = await db.query<{ id: string }>(
    `insert into slips (id, merchant_id, terminal, card_id, order_id, slip_hash, currency, category, amount, body)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
     on conflict do nothing returning id`,
    [
      id,
      merchantId,
      record.terminal,
      record.cardId,
      record.orderId,
      record.slipHash,
      slip.currency,
      record.category,
      record.amount.toString(),
      JSON.stringify(canonical),
    ],
  );
  if (inserted.length === 1) return { id, merchantId, record, slip: canonical };
  const [existing] = await db.query<{ id: string }>("select id from slips where slip_hash = $1", [record.slipHash]);
  if (existing) return { id: existing.id, merchantId, record, slip: canonical };
  throw new DomainError({
    code: "slip.order_exists",
    status: 409,
    title: "Order already has a slip",
    detail: `order ${slip.orderNumber} of this merchant already has a different slip`,
  });
}

export class SlipService {
  constructor(
    private readonly db: Db,
    private readonly chain: LedgerClient,
  ) {}

  /** Validate and store a slip from a registered, enabled terminal. */
  async create(slip: Slip): Promise<StoredSlip> {
    const terms = await this.chain.terminalTerms(slip.terminal);
    if (terms.merchantId === 0n || !terms.terminalEnabled) {
      throw new DomainError({
        code: terms.merchantId === 0n ? "terminal.unknown" : "terminal.disabled",
        status: 422,
        title: "Slip refused",
        detail: "slips are accepted from registered, enabled terminals only",
      });
    }
    return storeSlip(this.db, Number(terms.merchantId), slip);
  }

  async get(id: string): Promise<StoredSlip> {
    const [row] = /^[0-9a-f]{32}$/.test(id)
      ? await this.db.query<{ id: string; merchant_id: string; body: Slip }>(
          "select id, merchant_id, body from slips where id = $1",
          [id],
        )
      : [];
    if (!row) throw new DomainError({ code: "slip.not_found", status: 404, title: "Not found", detail: `no slip ${id}` });
    return { id: row.id, merchantId: Number(row.merchant_id), record: extractSettlement(row.body), slip: row.body };
  }
}
