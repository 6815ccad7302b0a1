/**
 * One real gateway for a spec file: `startGateway` exactly as `npm start` assembles it (a local
 * anvil node in a temp DATA_DIR, funded keys, the contracts deployed, the embedded PGlite store,
 * the first operators, a running submitter), listening on a free port. Start it once in `before`
 * and stop it in `after`; tests then set up their own cards and merchants through the operator
 * API, so they do not depend on one another.
 *
 * Builders here go through the public API and the SDKs only (src/sdk), and sign through
 * src/domain/typed-data.ts: tests never assemble digests by hand.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet, id } from "ethers";
import type { Logger } from "pino";
import request from "supertest";
import { loadConfig } from "../../../src/config";
import { startGateway, type RunningGateway } from "../../../src/gateway";
import { LedgerClient } from "../../../src/chain/ledger-client";
import { OperatorClient, issueCardJointly } from "../../../src/sdk/operator-client";
import { CounterNonces, TerminalClient, walletCardSigner, type CardSigner, type SubmissionStatus } from "../../../src/sdk/terminal-client";
import { currencyCode, packMultipliers, type Agreement } from "../../../src/domain/points";
import { extractSettlement, slipHash, type Slip } from "../../../src/domain/slips";
import { ledgerDomain, orderSlipDigest, settlementDigest, signDigest, type SettlementMessage } from "../../../src/domain/typed-data";
import type { OperatorRole } from "../../../src/auth";

/** The agreement body of PUT /v1/merchants/:id/agreement, as operators send it. */
export interface AgreementBody {
  baseRateBps: number;
  maxPointsPerSettlement: number;
  minAmount: string;
  validFrom: number;
  validUntil: number;
  currency: string;
  categoryMultipliers: number[];
}

/** 5 points per 1.00 CNY at 1x; groceries (category 1) 2x, fuel (category 2) 0.5x. */
export const DEFAULT_AGREEMENT: AgreementBody = {
  baseRateBps: 500,
  maxPointsPerSettlement: 1_000_000,
  minAmount: "100",
  validFrom: 0,
  validUntil: 2 ** 40 - 1,
  currency: "CNY",
  categoryMultipliers: [100, 200, 50, ...Array<number>(13).fill(100)],
};

/** The agreement as src/domain/points.ts prices with it. */
export function domainAgreement(body: AgreementBody): Agreement {
  return {
    baseRateBps: BigInt(body.baseRateBps),
    maxPointsPerSettlement: BigInt(body.maxPointsPerSettlement),
    minAmount: BigInt(body.minAmount),
    validFrom: BigInt(body.validFrom),
    validUntil: BigInt(body.validUntil),
    currency: body.currency.startsWith("0x") ? body.currency : currencyCode(body.currency),
    categoryMultipliers: packMultipliers(body.categoryMultipliers),
  };
}

/** A deterministic key from a label (fresh chain per run, so labels only need to be unique per file). */
export function keyFor(label: string): Wallet {
  return new Wallet(id(`credence-gateway-test:${label}`));
}

/** JSON-ready copy of a value: bigints become decimal strings, as the API expects them. */
export function toJson<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}

export interface Consumer {
  cardId: string;
  key: Wallet;
  signer: CardSigner;
}

export interface Merchant {
  merchantId: number;
  cardId: string;
  agreement: AgreementBody;
  terminalKey: Wallet;
  terminal: TerminalClient;
}

export interface GatewayFixture {
  url: string;
  gateway: RunningGateway;
  dataDir: string;
  /** Read-only handles on the deployed contracts, for checking what reached the chain. */
  chain: LedgerClient;
  /** Operator passwords by role, from DATA_DIR/operators.json. */
  passwords: Record<OperatorRole, string>;
  /** A bearer token per role, for raw supertest calls. */
  tokens: Record<OperatorRole, string>;
  operators: { bank: OperatorClient; creditCenter: OperatorClient; auditor: OperatorClient };
  stop(): Promise<void>;
}

/** A gateway in a fresh temporary DATA_DIR, and read-only handles on its chain; `stop` removes the directory. */
export async function startTempGateway(
  env: NodeJS.ProcessEnv = {},
  options: { log?: Logger; print?: (text: string) => void } = {},
): Promise<{ dataDir: string; gateway: RunningGateway; chain: LedgerClient; stop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-api-"));
  let gateway: RunningGateway | undefined;
  let chain: LedgerClient | undefined;
  const stop = async () => {
    chain?.provider.destroy();
    await gateway?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent", ...env });
    gateway = await startGateway(config, options.log, { print: options.print });
    chain = LedgerClient.connect(gateway.rpcEndpoint, gateway.deployment, 0);
    return { dataDir, gateway, chain, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function startGatewayFixture(options: { log?: Logger } = {}): Promise<GatewayFixture> {
  const { dataDir, gateway, chain, stop } = await startTempGateway({}, options);
  try {
    const file = JSON.parse(fs.readFileSync(gateway.operatorsFile, "utf8")) as { operators: { role: OperatorRole; password: string }[] };
    const passwords = Object.fromEntries(file.operators.map((o) => [o.role, o.password])) as Record<OperatorRole, string>;
    const url = gateway.url;
    const tokenOf = async (role: OperatorRole) => {
      const res = await request(url).post("/v1/auth/login").send({ username: role, password: passwords[role] }).expect(200);
      return (res.body as { token: string }).token;
    };
    const tokens = { bank: await tokenOf("bank"), credit_center: await tokenOf("credit_center"), auditor: await tokenOf("auditor") };
    const operators = {
      bank: await OperatorClient.login(url, "bank", passwords.bank),
      creditCenter: await OperatorClient.login(url, "credit_center", passwords.credit_center),
      auditor: await OperatorClient.login(url, "auditor", passwords.auditor),
    };
    return { url, gateway, dataDir, chain, passwords, tokens, operators, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A consumer card issued under dual control (the bank proposes, the credit center approves). */
export async function issueConsumer(f: GatewayFixture, label: string): Promise<Consumer> {
  const key = keyFor(`consumer:${label}`);
  const cardId = await issueCardJointly(f.operators.bank, f.operators.creditCenter, {
    kind: "consumer",
    key: key.address,
    holder: { name: `Holder ${label}`, nationalId: `ID-${label}` },
  });
  return { cardId, key, signer: walletCardSigner(key) };
}

/** Register a terminal key for a merchant and connect the terminal SDK with it. */
export async function addTerminal(f: GatewayFixture, merchantId: number, label: string): Promise<{ terminalKey: Wallet; terminal: TerminalClient }> {
  const terminalKey = keyFor(`terminal:${label}`);
  await f.operators.bank.call("POST", "/v1/terminals", { terminal: terminalKey.address, merchantId });
  const terminal = await TerminalClient.connect(f.url, terminalKey, new CounterNonces(1n));
  return { terminalKey, terminal };
}

/** A merchant with its merchant card, an agreement (version 1) and one enabled terminal. */
export async function openMerchant(f: GatewayFixture, label: string, agreement: AgreementBody = DEFAULT_AGREEMENT): Promise<Merchant> {
  const cardId = await issueCardJointly(f.operators.bank, f.operators.creditCenter, {
    kind: "merchant",
    key: keyFor(`merchant:${label}`).address,
    holder: { name: `Merchant ${label}`, nationalId: `LICENSE-${label}` },
  });
  const { merchantId } = await f.operators.bank.call<{ merchantId: number }>("POST", "/v1/merchants", { cardId });
  await f.operators.bank.call("PUT", `/v1/merchants/${merchantId}/agreement`, agreement);
  const { terminalKey, terminal } = await addTerminal(f, merchantId, `${label}:1`);
  return { merchantId, cardId, agreement, terminalKey, terminal };
}

/** Unix seconds now. */
export function now(): number {
  return Math.floor(Date.now() / 1000);
}

export interface SettlementInput {
  slip: Slip;
  nonce: bigint;
  terminalKey: Wallet;
  cardKey: Wallet;
  /** Fields changed after the slip determined them, before signing. */
  overrides?: Partial<SettlementMessage>;
  /** Send the slip with the settlement (default) or rely on one stored before. */
  inlineSlip?: boolean;
}

/**
 * The body of POST /v1/settlements for a slip, signed by `terminalKey` and `cardKey` over the
 * settlement the slip determines, with `overrides` applied BEFORE signing (so only the override
 * is wrong, never the signatures).
 */
export function signedSettlement(f: GatewayFixture, input: SettlementInput): Record<string, unknown> {
  const settlement: SettlementMessage = { ...extractSettlement(input.slip), nonce: input.nonce, ...input.overrides };
  const domain = ledgerDomain(BigInt(f.gateway.deployment.chainId), f.gateway.deployment.ledger);
  const digest = settlementDigest(domain, settlement);
  const signatures = { terminal: signDigest(input.terminalKey.signingKey, digest), card: signDigest(input.cardKey.signingKey, digest) };
  return toJson(input.inlineSlip === false ? { settlement, signatures } : { settlement, signatures, slip: input.slip }) as Record<string, unknown>;
}

/** The body of POST /v1/slips: `slip` signed by `terminalKey`, as the terminal SDK sends it. */
export function signedSlip(f: GatewayFixture, slip: Slip, terminalKey: Wallet): Record<string, unknown> {
  const domain = ledgerDomain(BigInt(f.gateway.deployment.chainId), f.gateway.deployment.ledger);
  return { slip, signature: signDigest(terminalKey.signingKey, orderSlipDigest(domain, slipHash(slip))) };
}

/** The store's row ID behind a submission ID the API gave ("<row>-<tag>", public-ids.ts), for tests that look into the store. */
export function rowIdOf(submissionId: string): string {
  return submissionId.split("-")[0];
}

/** Long-poll GET /v1/submissions/:id until the status is final (or fail after `timeoutMs`). */
export async function waitForFinal(f: GatewayFixture, submissionId: string, timeoutMs = 30_000): Promise<SubmissionStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(f.url).get(`/v1/submissions/${submissionId}?waitMs=5000`).expect(200);
    const status = res.body as SubmissionStatus;
    if (status.status === "confirmed" || status.status === "rejected") return status;
    if (Date.now() > deadline) throw new Error(`submission ${submissionId} still ${status.status} after ${timeoutMs} ms`);
  }
}

/** A card as GET /v1/cards/:id shows it to a bank operator. */
export interface CardView {
  cardId: string;
  kind: "consumer" | "merchant";
  status: "active" | "frozen" | "closed";
  account: string;
  key: string;
  replacedBy: string | null;
  merchantId: number | null;
  points: { balance: string; earned: string; reversed: string; redeemed: string };
}

export async function readCard(f: GatewayFixture, cardId: string): Promise<CardView> {
  const res = await request(f.url).get(`/v1/cards/${cardId}`).set("authorization", `Bearer ${f.tokens.bank}`).expect(200);
  return res.body as CardView;
}

/** Assert an RFC 9457 problem body with its stable code (the `type` is the code's URN). */
export function expectProblem(body: unknown, status: number, code: string): void {
  expect(body).to.deep.include({ status, code, type: `urn:credence:problem:${code}` });
}
