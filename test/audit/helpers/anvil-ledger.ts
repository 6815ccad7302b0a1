/**
 * A ledger on a real anvil node, built fast, for the auditor's CLI tests and its benchmark:
 * the contracts deployed with src/chain/deploy.ts from anvil's funded dev accounts, merchants
 * with terminals, consumer cards issued under dual control, and settlements in full batches
 * signed with libsecp256k1 (signing through ethers would take longer than the audit).
 * Transactions are sent with explicit nonces and awaited in groups.
 */
import fs from "node:fs";
import path from "node:path";
import { HDNodeWallet, type JsonRpcProvider, Wallet, getBytes, id, keccak256, type ContractTransactionResponse, type Interface } from "ethers";
import { deployCredence, publicKeyInitialOperators } from "../../../src/chain/deploy";
import { NO_DEADLINE, OPERATOR_STEP_TYPES, StepKind, operatorDomain } from "../../../src/domain/operator-steps";
import { DEV_MNEMONIC, startLocalNode, type LocalNode } from "../../../src/chain/node";
import { connectProvider } from "../../../src/chain/rpc-endpoint";
import { writeDeployment, type DeploymentRecord } from "../../../src/chain/deployment";
import { SettlementHasher } from "../../../src/domain/settlement-hasher";
import { signCompact } from "../../../src/domain/signer-recovery";
import { domainSeparator, ledgerDomain, type SettlementMessage } from "../../../src/domain/typed-data";
import { currencyCode, packMultipliers } from "../../../src/domain/points";
import { extractSettlement, type Slip } from "../../../src/domain/slips";
import type { PointsLedger } from "../../../typechain-types";

/** Explicit gas limits: anvil estimates gas by bisection, many executions per transaction. */
const SMALL_TX_GAS = 500_000;
const BATCH_GAS = 29_000_000;

const quiet = { info: () => undefined, warn: () => undefined };

const sign = (key: Wallet, digest: Uint8Array) => signCompact(digest, getBytes(key.privateKey));

export interface LedgerSetup {
  merchants: number;
  terminalsPerMerchant: number;
  cards: number;
}

/** Starts anvil in `dataDir` (its state in dataDir/chain, as `npm start` keeps it) and deploys. */
export async function anvilLedger(dataDir: string, setup: LedgerSetup): Promise<AnvilLedger> {
  const node = await startLocalNode({ dataDir, log: quiet });
  const provider = connectProvider(node.ipcPath, node.chainId, { staticNetwork: true, batchMaxCount: 50 });
  provider.pollingInterval = 20; // receipts of an automining node are there at once
  const dev = (i: number) => HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(provider);
  const [governance, bank, creditCenter, gateway] = [0, 1, 2, 3].map(dev);
  const { operators, registry, ledger, deploymentBlock } = await deployCredence(
    governance,
    { gateway: [gateway.address] },
    publicKeyInitialOperators({ bank: { kind: "hsm", signer: bank.address }, creditCenter: { kind: "hsm", signer: creditCenter.address } }),
  );
  const deployment: DeploymentRecord = {
    chainId: String(node.chainId),
    operators: await operators.getAddress(),
    registry: await registry.getAddress(),
    ledger: await ledger.getAddress(),
    deploymentBlock,
  };
  writeDeployment(path.join(dataDir, "deployment.json"), deployment);
  const nonces = new Map<string, number>();
  for (const w of [bank, creditCenter, gateway]) nonces.set(w.address, await w.getNonce("latest"));
  const nextNonce = async (w: HDNodeWallet) => {
    const n = nonces.get(w.address)!;
    nonces.set(w.address, n + 1);
    return n;
  };
  /** Send one after another (each send awaited, so nonces arrive in order), then wait for all. */
  const sendAll = async (sends: (() => Promise<ContractTransactionResponse>)[]) => {
    const txs: ContractTransactionResponse[] = [];
    for (const send of sends) txs.push(await send());
    await Promise.all(txs.map((t) => t.wait()));
  };
  const asBank = registry.connect(bank);
  const asCenter = registry.connect(creditCenter);
  // The bank's and the credit center's keys are credentials 1 and 2 (their first operators).
  const registryDomain = operatorDomain(BigInt(node.chainId), await registry.getAddress());
  const stepBy = async (wallet: HDNodeWallet, credentialId: bigint, kind: StepKind, subject: bigint, action: string) => {
    const step = { kind, subject, actionHash: keccak256(action), salt: id(`anvil-step:${kind}:${subject}:${action}`), notAfter: NO_DEADLINE };
    const signature = await wallet.signTypedData(registryDomain, OPERATOR_STEP_TYPES, step);
    return { credentialId, salt: step.salt, notAfter: step.notAfter, signature };
  };
  let proposals = Number(await registry.proposalCount());
  const issueAll = async (cards: { cardId: string; kind: number; key: string }[]) => {
    const actions = cards.map((c) => registry.interface.encodeFunctionData("issueCard", [c.cardId, c.kind, c.key, id(`commitment:${c.cardId}`)]));
    await sendAll(actions.map((a) => async () => asBank.propose(a, await stepBy(bank, 1n, StepKind.Propose, 0n, a), { nonce: await nextNonce(bank), gasLimit: SMALL_TX_GAS })));
    const first = proposals + 1;
    proposals += actions.length;
    await sendAll(actions.map((a, i) => async () => asCenter.approveProposal(first + i, a, await stepBy(creditCenter, 2n, StepKind.Approve, BigInt(first + i), a), {
          nonce: await nextNonce(creditCenter),
          gasLimit: SMALL_TX_GAS,
        })));
  };
  /** The bank's credential (1) acts alone: `fn(args)` through `act`. */
  const bankAct = (fn: string, args: readonly unknown[]) => async () => {
    const action = (registry.interface as unknown as Interface).encodeFunctionData(fn, args);
    return asBank.act(action, await stepBy(bank, 1n, StepKind.Act, 0n, action), { nonce: await nextNonce(bank), gasLimit: SMALL_TX_GAS });
  };
  await sendAll([bankAct("setCreditPointRule", [1_000])]);
  const merchantCards = Array.from({ length: setup.merchants }, (_, m) => ({ cardId: id(`bench-merchant:${m}`), kind: 1, key: Wallet.createRandom().address }));
  await issueAll(merchantCards);
  await sendAll(merchantCards.map((c) => bankAct("registerMerchant", [c.cardId])));
  const terminals: Wallet[] = [];
  const registrations: (() => Promise<ContractTransactionResponse>)[] = [];
  for (let m = 1; m <= setup.merchants; m++) {
    const agreement = {
      baseRateBps: 100 + 50 * m,
      maxPointsPerSettlement: 10_000,
      minAmount: 100,
      validFrom: 0,
      validUntil: 2n ** 40n - 1n,
      currency: currencyCode("CNY"),
      categoryMultipliers: packMultipliers(Array.from({ length: 16 }, (_, c) => (c === 1 ? 200 : 100))),
    };
    registrations.push(bankAct("setAgreement", [m, agreement]));
    for (let t = 0; t < setup.terminalsPerMerchant; t++) {
      const key = new Wallet(id(`bench-terminal:${m}:${t}`));
      terminals.push(key);
      registrations.push(bankAct("registerTerminal", [key.address, m]));
    }
  }
  await sendAll(registrations);
  const cards = Array.from({ length: setup.cards }, (_, i) => ({ cardId: id(`bench-card:${i}`), key: new Wallet(id(`bench-card-key:${i}`)) }));
  for (let i = 0; i < cards.length; i += 100) await issueAll(cards.slice(i, i + 100).map((c) => ({ cardId: c.cardId, kind: 0, key: c.key.address })));

  return new AnvilLedger(node, provider, deployment, ledger.connect(gateway), () => nextNonce(gateway), terminals, cards);
}

/** One batch of signed settlements, as `settleBatch` takes it. */
export type SignedBatch = ReturnType<AnvilLedger["signedSettlement"]>[];

export class AnvilLedger {
  /** Every slip settled, in order. */
  readonly slips: Slip[] = [];
  settled = 0;
  private signed = 0;
  private readonly hasher: SettlementHasher;
  private readonly terminalNonces = new Map<string, bigint>();

  constructor(
    readonly node: LocalNode,
    readonly provider: JsonRpcProvider,
    readonly deployment: DeploymentRecord,
    private readonly gateway: PointsLedger,
    private readonly gatewayNonce: () => Promise<number>,
    readonly terminals: Wallet[],
    readonly cards: { cardId: string; key: Wallet }[],
  ) {
    this.hasher = new SettlementHasher(domainSeparator(ledgerDomain(BigInt(node.chainId), deployment.ledger)));
  }

  /**
   * Settle `count` slip-backed settlements in batches of `batchSize`, terminals and cards round
   * robin. One batch at a time: anvil's automine mines a block per arriving transaction, so
   * batches sent at once with large gas limits would wait in its pool.
   */
  async settle(count: number, batchSize: number): Promise<void> {
    await this.send(await this.sign(count, batchSize));
  }

  /** The next `count` settlements, signed, in batches of `batchSize` (sent with `send`, in order). */
  async sign(count: number, batchSize: number): Promise<SignedBatch[]> {
    const time = BigInt((await this.provider.getBlock("latest"))!.timestamp);
    const batches: SignedBatch[] = [];
    for (let start = 0; start < count; start += batchSize) {
      const items = [];
      for (let i = start; i < Math.min(count, start + batchSize); i++) items.push(this.signedSettlement(this.signed + i, time));
      batches.push(items);
    }
    this.signed += count;
    return batches;
  }

  /** Sends signed batches in order, at most `inFlight` sent and not yet mined at a time. */
  async send(batches: readonly SignedBatch[], inFlight = 1): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const items of batches) {
      const tx = await this.gateway.settleBatch(items, { nonce: await this.gatewayNonce(), gasLimit: BATCH_GAS });
      pending.push(tx.wait().then(() => void (this.settled += items.length)));
      if (pending.length >= inFlight) await pending.shift();
    }
    await Promise.all(pending);
  }

  async stop(): Promise<void> {
    this.provider.destroy();
    await this.node.stop();
  }

  /** Settlement number `n` at `time`, signed by its terminal and card; its slip is kept in `slips`. */
  signedSettlement(n: number, time: bigint) {
    const terminal = this.terminals[n % this.terminals.length];
    const card = this.cards[(n * 7) % this.cards.length];
    const quantity = 1 + (n % 3);
    const unitPrice = 500 + (n % 97) * 10;
    const slip: Slip = {
      orderNumber: `bench-${n}`,
      cardId: card.cardId,
      terminal: terminal.address,
      currency: "CNY",
      category: n % 3,
      time: Number(time),
      lines: [{ description: "Item", quantity, unitPrice: String(unitPrice) }],
      total: String(quantity * unitPrice),
    };
    this.slips.push(slip);
    const nonce = this.terminalNonces.get(terminal.address) ?? 0n;
    this.terminalNonces.set(terminal.address, nonce + 1n);
    const message: SettlementMessage = { ...extractSettlement(slip), nonce };
    const digest = this.hasher.digest(message);
    const t = sign(terminal, digest);
    const c = sign(card.key, digest);
    return { settlement: message, signatures: { terminalR: t.r, terminalVS: t.vs, cardR: c.r, cardVS: c.vs } };
  }
}

/** Write slips as an archive directory, one JSON file each. */
export function writeSlips(dir: string, slips: readonly Slip[]): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const slip of slips) fs.writeFileSync(path.join(dir, `${slip.orderNumber}.json`), JSON.stringify(slip));
}
