/**
 * Ledger operations for the ledger specs: a fixture with several merchants, terminals and cards,
 * signed settlements, refunds and redemptions (through src/domain/typed-data.ts, never by hand),
 * the settled orders of a batch read back from its PointsEarned events and its calldata (through
 * src/chain/settlement-calldata.ts and src/domain/settled-order.ts) and the proofs refunds carry.
 */
import { ZeroAddress, ZeroHash, id, toBeHex, type ContractTransactionResponse, type Signer, type TypedDataDomain, type Wallet } from "ethers";
import type { CredenceRegistry, PointsLedger } from "../../typechain-types";
import { acting, dual } from "./dual-control";
import type { IPointsLedger } from "../../typechain-types/contracts/ledger/PointsLedger";
import { creditPoints, currencyCode, packMultipliers, settlementPoints, type Agreement } from "../../src/domain/points";
import {
  ledgerDomain,
  redemptionDigest,
  refundDigest,
  signDigest,
  type CompactSignature,
  type RedemptionMessage,
  type RefundMessage,
  type SettlementMessage,
} from "../../src/domain/typed-data";
import { settledOrderLeaf, type SettledOrder } from "../../src/domain/settled-order";
import { bySettlementKey, decodeSettlementCall, settlementKey } from "../../src/chain/settlement-calldata";
import {
  CNY,
  CardKind,
  DEFAULT_AGREEMENT,
  DEFAULT_CREDIT_RATE_BPS,
  cardIdFor,
  deployMerchantSuite,
  issueCard,
  keyFor,
  latestTime,
  proposeAndGetId,
  settlementMessage,
  signSettlement,
} from "./suite";

/** IPointsLedger.RejectionReason, in declaration order (stable codes). */
export const Rejection = {
  None: 0,
  TerminalUnknown: 1,
  TerminalDisabled: 2,
  MerchantInactive: 3,
  NonceUsed: 4,
  Expired: 5,
  TimeInFuture: 6,
  AmountOutOfBounds: 7,
  AmountBelowMinimum: 8,
  CurrencyMismatch: 9,
  CategoryUnknown: 10,
  AgreementNotInForce: 11,
  TerminalSignatureInvalid: 12,
  CardUnknown: 13,
  CardNotActive: 14,
  CardNotConsumer: 15,
  CardSignatureInvalid: 16,
  AccountLimitReached: 17,
  EncodingInvalid: 18,
  MerchantCardNotActive: 19,
} as const;

/** IPointsLedger.ReversalReason. */
export const Reversal = { Refund: 0, Correction: 1 } as const;

export const USD = currencyCode("USD");

/** PointsLedger's public constants (checked against the contract in settlement.spec.ts). */
export const LIMITS = {
  MAX_BATCH: 256n,
  MAX_AMOUNT: 10n ** 15n,
  SIGNATURE_TTL: 3n * 24n * 3600n,
  MAX_CLOCK_SKEW: 5n * 60n,
} as const;

/** The order of the secp256k1 group: s and n - s are the two valid s values of one signature. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * The second merchant's agreement: 10 points per 1.00, a higher cap, no minimum amount;
 * category 1 at 1.5x, 2 at 3x and 3 at 0x (earns nothing), the others 1x.
 */
export const SECOND_AGREEMENT: Agreement = {
  baseRateBps: 1_000n,
  maxPointsPerSettlement: 100_000n,
  minAmount: 1n,
  validFrom: 0n,
  validUntil: 2n ** 40n - 1n,
  currency: CNY,
  categoryMultipliers: packMultipliers([100, 150, 300, 0, ...Array<number>(12).fill(100)]),
};

export interface Consumer {
  cardId: string;
  key: Wallet;
}

export interface MerchantSetup {
  id: bigint;
  cardId: string;
  key: Wallet;
  terminals: Wallet[];
  /** The agreement in force, or null when none was ever set. */
  agreement: Agreement | null;
}

/** A settlement as signed: the message stays typed so tests can read its fields back. */
export interface SignedItem {
  settlement: SettlementMessage;
  signatures: IPointsLedger.SignaturesStruct;
}

export interface SignedRefund {
  refund: RefundMessage;
  terminalR: string;
  terminalVS: string;
}

export interface SignedRedemption {
  redemption: RedemptionMessage;
  signatures: IPointsLedger.SignaturesStruct;
}

/** A batch as the ledger recorded it: its accepted orders and their leaves, in batch order. */
export interface RecordedBatch {
  batchId: bigint;
  digest: string;
  /** The ledger's batch chain value before this batch (BatchRecorded.chainBefore). */
  chainBefore: string;
  accepted: bigint;
  rejected: bigint;
  orders: SettledOrder[];
  leaves: string[];
}

/** A recorded order with what a refund must carry to prove it. */
export interface LocatedOrder {
  order: SettledOrder;
  leaf: string;
  proof: IPointsLedger.SettlementProofStruct;
}

async function registerMerchant(
  registry: CredenceRegistry,
  bank: Signer,
  creditCenter: Signer,
  label: string,
  agreement: Agreement | null,
): Promise<MerchantSetup> {
  const cardId = cardIdFor(label);
  const key = keyFor(label);
  await issueCard(registry, bank, creditCenter, cardId, CardKind.Merchant, key.address);
  const asBank = acting(registry, bank);
  await (await asBank.registerMerchant(cardId)).wait();
  const id = await registry.merchantOfCard(cardId);
  const terminal = keyFor(`${label}:terminal`);
  await (await asBank.registerTerminal(terminal.address, id)).wait();
  if (agreement) await (await asBank.setAgreement(id, agreement)).wait();
  return { id, cardId, key, terminals: [terminal], agreement };
}

/**
 * The merchant suite of test/helpers/suite.ts, extended:
 * - `shop`: merchant 1 with DEFAULT_AGREEMENT and two terminals (terminal-1, terminal-1b);
 * - `cafe`: merchant 2 with SECOND_AGREEMENT and one terminal;
 * - `newcomer`: merchant 3, registered with a terminal but no agreement yet;
 * - four consumer cards; the gateway's view of the ledger as `gateway`.
 */
export async function deployLedgerFixture() {
  const suite = await deployMerchantSuite();
  const { registry, ledger, accounts } = suite;
  const terminal1b = keyFor("terminal-1b");
  await (await acting(registry, accounts.bank).registerTerminal(terminal1b.address, suite.merchant.id)).wait();
  const shop: MerchantSetup = {
    ...suite.merchant,
    terminals: [suite.terminal, terminal1b],
    agreement: DEFAULT_AGREEMENT,
  };
  const cafe = await registerMerchant(registry, accounts.bank, accounts.creditCenter, "merchant-2", SECOND_AGREEMENT);
  const newcomer = await registerMerchant(registry, accounts.bank, accounts.creditCenter, "merchant-3", null);
  const consumers: Consumer[] = [...suite.consumers];
  const key = keyFor("consumer-3");
  const cardId = cardIdFor("consumer-3");
  await issueCard(registry, accounts.bank, accounts.creditCenter, cardId, CardKind.Consumer, key.address);
  consumers.push({ cardId, key });
  return {
    operators: suite.operators,
    registry,
    ledger,
    creditScores: suite.creditScores,
    creditGrants: suite.creditGrants,
    accounts,
    gateway: ledger.connect(accounts.gateway),
    shop,
    cafe,
    newcomer,
    consumers,
    creditRateBps: DEFAULT_CREDIT_RATE_BPS,
  };
}

export type LedgerFixture = Awaited<ReturnType<typeof deployLedgerFixture>>;

/** Replace a card (its account carries over): the bank proposes, the credit center approves. */
export async function replaceCard(f: Pick<LedgerFixture, "registry" | "accounts">, oldCardId: string, label: string): Promise<Consumer> {
  const key = keyFor(label);
  const cardId = cardIdFor(label);
  const action = f.registry.interface.encodeFunctionData("replaceCard", [oldCardId, cardId, key.address]);
  const proposalId = await proposeAndGetId(f.registry, f.accounts.bank, action);
  await (await dual(f.registry, f.accounts.creditCenter).approve(proposalId, action)).wait();
  return { cardId, key };
}

export async function domainOf(ledger: PointsLedger): Promise<TypedDataDomain> {
  const { chainId } = await ledger.runner!.provider!.getNetwork();
  return ledgerDomain(chainId, await ledger.getAddress());
}

/** A settlement at `terminal` on `consumer`'s card, signed by both keys; override any field. */
export async function signItem(
  ledger: PointsLedger,
  terminal: Wallet,
  consumer: Consumer,
  fields: Pick<SettlementMessage, "nonce" | "time"> & Partial<SettlementMessage>,
): Promise<SignedItem> {
  const message = settlementMessage({ cardId: consumer.cardId, terminal: terminal.address, ...fields });
  const signed = await signSettlement(ledger, message, terminal, consumer.key);
  return { settlement: message, signatures: signed.signatures };
}

/** Points and credit points a settlement earns under `agreement`, by the TypeScript reference. */
export function expectedEarning(
  agreement: Agreement,
  creditRateBps: bigint,
  amount: bigint,
  category = 0,
): { points: bigint; credit: bigint } {
  const points = settlementPoints(amount, agreement, category);
  return { points, credit: creditPoints(points, creditRateBps) };
}

/** The leaf an accepted settlement gets, computed from the TypeScript reference alone. */
export function expectedLeaf(
  item: SignedItem,
  merchantId: bigint,
  agreement: Agreement,
  creditRateBps: bigint,
): string {
  const { settlement: s } = item;
  const { points, credit } = expectedEarning(agreement, creditRateBps, s.amount, s.category);
  return settledOrderLeaf({
    cardId: s.cardId,
    merchantId,
    orderId: s.orderId,
    terminal: s.terminal,
    nonce: s.nonce,
    amount: s.amount,
    points,
    creditPoints: credit,
  });
}

/** The arguments PointsEarned must carry for an accepted settlement, for `.withArgs(...)`. */
export function earnedEventArgs(item: SignedItem, merchantId: bigint, agreement: Agreement, creditRateBps: bigint) {
  const s = item.settlement;
  const { points, credit } = expectedEarning(agreement, creditRateBps, s.amount, s.category);
  return [s.cardId, merchantId, s.terminal, s.nonce, points, credit] as const;
}

export function refundMessage(fields: RefundMessage): RefundMessage {
  return { ...fields };
}

/** Sign a refund with the terminal key, in the ledger's domain. */
export async function signRefund(
  ledger: PointsLedger,
  message: RefundMessage,
  terminalKey: Wallet,
): Promise<SignedRefund> {
  const sig = signDigest(terminalKey.signingKey, refundDigest(await domainOf(ledger), message));
  return { refund: message, terminalR: sig.r, terminalVS: sig.vs };
}

/**
 * A refund of settled `order` at `terminal`, signed by `signer` (the terminal's own key unless
 * forged); time defaults to now. Any other field of the message can be overridden.
 */
export async function refundAt(
  ledger: PointsLedger,
  terminal: Wallet,
  fields: Pick<RefundMessage, "nonce" | "amount"> & { order: SettledOrder } & Partial<RefundMessage>,
  signer: Wallet = terminal,
): Promise<SignedRefund> {
  const { order, ...rest } = fields;
  const message = refundMessage({
    cardId: order.cardId,
    terminal: terminal.address,
    orderId: order.orderId,
    settlementTerminal: order.terminal,
    settlementNonce: order.nonce,
    time: await latestTime(),
    ...rest,
  });
  return signRefund(ledger, message, signer);
}

/** A redemption message; the order ID defaults to one derived from terminal and nonce. */
export function redemptionMessage(
  fields: Pick<RedemptionMessage, "cardId" | "terminal" | "nonce" | "points" | "time"> & Partial<RedemptionMessage>,
): RedemptionMessage {
  return { orderId: id(`redemption:${fields.terminal}:${fields.nonce}`), ...fields };
}

/** Sign a redemption with the terminal key and the card key, in the ledger's domain. */
export async function signRedemption(
  ledger: PointsLedger,
  message: RedemptionMessage,
  terminalKey: Wallet,
  cardKey: Wallet,
): Promise<SignedRedemption> {
  const digest = redemptionDigest(await domainOf(ledger), message);
  const t = signDigest(terminalKey.signingKey, digest);
  const c = signDigest(cardKey.signingKey, digest);
  return { redemption: message, signatures: { terminalR: t.r, terminalVS: t.vs, cardR: c.r, cardVS: c.vs } };
}

/**
 * The malleated twin of a compact signature: s replaced by n - s and the y parity flipped. As a
 * full (v, r, s) signature it recovers the same signer; ECDSA must refuse it (EIP-2). In compact
 * form the high s spills into the parity bit whenever it is >= 2^255 (virtually always), so the
 * bytes the ledger decodes must not verify either way.
 */
export function highS(sig: CompactSignature): CompactSignature {
  const vs = BigInt(sig.vs);
  const parity = vs >> 255n;
  const s = vs & ((1n << 255n) - 1n);
  return { r: sig.r, vs: toBeHex(((parity ^ 1n) << 255n) | (SECP256K1_N - s), 32) };
}

/** `item` with its terminal signature malleated (see highS). */
export function withHighSTerminalSignature(item: SignedItem): SignedItem {
  const sig = highS({ r: String(item.signatures.terminalR), vs: String(item.signatures.terminalVS) });
  return { ...item, signatures: { ...item.signatures, terminalR: sig.r, terminalVS: sig.vs } };
}

/** `item` with its card signature malleated (see highS). */
export function withHighSCardSignature(item: SignedItem): SignedItem {
  const sig = highS({ r: String(item.signatures.cardR), vs: String(item.signatures.cardVS) });
  return { ...item, signatures: { ...item.signatures, cardR: sig.r, cardVS: sig.vs } };
}

/**
 * Wait for a settleBatch / settle transaction and read its batch back from the ledger's events,
 * each settled order's ID and amount from the signed settlement in the calldata that PointsEarned
 * names by terminal and nonce (as the submitter and the auditor read them).
 */
export async function recordedBatch(
  ledger: PointsLedger,
  tx: Promise<ContractTransactionResponse> | ContractTransactionResponse,
): Promise<RecordedBatch> {
  const sent = await tx;
  const receipt = (await sent.wait())!;
  const inTx = <T extends { transactionHash: string }>(logs: T[]) =>
    logs.filter((l) => l.transactionHash === receipt.hash);
  const earned = inTx(await ledger.queryFilter(ledger.filters.PointsEarned, receipt.blockNumber, receipt.blockNumber));
  const [recorded] = inTx(
    await ledger.queryFilter(ledger.filters.BatchRecorded, receipt.blockNumber, receipt.blockNumber),
  );
  if (!recorded) throw new Error(`no BatchRecorded event in ${receipt.hash}`);
  const items = bySettlementKey(decodeSettlementCall(sent.data) ?? [], (it) => it.settlement);
  const orders: SettledOrder[] = earned.map(({ args }) => {
    const signed = items.get(settlementKey(args.terminal, args.nonce));
    if (!signed) throw new Error(`PointsEarned names terminal ${args.terminal} nonce ${args.nonce}, not in ${receipt.hash}'s calldata`);
    return {
      cardId: args.cardId,
      merchantId: args.merchantId,
      orderId: signed.settlement.orderId,
      terminal: args.terminal,
      nonce: args.nonce,
      amount: signed.settlement.amount,
      points: args.points,
      creditPoints: args.creditPoints,
    };
  });
  return {
    batchId: recorded.args.batchId,
    digest: recorded.args.digest,
    chainBefore: recorded.args.chainBefore,
    accepted: recorded.args.accepted,
    rejected: recorded.args.rejected,
    orders,
    leaves: orders.map(settledOrderLeaf),
  };
}

/** Settle a batch through the gateway and return it as recorded. */
export async function settleRecorded(
  fixture: Pick<LedgerFixture, "ledger" | "gateway">,
  items: SignedItem[],
): Promise<RecordedBatch> {
  return recordedBatch(fixture.ledger, fixture.gateway.settleBatch(items));
}

/**
 * An order of a recorded batch, with its leaf and the proof a refund carries: against the chain
 * value the ledger's ring holds for the batch itself, so valid until CHAIN_RING more batches are
 * recorded (`locateSealed` proves an older one).
 */
export function locate(batch: RecordedBatch, orderId: string): LocatedOrder {
  const index = batch.orders.findIndex((o) => o.orderId === orderId);
  if (index < 0) throw new Error(`order ${orderId} is not in batch ${batch.batchId}`);
  return {
    order: batch.orders[index],
    leaf: batch.leaves[index],
    proof: { batchId: batch.batchId, chainBefore: batch.chainBefore, batchLeaves: batch.leaves, index: BigInt(index), laterDigests: [] },
  };
}

/**
 * `locate`, proven against the chain value after batch `end` (at least the order's batch), with
 * the digests of the batches after the order's up to `end` read from the ledger's events.
 */
export async function locateThrough(ledger: PointsLedger, batch: RecordedBatch, orderId: string, end: bigint): Promise<LocatedOrder> {
  const located = locate(batch, orderId);
  const logs = await ledger.queryFilter(ledger.filters.BatchRecorded);
  const digests = new Map(logs.map((l) => [l.args.batchId, l.args.digest]));
  const laterDigests: string[] = [];
  for (let id = batch.batchId + 1n; id <= end; id++) {
    const digest = digests.get(id);
    if (digest === undefined) throw new Error(`batch ${id} is not recorded`);
    laterDigests.push(digest);
  }
  return { ...located, proof: { ...located.proof, laterDigests } };
}

/** Submit a signed refund of a located order through the gateway. */
export function submitRefund(
  gateway: PointsLedger,
  signed: SignedRefund,
  located: Pick<LocatedOrder, "order" | "proof">,
): Promise<ContractTransactionResponse> {
  return gateway.refund(signed.refund, signed.terminalR, signed.terminalVS, located.order, located.proof);
}

/** Submit a signed redemption through the gateway. */
export function submitRedemption(
  gateway: PointsLedger,
  signed: SignedRedemption,
): Promise<ContractTransactionResponse> {
  return gateway.redeem(signed.redemption, signed.signatures);
}

/** A correction naming no order: a zero order ID, its proof unread. */
export const NO_ORDER: Pick<LocatedOrder, "order" | "proof"> = {
  order: { cardId: ZeroHash, merchantId: 0n, orderId: ZeroHash, terminal: ZeroAddress, nonce: 0n, amount: 0n, points: 0n, creditPoints: 0n },
  proof: { batchId: 0n, chainBefore: ZeroHash, batchLeaves: [], index: 0n, laterDigests: [] },
};

/** The ABI-encoded voidPoints call that dual control proposes and approves on the ledger. */
export function voidAction(
  ledger: PointsLedger,
  v: { cardId: string; merchantId: bigint; points: bigint; creditPoints: bigint; reasonCode: number; order?: Pick<LocatedOrder, "order" | "proof"> },
): string {
  const named = v.order ?? NO_ORDER;
  return ledger.interface.encodeFunctionData("voidPoints", [
    v.cardId,
    v.merchantId,
    v.points,
    v.creditPoints,
    v.reasonCode,
    named.order,
    named.proof,
  ]);
}
