/**
 * The benchmarks' cost unit: one libsecp256k1 public-key recovery (src/domain/ecdsa.ts, what the
 * gateway and the auditor do per signature) on this machine, measured in the same run as the
 * figures it converts, so that figures from machines of different speeds compare.
 */
import { getBytes, id } from "ethers";
import { recoverPublicKey } from "../../../src/domain/ecdsa";
import { signCompact } from "../../../src/domain/signer-recovery";

/** µs per recovery: the median of `rounds` rounds of `perRound` recoveries of distinct digests. */
export function recoveryMicroseconds(perRound = 2000, rounds = 5): number {
  const key = getBytes(id("bench:recovery-key"));
  const digests = Array.from({ length: perRound }, (_, i) => getBytes(id(`bench:recovery:${i}`)));
  const signatures = digests.map((d) => signCompact(d, key)).map((c) => ({ r: getBytes(c.r), vs: getBytes(c.vs) }));
  const timings: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    digests.forEach((d, i) => {
      if (recoverPublicKey(d, signatures[i].r, signatures[i].vs) === null) throw new Error("a benchmark signature did not recover");
    });
    timings.push(((performance.now() - started) * 1000) / perRound);
  }
  timings.sort((a, b) => a - b);
  return timings[Math.floor(rounds / 2)];
}
