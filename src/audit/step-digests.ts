/**
 * Operator step digests as src/domain/operator-steps.ts's stepDigest computes them (EIP-712
 * under the consuming contract's domain), made for the replay: each contract's domain separator
 * is hashed once and the struct hashed with the native keccak (ethers' TypedDataEncoder hashes
 * the domain again and encodes through its generic coder on every call, about ten times slower).
 * The honest-ledger specs check every digest against the signatures stepDigest's users made.
 */
import { TypedDataEncoder, getBytes, id } from "ethers";
import { OPERATOR_STEP_TYPES, operatorDomain, type OperatorStep } from "../domain/operator-steps";
import { domainSeparator } from "../domain/typed-data";
import { keccak256Bytes } from "../domain/keccak";

const TYPE_HASH = Buffer.from(getBytes(id(TypedDataEncoder.from(OPERATOR_STEP_TYPES).encodeType("OperatorStep"))));

export class StepHasher {
  private readonly separators = new Map<string, Buffer>();

  constructor(private readonly chainId: bigint) {}

  /** The digest (0x-hex, lower-case) of `step` performed by `verifyingContract`. */
  digest(verifyingContract: string, step: OperatorStep): string {
    const contract = verifyingContract.toLowerCase();
    let separator = this.separators.get(contract);
    if (!separator) {
      separator = Buffer.from(getBytes(domainSeparator(operatorDomain(this.chainId, verifyingContract))));
      this.separators.set(contract, separator);
    }
    const struct = Buffer.alloc(6 * 32);
    TYPE_HASH.copy(struct, 0);
    writeWord(struct, 1, BigInt(step.kind));
    writeWord(struct, 2, step.subject);
    Buffer.from(getBytes(step.actionHash)).copy(struct, 3 * 32);
    Buffer.from(getBytes(step.salt)).copy(struct, 4 * 32);
    writeWord(struct, 5, step.notAfter);
    const message = Buffer.concat([Buffer.from([0x19, 0x01]), separator, keccak256Bytes(struct)]);
    return "0x" + keccak256Bytes(message).toString("hex");
  }
}

function writeWord(buffer: Buffer, index: number, value: bigint): void {
  buffer.write(BigInt.asUintN(256, value).toString(16).padStart(64, "0"), index * 32, "hex");
}
