/**
 * The slip archive, checked against the chain. A source yields slips one at a time (a directory
 * of JSON files, one canonical slip each, or the gateway's `slips` table read page by page);
 * each slip is parsed, hashed canonically and matched with the settled order it names
 * (merchant of its terminal, order ID of its order number). Then every settled order must have
 * had its slip.
 *
 * The auditor hashes the slip body itself: it never trusts the hash column the gateway stored.
 */
import fs from "node:fs";
import path from "node:path";
import { extractSettlement, slipSchema, type Slip } from "../domain/slips";
import type { Db } from "../store/db";
import type { RegistryModel } from "./registry-model";
import type { LedgerModel } from "./ledger-model";
import type { AuditCounts, Findings } from "./report";

export interface ArchivedSlip {
  /** Where it came from: a file name or a row ID. */
  source: string;
  body: unknown;
}

export type SlipSource = AsyncIterable<ArchivedSlip>;

/** Every `*.json` file of a directory, one slip each, in name order. */
export async function* directorySlips(dir: string): SlipSource {
  const names = (await fs.promises.readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  for (const name of names) {
    const file = path.join(dir, name);
    let body: unknown;
    try {
      body = JSON.parse(await fs.promises.readFile(file, "utf8"));
    } catch {
      body = undefined;
    }
    yield { source: name, body };
  }
}

/** The gateway store's `slips` table (PGlite or PostgreSQL), 500 rows at a time. */
export async function* databaseSlips(db: Db, pageSize = 500): SlipSource {
  let after = "";
  for (;;) {
    const rows = await db.query<{ id: string; body: unknown }>("select id, body from slips where id > $1 order by id limit $2", [after, pageSize]);
    for (const row of rows) yield { source: `slips/${row.id}`, body: row.body };
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1].id;
  }
}

/** Write slips as a directory archive, one `<id>.json` file each (what `directorySlips` reads). */
export async function exportSlips(db: Db, dir: string): Promise<number> {
  fs.mkdirSync(dir, { recursive: true });
  let n = 0;
  for await (const slip of databaseSlips(db)) {
    fs.writeFileSync(path.join(dir, `${slip.source.replace(/^slips\//, "")}.json`), JSON.stringify(slip.body, null, 2) + "\n");
    n++;
  }
  return n;
}

export async function checkSlips(source: SlipSource, registry: RegistryModel, ledger: LedgerModel, findings: Findings, counts: AuditCounts): Promise<void> {
  for await (const archived of source) {
    counts.slipsRead++;
    const parsed = slipSchema.safeParse(archived.body);
    let record: ReturnType<typeof extractSettlement> | undefined;
    try {
      record = parsed.success ? extractSettlement(parsed.data as Slip) : undefined;
    } catch {
      record = undefined;
    }
    if (!record) {
      findings.add({ code: "slip.invalid", message: `${archived.source} is not a valid slip` });
      continue;
    }
    const merchantId = registry.terminal(record.terminal)?.merchantId;
    const order = merchantId === undefined ? undefined : ledger.ordersByKey.get(`${merchantId}:${record.orderId.toLowerCase()}`);
    if (!order) {
      counts.slipsUnsettled++;
      continue;
    }
    const where = { block: order.block, tx: order.tx, card: order.cardId, merchant: order.merchantId };
    if (order.slipHash !== "" && record.slipHash.toLowerCase() !== order.slipHash.toLowerCase()) {
      findings.add({
        code: "slip.altered",
        message: `${archived.source} (order ${(archived.body as Slip).orderNumber}) does not hash to the slip hash the settlement recorded`,
        expected: order.slipHash,
        actual: record.slipHash,
        ...where,
      });
      order.slipSeen = true;
      continue;
    }
    counts.slipsMatched++;
    order.slipSeen = true;
    const differs = [
      record.cardId !== order.cardId.toLowerCase() && "card",
      record.terminal.toLowerCase() !== order.terminal.toLowerCase() && "terminal",
      record.amount !== order.amount && "amount",
      order.currency !== "" && record.currency.toLowerCase() !== order.currency.toLowerCase() && "currency",
      order.category >= 0 && record.category !== order.category && "category",
      order.time !== 0n && record.time !== order.time && "time",
    ].filter(Boolean);
    if (differs.length > 0) {
      findings.add({ code: "slip.settlement_mismatch", message: `${archived.source} hashes right but its ${differs.join(", ")} differ from the signed settlement`, ...where });
    }
  }
  // One check per order: a second settlement of an order is reported as order.settled_twice.
  for (const order of ledger.ordersByKey.values()) {
    if (!order.slipSeen) {
      findings.add({
        code: "slip.missing",
        message: `settled order ${order.orderId} has no slip in the archive`,
        expected: order.slipHash,
        block: order.block,
        tx: order.tx,
        card: order.cardId,
        merchant: order.merchantId,
      });
    }
  }
}
