/**
 * One-time enrolment codes (ADR 0001, section 3, embedded default): at first start the gateway
 * draws one random code per institution, writes them to DATA_DIR/enrolment-codes.json (mode
 * 0600) and prints them once; only the address of each code's derived key goes on chain. An
 * institution's first operator enrols a passkey by having that key sign a RedeemEnrolmentCode
 * step naming the passkey, in the browser: the code never reaches the gateway again.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Wallet, ZeroAddress, ZeroHash } from "ethers";
import { CredentialKind, enrolmentCodePrivateKey } from "../domain/operator-steps";
import type { InitialOperators } from "../chain/deploy";

export const ENROLMENT_CODES_FILE = "enrolment-codes.json";

export interface EnrolmentCodes {
  bank: string;
  creditCenter: string;
}

/** A code of 128 random bits, as eight groups of four hex digits (easy to read out and type). */
export function newEnrolmentCode(): string {
  return randomBytes(16).toString("hex").match(/.{4}/g)!.join("-");
}

/** The address the chain stores for a code: its derived key's. */
export function enrolmentCodeAddress(code: string): string {
  return new Wallet(enrolmentCodePrivateKey(code)).address;
}

/**
 * Draw a code per institution and write them to `${dataDir}/enrolment-codes.json`, mode 0600
 * (atomically, replacing the codes of a first start whose deployment never completed: those
 * never reached the chain). Returns the codes for the one printout.
 */
export function writeEnrolmentCodes(dataDir: string): { codes: EnrolmentCodes; file: string } {
  const codes = { bank: newEnrolmentCode(), creditCenter: newEnrolmentCode() };
  const file = path.join(dataDir, ENROLMENT_CODES_FILE);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const note =
    "One-time enrolment codes: each enrols its institution's first operator passkey once. " +
    "Give each to that institution's first operator, then delete this file.";
  fs.writeFileSync(tmp, JSON.stringify({ note, bank: codes.bank, credit_center: codes.creditCenter }, null, 2) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
  return { codes, file };
}

/** The deployment's first operators named by enrolment codes (their keys' addresses only). */
export function enrolmentCodeInitialOperators(codes: EnrolmentCodes): InitialOperators {
  const byCode = (code: string) => ({
    operatorId: ZeroHash,
    key: { kind: CredentialKind.None, qx: ZeroHash, qy: ZeroHash, signer: ZeroAddress },
    enrolmentCode: enrolmentCodeAddress(code),
  });
  return { bank: byCode(codes.bank), creditCenter: byCode(codes.creditCenter) };
}

/** The printout of first start: the only place besides the file where the codes appear. */
export function enrolmentCodesNotice(codes: EnrolmentCodes, file: string, origin: string): string {
  return [
    "",
    "First start: one-time enrolment codes for each institution's first operator",
    `  bank:          ${codes.bank}`,
    `  credit_center: ${codes.creditCenter}`,
    `Each enrols one passkey once (${origin}, or npm run operator -- enrol). Also in ${file} (mode 0600);`,
    "they are not shown again.",
    "",
  ].join("\n");
}
