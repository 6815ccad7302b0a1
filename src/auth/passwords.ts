/**
 * Operator passwords: argon2id hashes (@node-rs/argon2, its default parameters: m=19 MiB, t=2,
 * p=1, the OWASP minimum). The PHC string keeps salt and parameters, so they can be raised later.
 */
import { hash, verify } from "@node-rs/argon2";

export const MAX_PASSWORD_LENGTH = 256;

export function hashPassword(password: string): Promise<string> {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    return Promise.reject(new RangeError(`a password has 1..${MAX_PASSWORD_LENGTH} characters`));
  }
  return hash(password);
}

/** False for a wrong password AND for a malformed hash: a login never throws on bad data. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
