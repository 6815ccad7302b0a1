/**
 * The read index's tables (migrations 013 and 014, ADRs 0008 and 0012): writing a batch of decoded events under the
 * index's lock, and the reads the API makes of them. Rows carry no personal data.
 *
 * Guarantees: a batch is written in one transaction that also moves the checkpoint, so the index
 * holds every event up to `indexed_block` and none beyond; the transaction takes a lock of its
 * source and skips blocks the checkpoint already covers, and every row is keyed by its chain
 * position, so gateways sharing one PostgreSQL never count an event twice.
 */
import { checksumAddress } from "../domain/address";
import type { Db } from "../store/db";
import type { IndexedEvent, MovementEvent, RegistryEvent } from "./events";

/** A deployment the index follows. */
export interface IndexSource {
  chainId: string;
  ledger: string;
  registry: string;
  deploymentBlock: number;
}

/** Log indexes below 2^20 in each block: position = block * 2^20 + log index keeps the chain's order. */
const LOG_INDEX_BITS = 20;
export const positionOf = (block: number, logIndex: number): bigint => (BigInt(block) << BigInt(LOG_INDEX_BITS)) | BigInt(logIndex);

/** Any constant shared by all gateways: "cred-idx" in ASCII, plus the source's ID. */
const INDEX_LOCK_KEY = 0x637265642d696478n;

const hex = (bytes: Buffer) => "0x" + bytes.toString("hex");
const unhex = (text: string) => text.slice(2);
const SECONDS_PER_DAY = 86_400;

/** The source's ID, created on first use with nothing indexed (its checkpoint just before the deployment block). */
export async function openSource(db: Db, source: IndexSource): Promise<number> {
  const key = [source.chainId, source.ledger.toLowerCase()];
  await db.query(
    `insert into index_sources (chain_id, ledger, registry, indexed_block) values ($1, $2, $3, $4)
     on conflict (chain_id, ledger) do nothing`,
    [...key, source.registry.toLowerCase(), source.deploymentBlock - 1],
  );
  const [row] = await db.query<{ id: number }>("select id from index_sources where chain_id = $1 and ledger = $2", key);
  return row.id;
}

/** The last block whose events are all in the index. */
export async function indexedBlock(db: Db, sourceId: number): Promise<number> {
  const [row] = await db.query<{ indexed_block: string }>("select indexed_block from index_sources where id = $1", [sourceId]);
  return Number(row.indexed_block);
}

/**
 * Writes the events of blocks up to `toBlock` (chain order) and moves the checkpoint there, under
 * the source's lock; events of blocks the checkpoint already covers (another gateway indexed
 * them meanwhile) are skipped. `blockTimes` gives each movement's block timestamp.
 * Returns the number of events written.
 */
export async function writeBatch(db: Db, sourceId: number, toBlock: number, events: readonly IndexedEvent[], blockTimes: ReadonlyMap<number, number>): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1::bigint)", [(INDEX_LOCK_KEY + BigInt(sourceId)).toString()]);
    const checkpoint = await indexedBlock(tx, sourceId);
    if (checkpoint >= toBlock) return 0;
    // Agreement versions first, in chain order, from the versions stored before this batch.
    const fresh = await withAgreementVersions(tx, sourceId, events.filter((e) => e.block > checkpoint));
    // Registry events next: a movement reads its card's account from index_cards, and nothing
    // a movement writes depends on a card's status.
    for (const e of fresh) if (e.type !== "movement") await writeRegistryEvent(tx, sourceId, e);
    const movements = fresh.filter((e): e is MovementEvent => e.type === "movement");
    if (movements.length > 0) await writeMovements(tx, sourceId, movements, blockTimes);
    await tx.query("update index_sources set indexed_block = $2, updated_at = now() where id = $1", [sourceId, toBlock]);
    return fresh.length;
  });
}

/**
 * `events` with each settlement given its merchant's agreement version at its position: the last
 * `agreement_set` before it in `events`, else the version stored for the merchant (the last one
 * of earlier batches). PointsEarned does not name it (ADR 0012).
 */
async function withAgreementVersions(tx: Db, sourceId: number, events: readonly IndexedEvent[]): Promise<IndexedEvent[]> {
  const merchants = [...new Set(events.filter((e) => e.type === "movement" && e.movement === "earned").map((e) => (e as MovementEvent).merchantId))];
  if (merchants.length === 0) return [...events];
  const stored = await tx.query<{ merchant_id: number | string; agreement_version: number }>(
    "select merchant_id, agreement_version from index_merchants where source_id = $1 and merchant_id = any($2::bigint[])",
    [sourceId, merchants],
  );
  const versions = new Map(stored.map((r) => [Number(r.merchant_id), r.agreement_version]));
  return events.map((e) => {
    if (e.type === "agreement_set") versions.set(e.merchantId, e.version);
    return e.type === "movement" && e.movement === "earned" ? { ...e, agreementVersion: versions.get(e.merchantId) ?? 0 } : e;
  });
}

async function writeRegistryEvent(tx: Db, sourceId: number, e: RegistryEvent): Promise<void> {
  switch (e.type) {
    case "card_issued":
      await tx.query(
        `insert into index_cards (source_id, card_id, account, kind, status) values ($1, decode($2, 'hex'), $3, $4, 'active')
         on conflict do nothing`,
        [sourceId, unhex(e.cardId), e.account.toString(), e.kind],
      );
      return;
    case "card_status":
      await tx.query("update index_cards set status = $3 where source_id = $1 and card_id = decode($2, 'hex')", [sourceId, unhex(e.cardId), e.status]);
      return;
    case "card_replaced":
      // The new card takes the old one's kind and account; the old one is closed.
      await tx.query(
        `insert into index_cards (source_id, card_id, account, kind, status)
         select source_id, decode($3, 'hex'), account, kind, 'active' from index_cards where source_id = $1 and card_id = decode($2, 'hex')
         on conflict do nothing`,
        [sourceId, unhex(e.oldCardId), unhex(e.newCardId)],
      );
      await tx.query("update index_cards set status = 'closed', replaced_by = decode($3, 'hex') where source_id = $1 and card_id = decode($2, 'hex')", [sourceId, unhex(e.oldCardId), unhex(e.newCardId)]);
      return;
    case "merchant_registered":
      await tx.query(
        `insert into index_merchants (source_id, merchant_id, card_id, active) values ($1, $2, decode($3, 'hex'), true)
         on conflict do nothing`,
        [sourceId, e.merchantId, unhex(e.cardId)],
      );
      return;
    case "merchant_active":
      await tx.query("update index_merchants set active = $3 where source_id = $1 and merchant_id = $2", [sourceId, e.merchantId, e.active]);
      return;
    case "agreement_set":
      await tx.query("update index_merchants set agreement_version = $3 where source_id = $1 and merchant_id = $2", [sourceId, e.merchantId, e.version]);
      return;
    case "merchant_card_replaced":
      await tx.query("update index_merchants set card_id = decode($3, 'hex') where source_id = $1 and merchant_id = $2", [sourceId, e.merchantId, unhex(e.cardId)]);
      return;
    case "terminal_registered":
      await tx.query(
        `insert into index_terminals (source_id, terminal, merchant_id, enabled) values ($1, decode($2, 'hex'), $3, true)
         on conflict do nothing`,
        [sourceId, unhex(e.terminal), e.merchantId],
      );
      return;
    case "terminal_enabled":
      await tx.query("update index_terminals set enabled = $3 where source_id = $1 and terminal = decode($2, 'hex')", [sourceId, unhex(e.terminal), e.enabled]);
      return;
  }
}

/**
 * Movements in one statement: the rows (each with its card's account), then, from the rows
 * actually inserted, the merchant's per-day sums (settlements, refunds and redemptions; bank
 * corrections have no terminal and are left out) and the cards each merchant served.
 */
async function writeMovements(tx: Db, sourceId: number, movements: readonly MovementEvent[], blockTimes: ReadonlyMap<number, number>): Promise<void> {
  const column = <T>(f: (m: MovementEvent) => T) => movements.map(f);
  await tx.query(
    `with m as (
       select * from unnest($2::text[], $3::bigint[], $4::int[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::text[],
                            $12::bigint[], $13::bigint[], $14::bigint[], $15::int[], $16::int[])
         as m(position, block, log_index, tx_hash, time, movement, card_id, merchant_id, terminal, order_id, points, credit_points, amount, reason_code, agreement_version)
     ),
     inserted as (
       insert into index_movements (source_id, position, block, log_index, tx_hash, time, movement, card_id, account, merchant_id, terminal, order_id, points, credit_points, amount, reason_code, agreement_version)
       select $1, m.position::bigint, m.block, m.log_index, decode(m.tx_hash, 'hex'), m.time, m.movement, decode(m.card_id, 'hex'), coalesce(c.account, 0), m.merchant_id,
              decode(m.terminal, 'hex'), decode(m.order_id, 'hex'), m.points, m.credit_points, m.amount, m.reason_code, m.agreement_version
       from m left join index_cards c on c.source_id = $1 and c.card_id = decode(m.card_id, 'hex')
       on conflict do nothing
       returning movement, card_id, merchant_id, terminal, time, points, credit_points, amount
     ),
     days as (
       insert into index_merchant_days as d (source_id, merchant_id, day, terminal, settlements, amount, points, credit_points, refunds, refund_amount, points_reversed, redemptions, points_redeemed)
       select $1, merchant_id, (time / ${SECONDS_PER_DAY})::int, terminal,
              count(*) filter (where movement = 'earned'),
              coalesce(sum(amount) filter (where movement = 'earned'), 0),
              coalesce(sum(points) filter (where movement = 'earned'), 0),
              coalesce(sum(credit_points) filter (where movement = 'earned'), 0),
              count(*) filter (where movement = 'reversed_refund'),
              coalesce(sum(amount) filter (where movement = 'reversed_refund'), 0),
              coalesce(-sum(points) filter (where movement = 'reversed_refund'), 0),
              count(*) filter (where movement = 'redeemed'),
              coalesce(-sum(points) filter (where movement = 'redeemed'), 0)
       from inserted where movement <> 'reversed_correction'
       group by merchant_id, time / ${SECONDS_PER_DAY}, terminal
       on conflict (source_id, merchant_id, day, terminal) do update set
         settlements = d.settlements + excluded.settlements, amount = d.amount + excluded.amount, points = d.points + excluded.points,
         credit_points = d.credit_points + excluded.credit_points, refunds = d.refunds + excluded.refunds, refund_amount = d.refund_amount + excluded.refund_amount,
         points_reversed = d.points_reversed + excluded.points_reversed, redemptions = d.redemptions + excluded.redemptions, points_redeemed = d.points_redeemed + excluded.points_redeemed
     ),
     served as (
       insert into index_card_merchants (source_id, merchant_id, card_id)
       select distinct $1::int, merchant_id, card_id from inserted where movement = 'earned'
       on conflict do nothing
     )
     select count(*) as written from inserted`,
    [
      sourceId,
      column((m) => positionOf(m.block, m.logIndex).toString()),
      column((m) => m.block),
      column((m) => m.logIndex),
      column((m) => unhex(m.txHash)),
      column((m) => blockTimes.get(m.block) ?? 0),
      column((m) => m.movement),
      column((m) => unhex(m.cardId)),
      column((m) => m.merchantId),
      column((m) => unhex(m.terminal)),
      column((m) => unhex(m.orderId)),
      column((m) => m.points.toString()),
      column((m) => m.creditPoints.toString()),
      column((m) => (m.amount === undefined ? null : m.amount.toString())),
      column((m) => m.reasonCode ?? null),
      column((m) => m.agreementVersion ?? null),
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// Reads

export type Movement = MovementEvent["movement"];

export interface MovementRow {
  position: bigint;
  movement: Movement;
  cardId: string;
  block: number;
  logIndex: number;
  txHash: string;
  time: number;
  merchantId: number;
  terminal: string;
  orderId: string;
  points: string;
  creditPoints: string;
  amount: string | null;
  reasonCode: number | null;
  agreementVersion: number | null;
}

interface RawMovement {
  position: string;
  movement: Movement;
  card_id: Buffer;
  block: string;
  log_index: number;
  tx_hash: Buffer;
  time: string;
  /** int8: a string from PostgreSQL */
  merchant_id: number | string;
  terminal: Buffer;
  order_id: Buffer;
  points: string;
  credit_points: string;
  amount: string | null;
  reason_code: number | null;
  agreement_version: number | null;
}

/** A page of rows and the cursor of the page after it (null on the last page). */
export interface Page<T, C> {
  rows: T[];
  next: C | null;
}

/**
 * One page of an account's movements, newest first: those before position `before` (all when
 * undefined), of the kinds whose name starts with `kind` when given ("reversed": refunds and
 * corrections).
 */
export async function accountMovements(db: Db, sourceId: number, account: string, options: { before?: bigint; kind?: "earned" | "reversed" | "redeemed"; limit: number }): Promise<Page<MovementRow, bigint>> {
  const rows = await db.query<RawMovement>(
    `select position, movement, card_id, block, log_index, tx_hash, time, merchant_id, terminal, order_id, points, credit_points, amount, reason_code, agreement_version
     from index_movements
     where source_id = $1 and account = $2 and ($3::bigint is null or position < $3::bigint) and ($4::text is null or movement like $4::text || '%')
     order by position desc limit $5`,
    [sourceId, account, options.before?.toString() ?? null, options.kind ?? null, options.limit + 1],
  );
  const page = rows.slice(0, options.limit).map((r) => ({
    position: BigInt(r.position),
    movement: r.movement,
    cardId: hex(r.card_id),
    block: Number(r.block),
    logIndex: r.log_index,
    txHash: hex(r.tx_hash),
    time: Number(r.time),
    merchantId: Number(r.merchant_id),
    terminal: checksumAddress(hex(r.terminal)),
    orderId: hex(r.order_id),
    points: r.points,
    creditPoints: r.credit_points,
    amount: r.amount,
    reasonCode: r.reason_code,
    agreementVersion: r.agreement_version,
  }));
  return { rows: page, next: rows.length > options.limit ? page[page.length - 1].position : null };
}

/** A merchant's figures for one day (UTC) and terminal. */
export interface MerchantDayRow {
  day: string;
  terminal: string;
  settlements: number;
  amount: string;
  points: string;
  creditPoints: string;
  refunds: number;
  refundAmount: string;
  pointsReversed: string;
  redemptions: number;
  pointsRedeemed: string;
}

/**
 * One page of a merchant's per-day figures, newest day first: up to `days` days (each with a
 * row per terminal) before day number `before` (days since 1970-01-01 UTC; all when undefined).
 * The cursor of the next page is the oldest day number on this one.
 */
export async function merchantDays(db: Db, sourceId: number, merchantId: number, options: { before?: number; days: number }): Promise<Page<MerchantDayRow, number>> {
  const dayNumbers = await db.query<{ day: number }>(
    `select distinct day from index_merchant_days where source_id = $1 and merchant_id = $2 and ($3::int is null or day < $3::int) order by day desc limit $4`,
    [sourceId, merchantId, options.before ?? null, options.days + 1],
  );
  if (dayNumbers.length === 0) return { rows: [], next: null };
  const shown = dayNumbers.slice(0, options.days);
  const oldest = shown[shown.length - 1].day;
  const rows = await db.query<{
    day: number;
    terminal: Buffer;
    settlements: number;
    amount: string;
    points: string;
    credit_points: string;
    refunds: number;
    refund_amount: string;
    points_reversed: string;
    redemptions: number;
    points_redeemed: string;
  }>(
    `select day, terminal, settlements, amount, points, credit_points, refunds, refund_amount, points_reversed, redemptions, points_redeemed
     from index_merchant_days where source_id = $1 and merchant_id = $2 and day >= $3 and day <= $4
     order by day desc, terminal`,
    [sourceId, merchantId, oldest, shown[0].day],
  );
  return {
    rows: rows.map((r) => ({
      day: new Date(r.day * SECONDS_PER_DAY * 1000).toISOString().slice(0, 10),
      terminal: checksumAddress(hex(r.terminal)),
      settlements: r.settlements,
      amount: r.amount,
      points: r.points,
      creditPoints: r.credit_points,
      refunds: r.refunds,
      refundAmount: r.refund_amount,
      pointsReversed: r.points_reversed,
      redemptions: r.redemptions,
      pointsRedeemed: r.points_redeemed,
    })),
    next: dayNumbers.length > options.days ? oldest : null,
  };
}

export interface CardListRow {
  cardId: string;
  kind: "consumer" | "merchant";
  status: "active" | "frozen" | "closed";
  account: string;
  replacedBy: string | null;
  merchantId: number | null;
}

/** Cards in card ID order after `after`, of a status, kind, or merchant served (cards that earned there) when given. */
export async function listCards(
  db: Db,
  sourceId: number,
  filter: { status?: CardListRow["status"]; kind?: CardListRow["kind"]; merchant?: number; after?: string; limit: number },
): Promise<Page<CardListRow, string>> {
  const rows = await db.query<{ card_id: Buffer; kind: CardListRow["kind"]; status: CardListRow["status"]; account: string; replaced_by: Buffer | null; merchant_id: number | string | null }>(
    `select c.card_id, c.kind, c.status, c.account, c.replaced_by, m.merchant_id
     from index_cards c
     left join index_merchants m on m.source_id = c.source_id and m.card_id = c.card_id
     where c.source_id = $1 and ($2::text is null or c.status = $2::text) and ($3::text is null or c.kind = $3::text)
       and ($4::bigint is null or exists (select 1 from index_card_merchants s where s.source_id = c.source_id and s.merchant_id = $4::bigint and s.card_id = c.card_id))
       and ($5::text is null or c.card_id > decode($5::text, 'hex'))
     order by c.card_id limit $6`,
    [sourceId, filter.status ?? null, filter.kind ?? null, filter.merchant ?? null, filter.after === undefined ? null : unhex(filter.after), filter.limit + 1],
  );
  const page = rows.slice(0, filter.limit).map((r) => ({
    cardId: hex(r.card_id),
    kind: r.kind,
    status: r.status,
    account: r.account,
    replacedBy: r.replaced_by ? hex(r.replaced_by) : null,
    merchantId: r.merchant_id === null ? null : Number(r.merchant_id),
  }));
  return { rows: page, next: rows.length > filter.limit ? page[page.length - 1].cardId : null };
}

export interface MerchantListRow {
  merchantId: number;
  cardId: string;
  active: boolean;
  terminals: number;
}

/** Merchants in ID order after `after`, active or suspended only when `active` is given. */
export async function listMerchants(db: Db, sourceId: number, filter: { active?: boolean; after?: number; limit: number }): Promise<Page<MerchantListRow, number>> {
  const rows = await db.query<{ merchant_id: number | string; card_id: Buffer; active: boolean; terminals: string }>(
    `select m.merchant_id, m.card_id, m.active,
            (select count(*) from index_terminals t where t.source_id = m.source_id and t.merchant_id = m.merchant_id) as terminals
     from index_merchants m
     where m.source_id = $1 and ($2::boolean is null or m.active = $2::boolean) and ($3::bigint is null or m.merchant_id > $3::bigint)
     order by m.merchant_id limit $4`,
    [sourceId, filter.active ?? null, filter.after ?? null, filter.limit + 1],
  );
  const page = rows.slice(0, filter.limit).map((r) => ({ merchantId: Number(r.merchant_id), cardId: hex(r.card_id), active: r.active, terminals: Number(r.terminals) }));
  return { rows: page, next: rows.length > filter.limit ? page[page.length - 1].merchantId : null };
}

/** Whether the index knows the merchant. */
export async function merchantIndexed(db: Db, sourceId: number, merchantId: number): Promise<boolean> {
  return (await db.query("select 1 from index_merchants where source_id = $1 and merchant_id = $2", [sourceId, merchantId])).length > 0;
}

export interface TerminalListRow {
  terminal: string;
  enabled: boolean;
}

/** A merchant's terminals in address order after `after`, enabled or disabled only when `enabled` is given. */
export async function listTerminals(db: Db, sourceId: number, merchantId: number, filter: { enabled?: boolean; after?: string; limit: number }): Promise<Page<TerminalListRow, string>> {
  const rows = await db.query<{ terminal: Buffer; enabled: boolean }>(
    `select terminal, enabled from index_terminals
     where source_id = $1 and merchant_id = $2 and ($3::boolean is null or enabled = $3::boolean) and ($4::text is null or terminal > decode($4::text, 'hex'))
     order by terminal limit $5`,
    [sourceId, merchantId, filter.enabled ?? null, filter.after === undefined ? null : unhex(filter.after), filter.limit + 1],
  );
  const page = rows.slice(0, filter.limit).map((r) => ({ terminal: checksumAddress(hex(r.terminal)), enabled: r.enabled }));
  return { rows: page, next: rows.length > filter.limit ? page[page.length - 1].terminal : null };
}
