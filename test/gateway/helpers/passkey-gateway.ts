/**
 * A real gateway started with FIRST_OPERATORS=enrolment-codes (no passwords, one-time codes
 * printed at first start), and operators that enrol, sign in and sign through its HTTP API with
 * software-authenticator passkeys, exactly as the console does with the browser's.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { Wallet, getBytes } from "ethers";
import request from "supertest";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { KEY_FILE } from "../../../src/config";
import type { RunningGateway } from "../../../src/gateway";
import type { LedgerClient } from "../../../src/chain/ledger-client";
import { startTempGateway } from "./gateway-fixture";
import { SoftwareAuthenticator } from "../../../src/auth/software-authenticator";
import { encodeSecp256k1Signature, enrolmentCodePrivateKey } from "../../../src/domain/operator-steps";

export const ORIGIN = "http://localhost:8080";
export const RP_ID = "localhost";

export interface PasskeyGateway {
  url: string;
  gateway: RunningGateway;
  dataDir: string;
  chain: LedgerClient;
  /** What first start printed. */
  printed: string;
  /** The codes as DATA_DIR/enrolment-codes.json holds them (empty strings when there is none). */
  codes: { bank: string; credit_center: string };
  /** A funded key that holds no role (the governance key from keys.json), to relay steps directly. */
  funded: Wallet;
  stop(): Promise<void>;
}

/** A gateway whose first operators are enrolment codes, unless `env` says otherwise. */
export async function startPasskeyGateway(env: NodeJS.ProcessEnv = {}): Promise<PasskeyGateway> {
  let printed = "";
  const settings = { FIRST_OPERATORS: "enrolment-codes", PUBLIC_ORIGIN: ORIGIN, RP_ID, ...env };
  const { dataDir, gateway, chain, stop } = await startTempGateway(settings, { print: (text) => (printed += text) });
  try {
    const file = gateway.enrolmentCodesFile;
    const codes = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as { bank: string; credit_center: string }) : { bank: "", credit_center: "" };
    const keys = JSON.parse(fs.readFileSync(path.join(dataDir, KEY_FILE), "utf8")) as { governanceKey: string };
    return { url: gateway.url, gateway, dataDir, chain, printed, codes, funded: new Wallet(keys.governanceKey, chain.provider), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type Institution = "bank" | "credit_center";

/** An operator's passkey and what the gateway told it at enrolment. */
export interface EnrolledOperator {
  institution: Institution;
  passkey: SoftwareAuthenticator;
  credentialId: string;
  operatorId: string;
}

export interface EnrolmentDraft {
  draftId: string;
  institution: Institution;
  operatorId: string;
  digest: string;
  challenge: string;
  method: "code" | "operators";
  signaturesNeeded: number;
}

/** Create `passkey` for a new operator of `institution` and have the gateway draft its enrolment. */
export async function draftEnrolment(
  g: PasskeyGateway,
  institution: Institution,
  label: string,
  passkey: SoftwareAuthenticator,
  cookie?: string,
): Promise<EnrolmentDraft> {
  const options = await post(g, "/v1/enrolment/options", { institution, operatorLabel: label }, cookie).expect(200);
  const { challengeId, publicKey } = options.body as { challengeId: string; publicKey: { challenge: string } };
  const response = passkey.registrationResponse({ challenge: publicKey.challenge, origin: ORIGIN, rpId: RP_ID });
  const draft = await post(g, "/v1/enrolment/drafts", { challengeId, response }).expect(200);
  return draft.body as EnrolmentDraft;
}

/** The enrolment code's signature over a draft's digest, as the console makes it in the browser. */
export function codeSignature(code: string, digest: string): string {
  return encodeSecp256k1Signature(new Wallet(enrolmentCodePrivateKey(code)).signingKey.sign(digest));
}

/** Enrol `passkey` as the first operator of `institution` with the institution's code. */
export async function enrolByCode(g: PasskeyGateway, institution: Institution, label: string, passkey: SoftwareAuthenticator): Promise<EnrolledOperator> {
  const draft = await draftEnrolment(g, institution, label, passkey);
  expect(draft.method).to.equal("code");
  const res = await post(g, `/v1/enrolment/drafts/${draft.draftId}/signatures`, { signature: codeSignature(g.codes[institution], draft.digest) }).expect(200);
  expect(res.body).to.have.property("status", "enrolled");
  return { institution, passkey, credentialId: (res.body as { credentialId: string }).credentialId, operatorId: draft.operatorId };
}

/** A passkey's assertion over a base64url challenge, as @simplewebauthn/browser returns it. */
export function assertion(operator: EnrolledOperator, challenge: string, options: { userVerified?: boolean } = {}) {
  return operator.passkey.authenticationResponse({
    challenge: isoBase64URL.toBuffer(challenge),
    origin: ORIGIN,
    rpId: RP_ID,
    userVerified: options.userVerified,
    userHandle: getBytes(operator.operatorId),
  });
}

/** Sign in with the operator's passkey; returns the session cookie ("credence_operator=..."). */
export async function signIn(g: PasskeyGateway, operator: EnrolledOperator): Promise<string> {
  const options = await post(g, "/v1/operator-session/options", {}).expect(200);
  const { challengeId, publicKey } = options.body as { challengeId: string; publicKey: { challenge: string } };
  const res = await post(g, "/v1/operator-session", { challengeId, response: assertion(operator, publicKey.challenge) }).expect(200);
  const cookie = (res.headers["set-cookie"] as unknown as string[]).find((c) => c.startsWith("credence_operator="));
  expect(cookie, "session cookie").to.be.a("string");
  return cookie!.split(";")[0];
}

/** A POST from the console's origin, with the session cookie when given. */
export function post(g: PasskeyGateway, url: string, body: unknown, cookie?: string) {
  const req = request(g.url).post(url).set("origin", ORIGIN);
  return (cookie ? req.set("cookie", cookie) : req).send(body as object);
}

export function get(g: PasskeyGateway, url: string, cookie?: string) {
  const req = request(g.url).get(url);
  return cookie ? req.set("cookie", cookie) : req;
}

/** A DELETE from the console's origin with the session cookie. */
export function del(g: PasskeyGateway, url: string, cookie: string) {
  return request(g.url).delete(url).set("origin", ORIGIN).set("cookie", cookie);
}
