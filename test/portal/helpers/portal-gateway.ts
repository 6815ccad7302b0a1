/**
 * A real gateway for the portal's tests: started as `npm start` assembles it, with
 * FIRST_OPERATORS=enrolment-codes (so the bank and the credit center each enrol a passkey by
 * code and sign in, as the console does) and TRUST_PROXY=loopback (so a test can name its client
 * address in X-Forwarded-For). Cards, merchants, agreements and terminals are made by the
 * operators' passkey decisions; settlements by a terminal through the terminal SDK.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet, getBytes, hexlify, randomBytes } from "ethers";
import request from "supertest";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { loadConfig } from "../../../src/config";
import { startGateway, type RunningGateway } from "../../../src/gateway";
import { LedgerClient } from "../../../src/chain/ledger-client";
import { SoftwareAuthenticator } from "../../../src/auth/software-authenticator";
import { encodeSecp256k1Signature, enrolmentCodePrivateKey } from "../../../src/domain/operator-steps";
import { currencyCode, packMultipliers } from "../../../src/domain/points";
import { CounterNonces, TerminalClient, walletCardSigner, type SubmissionStatus } from "../../../src/sdk/terminal-client";
import { installApiContract } from "../../helpers/api-contract";

// Every answer a test receives from a gateway is checked against its /openapi.json.
installApiContract();

export type Institution = "bank" | "credit_center";

export interface PortalOperator {
  institution: Institution;
  passkey: SoftwareAuthenticator;
  credentialId: string;
  operatorId: string;
  /** The session cookie ("credence_operator=..."). */
  cookie: string;
}

export interface PortalGateway {
  url: string;
  /** PUBLIC_ORIGIN: what browsers send as Origin and WebAuthn checks. */
  origin: string;
  gateway: RunningGateway;
  dataDir: string;
  chain: LedgerClient;
  bank: PortalOperator;
  creditCenter: PortalOperator;
  stop(): Promise<void>;
}

export interface ConsumerCard {
  cardId: string;
  key: Wallet;
  /** The portal account name ("c-<points account>"). */
  account: string;
}

export interface PortalMerchant {
  merchantId: number;
  cardId: string;
  name: string;
  terminal: TerminalClient;
  terminalAddress: string;
}

/**
 * A gateway on `port` (0: any) whose public origin is `origin`, with one signed-in operator per
 * institution; `trustProxy` is its TRUST_PROXY (default loopback).
 */
export async function startPortalGateway(options: { port?: number; origin?: string; trustProxy?: string } = {}): Promise<PortalGateway> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-portal-"));
  const origin = options.origin ?? "http://localhost:8080";
  let gateway: RunningGateway | undefined;
  let chain: LedgerClient | undefined;
  const stop = async () => {
    chain?.provider.destroy();
    await gateway?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    gateway = await startGateway(
      loadConfig({
        DATA_DIR: dataDir,
        PORT: String(options.port ?? 0),
        LOG_LEVEL: "silent",
        FIRST_OPERATORS: "enrolment-codes",
        PUBLIC_ORIGIN: origin,
        RP_ID: "localhost",
        TRUST_PROXY: options.trustProxy ?? "loopback",
      }),
      undefined,
      { print: () => undefined },
    );
    chain = LedgerClient.connect(gateway.rpcEndpoint, gateway.deployment, 0);
    const codes = JSON.parse(fs.readFileSync(gateway.enrolmentCodesFile, "utf8")) as Record<Institution, string>;
    const partial = { url: gateway.url, origin, gateway, dataDir, chain, stop };
    const bank = await enrolAndSignIn(partial, "bank", codes.bank);
    const creditCenter = await enrolAndSignIn(partial, "credit_center", codes.credit_center);
    return { ...partial, bank, creditCenter };
  } catch (err) {
    await stop();
    throw err;
  }
}

type Base = Pick<PortalGateway, "url" | "origin">;

/** A POST from the gateway's public origin, with a cookie when given. */
export function post(g: Base, url: string, body?: object, cookie?: string) {
  const req = request(g.url).post(url).set("origin", g.origin);
  return (cookie ? req.set("cookie", cookie) : req).send(body ?? {});
}

export function get(g: Base, url: string, cookie?: string) {
  const req = request(g.url).get(url);
  return cookie ? req.set("cookie", cookie) : req;
}

/** The `name=value` of a response's Set-Cookie for `name`. */
export function cookieOf(res: { headers: Record<string, unknown> }, name: string): string {
  const cookies = (res.headers["set-cookie"] ?? []) as string[];
  const found = cookies.find((c) => c.startsWith(`${name}=`));
  expect(found, `${name} cookie`).to.be.a("string");
  return found!.split(";")[0];
}

async function enrolAndSignIn(g: Base, institution: Institution, code: string): Promise<PortalOperator> {
  const passkey = SoftwareAuthenticator.generate();
  const options = await post(g, "/v1/enrolment/options", { institution, operatorLabel: `${institution} operator` }).expect(200);
  const registration = passkey.registrationResponse({ challenge: options.body.publicKey.challenge as string, origin: g.origin, rpId: "localhost" });
  const draft = await post(g, "/v1/enrolment/drafts", { challengeId: options.body.challengeId, response: registration }).expect(200);
  const signature = encodeSecp256k1Signature(new Wallet(enrolmentCodePrivateKey(code)).signingKey.sign(draft.body.digest as string));
  const enrolled = await post(g, `/v1/enrolment/drafts/${draft.body.draftId}/signatures`, { signature }).expect(200);
  const operator = { institution, passkey, credentialId: enrolled.body.credentialId as string, operatorId: draft.body.operatorId as string, cookie: "" };
  const signIn = await post(g, "/v1/operator-session/options").expect(200);
  const response = assertion(g, operator, signIn.body.publicKey.challenge as string);
  const session = await post(g, "/v1/operator-session", { challengeId: signIn.body.challengeId, response }).expect(200);
  return { ...operator, cookie: cookieOf(session, "credence_operator") };
}

function assertion(g: Base, operator: Omit<PortalOperator, "cookie">, challenge: string) {
  return operator.passkey.authenticationResponse({ challenge: isoBase64URL.toBuffer(challenge), origin: g.origin, rpId: "localhost", userHandle: getBytes(operator.operatorId) });
}

/** Draft a decision as `operator`, sign it with their passkey and relay it; returns the relayed answer. */
export async function decide(g: PortalGateway, operator: PortalOperator, body: object): Promise<{ draft: Record<string, unknown>; result: Record<string, unknown> }> {
  const draft = await post(g, "/v1/decisions/drafts", body, operator.cookie);
  expect(draft.status, JSON.stringify(draft.body)).to.equal(200);
  const submission = { draftId: draft.body.draftId, credentialId: operator.credentialId, assertion: assertion(g, operator, draft.body.challenge as string) };
  const res = await post(g, "/v1/decisions", submission, operator.cookie);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return { draft: draft.body as Record<string, unknown>, result: res.body as Record<string, unknown> };
}

/** A card issued under dual control: the bank proposes, the credit center approves. */
export async function issueCard(g: PortalGateway, kind: "consumer" | "merchant", key: string, name: string): Promise<string> {
  const proposed = await decide(g, g.bank, { kind: "propose", target: "registry", function: "issueCard", args: { kind, key, holder: { name, nationalId: `ID-${name}` } } });
  await decide(g, g.creditCenter, { kind: "approve", target: "registry", proposalId: proposed.result.proposalId });
  return (proposed.draft.summary as { args: { cardId: string } }).args.cardId;
}

export async function issueConsumer(g: PortalGateway, name: string): Promise<ConsumerCard> {
  const key = Wallet.createRandom();
  const cardId = await issueCard(g, "consumer", key.address, name);
  const card = await g.chain.registry.card(cardId);
  return { cardId, key: new Wallet(key.privateKey), account: `c-${card.account}` };
}

/** A merchant with its card, an agreement (5 points per 1.00 CNY) and one terminal. */
export async function openMerchant(g: PortalGateway, name: string): Promise<PortalMerchant> {
  const cardId = await issueCard(g, "merchant", Wallet.createRandom().address, name);
  await decide(g, g.bank, { kind: "act", target: "registry", function: "registerMerchant", args: { merchantCardId: cardId } });
  const merchantId = Number(await g.chain.registry.merchantOfCard(cardId));
  const agreement = {
    baseRateBps: 500,
    maxPointsPerSettlement: 1_000_000,
    minAmount: "100",
    validFrom: 0,
    validUntil: String(2 ** 40 - 1),
    currency: currencyCode("CNY"),
    categoryMultipliers: packMultipliers(Array<number>(16).fill(100)).toString(),
  };
  await decide(g, g.bank, { kind: "act", target: "registry", function: "setAgreement", args: { merchantId, terms: agreement } });
  const terminalKey = new Wallet(hexlify(randomBytes(32)));
  await decide(g, g.bank, { kind: "act", target: "registry", function: "registerTerminal", args: { terminalKey: terminalKey.address, merchantId } });
  const terminal = await TerminalClient.connect(g.url, terminalKey, new CounterNonces(1n));
  return { merchantId, cardId, name, terminal, terminalAddress: terminalKey.address };
}

/** Consumer credit tiers: a limit of 1,000 from score 100 and 100 points, 5,000 from 300 and 1,000 (dual control). */
export async function setConsumerTiers(g: PortalGateway): Promise<void> {
  const tiers = [
    { minScore: 100, minPoints: "100", limit: "1000" },
    { minScore: 300, minPoints: "1000", limit: "5000" },
  ];
  const proposed = await decide(g, g.bank, { kind: "propose", target: "credit", function: "setPolicy", args: { kind: 0, tiers } });
  await decide(g, g.creditCenter, { kind: "approve", target: "credit", proposalId: proposed.result.proposalId });
}

let orders = 0;

/** A settlement of `unitPrice` minor units at the merchant's terminal, signed by the card, as sent (it may be refused). */
export function trySettle(merchant: PortalMerchant, card: ConsumerCard, unitPrice: string): Promise<SubmissionStatus> {
  const slip = merchant.terminal.slip({ orderNumber: `P-${++orders}`, cardId: card.cardId, currency: "CNY", category: 0, lines: [{ description: "Tea", quantity: 1, unitPrice }] });
  return merchant.terminal.settleAndWait(slip, walletCardSigner(card.key));
}

/** A settlement of `unitPrice` minor units at the merchant's terminal, signed by the card; waits for the ledger. */
export async function settle(merchant: PortalMerchant, card: ConsumerCard, unitPrice: string): Promise<SubmissionStatus> {
  const status = await trySettle(merchant, card, unitPrice);
  expect(status.status, String(status.reason)).to.equal("confirmed");
  return status;
}
