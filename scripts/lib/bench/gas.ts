/**
 * The gas measurements of `npm run bench:gas` and `npm run bench`, as a function: a suite on
 * Hardhat's in-process network, every figure measured on it in one call (see bench-gas.ts for
 * what each one is).
 */
import { ethers } from "hardhat";
import { id, Signature } from "ethers";
import { CardKind, cardIdFor, deployMerchantSuite, issueCard, keyFor, latestTime, settlementMessage, signSettlement } from "../../../test/helpers/suite";
import { ledgerDomain, settlementDigest, signDigest } from "../../../src/domain/typed-data";
import type { IPointsLedger } from "../../../typechain-types/contracts/ledger/PointsLedger";
import { locate, locateThrough, recordedBatch, redemptionMessage, refundAt, signRedemption, submitRedemption, submitRefund } from "../../../test/helpers/ledger-ops";
import type { GasFigures } from "./results";

export const BATCH = 100;
export const MAX_BATCH = 256;

/** Gas totals as measured (a batch's figure is the whole transaction's). */
export interface GasMeasurements {
  firstVisit: bigint;
  batch: bigint;
  batch10: bigint;
  batchMax: bigint;
  /** Mean of CHAIN_RING consecutive settlements alone (one chain ring cycle, one of them sealing). */
  single: bigint;
  /** The least and most of those settlements alone: a ring write, and the sealing one. */
  singleRange: { least: bigint; most: bigint; ring: number };
  refund: bigint;
  /** A refund of an older order, proven through a sealed batch with `laterDigests` later digests. */
  refundSealed: { gas: bigint; laterDigests: number };
  redemption: bigint;
  firstOutflow: bigint;
  naiveFirstTotal: bigint;
  naiveTotal: bigint;
  floor: { firstVisit: bigint; batch: bigint; single: bigint };
}

/** The figures of results.json: gas per settlement (per item of a batch) and per operation. */
export function gasFigures(m: GasMeasurements): GasFigures {
  return {
    single: Number(m.single),
    firstVisitBatch100: Number(m.firstVisit / BigInt(BATCH)),
    batch10: Number(m.batch10 / 10n),
    batch100: Number(m.batch / BigInt(BATCH)),
    batch256: Number(m.batchMax / BigInt(MAX_BATCH)),
    refund: Number(m.refund),
    redemption: Number(m.redemption),
    naive: Number(m.naiveTotal / BigInt(BATCH)),
    naiveFirstMint: Number(m.naiveFirstTotal / BigInt(BATCH)),
    floorBatch100: Number(m.floor.batch),
  };
}

/** Measures every gas figure of bench:gas on Hardhat's in-process network (a fresh suite each call). */
/** A card of the gas measurements: its ID and its key. */
export interface BenchCard {
  cardId: string;
  key: ReturnType<typeof keyFor>;
}

/**
 * The merchant suite with `count` consumer cards issued (the same cards in every measurement,
 * so calldata is the same), the gateway's view of the ledger, and `batchOf(cards)`: a settlement
 * for each card at the suite's terminal, signed now, under nonces counted from 0.
 */
export async function settlementSetup(count: number) {
  const suite = await deployMerchantSuite();
  const { registry, ledger, accounts, terminal } = suite;
  const cards: BenchCard[] = [];
  for (let i = 0; i < count; i++) {
    const key = keyFor(`bench-card-${i}`);
    const cardId = cardIdFor(`bench-card-${i}`);
    await issueCard(registry, accounts.bank, accounts.creditCenter, cardId, CardKind.Consumer, key.address);
    cards.push({ cardId, key });
  }
  let nonce = 0n;
  /** The terminal's next nonce (settlements, refunds and redemptions share them). */
  const nextNonce = () => nonce++;
  const batchOf = async (group: readonly BenchCard[]) => {
    const time = await latestTime();
    return Promise.all(
      group.map((c) =>
        signSettlement(ledger, settlementMessage({ cardId: c.cardId, terminal: terminal.address, nonce: nextNonce(), time }), terminal, c.key),
      ),
    );
  };
  return { ...suite, gateway: ledger.connect(accounts.gateway), cards, batchOf, nextNonce };
}

export async function measureGas(): Promise<GasMeasurements> {
  const { ledger, terminal, gateway, cards, batchOf, nextNonce } = await settlementSetup(MAX_BATCH);
  const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => (await (await tx).wait())!.gasUsed;
  // A benchmark of rejected settlements would measure nothing: every batch must be fully accepted.
  const settledBatch = async (group: typeof cards) => {
    const tx = await gateway.settleBatch(await batchOf(group));
    const receipt = (await tx.wait())!;
    const recorded = await recordedBatch(ledger, tx);
    if (recorded.accepted !== BigInt(group.length)) throw new Error(`batch not fully accepted: ${recorded.accepted} of ${group.length}`);
    return { gas: receipt.gasUsed, recorded };
  };

  const returning = cards.slice(0, BATCH);
  // First visit: each card's first settlement, and its first at this merchant.
  const firstVisit = (await settledBatch(returning)).gas;
  // Returning customers: the same cards again, the common case of a loyalty programme.
  const { gas: batch, recorded } = await settledBatch(returning);
  // The largest batch: every card visits once, then all of them return.
  await settledBatch(cards);
  const batchMax = (await settledBatch(cards)).gas;
  // A small batch: ten returning cards.
  const batch10 = (await settledBatch(cards.slice(0, 10))).gas;
  // Steady state: the merchant's first refund or redemption creates its outflows record, once.
  const warmUp = redemptionMessage({ cardId: returning[1].cardId, terminal: terminal.address, nonce: nextNonce(), points: 1n, time: await latestTime() });
  const firstOutflow = await gasOf(submitRedemption(gateway, await signRedemption(ledger, warmUp, terminal, returning[1].key)));
  // A refund of half an order of the returning batch (its proof carries the batch's 100 leaves).
  const refunded = locate(recorded, recorded.orders[BATCH / 2].orderId);
  const refund = await gasOf(
    submitRefund(gateway, await refundAt(ledger, terminal, { nonce: nextNonce(), order: refunded.order, amount: refunded.order.amount / 2n }), refunded),
  );
  // A redemption of 10 points by a returning card.
  const spender = returning[0];
  const spend = redemptionMessage({ cardId: spender.cardId, terminal: terminal.address, nonce: nextNonce(), points: 10n, time: await latestTime() });
  const redemption = await gasOf(submitRedemption(gateway, await signRedemption(ledger, spend, terminal, spender.key)));
  // Settlements alone, each its own batch, once every word of the ledger's chain ring is set:
  // CHAIN_RING of them overwrite a ring word, and one in CHAIN_RING also seals its chain value.
  const ring = Number(await ledger.CHAIN_RING());
  const alone: bigint[] = [];
  for (let i = 0; i < 2 * ring; i++) {
    const [one] = await batchOf([returning[i % BATCH]]);
    const gas = await gasOf(gateway.settle(one));
    if ((await ledger.batchCount()) > BigInt(ring)) alone.push(gas);
  }
  const cycle = alone.slice(-ring);
  const single = cycle.reduce((a, b) => a + b, 0n) / BigInt(ring);
  const singleRange = { least: cycle.reduce((a, b) => (b < a ? b : a)), most: cycle.reduce((a, b) => (b > a ? b : a)), ring };
  // The same refund of another order of that batch, now that the ring has moved on: proven
  // through the first sealed batch after it, with the digests of the batches in between.
  const sealedAt = ((recorded.batchId + BigInt(ring) - 1n) / BigInt(ring)) * BigInt(ring);
  const older = await locateThrough(ledger, recorded, recorded.orders[BATCH / 2 + 1].orderId, sealedAt);
  const refundSealed = {
    gas: await gasOf(
      submitRefund(gateway, await refundAt(ledger, terminal, { nonce: nextNonce(), order: older.order, amount: older.order.amount / 2n }), older),
    ),
    laterDigests: older.proof.laterDigests.length,
  };

  const naive = await (await ethers.getContractFactory("NaiveLoyalty")).deploy();
  const merchantAddress = keyFor("merchant-1").address;
  let naiveTotal = 0n;
  let naiveFirstTotal = 0n;
  for (const round of [0, 1]) {
    for (const [i, c] of returning.entries()) {
      const orderId = id(`naive:${round}:${i}`);
      const digest = ethers.solidityPackedKeccak256(["bytes"], [
        ethers.AbiCoder.defaultAbiCoder().encode(
          ["bytes32", "address", "address", "uint256"],
          [orderId, c.key.address, merchantAddress, 123n],
        ),
      ]);
      const sig = (k: typeof terminal) => Signature.from(k.signingKey.sign(digest)).serialized;
      const gas = await gasOf(
        naive.settle(orderId, c.key.address, merchantAddress, 123n, 12n, sig(terminal), sig(c.key), terminal.address),
      );
      if (round === 1) naiveTotal += gas; // returning holders, compared with the returning batch
      else naiveFirstTotal += gas;
    }
  }
  const floor = await floorFigures(returning, terminal, nextNonce);

  return { firstVisit, batch, batch10, batchMax, single, singleRange, refund, refundSealed, redemption, firstOutflow, naiveFirstTotal, naiveTotal, floor };
}

/**
 * GasFloor's gas per settlement on the same cards and terminal, signed in its own domain: a batch
 * of first visits, the same cards returning, and one settlement alone.
 */
export async function floorFigures(
  group: { cardId: string; key: ReturnType<typeof keyFor> }[],
  terminal: ReturnType<typeof keyFor>,
  nextNonce: () => bigint,
): Promise<{ firstVisit: bigint; batch: bigint; single: bigint }> {
  const floor = await (await ethers.getContractFactory("GasFloor")).deploy();
  const domain = ledgerDomain((await ethers.provider.getNetwork()).chainId, await floor.getAddress());
  const signed = async (cards: typeof group): Promise<IPointsLedger.SignedSettlementStruct[]> => {
    const time = await latestTime();
    return cards.map((c) => {
      const message = settlementMessage({ cardId: c.cardId, terminal: terminal.address, nonce: nextNonce(), time });
      const digest = settlementDigest(domain, message);
      const t = signDigest(terminal.signingKey, digest);
      const k = signDigest(c.key.signingKey, digest);
      return { settlement: message, signatures: { terminalR: t.r, terminalVS: t.vs, cardR: k.r, cardVS: k.vs } };
    });
  };
  const gasOf = async (items: IPointsLedger.SignedSettlementStruct[]) => (await (await floor.settleBatch(items)).wait())!.gasUsed;
  const firstVisit = (await gasOf(await signed(group))) / BigInt(group.length);
  const batch = (await gasOf(await signed(group))) / BigInt(group.length);
  const single = await gasOf(await signed(group.slice(0, 1)));
  return { firstVisit, batch, single };
}
