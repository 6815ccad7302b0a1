/**
 * Terminal simulator: sets up demo merchants, terminals and cards if they are absent, as
 * operators do (each step signed by a bank or credit-center operator's passkey, here a
 * software authenticator, and relayed by the gateway), then drives signed settlements from
 * several terminals and reports throughput and time-to-confirmed.
 *
 *   npm run simulate -- --terminals 8 --settlements 1000 [--gateway URL] [--bank-key FILE]
 *                       [--credit-key FILE] [--concurrency N] [--rate N] [--cards N] [--demo FILE]
 *                       [--sign-live] [--window SECONDS]
 *
 * Without --rate the terminals send as fast as they get answers (at most --concurrency in flight):
 * that finds the gateway's ceiling. With --rate they offer N settlements a second, whatever the
 * answers: that shows the latency at a given load.
 *
 * Every settlement is signed (by its terminal and its card) before the clock starts: in a real
 * deployment that work happens on the terminals and cards, not on the gateway's machine, and
 * the figures are the gateway's. --sign-live signs each one just before sending it instead.
 *
 * The set-up's operators are --bank-key and --credit-key, software-authenticator key files as
 * `npm run operator -- enrol` makes them; by default DATA_DIR/demo-operators/{bank,credit_center}.key,
 * enrolled with the institution's one-time code from DATA_DIR/enrolment-codes.json while that
 * code is unused (a demo convenience: whoever reads DATA_DIR then holds those operators' keys).
 * The gateway is --gateway, else CREDENCE_GATEWAY, else the one running on DATA_DIR, else
 * http://127.0.0.1:$PORT. Demo state: DATA_DIR/demo.json (simulated device keys: demo only,
 * mode 0600).
 */
import fs from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import { Command } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { currencyCode, type SignedSettlement, type SubmissionStatus } from "../packages/terminal-sdk/src";
// The terminal SDK package's client, over node:http (less CPU per request than fetch for a fleet).
import { TerminalClient, walletCardSigner, CounterNonces } from "../src/sdk/terminal-client";
import { packMultipliers } from "../src/domain/points";
import { ENROLMENT_CODES_FILE } from "../src/auth/enrolment-codes";
import { resolveGatewayUrl } from "../src/gateway-address";
import { PasskeyOperator, type OperatorIdentity } from "./lib/passkey-operator";

interface Demo {
  ledger: string;
  merchants: { merchantId: number; cardId: string }[];
  terminals: { key: string; merchantId: number; nextNonce: string }[];
  cards: { cardId: string; key: string }[];
}

const dataDir = process.env.DATA_DIR || "data";
const program = new Command()
  .option("--terminals <n>", "terminals to drive", "8")
  .option("--settlements <n>", "settlements to submit", "1000")
  .option("--gateway <url>", "gateway URL (default $CREDENCE_GATEWAY, else the gateway running on $DATA_DIR, else port $PORT)")
  .option("--bank-key <file>", "a bank operator's key file (npm run operator -- enrol)", path.join(dataDir, "demo-operators", "bank.key"))
  .option("--credit-key <file>", "a credit-center operator's key file", path.join(dataDir, "demo-operators", "credit_center.key"))
  .option("--origin <origin>", "the gateway's PUBLIC_ORIGIN", process.env.PUBLIC_ORIGIN ?? "http://localhost:8080")
  .option("--rp-id <id>", "the gateway's RP_ID", process.env.RP_ID ?? "localhost")
  .option("--demo <file>", "demo state (simulated device keys)", path.join(dataDir, "demo.json"))
  .option("--concurrency <n>", "settlements in flight (submitted, not yet confirmed) at once", "256")
  .option("--rate <n>", "settlements offered per second (default: as fast as answers come)")
  .option("--cards <n>", "consumer cards to use", "40")
  .option("--window <seconds>", "also print a `window:` line every SECONDS: settlements accepted and confirmed in it and their latencies (submitted without waiting, so the 202 is timed alone)")
  .option("--sign-live", "sign each settlement just before sending it (default: all signed before the clock starts)")
  .parse();

const opts = program.opts<{
  terminals: string;
  settlements: string;
  gateway?: string;
  bankKey: string;
  creditKey: string;
  origin: string;
  rpId: string;
  demo: string;
  concurrency: string;
  rate?: string;
  cards: string;
  signLive?: boolean;
  window?: string;
}>();
const gateway = resolveGatewayUrl(opts.gateway).url;

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

/**
 * The operator of `institution` whose passkey is in `keyFile`: enrolled already, or enrolled now
 * with the institution's one-time code while that code is unused.
 */
async function operatorOf(institution: OperatorIdentity["institution"], keyFile: string, flag: string): Promise<PasskeyOperator> {
  const client = { gateway, origin: opts.origin, rpId: opts.rpId };
  if (fs.existsSync(keyFile)) {
    const operator = PasskeyOperator.open(client, keyFile);
    if (operator.identity) {
      if (operator.identity.institution !== institution) throw new Error(`${keyFile} (${flag}) is a ${operator.identity.institution} operator's, not a ${institution} operator's`);
      return operator;
    }
  }
  const status = (await (await fetch(new URL("/v1/enrolment", gateway))).json()) as { institutions?: Record<string, { codeOpen: boolean }> };
  const codesFile = path.join(dataDir, ENROLMENT_CODES_FILE);
  if (!status.institutions?.[institution]?.codeOpen || !fs.existsSync(codesFile)) {
    throw new Error(`${keyFile} is not an enrolled ${institution} operator and the ${institution} enrolment code is used: pass ${flag} with the key file of an enrolled ${institution} operator (npm run operator -- enrol)`);
  }
  const code = (JSON.parse(fs.readFileSync(codesFile, "utf8")) as Record<string, string>)[institution];
  fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  const operator = PasskeyOperator.open(client, keyFile);
  await operator.enrol(institution, `Demo ${institution} operator`, { code });
  process.stderr.write(`enrolled a demo ${institution} operator with its enrolment code: ${keyFile}\n`);
  return operator;
}

/** Issue a card under dual control: `proposer` proposes, `approver` (the other institution) approves. */
async function issueCard(
  proposer: PasskeyOperator,
  approver: PasskeyOperator,
  card: { kind: "consumer" | "merchant"; key: string; holder: { name: string; nationalId: string } },
): Promise<string> {
  const proposed = await proposer.decide({ kind: "propose", target: "registry", function: "issueCard", args: card });
  await approver.decide({ kind: "approve", target: "registry", proposalId: proposed.result.proposalId });
  return (proposed.draft.summary as { args: { cardId: string } }).args.cardId;
}

/** A bank operator's act on the registry (merchants, terminals, agreements, the credit-point rule). */
async function bankAct(bank: PasskeyOperator, fn: string, args: Record<string, unknown>): Promise<void> {
  await bank.decide({ kind: "act", target: "registry", function: fn, args });
}

async function setUp(terminalCount: number, cardCount: number): Promise<Demo> {
  const info = (await (await fetch(new URL("/v1/info", gateway))).json()) as { ledger: string };
  let demo: Demo | undefined = fs.existsSync(opts.demo) ? (JSON.parse(fs.readFileSync(opts.demo, "utf8")) as Demo) : undefined;
  if (demo && demo.ledger !== info.ledger) demo = undefined; // another chain: start over
  demo ??= { ledger: info.ledger, merchants: [], terminals: [], cards: [] };
  const needs = demo.terminals.length < terminalCount || demo.cards.length < cardCount;
  if (!needs) return demo;
  const bank = await operatorOf("bank", opts.bankKey, "--bank-key");
  const creditCenter = await operatorOf("credit_center", opts.creditKey, "--credit-key");
  process.stderr.write("setting up demo merchants, terminals and cards...\n");
  const merchantCount = Math.min(4, terminalCount);
  if (demo.merchants.length === 0) await bankAct(bank, "setCreditPointRule", { rateBps: 1000 });
  while (demo.merchants.length < merchantCount) {
    const n = demo.merchants.length;
    const cardId = await issueCard(bank, creditCenter, {
      kind: "merchant",
      key: Wallet.createRandom().address,
      holder: { name: `Demo merchant ${n + 1}`, nationalId: `M-${n + 1}` },
    });
    await bankAct(bank, "registerMerchant", { merchantCardId: cardId });
    const { merchantId } = await bank.request<{ merchantId: number }>("GET", `/v1/cards/${cardId}`);
    await bankAct(bank, "setAgreement", {
      merchantId,
      terms: {
        baseRateBps: 100 + 50 * n,
        maxPointsPerSettlement: 10_000,
        minAmount: "100",
        validFrom: 0,
        validUntil: 2 ** 40 - 1,
        currency: currencyCode("CNY"),
        categoryMultipliers: packMultipliers(Array.from({ length: 16 }, (_, c) => (c === 1 ? 200 : 100))).toString(),
      },
    });
    demo.merchants.push({ merchantId, cardId });
    save(demo);
  }
  while (demo.terminals.length < terminalCount) {
    const key = Wallet.createRandom();
    const merchantId = demo.merchants[demo.terminals.length % demo.merchants.length].merchantId;
    await bankAct(bank, "registerTerminal", { terminalKey: key.address, merchantId });
    demo.terminals.push({ key: key.privateKey, merchantId, nextNonce: "0" });
    save(demo);
  }
  while (demo.cards.length < cardCount) {
    const key = Wallet.createRandom();
    const n = demo.cards.length;
    const cardId = await issueCard(n % 2 ? creditCenter : bank, n % 2 ? bank : creditCenter, {
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
  const windowSeconds = opts.window === undefined ? undefined : positive("window", opts.window);
  const demo = await setUp(terminalCount, positive("cards", opts.cards));
  const terminals = await Promise.all(
    demo.terminals.slice(0, terminalCount).map((t) =>
      TerminalClient.connect(gateway, new Wallet(t.key), new CounterNonces(BigInt(t.nextNonce))),
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
  // Latencies of the current --window, from sending to the gateway's acceptance and to confirmation.
  let windowAccepts: number[] = [];
  let windowConfirms: number[] = [];
  let windowRejected = 0;
  const windows =
    windowSeconds === undefined
      ? undefined
      : setInterval(() => {
          const [accepts, confirms] = [windowAccepts.sort((a, b) => a - b), windowConfirms.sort((a, b) => a - b)];
          const ms = (sorted: number[], p: number) => (sorted.length === 0 ? "na" : `${Math.round(percentile(sorted, p))}ms`);
          process.stdout.write(
            `window: t=${Math.round((performance.now() - started) / 1000)}s accepted=${accepts.length} confirmed=${confirms.length} rejected=${windowRejected} ` +
              `accept_p50=${ms(accepts, 50)} accept_p99=${ms(accepts, 99)} confirm_p50=${ms(confirms, 50)} confirm_p99=${ms(confirms, 99)}\n`,
          );
          [windowAccepts, windowConfirms, windowRejected] = [[], [], 0];
        }, windowSeconds * 1000);
  if (windowSeconds === undefined) bar.start(total, 0, { rejected: 0, rate: 0 });
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
        const terminal = terminals[i % terminalCount];
        let status: SubmissionStatus;
        if (windowSeconds === undefined) status = await terminal.submitAndWait(settlement, 120_000, () => accepted++);
        else {
          // The 202 timed on its own: submitted without waiting, then its status long-polled.
          const a = await terminal.submit(settlement);
          accepted++;
          windowAccepts.push(performance.now() - t0);
          status = a.outcome ?? (await terminal.waitFor(a.id, 120_000));
        }
        const t1 = performance.now();
        if (status.status === "confirmed") {
          confirmed++;
          latencies.push(t1 - t0);
          windowConfirms.push(t1 - t0);
          firstConfirmAt ||= t1;
          lastConfirmAt = t1;
        } else {
          rejected++;
          windowRejected++;
          reasons.set(status.reason ?? "unknown", (reasons.get(status.reason ?? "unknown") ?? 0) + 1);
        }
      } catch (err) {
        rejected++;
        windowRejected++;
        const code = (err as { code?: string }).code ?? (err as Error).message.slice(0, 60);
        reasons.set(code, (reasons.get(code) ?? 0) + 1);
      }
      const elapsed = (performance.now() - started) / 1000;
      if (windowSeconds === undefined) bar.update(confirmed, { rejected, rate: Math.round(confirmed / Math.max(elapsed, 0.001)) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  clearInterval(windows);
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
