/** Ethereum addresses: EIP-55 checksums. */
import { keccak256, utf8Bytes } from "./bytes";

/** Why a mixed-case address is refused: its letter case is an EIP-55 checksum, and it is wrong. */
export const EIP55_MESSAGE = "a mixed-case address must carry its EIP-55 checksum (or write it in one case)";

const MAX_CACHED = 10_000;
const checksummed = new Map<string, string>();

/**
 * The EIP-55 checksummed form of a 0x-prefixed 20-byte address. An all-lower or all-upper case
 * address is taken as is; a mixed-case one must already carry its checksum (else TypeError).
 */
export function checksumAddress(address: string): string {
  let result = checksummed.get(address);
  if (result !== undefined) return result;
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new TypeError(`not a 20-byte 0x-hex address: ${address.slice(0, 80)}`);
  const lower = address.slice(2).toLowerCase();
  const hash = keccak256(utf8Bytes(lower));
  result = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    result += nibble >= 8 ? lower[i].toUpperCase() : lower[i];
  }
  const body = address.slice(2);
  if (body !== lower && body !== body.toUpperCase() && `0x${body}` !== result) throw new TypeError(EIP55_MESSAGE);
  if (checksummed.size >= MAX_CACHED) checksummed.clear();
  checksummed.set(address, result);
  return result;
}

/** Whether `address` is a 20-byte 0x-hex address with a valid checksum, or in one case. */
export function isAddress(address: string): boolean {
  try {
    checksumAddress(address);
    return true;
  } catch {
    return false;
  }
}
