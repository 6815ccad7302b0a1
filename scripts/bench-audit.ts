/**
 * Auditor benchmark: builds a ledger of at least 10,000 settlements on a real anvil node
 * (full batches, signed by 8 terminals and 200 cards), then audits it from the deployment block
 * with signature checks on worker threads, and checks the audit found nothing wrong.
 *
 *   npm run bench:audit [-- --settlements N --batch N --workers N]
 *
 * Before it, one line with the cost of re-verifying one operator step (digest and signature,
 * src/audit/step-signatures.ts), for a passkey and for a secp256k1 credential, beside one
 * libsecp256k1 recovery (the machine unit), all measured in the same run.
 *
 * Last line: audit: settlements=N seconds=X rate=X/s
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { Wallet, getBytes, id } from "ethers";
import { SoftwareAuthenticator } from "../src/auth/software-authenticator";
import { StepSignatureVerifier } from "../src/audit/step-signatures";
import { StepHasher } from "../src/audit/step-digests";
import {
  StepKind,
  encodePasskeySignature,
  encodeSecp256k1Signature,
  operatorDomain,
  passkeyKey,
  secp256k1Key,
  stepDigest,
  type CredentialKey,
} from "../src/domain/operator-steps";
import { toWebAuthnAuth } from "../src/domain/webauthn";
import { runAudit } from "../src/audit/auditor";
import { defaultSignatureWorkers } from "../src/audit/signature-pool";
import { anvilLedger } from "../test/audit/helpers/anvil-ledger";
import { recoveryMicroseconds } from "./lib/bench/unit";

const opts = new Command()
  .option("--settlements <n>", "settlements to build", "10240")
  .option("--batch <n>", "settlements per batch", "256")
  .option("--workers <n>", "signature-checking threads (default as npm run audit: 2 on 2 cores or more)", String(defaultSignatureWorkers()))
  .parse()
  .opts<{ settlements: string; batch: string; workers: string }>();

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-audit-"));
  const built = Date.now();
  const chain = await anvilLedger(dir, { merchants: 4, terminalsPerMerchant: 2, cards: 200 });
  try {
    const total = Number(opts.settlements);
    const step = 20 * Number(opts.batch);
    for (let done = 0; done < total; done += step) {
      await chain.settle(Math.min(step, total - done), Number(opts.batch));
      process.stderr.write(`settled ${chain.settled}/${total}\r`);
    }
    process.stderr.write(`built ${chain.settled} settlements in ${((Date.now() - built) / 1000).toFixed(1)} s; auditing...\n`);
    const report = await runAudit({ provider: chain.provider, rpcUrl: chain.node.ipcPath, deployment: chain.deployment, workers: Number(opts.workers) });
    const found = report.discrepancies.length + report.discrepanciesOmitted;
    if (found > 0) throw new Error(`the audit of an honest ledger found ${found} discrepancies, first: ${report.discrepancies[0].code}`);
    if (report.counts.settlements !== chain.settled) throw new Error(`audited ${report.counts.settlements} settlements, built ${chain.settled}`);
    const { settlements } = report.counts;
    process.stdout.write(`${measureStepVerification()}; the audit re-verified ${report.counts.operatorSteps} operator steps\n`);
    process.stdout.write(
      `audit: settlements=${settlements} seconds=${report.seconds.toFixed(2)} rate=${(settlements / report.seconds).toFixed(0)}/s\n`,
    );
  } finally {
    await chain.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** µs per step re-verification (digest + signature) by kind, and per libsecp256k1 recovery. */
function measureStepVerification(steps = 400): string {
  const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  const domain = operatorDomain(31337n, contract);
  const hsm = new Wallet(id("bench:hsm"));
  const passkey = SoftwareAuthenticator.fromPrivateKey(getBytes(id("bench:passkey")));
  const signed = (kind: "passkey" | "hsm") =>
    Array.from({ length: steps }, (_, i) => {
      const step = { kind: StepKind.Approve, subject: BigInt(i + 1), actionHash: id(`bench:action:${i}`), salt: id(`bench:salt:${i}`), notAfter: 2n ** 64n - 1n };
      const digest = stepDigest(domain, step);
      const signature =
        kind === "hsm"
          ? encodeSecp256k1Signature(hsm.signingKey.sign(digest))
          : encodePasskeySignature(toWebAuthnAuth(passkey.assert({ challenge: getBytes(digest), origin: "https://operators.bench" })));
      return { step, signature };
    });
  const verifier = new StepSignatureVerifier();
  const hasher = new StepHasher(31337n);
  const perStep = (key: CredentialKey, list: ReturnType<typeof signed>) => {
    const started = performance.now();
    for (const { step, signature } of list) {
      if (verifier.fault(hasher.digest(contract, step), key, signature) !== undefined) throw new Error("a valid benchmark step failed to verify");
    }
    return ((performance.now() - started) * 1000) / list.length;
  };
  const passkeyUs = perStep(passkeyKey(passkey.publicKey.qx, passkey.publicKey.qy), signed("passkey"));
  const hsmUs = perStep(secp256k1Key(hsm.address), signed("hsm"));
  const recoveryUs = recoveryMicroseconds();
  return `operator step re-verification: passkey ${passkeyUs.toFixed(0)} µs, secp256k1 ${hsmUs.toFixed(0)} µs per step; one libsecp256k1 recovery ${recoveryUs.toFixed(0)} µs`;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:audit failed: ${(err as Error).message}\n`);
  process.exit(1);
});
