/**
 * What an audit found: discrepancies (each named by a stable code, located by block,
 * transaction and card) and the counts of what was checked. `formatSummary` is the human
 * summary the CLI prints; the report object itself is the machine-readable `--json` document.
 */

/** One thing the chain (or the slip archive) says that the independent recomputation does not. */
export interface Discrepancy {
  /** Stable code, e.g. `settlement.points_mismatch`, `slip.altered`, `dual_control.single_approval`, `operator_step.bad_signature`. */
  code: string;
  message: string;
  block?: number;
  tx?: string;
  card?: string;
  merchant?: number;
  /** What the auditor recomputed (or the chain recorded, for slips). */
  expected?: string;
  /** What the contract or the archive says. */
  actual?: string;
}

export interface AuditCounts {
  events: number;
  transactions: number;
  settlements: number;
  rejectedSettlements: number;
  signaturesChecked: number;
  refunds: number;
  redemptions: number;
  corrections: number;
  batches: number;
  cards: number;
  merchants: number;
  dualControlActions: number;
  /** Operator step signatures re-verified (one per credential signature or enrolment-code signature). */
  operatorSteps: number;
  stateValuesCompared: number;
  slipsRead: number;
  slipsMatched: number;
  /** Slips in the archive with no settled order (e.g. a refused or pending settlement). */
  slipsUnsettled: number;
}

export interface AuditReport {
  chainId: string;
  registry: string;
  ledger: string;
  fromBlock: number;
  toBlock: number;
  /** Whether an archive of slips was checked. */
  slipsChecked: boolean;
  seconds: number;
  counts: AuditCounts;
  discrepancies: Discrepancy[];
  /** Discrepancies beyond `maxDiscrepancies` are counted, not listed. */
  discrepanciesOmitted: number;
}

export function emptyCounts(): AuditCounts {
  return {
    events: 0,
    transactions: 0,
    settlements: 0,
    rejectedSettlements: 0,
    signaturesChecked: 0,
    refunds: 0,
    redemptions: 0,
    corrections: 0,
    batches: 0,
    cards: 0,
    merchants: 0,
    dualControlActions: 0,
    operatorSteps: 0,
    stateValuesCompared: 0,
    slipsRead: 0,
    slipsMatched: 0,
    slipsUnsettled: 0,
  };
}

/** Collects discrepancies, keeping at most `max` of them (a broken chain could yield millions). */
export class Findings {
  readonly list: Discrepancy[] = [];
  omitted = 0;

  constructor(private readonly max = 10_000) {}

  add(d: Discrepancy): void {
    if (this.list.length < this.max) this.list.push(d);
    else this.omitted++;
  }

  get total(): number {
    return this.list.length + this.omitted;
  }
}

/** A JSON-ready copy: bigints as decimal strings. */
export function reportJson(report: AuditReport): string {
  return JSON.stringify(report, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n";
}

export function formatSummary(report: AuditReport): string {
  const c = report.counts;
  const total = report.discrepancies.length + report.discrepanciesOmitted;
  const byCode = new Map<string, number>();
  for (const d of report.discrepancies) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);
  const lines = [
    `audit of chain ${report.chainId}, ledger ${report.ledger}, registry ${report.registry}`,
    `blocks ${report.fromBlock}..${report.toBlock} in ${report.seconds.toFixed(2)} s`,
    `  events ${c.events} in ${c.transactions} transactions`,
    `  settlements ${c.settlements} accepted (${c.rejectedSettlements} rejected by the ledger) in ${c.batches} batches; ` +
      `${c.signaturesChecked} signatures checked`,
    `  refunds ${c.refunds}, redemptions ${c.redemptions}, corrections ${c.corrections}`,
    `  cards ${c.cards}, merchants ${c.merchants}, dual-control actions ${c.dualControlActions}, operator steps re-verified ${c.operatorSteps}`,
    `  state values compared with the contracts' views: ${c.stateValuesCompared}`,
    report.slipsChecked
      ? `  slips read ${c.slipsRead}: ${c.slipsMatched} match a settled order, ${c.slipsUnsettled} have none`
      : "  slips: not checked (no --slips given)",
  ];
  if (total === 0) {
    lines.push("result: CLEAN, no discrepancy");
  } else {
    lines.push(`result: ${total} DISCREPANCIES`);
    for (const [code, n] of [...byCode].sort()) lines.push(`  ${n} x ${code}`);
    for (const d of report.discrepancies.slice(0, 20)) lines.push(`  - ${describe(d)}`);
    if (total > 20) lines.push(`  ... (${total - 20} more; use --json FILE for the full list)`);
  }
  return lines.join("\n");
}

function describe(d: Discrepancy): string {
  const where = [d.block !== undefined ? `block ${d.block}` : "", d.tx ? `tx ${d.tx}` : "", d.card ? `card ${d.card}` : ""]
    .filter(Boolean)
    .join(", ");
  const diff = d.expected !== undefined || d.actual !== undefined ? ` (expected ${d.expected ?? "-"}, found ${d.actual ?? "-"})` : "";
  return `${d.code}: ${d.message}${diff}${where ? ` [${where}]` : ""}`;
}
