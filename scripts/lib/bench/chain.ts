/**
 * The figures measured on a bare node, no gateway: the raw ceiling (signed settlements straight
 * to the ledger in batches from one process), the peer figure (OpenZeppelin ERC-20 transfers, one
 * per transaction, on the same node through the same client) and the auditor's rate over the
 * ledger the raw ceiling built.
 */
import { HDNodeWallet, Wallet, id, type TransactionResponse } from "ethers";
import { DEV_MNEMONIC } from "../../../src/chain/node";
import { runAudit } from "../../../src/audit/auditor";
import { defaultSignatureWorkers } from "../../../src/audit/signature-pool";
import type { AnvilLedger } from "../../../test/audit/helpers/anvil-ledger";
import { PeerToken__factory } from "../../../typechain-types";

/**
 * Seconds to send `count` settlements pre-signed in batches of `batch` through ethers (which
 * encodes each call), at most `inFlight` batches sent and not yet mined at a time.
 */
export async function rawCeiling(chain: AnvilLedger, count: number, batch: number, inFlight = 4): Promise<number> {
  const batches = await chain.sign(count, batch);
  const started = performance.now();
  await chain.send(batches, inFlight);
  return (performance.now() - started) / 1000;
}

/**
 * Seconds for `transfers` pre-signed ERC-20 transfers, one per transaction, from `senders`
 * accounts at once (each sends its own in nonce order; the node mines as they arrive), until the
 * last one of every sender is mined and succeeded. `count` is `transfers` rounded up to a multiple of `senders`.
 */
export async function erc20Transfers(chain: AnvilLedger, transfers: number, senders = 8): Promise<{ seconds: number; count: number }> {
  const { provider } = chain;
  const funder = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0/9").connect(provider);
  const wallets = Array.from({ length: senders }, (_, i) => new Wallet(id(`bench-erc20-sender:${i}`), provider));
  let nonce = await funder.getNonce("latest");
  const funding = [];
  for (const w of wallets) funding.push(await funder.sendTransaction({ to: w.address, value: 10n ** 18n, nonce: nonce++ }));
  await Promise.all(funding.map((t) => t.wait()));
  const token = await new PeerToken__factory(funder).deploy(
    wallets.map((w) => w.address),
    10n ** 24n,
    { nonce: nonce++ },
  );
  await token.waitForDeployment();
  const { chainId } = await provider.getNetwork();
  const fee = await provider.getFeeData();
  const per = Math.ceil(transfers / senders);
  const signed = await Promise.all(
    wallets.map(async (w, s) => {
      const list: string[] = [];
      const first = await w.getNonce("latest");
      for (let n = first; n < first + per; n++) {
        const data = token.interface.encodeFunctionData("transfer", [wallets[(s + 1) % senders].address, 1n]);
        list.push(
          await w.signTransaction({
            to: await token.getAddress(),
            data,
            nonce: n,
            chainId,
            gasLimit: 60_000,
            maxFeePerGas: (fee.maxFeePerGas ?? 10n ** 10n) * 2n,
            maxPriorityFeePerGas: fee.maxPriorityFeePerGas ?? 1n,
            type: 2,
          }),
        );
      }
      return list;
    }),
  );
  const started = performance.now();
  const last = await Promise.all(
    signed.map(async (list) => {
      let tx: TransactionResponse | undefined;
      for (const raw of list) tx = await provider.broadcastTransaction(raw);
      return tx!;
    }),
  );
  const receipts = await Promise.all(last.map((t) => t.wait()));
  const seconds = (performance.now() - started) / 1000;
  if (receipts.some((r) => r?.status !== 1)) throw new Error("an ERC-20 transfer of the benchmark failed");
  return { seconds, count: per * senders };
}

/** Seconds the auditor takes over the whole ledger `chain` built; throws unless it found it clean. */
export async function auditSeconds(chain: AnvilLedger): Promise<{ seconds: number; settlements: number }> {
  const report = await runAudit({ provider: chain.provider, rpcUrl: chain.node.ipcPath, deployment: chain.deployment, workers: defaultSignatureWorkers() });
  const found = report.discrepancies.length + report.discrepanciesOmitted;
  if (found > 0) throw new Error(`the audit of an honest ledger found ${found} discrepancies, first: ${report.discrepancies[0].code}`);
  if (report.counts.settlements !== chain.settled) throw new Error(`audited ${report.counts.settlements} settlements, sent ${chain.settled}`);
  return { seconds: report.seconds, settlements: report.counts.settlements };
}
