/**
 * Order slips: generation (a terminal stores the slip of a payment and gets back its ID and
 * canonical hash, the hash its settlement signs) and reads. The slip stays off chain; only its
 * hash reaches the ledger.
 */
import { randomBytes } from "node:crypto";
import { getBytes } from "ethers";
import type { Db } from "../../store/db";
import type { LedgerClient } from "../../chain/ledger-client";
import { extractSettlement, readSlip, type ReadSlip, type SettlementRecord, type Slip } from "../../domain/slips";
import { DomainError } from "../../domain/domain-error";
import type { ErrorCode } from "../../domain/error-catalogue";
import { checksumAddress } from "../../domain/address";
import { SignerPool } from "../../domain/signer-pool";
import { orderSlipDigest, type CompactSignature } from "../../domain/typed-data";

function refused(code: ErrorCode, detail: string): DomainError {
  return new DomainError({ code, detail });
}

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
export async function storeSlip(db: Db, merchantId: number, slip: Slip, read?: ReadSlip): Promise<StoredSlip> {
  const [stored] = await storeSlips(db, [{ merchantId, slip, read }]);
  if (stored instanceof DomainError) throw stored;
  return stored;
}

/**
 * Store many slips with one multi-row statement (plus one lookup for those already there), each
 * read (readSlip) by the caller already or here; one result per input, in order: the stored
 * slip, or the conflict of a different slip for an order that has one.
 */
export async function storeSlips(db: Db, items: readonly { merchantId: number; slip: Slip; read?: ReadSlip }[]): Promise<(StoredSlip | DomainError)[]> {
  if (items.length === 0) return [];
  const rows = items.map(({ merchantId, slip, read }) => ({
    id: randomBytes(16).toString("hex"),
    merchantId,
    ...(read ?? readSlip(slip)),
    currency: slip.currency,
  }));
  const inserted = await db.query<{ id: string; slip_hash: string }>(
    `insert into slips (id, merchant_id, terminal, card_id, order_id, slip_hash, currency, category, amount, body)
     select id, merchant_id, terminal, card_id, order_id, slip_hash, currency, category, amount, body
     from json_to_recordset($1::json) as v(id text, merchant_id bigint, terminal text, card_id text, order_id text,
                                           slip_hash text, currency text, category integer, amount numeric, body jsonb)
     on conflict do nothing returning id, slip_hash`,
    [
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          merchant_id: r.merchantId,
          terminal: r.record.terminal,
          card_id: r.record.cardId,
          order_id: r.record.orderId,
          slip_hash: r.record.slipHash,
          currency: r.currency,
          category: r.record.category,
          amount: r.record.amount.toString(),
          body: r.canonical,
        })),
      ),
    ],
  );
  const idByHash = new Map(inserted.map((r) => [r.slip_hash, r.id]));
  const missing = rows.filter((r) => !idByHash.has(r.record.slipHash)).map((r) => r.record.slipHash);
  if (missing.length > 0) {
    const existing = await db.query<{ id: string; slip_hash: string }>("select id, slip_hash from slips where slip_hash = any($1::text[])", [missing]);
    for (const r of existing) idByHash.set(r.slip_hash, r.id);
  }
  return rows.map((r, i) => {
    const id = idByHash.get(r.record.slipHash);
    if (id) return { id, merchantId: r.merchantId, record: r.record, slip: r.canonical };
    return new DomainError({
      code: "slip.order_exists",
      detail: `order ${items[i].slip.orderNumber} of this merchant already has a different slip`,
    });
  });
}

export class SlipService {
  constructor(
    private readonly db: Db,
    private readonly chain: LedgerClient,
    /** Recovers who signed a slip (inline by default; the gateway shares its signature thread). */
    private readonly signers: SignerPool = new SignerPool(0),
  ) {}

  /**
   * Validate and store a slip that its terminal (registered and enabled) signed: nobody else
   * can take a merchant's order number with a slip of their own.
   */
  async create(slip: Slip, signature: CompactSignature): Promise<StoredSlip> {
    const read = readSlip(slip);
    const signer = this.signers.signer(getBytes(orderSlipDigest(this.chain.domain, read.record.slipHash)), signature);
    signer.catch(() => undefined); // awaited below, unless the terminal check refuses first
    const terms = await this.chain.terminalTerms(slip.terminal);
    if (terms.merchantId === 0n || !terms.terminalEnabled) {
      throw refused(terms.merchantId === 0n ? "terminal.unknown" : "terminal.disabled", "slips are accepted from registered, enabled terminals only");
    }
    if ((await signer) !== checksumAddress(slip.terminal)) {
      throw refused("signature.terminal_invalid", "the slip is not signed by its terminal's key");
    }
    return storeSlip(this.db, Number(terms.merchantId), slip, read);
  }

  async get(id: string): Promise<StoredSlip> {
    const [row] = /^[0-9a-f]{32}$/.test(id)
      ? await this.db.query<{ id: string; merchant_id: string; body: Slip }>(
          "select id, merchant_id, body from slips where id = $1",
          [id],
        )
      : [];
    if (!row) throw new DomainError({ code: "slip.not_found", detail: `no slip ${id}` });
    return { id: row.id, merchantId: Number(row.merchant_id), record: extractSettlement(row.body), slip: row.body };
  }
}
