/**
 * The credit center's export: every account's credit line (card ID, kind, score, eligible limit,
 * current grant...) read page by page from GET /v1/credit/scores and streamed out as JSON (an
 * array, one record per line) or CSV, so a large export never sits in memory whole. Used by
 * `npm run credit -- export` (scripts/credit.ts).
 */
import { once } from "node:events";
import type { Writable } from "node:stream";
import type { CreditLine } from "../api/credit/service";

export type ExportFormat = "json" | "csv";

export interface ScoresPage {
  scoreVersion: number;
  total: string;
  next: number | null;
  records: CreditLine[];
}

/** CSV columns, in order; the grant's fields are flattened (empty when there is no grant). */
export const CSV_COLUMNS = [
  "cardId",
  "account",
  "kind",
  "status",
  "merchantId",
  "score",
  "scoreVersion",
  "points",
  "eligibleLimit",
  "grantLimit",
  "grantExpiresAt",
  "grantPolicyVersion",
  "grantFrozen",
  "availableLimit",
] as const;

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(r: CreditLine): string {
  const cells = [
    r.cardId,
    r.account,
    r.kind,
    r.status,
    r.merchantId,
    r.score,
    r.scoreVersion,
    r.points,
    r.eligibleLimit,
    r.grant?.limit,
    r.grant?.expiresAt,
    r.grant?.policyVersion,
    r.grant?.frozen,
    r.availableLimit,
  ];
  return cells.map(csvCell).join(",");
}

/** Reads of the operator API in a signed-in operator's session. */
export interface OperatorApi {
  call<T>(method: string, path: string): Promise<T>;
}

export interface ExportOptions {
  client: OperatorApi;
  format: ExportFormat;
  out: Writable;
  /** Accounts per request (1..200). */
  pageSize?: number;
  /** Called after each page with the accounts done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Stream every credit line to `out`; resolves with the number of records written. */
export async function exportCredit(o: ExportOptions): Promise<number> {
  const pageSize = o.pageSize ?? 100;
  const write = async (text: string) => {
    if (!o.out.write(text)) await once(o.out, "drain");
  };
  let written = 0;
  let from: number | null = 1;
  await write(o.format === "json" ? "[" : CSV_COLUMNS.join(",") + "\n");
  while (from !== null) {
    const page: ScoresPage = await o.client.call<ScoresPage>("GET", `/v1/credit/scores?from=${from}&limit=${pageSize}`);
    for (const record of page.records) {
      await write(o.format === "json" ? `${written === 0 ? "" : ","}\n${JSON.stringify(record)}` : csvRow(record) + "\n");
      written++;
    }
    o.onProgress?.(Math.min(written, Number(page.total)), Number(page.total));
    from = page.next;
  }
  if (o.format === "json") await write(written === 0 ? "]\n" : "\n]\n");
  return written;
}
