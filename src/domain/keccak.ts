/**
 * keccak256 for the hot paths (settlement digests, order leaves, batch digests, public keys to
 * addresses). It runs in native code when the `keccak` package's prebuilt add-on loads: about
 * 4 µs for a 320-byte input on this project's reference machine, against about 30 µs for the
 * JavaScript implementation ethers uses. Where the add-on does not load (no prebuild for the
 * platform), ethers' implementation serves, with the same results.
 */
import path from "node:path";
import { useKeccak256 } from "../../packages/terminal-sdk/src/bytes";

/** The add-on's sponge: initialised per hash, absorbs bytes, squeezes the digest. */
interface KeccakSponge {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

/** keccak256 is Keccak[c=512] with the original (pre-SHA-3) padding byte 0x01. */
const RATE = 1088;
const CAPACITY = 512;
const PADDING = 0x01;
const EMPTY_DIGEST = "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470";

function loadSponge(): KeccakSponge | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require("node-gyp-build") as (dir: string) => new () => KeccakSponge;
    const sponge = new (load(path.dirname(require.resolve("keccak/package.json"))))();
    sponge.initialize(RATE, CAPACITY);
    sponge.absorbLastFewBits(PADDING);
    return sponge.squeeze(32).toString("hex") === EMPTY_DIGEST ? sponge : undefined;
  } catch {
    return undefined;
  }
}

const sponge = loadSponge();

/** ethers' keccak256, loaded only where the add-on is missing (signature workers start without ethers). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jsKeccak256 = () => (require("ethers") as typeof import("ethers")).keccak256;

/** keccak256 of `data`, as 32 bytes. */
export function keccak256Bytes(data: Uint8Array): Buffer {
  if (!sponge) return Buffer.from(jsKeccak256()(data).slice(2), "hex");
  sponge.initialize(RATE, CAPACITY);
  sponge.absorb(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  sponge.absorbLastFewBits(PADDING);
  return sponge.squeeze(32);
}

/** keccak256 of `data`, as 0x-prefixed lower-case hex (what ethers' keccak256 returns). */
export function keccak256Hex(data: Uint8Array): string {
  return "0x" + keccak256Bytes(data).toString("hex");
}

/** Text with no lone UTF-16 surrogate: only such text has a UTF-8 form (slip schemas check it too). */
export const WELL_FORMED_TEXT = /^[^\uD800-\uDFFF]*$/u;

/**
 * keccak256 of `text`'s UTF-8 bytes, as 0x-hex. The bytes are the runtime's (ethers' toUtf8Bytes
 * builds them in a JavaScript array: a few kilobytes of garbage per slip). A string with a lone
 * surrogate has no UTF-8 form and is refused, as ethers refuses it.
 */
export function keccak256Text(text: string): string {
  if (!WELL_FORMED_TEXT.test(text)) throw new TypeError("text with a lone UTF-16 surrogate has no UTF-8 form");
  return keccak256Hex(Buffer.from(text, "utf8"));
}

// The terminal SDK's hashing (slips, typed data) runs on the add-on too, in this process.
if (sponge) useKeccak256((data) => keccak256Bytes(data));

/** Whether the native add-on serves (for benchmarks' reports). */
export const nativeKeccak = sponge !== undefined;
