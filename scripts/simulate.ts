/**
 * Terminal simulator: sets up demo merchants, terminals and cards through the operator API if
 * they are absent, then drives signed settlements from several terminals and reports
 * throughput and time-to-confirmed.
 *
 *   npm run simulate -- --terminals 8 --settlements 1000 [--gateway URL] [--operators FILE]
 *                       [--concurrency N] [--rate N] [--cards N] [--demo FILE]
 *
 * Without --rate the terminals send as fast as they get answers (at most --concurrency in flight):
 * that finds the gateway's ceiling. With --rate they offer N settlements a second, whatever the
 * answers: that shows the latency at a given load.
 *
 * Every settlement is signed (by its terminal and its card) before the clock starts: in a real
 * deployment that work happens on the terminals and cards, not on the gateway's machine, and
 * the figures are the gateway's. --sign-live signs each one just before sending it instead.
 *
 * Defaults: gateway http://127.0.0.1:8080, operators ./data/operators.json (what `npm start`
 * wrote), demo state ./data/demo.json (simulated device keys: demo only, mode 0600).
 */
import fs from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import { Command } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { TerminalClient, walletCardSigner, CounterNonces, type SignedSettlement } from "../src/sdk/terminal-client";
import { OperatorClient, issueCardJointly } from "../src/sdk/operator-client";

interface Demo {
  ledger: string;
  merchants: { merchantId: number; cardId: string }[];
  terminals: { key: string; merchantId: number; nextNonce: string }[];
  cards: { cardId: string; key: string }[];
}

const program = new Command()
  .option("--terminals <n>", "terminals to drive", "8")
  .option("--settlements <n>", "settlements to submit", "1000")
  .option("--gateway <url>", "gateway URL", "http://127.0.0.1:8080")
  .option("--operators <file>", "operator credentials", path.join(process.env.DATA_DIR ?? "data", "operators.json"))
  .option("--demo <file>", "demo state (simulated device keys)", path.join(process.env.DATA_DIR ?? "data", "demo.json"))
  .option("--concurrency <n>", "settlements in flight (submitted, not yet confirmed) at once", "256")
  .option("--rate <n>", "settlements offered per second (default: as fast as answers come)")
  .option("--cards <n>", "consumer cards to use", "40")
  .option("--sign-live", "sign each settlement just before sending it (default: all signed before the clock starts)")
  .parse();

const opts = program.opts<{
  terminals: string;
  settlements: string;
  gateway: string;
  operators: string;
  demo: string;
  concurrency: string;
  rate?: string;
  cards: string;
  signLive?: boolean;
}>();

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

async function login(): Promise<{ bank: OperatorClient; creditCenter: OperatorClient }> {
  if (!fs.existsSync(opts.operators)) throw new Error(`no operator credentials at ${opts.operators} (start the gateway first, or pass --operators)`);
  const creds = JSON.parse(fs.readFileSync(opts.operators, "utf8")) as { operators: { username: string; role: string; password: string }[] };
  const of = (role: string) => {
    const c = creds.operators.find((o) => o.role === role);
    if (!c) throw new Error(`${opts.operators} has no ${role} operator`);
    return OperatorClient.login(opts.gateway, c.username, c.password);
  };
  return { bank: await of("bank"), creditCenter: await of("credit_center") };
}

async function setUp(terminalCount: number, cardCount: number): Promise<Demo> {
  const info = (await (await fetch(new URL("/v1/info", opts.gateway))).json()) as { ledger: string };
  let demo: Demo | undefined = fs.existsSync(opts.demo) ? (JSON.parse(fs.readFileSync(opts.demo, "utf8")) as Demo) : undefined;
  if (demo && demo.ledger !== info.ledger) demo = undefined; // another chain: start over
  demo ??= { ledger: info.ledger, merchants: [], terminals: [], cards: [] };
  const needs = demo.terminals.length < terminalCount || demo.cards.length < cardCount;
  if (!needs) return demo;
  const { bank, creditCenter } = await login();
  process.stderr.write("setting up demo merchants, terminals and cards...\n");
  const merchantCount = Math.min(4, terminalCount);
  if (demo.merchants.length === 0) await bank.call("PUT", "/v1/credit-point-rule", { rateBps: 1000 });
  while (demo.merchants.length < merchantCount) {
    const n = demo.merchants.length;
    const cardId = await issueCardJointly(bank, creditCenter, {
      kind: "merchant",
      key: Wallet.createRandom().address,
      holder: { name: `Demo merchant ${n + 1}`, nationalId: `M-${n + 1}` },
    });
    const { merchantId } = await bank.call<{ merchantId: number }>("POST", "/v1/merchants", { cardId });
    await bank.call("PUT", `/v1/merchants/${merchantId}/agreement`, {
      baseRateBps: 100 + 50 * n,
      maxPointsPerSettlement: 10_000,
      minAmount: "100",
      validFrom: 0,
      validUntil: 2 ** 40 - 1,
      currency: "CNY",
      categoryMultipliers: Array.from({ length: 16 }, (_, c) => (c === 1 ? 200 : 100)),
    });
    demo.merchants.push({ merchantId, cardId });
    save(demo);
  }
  while (demo.terminals.length < terminalCount) {
    const key = Wallet.createRandom();
    const merchantId = demo.merchants[demo.terminals.length % demo.merchants.length].merchantId;
    await bank.call("POST", "/v1/terminals", { terminal: key.address, merchantId });
    demo.terminals.push({ key: key.privateKey, merchantId, nextNonce: "0" });
    save(demo);
  }
  while (demo.cards.length < cardCount) {
    const key = Wallet.createRandom();
    const n = demo.cards.length;
    const cardId = await issueCardJointly(n % 2 ? creditCenter : bank, n % 2 ? bank : creditCenter, {
      kind: "consumer",
      key: key.address,
      holder: { name: `Demo consumer ${n + 1}`, nationalId: `C-${n + 1}` },
    });
    demo.cards.push({ cardId, key: key.privateKey });
    save(demo);
  }
  return demo;
}

function save(demo: Demo): void {
  fs.mkdirSync(path.dirname(opts.demo), { recursive: true });
  fs.writeFileSync(opts.demo, JSON.stringify(demo, null, 2), { mode: 0o600 });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const terminalCount = positive("terminals", opts.terminals);
  const total = positive("settlements", opts.settlements);
  const concurrency = positive("concurrency", opts.concurrency);
  const rate = opts.rate === undefined ? undefined : positive("rate", opts.rate);
  const demo = await setUp(terminalCount, positive("cards", opts.cards));
  const terminals = await Promise.all(
    demo.terminals.slice(0, terminalCount).map((t) =>
      TerminalClient.connect(opts.gateway, new Wallet(t.key), new CounterNonces(BigInt(t.nextNonce))),
    ),
  );
  const cards = demo.cards.map((c) => ({ cardId: c.cardId, signer: walletCardSigner(new Wallet(c.key)) }));
  const runTag = Date.now().toString(36);
  // Nonces are reserved up front and saved, so a later run never reuses one.
  const perTerminal = Math.ceil(total / terminalCount);
  demo.terminals.slice(0, terminalCount).forEach((t) => (t.nextNonce = (BigInt(t.nextNonce) + BigInt(perTerminal)).toString()));
  save(demo);

  const settlementOf = (i: number) => {
    const terminal = terminals[i % terminalCount];
    const card = cards[(i * 7) % cards.length];
    const slip = terminal.slip({
      orderNumber: `sim-${runTag}-${i}`,
      cardId: card.cardId,
      currency: "CNY",
      category: i % 3,
      lines: [{ description: "Demo item", quantity: 1 + (i % 3), unitPrice: String(500 + (i % 97) * 10) }],
    });
    return terminal.signSettlement(slip, card.signer);
  };
  const signed: SignedSettlement[] = [];
  if (!opts.signLive) {
    const signing = new SingleBar({ format: "signing  [{bar}] {value}/{total}", stream: process.stderr }, Presets.shades_classic);
    signing.start(total, 0);
    for (let i = 0; i < total; i++) {
      signed.push(await settlementOf(i));
      if (i % 500 === 499) signing.update(i + 1);
    }
    signing.update(total);
    signing.stop();
  }

  const bar = new SingleBar({ format: "simulate [{bar}] {value}/{total} confirmed | {rejected} rejected | {rate}/s", stream: process.stderr }, Presets.shades_classic);
  let accepted = 0;
  let confirmed = 0;
  let rejected = 0;
  const latencies: number[] = [];
  const reasons = new Map<string, number>();
  const started = performance.now();
  let firstConfirmAt = 0;
  let lastConfirmAt = 0;
  bar.start(total, 0, { rejected: 0, rate: 0 });
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      if (rate) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const t0 = performance.now();
      try {
        const settlement = opts.signLive ? await settlementOf(i) : signed[i];
        const status = await terminals[i % terminalCount].submitAndWait(settlement, 120_000, () => accepted++);
        const t1 = performance.now();
        if (status.status === "confirmed") {
          confirmed++;
          latencies.push(t1 - t0);
          firstConfirmAt ||= t1;
          lastConfirmAt = t1;
        } else {
          rejected++;
          reasons.set(status.reason ?? "unknown", (reasons.get(status.reason ?? "unknown") ?? 0) + 1);
        }
      } catch (err) {
        rejected++;
        const code = (err as { code?: string }).code ?? (err as Error).message.slice(0, 60);
        reasons.set(code, (reasons.get(code) ?? 0) + 1);
      }
      const elapsed = (performance.now() - started) / 1000;
      bar.update(confirmed, { rejected, rate: Math.round(confirmed / Math.max(elapsed, 0.001)) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  bar.stop();
  const seconds = (lastConfirmAt - started) / 1000 || (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  for (const [reason, n] of reasons) process.stdout.write(`  rejected ${n} x ${reason}\n`);
  process.stdout.write(
    `simulate: accepted=${accepted} confirmed=${confirmed} rejected=${rejected} rate=${(confirmed / seconds).toFixed(1)}/s ` +
      `p50=${Math.round(percentile(latencies, 50))}ms p99=${Math.round(percentile(latencies, 99))}ms\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`simulate failed: ${(err as Error).message}\n`);
  process.exit(2);
});
