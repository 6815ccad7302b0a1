/**
 * Gas benchmark: one settlement alone, per settlement in a batch of 100 (first visits and
 * returning cards), of 10 and of 256 (the batch maximum), a refund and a redemption, a naive baseline
 * (one transaction per settlement minting an OpenZeppelin ERC-20 to card and merchant) and the
 * floor (GasFloor: the same signed items, two signature checks, a nonce bitmap, two balances and
 * one event), all measured in this run on Hardhat's in-process network. The last line is the summary.
 *
 *   npm run bench:gas
 */
import { BATCH, MAX_BATCH, measureGas } from "./lib/bench/gas";

async function main(): Promise<void> {
  const { firstVisit, batch, batch10, batchMax, single, singleRange, refund, refundSealed, redemption, firstOutflow, naiveFirstTotal, naiveTotal, floor } = await measureGas();
  const perBatch = batch / BigInt(BATCH);
  const perNaive = naiveTotal / BigInt(BATCH);
  console.log(`batch of ${BATCH}, first visit of every card: ${firstVisit} gas, ${firstVisit / BigInt(BATCH)} per settlement`);
  console.log(`batch of ${BATCH}, returning cards: ${batch} gas, ${perBatch} per settlement`);
  console.log(`batch of 10, returning cards: ${batch10} gas, ${batch10 / 10n} per settlement`);
  console.log(`batch of ${MAX_BATCH}, returning cards: ${batchMax} gas, ${batchMax / BigInt(MAX_BATCH)} per settlement`);
  console.log(
    `single settlement, returning card: ${single} gas on average over ${singleRange.ring} in a row ` +
      `(${singleRange.least} overwriting a chain ring word, ${singleRange.most} for the one that also seals the chain)`,
  );
  console.log(`refund of half an order of a batch of ${BATCH}: ${refund} gas`);
  console.log(`the same, proven through a sealed batch ${refundSealed.laterDigests} batches later: ${refundSealed.gas} gas`);
  console.log(`redemption, returning card: ${redemption} gas (the merchant's first refund or redemption: ${firstOutflow} gas)`);
  console.log(`naive, one tx per settlement, first mint to each card: ${naiveFirstTotal / BigInt(BATCH)} gas`);
  console.log(`naive, one tx per settlement, returning holders: ${perNaive} gas`);
  const toFloor = (gas: bigint, floorGas: bigint) => (Number((gas * 100n) / floorGas) / 100).toFixed(2);
  console.log(
    `floor (GasFloor), batch of ${BATCH}, returning cards: ${floor.batch} per settlement (ledger ${toFloor(perBatch, floor.batch)}x); ` +
      `first visit ${floor.firstVisit} (ledger ${toFloor(firstVisit / BigInt(BATCH), floor.firstVisit)}x); ` +
      `alone ${floor.single} (ledger ${toFloor(single, floor.single)}x)`,
  );
  const ratio = Number((perNaive * 100n) / perBatch) / 100;
  console.log(
    `gas per settlement: single=${single} batch100=${perBatch} naive=${perNaive} ratio_naive_to_batch=${ratio.toFixed(2)}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
