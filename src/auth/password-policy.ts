/**
 * What a portal password must be (ADR 0006): at least MIN_PASSWORD_LENGTH characters (at most
 * MAX_PASSWORD_LENGTH), not on the common-passwords list (common-passwords.txt, compared without
 * regard to case). Hashing is passwords.ts's (argon2id).
 */
import fs from "node:fs";
import path from "node:path";
import { MAX_PASSWORD_LENGTH } from "./passwords";

export const MIN_PASSWORD_LENGTH = 10;

let common: Set<string> | undefined;

/** The committed list, loaded once. */
export function commonPasswords(): Set<string> {
  common ??= new Set(
    fs
      .readFileSync(path.join(__dirname, "common-passwords.txt"), "utf8")
      .split("\n")
      .map((line) => line.trim().toLowerCase())
      .filter((line) => line !== "" && !line.startsWith("#")),
  );
  return common;
}

export type PasswordProblem = "too_short" | "too_long" | "common";

/** Why `password` may not be chosen, or undefined when it may. */
export function passwordProblem(password: string): PasswordProblem | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return "too_short";
  if (password.length > MAX_PASSWORD_LENGTH) return "too_long";
  if (commonPasswords().has(password.toLowerCase())) return "common";
  return undefined;
}
