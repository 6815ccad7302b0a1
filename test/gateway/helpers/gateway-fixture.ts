/**
 * One real gateway for a spec file: `startGateway` exactly as `npm start` assembles it (a local
 * anvil node in a temp DATA_DIR, funded keys, the contracts deployed, the embedded PGlite store,
 * a running submitter), listening on a free port, and each institution's first operator enrolled
 * with the enrolment code first start wrote (a software-authenticator passkey) and signed in.
 * Start it once in `before` and stop it in `after`; tests then set up their own cards and
 * merchants through the operator API (each decision drafted, signed by its operator, relayed),
 * so they do not depend on one another.
 *
 * Builders here go through the public API and the SDKs only (src/sdk), and sign through
 * src/domain/typed-data.ts: tests never assemble digests by hand. Importing this file checks
 * every answer tests receive through supertest or fetch against the gateway's /openapi.json
 * (test/helpers/api-contract.ts).
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
import { OperatorClient, eventOf, issueCardJointly, type DecisionDraft, type DecisionResult, type Institution, type RelyingParty } from "../../../src/sdk/operator-client";
import { ENROLMENT_CODES_FILE } from "../../../src/auth/enrolment-codes";
import { PasskeyOperator } from "../../../scripts/lib/passkey-operator";
import { SoftwareAuthenticator } from "../../../src/auth/software-authenticator";
import { FIRST_OPERATOR_IDS } from "../../../src/chain/deploy";
import { CounterNonces, TerminalClient, walletCardSigner, type CardSigner, type SubmissionStatus } from "../../../src/sdk/terminal-client";
import { currencyCode, packMultipliers, type Agreement } from "../../../src/domain/points";
import { extractSettlement, slipHash, type Slip } from "../../../src/domain/slips";
import { ledgerDomain, orderSlipDigest, settlementDigest, signDigest, type SettlementMessage } from "../../../src/domain/typed-data";
import { installApiContract } from "../../helpers/api-contract";

// Every answer a test receives from a gateway is checked against its /openapi.json.
installApiContract();

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
  /** Each institution's first operator, signed in (`cookie` for raw supertest calls). */
  operators: Operators;
  stop(): Promise<void>;
}

export interface Operators {
  bank: OperatorClient;
  creditCenter: OperatorClient;
}

/** The gateway's default WebAuthn relying party (PUBLIC_ORIGIN, RP_ID), which the fixtures keep. */
export const DEFAULT_RP: RelyingParty = { origin: "http://localhost:8080", rpId: "localhost" };

/**
 * Each institution's first operator of the gateway at `url` whose DATA_DIR is `dataDir`, signed
 * in. On first use each enrols a software-authenticator passkey with its institution's enrolment
 * code (DATA_DIR/enrolment-codes.json); the passkeys and identities are kept (0600) in
 * `keysDir`, so a restarted gateway's operators sign in again with them.
 */
export async function firstOperators(url: string, dataDir: string, keysDir = path.join(dataDir, "test-operators")): Promise<Operators> {
  fs.mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const signedIn = async (institution: Institution): Promise<OperatorClient> => {
    const operator = PasskeyOperator.open({ gateway: url, ...DEFAULT_RP }, path.join(keysDir, `${institution}.key`));
    if (!operator.identity) {
      const codes = JSON.parse(fs.readFileSync(path.join(dataDir, ENROLMENT_CODES_FILE), "utf8")) as Record<Institution, string>;
      await operator.enrol(institution, `first ${institution} operator`, { code: codes[institution] });
    }
    return OperatorClient.signIn(url, operator.passkey, operator.identity!, DEFAULT_RP);
  };
  return { bank: await signedIn("bank"), creditCenter: await signedIn("credit_center") };
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
  // The codes first start prints are read from their file: keep test output clean.
  const { dataDir, gateway, chain, stop } = await startTempGateway({}, { ...options, print: () => undefined });
  try {
    const operators = await firstOperators(gateway.url, dataDir);
    return { url: gateway.url, gateway, dataDir, chain, operators, stop };
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
  await f.operators.bank.decide("POST", "/v1/terminals", { terminal: terminalKey.address, merchantId });
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
  const merchantId = await registerMerchant(f.operators, cardId);
  await f.operators.bank.decide("PUT", `/v1/merchants/${merchantId}/agreement`, agreement);
  const { terminalKey, terminal } = await addTerminal(f, merchantId, `${label}:1`);
  return { merchantId, cardId, agreement, terminalKey, terminal };
}

export type Method = "get" | "post" | "put" | "delete";

/** An institution's signed-in operator of the fixture. */
export function operatorOf(f: Pick<GatewayFixture, "operators">, institution: Institution): OperatorClient {
  return institution === "bank" ? f.operators.bank : f.operators.creditCenter;
}

/** A raw request in the session of `institution`'s operator (no session when undefined), from the console's origin. */
export function operatorRequest(f: GatewayFixture, institution: Institution | undefined, method: Method, path: string, body?: object) {
  let test = request(f.url)[method](path).set("origin", DEFAULT_RP.origin);
  if (institution) test = test.set("cookie", operatorOf(f, institution).cookie);
  return body === undefined ? test : test.send(body);
}

/**
 * `institution`'s operator asks `path` for a decision, signs the draft with their passkey and
 * submits it to POST /v1/decisions: the answer of the draft request when it fails, else the
 * relayed decision's (with the draft).
 */
export async function decide(f: GatewayFixture, institution: Institution, method: Method, path: string, body?: object) {
  const drafted = await operatorRequest(f, institution, method, path, body);
  if (drafted.status !== 200) return { res: drafted, draft: undefined };
  const draft = drafted.body as DecisionDraft;
  return { res: await operatorRequest(f, institution, "post", "/v1/decisions", operatorOf(f, institution).submission(draft)), draft };
}

/** As `decide`, and the decision must be relayed: its draft and result. */
export async function decided(f: GatewayFixture, institution: Institution, method: Method, path: string, body?: object): Promise<{ draft: DecisionDraft; result: DecisionResult }> {
  const { res, draft } = await decide(f, institution, method, path, body);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return { draft: draft!, result: res.body as DecisionResult };
}

/**
 * Passkeys each institution hands over for a deployment with FIRST_OPERATORS=public-keys, and
 * the variables naming their public keys.
 */
export function handedOverPasskeys(): { passkeys: Record<Institution, SoftwareAuthenticator>; env: Record<string, string> } {
  const passkeys = { bank: SoftwareAuthenticator.generate(), credit_center: SoftwareAuthenticator.generate() };
  const publicKey = (p: SoftwareAuthenticator) => `${p.publicKey.qx},${p.publicKey.qy}`;
  return {
    passkeys,
    env: { FIRST_OPERATORS: "public-keys", BANK_FIRST_CREDENTIAL: publicKey(passkeys.bank), CREDIT_CENTER_FIRST_CREDENTIAL: publicKey(passkeys.credit_center) },
  };
}

/** The first operators of a deployment made with `handedOverPasskeys` (the bank's is credential 1, the credit center's 2), signed in. */
export async function handedOverOperators(url: string, passkeys: Record<Institution, SoftwareAuthenticator>): Promise<Operators> {
  const signIn = (institution: Institution, credentialId: string, operatorId: string) =>
    OperatorClient.signIn(url, passkeys[institution], { institution, credentialId, operatorId }, DEFAULT_RP);
  return { bank: await signIn("bank", "1", FIRST_OPERATOR_IDS.bank), creditCenter: await signIn("credit_center", "2", FIRST_OPERATOR_IDS.creditCenter) };
}

/** The bank registers a merchant on its merchant card; returns the new merchant ID. */
export async function registerMerchant(operators: Operators, cardId: string): Promise<number> {
  const { result } = await operators.bank.decide("POST", "/v1/merchants", { cardId });
  return Number(eventOf(result, "MerchantRegistered").merchantId);
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
  const res = await request(f.url).get(`/v1/cards/${cardId}`).set("cookie", f.operators.bank.cookie).expect(200);
  return res.body as CardView;
}

/** Assert an RFC 9457 problem body with its stable code (the `type` is the code's URN). */
export function expectProblem(body: unknown, status: number, code: string): void {
  expect(body).to.deep.include({ status, code, type: `urn:credence:problem:${code}` });
}
