/**
 * EIP-55 checksummed addresses on the hot paths. ethers' getAddress hashes the address with a
 * JavaScript keccak on every call; terminals and card keys recur in every settlement, so their
 * checksummed form is kept once computed. Same results and errors as getAddress.
 */
import { getAddress } from "ethers";

/** Why a mixed-case address is refused: its letter case is an EIP-55 checksum, and it is wrong. */
export const EIP55_MESSAGE = "a mixed-case address must carry its EIP-55 checksum (or write it in one case)";

const MAX_CACHED = 100_000;
const checksummed = new Map<string, string>();

/** getAddress(address), memoised: throws as getAddress does on an invalid address. */
export function checksumAddress(address: string): string {
  let result = checksummed.get(address);
  if (result === undefined) {
    result = getAddress(address);
    if (checksummed.size >= MAX_CACHED) checksummed.clear();
    checksummed.set(address, result);
  }
  return result;
}

/**
 * ethers' isAddress, memoised through `checksumAddress`: a 20-byte 0x-hex address in one case,
 * or in mixed case carrying its EIP-55 checksum. Request schemas check every address field with
 * it; ethers' own hashed each one with a JavaScript keccak, a tenth of a recovery per field.
 */
export function isAddress(address: string): boolean {
  try {
    checksumAddress(address);
    return true;
  } catch {
    return false;
  }
}
