/**
 * EIP-55 checksummed addresses on the hot paths. ethers' getAddress hashes the address with a
 * JavaScript keccak on every call; terminals and card keys recur in every settlement, so their
 * checksummed form is kept once computed. Same results and errors as getAddress.
 */
import { getAddress } from "ethers";
import "./keccak"; // plugs the native keccak256 into the SDK's hashing

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
 * The request schemas check address fields with the terminal SDK's `isAddress`: 0x-prefixed, in
 * one case or carrying its EIP-55 checksum, memoised, hashed with the native keccak (./keccak).
 */
export { isAddress } from "../../packages/terminal-sdk/src/address";
