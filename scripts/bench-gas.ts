/**
 * Gas benchmark: one settlement alone, per settlement in a batch of 100, and a naive baseline
 * (one transaction per settlement minting an OpenZeppelin ERC-20 to card and merchant), all
 * measured in this run on Hardhat's in-process network.
 *
 *   npm run bench:gas
 */
import { ethers } from "hardhat";
import { id, Signature } from "ethers";
import {
  CardKind,
  cardIdFor,
  deployMerchantSuite,
  issueCard,
  keyFor,
  latestTime,
  settlementMessage,
  signSettlement,
} from "../test/helpers/suite";

const BATCH = 100;

async function main(): Promise<void> {
  const { registry, ledger, accounts, terminal } = await deployMerchantSuite();
  const gateway = ledger.connect(accounts.gateway);
  const cards: { cardId: string; key: ReturnType<typeof keyFor> }[] = [];
  for (let i = 0; i < 2 * BATCH; i++) {
    const key = keyFor(`bench-card-${i}`);
    const cardId = cardIdFor(`bench-card-${i}`);
    await issueCard(registry, accounts.bank, accounts.creditCenter, cardId, CardKind.Consumer, key.address);
    cards.push({ cardId, key });
  }
  let nonce = 0n;
  const batchOf = async (group: typeof cards) => {
    const time = await latestTime();
    return Promise.all(
      group.map((c) =>
        signSettlement(ledger, settlementMessage({ cardId: c.cardId, terminal: terminal.address, nonce: nonce++, time }), terminal, c.key),
      ),
    );
  };
  const gasOf = async (tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => (await (await tx).wait())!.gasUsed;
  // A benchmark of rejected settlements would measure nothing: every batch must be fully accepted.
  const settledBatch = async (group: typeof cards) => {
    const receipt = await (await gateway.settleBatch(await batchOf(group))).wait();
    const recorded = receipt!.logs.map((l) => ledger.interface.parseLog(l)).find((e) => e?.name === "BatchRecorded");
    if (recorded?.args.accepted !== BigInt(group.length)) throw new Error(`batch not fully accepted: ${recorded?.args}`);
    return receipt!.gasUsed;
  };

  const returning = cards.slice(0, BATCH);
  // First visit: each card's first settlement, and its first at this merchant.
  const firstVisit = await settledBatch(returning);
  // Returning customers: the same cards again, the common case of a loyalty programme.
  const batch = await settledBatch(returning);
  const [one] = await batchOf(returning.slice(0, 1));
  const single = await gasOf(gateway.settle(one));

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
  const perBatch = batch / BigInt(BATCH);
  const perNaive = naiveTotal / BigInt(BATCH);
  console.log(`batch of ${BATCH}, first visit of every card: ${firstVisit} gas, ${firstVisit / BigInt(BATCH)} per settlement`);
  console.log(`batch of ${BATCH}, returning cards: ${batch} gas, ${perBatch} per settlement`);
  console.log(`single settlement, returning card: ${single} gas`);
  console.log(`naive, one tx per settlement, first mint to each card: ${naiveFirstTotal / BigInt(BATCH)} gas`);
  console.log(`naive, one tx per settlement, returning holders: ${perNaive} gas`);
  const ratio = Number((perNaive * 100n) / perBatch) / 100;
  console.log(
    `gas per settlement: single=${single} batch100=${perBatch} naive=${perNaive} ratio_naive_to_batch=${ratio.toFixed(2)}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
