/**
 * EIP-712 digests of settlements, built directly from their fixed layout (the generic encoder
 * is the slow part of the gateway's intake and the auditor's replay). No ethers here: the
 * auditor's signature workers load this module, and start faster without it.
 */
import { keccak256Bytes } from "./keccak";
import { SETTLEMENT_FIELDS, typeString, type SettlementMessage } from "../../packages/terminal-sdk/src/typed-data";

/** The Settlement struct's fields, in order: what terminals and cards sign (the terminal SDK's). */
export { SETTLEMENT_FIELDS };

/** EIP-712's encodeType of Settlement (a struct with no struct members): Name(type name,...). */
const SETTLEMENT_TYPEHASH = keccak256Bytes(Buffer.from(typeString("Settlement", SETTLEMENT_FIELDS), "utf8"));

/**
 * Computes settlement digests for one domain (chain and ledger address): keccak256(0x1901 ||
 * domainSeparator || keccak256(typeHash || the nine settlement words)), the words being the
 * settlement's fields in their EIP-712 encoding (which is also their calldata layout).
 */
export class SettlementHasher {
  private readonly structInput = Buffer.alloc(320);
  private readonly digestInput = Buffer.alloc(66);

  /** @param domainSeparator the ledger's EIP-712 domain separator (typed-data.ts `domainSeparator`), 0x-hex. */
  constructor(domainSeparator: string) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(domainSeparator)) throw new Error("a domain separator is 32 bytes of 0x-hex");
    SETTLEMENT_TYPEHASH.copy(this.structInput, 0);
    this.digestInput.set([0x19, 0x01], 0);
    this.digestInput.write(domainSeparator.slice(2), 2, "hex");
  }

  /** The EIP-712 digest of a settlement, as bytes. */
  digest(s: SettlementMessage): Buffer {
    const w = this.structInput;
    w.fill(0, 32);
    hexInto(w, 32, s.cardId);
    hexInto(w, 76, s.terminal);
    w.writeBigUInt64BE(s.nonce, 120);
    hexInto(w, 128, s.orderId);
    hexInto(w, 160, s.slipHash);
    w.writeBigUInt64BE(s.amount, 216);
    hexInto(w, 224, s.currency);
    w.writeUInt32BE(s.category, 284);
    w.writeBigUInt64BE(s.time, 312);
    return this.finish();
  }

  /** The digest of a settlement given as its nine 32-byte words (288 bytes, as in calldata). */
  digestOfWords(words: Uint8Array): Buffer {
    this.structInput.set(words.subarray(0, 288), 32);
    return this.finish();
  }

  private finish(): Buffer {
    keccak256Bytes(this.structInput).copy(this.digestInput, 34);
    return keccak256Bytes(this.digestInput);
  }
}

function hexInto(target: Buffer, at: number, hex: string): void {
  target.write(hex.slice(2), at, "hex");
}
