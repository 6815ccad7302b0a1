/**
 * The replay on hand-made logs: what it reads from PointsReversed alone (a refund's terminal and
 * nonce; whose points a correction voids), and the batch chain that BatchRecorded and ChainSealed
 * carry (a wrong digest, a chain that parts from the recomputed one and carries on), for the
 * faults the production ledger refuses to commit and so cannot be staged on it.
 */
import { expect } from "chai";
import { ZeroAddress, id, type Interface } from "ethers";
import { CredenceRegistry__factory, PointsLedger__factory } from "../../typechain-types";
import { EventDecoder, type DecodedLog } from "../../src/audit/events";
import { RegistryModel } from "../../src/audit/registry-model";
import { CHAIN_START, LedgerModel } from "../../src/audit/ledger-model";
import { Replay } from "../../src/audit/replay";
import { Findings, emptyCounts, type Discrepancy } from "../../src/audit/report";
import type { DualControlChecker } from "../../src/audit/dual-control";
import type { SignaturePool } from "../../src/audit/signature-pool";
import { ledgerDomain } from "../../src/domain/typed-data";
import { batchChainStep, batchDigest } from "../../src/domain/settled-order";
import { keyFor } from "../helpers/suite";

const REGISTRY = "0x" + "aa".repeat(20);
const LEDGER = "0x" + "bb".repeat(20);
const registryInterface: Interface = CredenceRegistry__factory.createInterface();
const ledgerInterface: Interface = PointsLedger__factory.createInterface();
const decoder = new EventDecoder();

const CONSUMER = id("card:replay-consumer");
const STRANGER = id("card:replay-stranger");
const MERCHANT_CARD = id("card:replay-merchant");
const TERMINAL = keyFor("replay-terminal").address;
const REFUND = 0n;
const CORRECTION = 1n;

let logIndex = 0;
function log(address: string, iface: Interface, name: string, values: unknown[], block = 1): DecodedLog {
  const { data, topics } = iface.encodeEventLog(iface.getEvent(name)!, values);
  return decoder.decode({ address, data, topics, blockNumber: block, transactionHash: id(`tx:${block}`), logIndex: logIndex++ })!;
}

/** Merchant 1 on its merchant card with one terminal; the consumer earned 1,000 points there (100 credit points), the stranger nothing. */
async function replayed(...ledgerLogs: DecodedLog[][]): Promise<string[]> {
  return (await replayedFindings(...ledgerLogs)).map((d) => d.code);
}

async function replayedFindings(...ledgerLogs: DecodedLog[][]): Promise<Discrepancy[]> {
  const registry = new RegistryModel();
  const ledger = new LedgerModel();
  const findings = new Findings();
  const replay = new Replay({
    registryAddress: REGISTRY,
    ledgerAddress: LEDGER,
    domain: ledgerDomain(31337n, LEDGER),
    registry,
    ledger,
    dualControl: { onEvent: () => undefined, endTransaction: () => [] } as unknown as DualControlChecker,
    pool: {} as SignaturePool,
    findings,
    counts: emptyCounts(),
  });
  await replay.transaction(
    [
      log(REGISTRY, registryInterface, "CardIssued", [CONSUMER, 1n, 0, keyFor("replay-consumer").address, id("c1")]),
      log(REGISTRY, registryInterface, "CardIssued", [STRANGER, 2n, 0, keyFor("replay-stranger").address, id("c2")]),
      log(REGISTRY, registryInterface, "CardIssued", [MERCHANT_CARD, 3n, 1, keyFor("replay-merchant").address, id("c3")]),
      log(REGISTRY, registryInterface, "MerchantRegistered", [1n, MERCHANT_CARD]),
      log(REGISTRY, registryInterface, "TerminalRegistered", [TERMINAL, 1n]),
    ],
    undefined,
  );
  ledger.earn(1n, 1, 1_000n, 100n, 1_700_000_000n);
  for (const logs of ledgerLogs) await replay.transaction(logs, undefined);
  return findings.list;
}

const reversed = (cardId: string, terminal: string, nonce: bigint, reason: bigint, points: bigint, credit: bigint, block: number) =>
  log(LEDGER, ledgerInterface, "PointsReversed", [cardId, 1n, id("order"), terminal, nonce, reason, 7, points, credit, 0n], block);

describe("auditor: replay of PointsReversed", function () {
  describe("when a bank correction voids points", function () {
    it("names a correction voiding the merchant's credit points on an unrelated card", async function () {
      expect(await replayed([reversed(STRANGER, ZeroAddress, 0n, CORRECTION, 0n, 50n, 2)])).to.deep.equal(["correction.unattributed"]);
    });

    it("names a correction voiding more credit points than the consumer's points it voids", async function () {
      expect(await replayed([reversed(CONSUMER, ZeroAddress, 0n, CORRECTION, 10n, 11n, 2)])).to.deep.equal(["correction.unattributed"]);
    });

    it("accepts credit points voided alone on the merchant's own card, and a consumer's points with as many credit points", async function () {
      expect(
        await replayed([reversed(MERCHANT_CARD, ZeroAddress, 0n, CORRECTION, 0n, 50n, 2)], [reversed(CONSUMER, ZeroAddress, 0n, CORRECTION, 10n, 10n, 3)]),
      ).to.deep.equal([]);
    });

    it("names a correction that names a terminal", async function () {
      expect(await replayed([reversed(CONSUMER, TERMINAL, 3n, CORRECTION, 10n, 1n, 2)])).to.deep.equal(["correction.event_mismatch"]);
    });
  });

  describe("when a refund's calldata cannot be read", function () {
    it("still takes its terminal and nonce from the event: a later use of that nonce is named", async function () {
      const redeemed = log(LEDGER, ledgerInterface, "PointsRedeemed", [CONSUMER, 1n, id("r"), TERMINAL, 5n, 1n], 3);
      expect(await replayed([reversed(CONSUMER, TERMINAL, 5n, REFUND, 100n, 10n, 2)], [redeemed])).to.deep.equal([
        "refund.unverifiable",
        "nonce.reused",
        "redemption.unverifiable",
      ]);
    });

    it("checks the terminal the event names against the registry", async function () {
      const stranger = keyFor("replay-unregistered-terminal").address;
      expect(await replayed([reversed(CONSUMER, stranger, 5n, REFUND, 100n, 10n, 2)])).to.deep.equal([
        "refund.terminal_not_registered",
        "refund.unverifiable",
      ]);
    });
  });
});

/** The digest of a batch that accepted no settlement: what the replay recomputes for an empty BatchRecorded. */
const EMPTY = batchDigest([]);
const recorded = (batchId: bigint, digest: string, chainBefore: string, block: number) =>
  log(LEDGER, ledgerInterface, "BatchRecorded", [batchId, digest, chainBefore, 0n, 0n], block);
const sealed = (batchId: bigint, chain: string, block: number) => log(LEDGER, ledgerInterface, "ChainSealed", [batchId, chain], block);
/** The honest chain after n empty batches. */
const honestChain = (n: number) => Array.from({ length: n }).reduce<string>((c) => batchChainStep(c, EMPTY), CHAIN_START);

describe("auditor: replay of the batch chain", function () {
  it("accepts batches whose chainBefore follows the recomputed digests, and a seal of the chain's value", async function () {
    expect(
      await replayed([recorded(1n, EMPTY, CHAIN_START, 2)], [recorded(2n, EMPTY, honestChain(1), 3), sealed(2n, honestChain(2), 3)], [recorded(3n, EMPTY, honestChain(2), 4)]),
    ).to.deep.equal([]);
  });

  it("names the batch whose chainBefore parts from the recomputed chain once, and again where the ledger's own chain breaks anew", async function () {
    const forged = id("forged chain");
    const found = await replayedFindings(
      [recorded(1n, EMPTY, CHAIN_START, 2)],
      [recorded(2n, EMPTY, forged, 3)],
      // Carries on from the forged value, as the ledger's chain then does: not named again.
      [recorded(3n, EMPTY, batchChainStep(forged, EMPTY), 4)],
      [recorded(4n, EMPTY, id("forged again"), 5)],
    );
    expect(found.map((d) => [d.code, d.block, d.expected, d.actual])).to.deep.equal([
      ["batch.chain_mismatch", 3, honestChain(1), forged],
      ["batch.chain_mismatch", 5, honestChain(3), id("forged again")],
    ]);
  });

  it("names a wrong digest, not the chainBefore after it that carries the ledger's chain on from that digest", async function () {
    const wrong = id("not the digest of the batch's orders");
    expect(await replayed([recorded(1n, wrong, CHAIN_START, 2)], [recorded(2n, EMPTY, batchChainStep(CHAIN_START, wrong), 3)])).to.deep.equal(["batch.digest_mismatch"]);
  });

  it("names a seal whose value is not the recomputed chain's after its batch, and a seal of a batch never recorded", async function () {
    const found = await replayedFindings([recorded(1n, EMPTY, CHAIN_START, 2)], [sealed(1n, id("forged seal"), 3)], [sealed(7n, honestChain(1), 4)]);
    expect(found.map((d) => [d.code, d.expected, d.actual])).to.deep.equal([
      ["batch.sealed_chain_mismatch", honestChain(1), id("forged seal")],
      ["batch.sealed_chain_mismatch", "none", honestChain(1)],
    ]);
  });
});
