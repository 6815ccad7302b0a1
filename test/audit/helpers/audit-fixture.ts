/**
 * Fixtures for the auditor specs, on Hardhat's in-process network:
 * - `deployAuditedLedger`: the ledger fixture of test/helpers/ledger-ops.ts and its deployment
 *   record, as the auditor reads it;
 * - `deployFaultyLedger`: the same registry, with a real PointsLedger deployed behind a
 *   MisreportingRegistry (contracts/testing): the faulty ledger under audit;
 * - settlements built from real order slips (the slip's canonical hash is what they sign), a
 *   slip archive directory, and `audit` to run the auditor on it all;
 * - `forgeBatchChain`: a ledger whose recorded batch chain disagrees with its batches' orders,
 *   by overwriting the storage word its `batchChain` view reads (Hardhat's setStorageAt).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import { AbiCoder, keccak256, type Wallet } from "ethers";
import { MisreportingRegistry__factory, PointsLedger__factory, type PointsLedger } from "../../../typechain-types";
import type { DeploymentRecord } from "../../../src/chain/deployment";
import { extractSettlement, type Slip } from "../../../src/domain/slips";
import { runAudit, type AuditOptions } from "../../../src/audit/auditor";
import { directorySlips } from "../../../src/audit/slips";
import type { AuditReport } from "../../../src/audit/report";
import { deployLedgerFixture, signItem, type Consumer, type SignedItem } from "../../helpers/ledger-ops";
import { latestTime } from "../../helpers/suite";

export async function deploymentOf(
  registry: { getAddress(): Promise<string>; operators(): Promise<string> },
  ledger: PointsLedger,
): Promise<DeploymentRecord> {
  const { chainId } = await ethers.provider.getNetwork();
  return {
    chainId: chainId.toString(),
    operators: await registry.operators(),
    registry: await registry.getAddress(),
    ledger: await ledger.getAddress(),
    deploymentBlock: 0,
  };
}

export async function deployAuditedLedger() {
  const fixture = await deployLedgerFixture();
  return { ...fixture, deployment: await deploymentOf(fixture.registry, fixture.ledger) };
}

/** A real PointsLedger whose registry front lies (see contracts/testing/MisreportingRegistry.sol). */
export async function deployFaultyLedger() {
  const fixture = await deployLedgerFixture();
  const { accounts, registry } = fixture;
  const front = await new MisreportingRegistry__factory(accounts.governance).deploy(await registry.getAddress());
  const ledger = await new PointsLedger__factory(accounts.governance).deploy(await front.getAddress());
  await ledger.waitForDeployment();
  // The front records the cards in its ledger, as the real registry did in the real one.
  await (await front.attachLedger(await ledger.getAddress())).wait();
  const cards = [fixture.shop, fixture.cafe, fixture.newcomer, ...fixture.consumers].map((c) => c.cardId);
  await (await front.recordCards(cards)).wait();
  const terminals = [fixture.shop, fixture.cafe].flatMap((m) => m.terminals.map((t) => t.address));
  await (await front.recordTerminals(terminals)).wait();
  return { ...fixture, front, ledger, gateway: ledger.connect(accounts.gateway), deployment: await deploymentOf(registry, ledger) };
}

/** A one-line slip for an order at a terminal. */
export function slipFor(terminal: Wallet, consumer: Consumer, orderNumber: string, time: bigint, amount = 12_345n, category = 0): Slip {
  return {
    orderNumber,
    cardId: consumer.cardId,
    terminal: terminal.address,
    currency: "CNY",
    category,
    time: Number(time),
    lines: [{ description: "Item", quantity: 1, unitPrice: amount.toString() }],
    total: amount.toString(),
  };
}

/** A settlement of the order a slip records, signed by `signer` (the terminal's key unless forged) and the card. */
export async function settlementOfSlip(ledger: PointsLedger, terminal: Wallet, consumer: Consumer, slip: Slip, nonce: bigint): Promise<SignedItem> {
  const record = extractSettlement(slip);
  return signItem(ledger, terminal, consumer, { ...record, nonce });
}

/** `count` slips and their signed settlements at one terminal, nonces from `firstNonce`. */
export async function slipSettlements(ledger: PointsLedger, terminal: Wallet, consumers: Consumer[], count: number, firstNonce: bigint, label: string) {
  const time = await latestTime();
  const slips: Slip[] = [];
  const items: SignedItem[] = [];
  for (let i = 0; i < count; i++) {
    const slip = slipFor(terminal, consumers[i % consumers.length], `${label}-${i}`, time, 1_000n + BigInt(i) * 137n, i % 3);
    slips.push(slip);
    items.push(await settlementOfSlip(ledger, terminal, consumers[i % consumers.length], slip, firstNonce + BigInt(i)));
  }
  return { slips, items };
}

/** A temporary slip archive: one `<orderNumber>.json` file per slip. */
export function slipArchive(slips: readonly Slip[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-slips-"));
  for (const slip of slips) fs.writeFileSync(path.join(dir, `${slip.orderNumber}.json`), JSON.stringify(slip));
  return dir;
}

/** Run the auditor on Hardhat's network (signers found on the main thread). */
export function audit(deployment: DeploymentRecord, options: Partial<AuditOptions> & { slipDir?: string } = {}): Promise<AuditReport> {
  const { slipDir, ...rest } = options;
  return runAudit({ provider: ethers.provider, deployment, workers: 0, slips: slipDir ? directorySlips(slipDir) : undefined, ...rest });
}

/** The codes of a report's discrepancies, sorted and without repeats. */
export function codes(report: AuditReport): string[] {
  return [...new Set(report.discrepancies.map((d) => d.code))].sort();
}

/** Storage slots searched for the ledger's own variables (its chain ring, its sealed values' mapping). */
const SLOTS_SEARCHED = 256n;

/**
 * Overwrite the word PointsLedger's `batchChain(batchId)` reads with `value`: the ring's word
 * while batch `batchId` is among the last CHAIN_RING, else its sealed value. The word is found
 * by the value it holds (a ring word among the first slots, a sealed value at its mapping's
 * slot for the batch), so no storage layout is assumed.
 */
export async function forgeBatchChain(ledger: PointsLedger, batchId: bigint, value: string): Promise<void> {
  const address = await ledger.getAddress();
  const held = await ledger.batchChain(batchId);
  if (BigInt(held) === 0n) throw new Error(`the ledger holds no chain value for batch ${batchId}`);
  const inRing = (await ledger.batchCount()) - batchId < (await ledger.CHAIN_RING());
  for (let i = 0n; i < SLOTS_SEARCHED; i++) {
    const slot = inRing ? i : BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["uint64", "uint256"], [batchId, i])));
    if ((await ethers.provider.getStorage(address, slot)) !== held) continue;
    await ethers.provider.send("hardhat_setStorageAt", [address, "0x" + slot.toString(16), value]);
    if ((await ledger.batchChain(batchId)) !== value) throw new Error(`slot ${slot} held batch ${batchId}'s chain value, yet batchChain does not read it`);
    return;
  }
  throw new Error(`no storage word of the ledger holds batch ${batchId}'s chain value`);
}
