/**
 * Signing the submitter's transactions. A batch of 100 settlements is about 42 KB of calldata;
 * ethers' Transaction hex-encodes it several times and hashes it twice with a JavaScript keccak
 * (about 8 ms a batch on the reference machine). Here it is RLP-encoded once into bytes, hashed
 * in native keccak and signed with libsecp256k1: EIP-1559 (type 2) when the network prices gas by
 * base fee, else EIP-2930 (type 1) with a gas price (zero-gas-price private networks): the forms,
 * bytes and hashes ethers' Transaction produces for the same fields (test/gateway/signed-transaction.spec.ts).
 */
import secp256k1 from "secp256k1";
import { keccak256Bytes } from "../domain/keccak";

export type FeeFields = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { gasPrice: bigint };

export interface TransactionFields {
  chainId: bigint;
  nonce: number;
  gasLimit: bigint;
  to: string;
  /** Calldata, 0x-hex. */
  data: string;
  fees: FeeFields;
}

export interface SignedTransaction {
  /** The signed transaction as eth_sendRawTransaction takes it, 0x-hex. */
  raw: string;
  /** Its hash, 0x-hex. */
  hash: string;
}

type RlpItem = Buffer | RlpItem[];

/** Signs `tx` with a raw 32-byte private key. */
export function signTransaction(tx: TransactionFields, privateKey: Uint8Array): SignedTransaction {
  const to = Buffer.from(tx.to.slice(2), "hex");
  if (to.length !== 20) throw new Error(`not an address: ${tx.to}`);
  const data = Buffer.from(tx.data.slice(2), "hex");
  const value = Buffer.alloc(0);
  let raw: Buffer;
  if ("maxFeePerGas" in tx.fees) {
    if (tx.fees.maxPriorityFeePerGas > tx.fees.maxFeePerGas) throw new Error("the priority fee cannot exceed the maximum fee");
    const fields: RlpItem[] = [uint(tx.chainId), uint(tx.nonce), uint(tx.fees.maxPriorityFeePerGas), uint(tx.fees.maxFeePerGas), uint(tx.gasLimit), to, value, data, []];
    const { r, s, recid } = sign(Buffer.concat([TYPE_2, rlp(fields)]), privateKey);
    raw = Buffer.concat([TYPE_2, rlp([...fields, uint(recid), r, s])]);
  } else {
    const fields: RlpItem[] = [uint(tx.chainId), uint(tx.nonce), uint(tx.fees.gasPrice), uint(tx.gasLimit), to, value, data, []];
    const { r, s, recid } = sign(Buffer.concat([TYPE_1, rlp(fields)]), privateKey);
    raw = Buffer.concat([TYPE_1, rlp([...fields, uint(recid), r, s])]);
  }
  return { raw: "0x" + raw.toString("hex"), hash: "0x" + keccak256Bytes(raw).toString("hex") };
}

const TYPE_1 = Buffer.from([0x01]);
const TYPE_2 = Buffer.from([0x02]);

function sign(payload: Buffer, privateKey: Uint8Array): { r: Buffer; s: Buffer; recid: number } {
  const { signature, recid } = secp256k1.ecdsaSign(keccak256Bytes(payload), privateKey);
  return { r: trimmed(Buffer.from(signature.subarray(0, 32))), s: trimmed(Buffer.from(signature.subarray(32))), recid };
}

/** An unsigned integer as RLP wants it: big-endian, no leading zero bytes (zero is empty). */
function uint(value: bigint | number): Buffer {
  const v = BigInt(value);
  if (v < 0n) throw new Error("RLP integers are unsigned");
  if (v === 0n) return Buffer.alloc(0);
  const hex = v.toString(16);
  return Buffer.from(hex.length % 2 ? "0" + hex : hex, "hex");
}

function trimmed(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

function rlp(item: RlpItem): Buffer {
  if (Buffer.isBuffer(item)) {
    if (item.length === 1 && item[0] < 0x80) return item;
    return Buffer.concat([lengthPrefix(item.length, 0x80), item]);
  }
  const body = Buffer.concat(item.map(rlp));
  return Buffer.concat([lengthPrefix(body.length, 0xc0), body]);
}

function lengthPrefix(length: number, offset: number): Buffer {
  if (length < 56) return Buffer.from([offset + length]);
  const len = uint(length);
  return Buffer.concat([Buffer.from([offset + 55 + len.length]), len]);
}
