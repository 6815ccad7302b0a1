/**
 * Read index benchmark (ADR 0008), not a timed test:
 *
 *   npm run bench:index [-- --movements 1000000 --samples 400 --settlements 10240]
 *
 * 1. One libsecp256k1 recovery in µs, the machine unit (scripts/lib/bench/unit.ts).
 * 2. Fills the index of a fresh store (the embedded PGlite; PostgreSQL with DATABASE_URL, which
 *    must name an empty database) with `--movements` synthetic movements, inserted straight into
 *    the index tables (20,000 accounts, 200 merchants of 4 terminals, a year of days), then times
 *    `--samples` reads of each kind and prints their p95: the first and a deeper page of an
 *    account's history, and a page of a merchant's per-day figures.
 * 3. The indexing rate through the indexer itself: `--settlements` real settlements on a real
 *    anvil node (full batches), then a ReadIndex catching up from the deployment block in a
 *    fresh store, in events/s.
 *
 * Last line: index: movements=N history_p95=Xms history_deep_p95=Xms days_p95=Xms index_rate=X/s recovery_us=X
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { openDb, type Db } from "../src/store/db";
import { ReadIndex } from "../src/index/indexer";
import { accountMovements, merchantDays, openSource } from "../src/index/store";
import { anvilLedger } from "../test/audit/helpers/anvil-ledger";
import { recoveryMicroseconds } from "./lib/bench/unit";

const opts = new Command()
  .option("--movements <n>", "synthetic movements in the index", "1000000")
  .option("--samples <n>", "reads timed of each kind", "400")
  .option("--settlements <n>", "real settlements the indexer catches up with", "10240")
  .parse()
  .opts<{ movements: string; samples: string; settlements: string }>();

const ACCOUNTS = 20_000;
const MERCHANTS = 200;
const TERMINALS_PER_MERCHANT = 4;
const DAYS = 365;
/** 2025-01-01 (UTC), the synthetic year's first day. */
const START = 1_735_689_600;

const p95 = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.ceil(ms.length * 0.95) - 1];
const random = (n: number) => 1 + Math.floor(Math.random() * n);

async function timed(samples: number, read: () => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await read();
    ms.push(performance.now() - started);
  }
  return ms;
}

/** `count` movements straight into the index tables (one in ten a refund, one in twenty a redemption), and their per-day sums. */
async function fill(db: Db, source: number, count: number): Promise<void> {
  const chunk = 100_000;
  for (let from = 0; from < count; from += chunk) {
    const to = Math.min(count, from + chunk) - 1;
    await db.query(
      `insert into index_movements (source_id, position, block, log_index, tx_hash, time, movement, card_id, account, merchant_id, terminal, order_id, points, credit_points, amount, reason_code, agreement_version)
       select $1, (i::bigint / 200) * 1048576 + i % 200, i / 200, i % 200, decode(lpad(to_hex(i / 200), 64, '0'), 'hex'),
              $2 + (i::bigint * ${DAYS} * 86400) / $3,
              case when i % 20 = 7 then 'redeemed' when i % 10 = 3 then 'reversed_refund' else 'earned' end,
              decode(lpad(to_hex(i % ${ACCOUNTS} + 1), 64, '0'), 'hex'), i % ${ACCOUNTS} + 1, i % ${MERCHANTS} + 1,
              decode(lpad(to_hex((i % ${MERCHANTS}) * ${TERMINALS_PER_MERCHANT} + i % ${TERMINALS_PER_MERCHANT} + 1), 40, '0'), 'hex'),
              decode(md5(i::text) || md5(i::text || 'o'), 'hex'),
              case when i % 20 = 7 then -100 when i % 10 = 3 then -25 else 250 end, case when i % 20 = 7 then 0 when i % 10 = 3 then -2 else 25 end,
              case when i % 20 = 7 then null when i % 10 = 3 then 500 else 5000 end,
              case when i % 10 = 3 and i % 20 <> 7 then 0 end, case when i % 10 <> 3 and i % 20 <> 7 then 1 end
       from generate_series($4::bigint, $5::bigint) as i`,
      [source, START, count, from, to],
    );
    process.stderr.write(`filled ${to + 1}/${count}\r`);
  }
  await db.query(
    `insert into index_merchant_days (source_id, merchant_id, day, terminal, settlements, amount, points, credit_points, refunds, refund_amount, points_reversed, redemptions, points_redeemed)
     select source_id, merchant_id, (time / 86400)::int, terminal,
            count(*) filter (where movement = 'earned'), coalesce(sum(amount) filter (where movement = 'earned'), 0), coalesce(sum(points) filter (where movement = 'earned'), 0),
            coalesce(sum(credit_points) filter (where movement = 'earned'), 0), count(*) filter (where movement = 'reversed_refund'),
            coalesce(sum(amount) filter (where movement = 'reversed_refund'), 0), coalesce(-sum(points) filter (where movement = 'reversed_refund'), 0),
            count(*) filter (where movement = 'redeemed'), coalesce(-sum(points) filter (where movement = 'redeemed'), 0)
     from index_movements where source_id = $1 group by source_id, merchant_id, time / 86400, terminal`,
    [source],
  );
  await db.exec("analyze");
  process.stderr.write("\n");
}

/** Events/s of a ReadIndex catching up from the deployment block over `settlements` real settlements. */
async function indexingRate(settlements: number): Promise<{ events: number; rate: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-index-chain-"));
  const chain = await anvilLedger(dir, { merchants: 4, terminalsPerMerchant: 2, cards: 200 });
  const db = await openDb({ dataDir: path.join(dir, "store") });
  try {
    for (let done = 0; done < settlements; done += 20 * 256) {
      await chain.settle(Math.min(20 * 256, settlements - done), 256);
      process.stderr.write(`settled ${chain.settled}/${settlements}\r`);
    }
    process.stderr.write("\n");
    const index = new ReadIndex({ db, provider: chain.provider, source: chain.deployment, confirmations: 0 });
    const started = performance.now();
    const { events } = await index.catchUp();
    const seconds = (performance.now() - started) / 1000;
    return { events, rate: events / seconds };
  } finally {
    await db.close();
    await chain.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const recovery = recoveryMicroseconds();
  console.log(`unit: one libsecp256k1 recovery = ${recovery.toFixed(1)} µs`);
  const count = Number(opts.movements);
  const samples = Number(opts.samples);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-index-"));
  const db = await openDb({ dataDir: dir, databaseUrl: process.env.DATABASE_URL });
  try {
    const source = await openSource(db, { chainId: "bench", ledger: "0x" + "01".repeat(20), registry: "0x" + "02".repeat(20), deploymentBlock: 1 });
    const filled = Date.now();
    await fill(db, source, count);
    console.log(`filled ${count} movements in ${((Date.now() - filled) / 1000).toFixed(1)} s (${db.engine})`);

    const history = await timed(samples, () => accountMovements(db, source, String(random(ACCOUNTS)), { limit: 100 }));
    const deep = await timed(samples, async () => {
      const account = String(random(ACCOUNTS));
      const first = await accountMovements(db, source, account, { limit: 20 });
      return accountMovements(db, source, account, { limit: 20, before: first.next ?? undefined });
    });
    const days = await timed(samples, () => merchantDays(db, source, random(MERCHANTS), { days: 31 }));
    console.log(`history page (100 movements): p95 ${p95(history).toFixed(2)} ms; second page (20, by cursor, with the first): p95 ${p95(deep).toFixed(2)} ms; merchant per-day page (31 days x ${TERMINALS_PER_MERCHANT} terminals): p95 ${p95(days).toFixed(2)} ms`);

    const { events, rate } = await indexingRate(Number(opts.settlements));
    console.log(`indexer: ${events} events from a real node in a fresh embedded store at ${rate.toFixed(0)} events/s`);
    console.log(
      `index: movements=${count} history_p95=${p95(history).toFixed(2)}ms history_deep_p95=${p95(deep).toFixed(2)}ms days_p95=${p95(days).toFixed(2)}ms index_rate=${rate.toFixed(0)}/s recovery_us=${recovery.toFixed(1)}`,
    );
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
