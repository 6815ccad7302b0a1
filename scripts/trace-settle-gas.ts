/**
 * Where the gas of one settlement sent alone (`settle`, a returning card, in a batch that
 * overwrites a word of the ledger's chain ring and seals nothing, as most do) goes, from an opcode trace (debug_traceTransaction) on Hardhat's in-process network: the
 * transaction's base cost and calldata, then every storage access, call, signature recovery and
 * event in execution order with the computation between them, then totals by class.
 *
 *   npx hardhat run scripts/trace-settle-gas.ts
 */
import { ethers, network } from "hardhat";
import { settlementSetup } from "./lib/bench/gas";

interface Step {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
}

const TX_BASE = 21_000;
const ECRECOVER = 1n;

/** The gas a transaction's calldata costs (EIP-2028: 4 per zero byte, 16 per other byte). */
function calldataGas(data: string): number {
  const bytes = ethers.getBytes(data);
  const zeros = bytes.filter((b) => b === 0).length;
  return zeros * 4 + (bytes.length - zeros) * 16;
}

const top = (s: Step, n = 1) => s.stack![s.stack!.length - n];

async function main(): Promise<void> {
  const { registry, ledger, gateway, cards, batchOf } = await settlementSetup(2);
  // As bench:gas: a batch of first visits, the same cards returning, then settlements alone
  // until every word of the ledger's chain ring is set, and one more that is not a sealing one.
  for (let i = 0; i < 2; i++) await (await gateway.settleBatch(await batchOf(cards))).wait();
  const ring = await ledger.CHAIN_RING();
  while ((await ledger.batchCount()) < ring + 1n || ((await ledger.batchCount()) + 1n) % ring === 0n) {
    await (await gateway.settle((await batchOf(cards.slice(0, 1)))[0])).wait();
  }
  const tx = await gateway.settle((await batchOf(cards.slice(0, 1)))[0]);
  const gasUsed = Number((await tx.wait())!.gasUsed);
  const { structLogs: steps } = (await network.provider.send("debug_traceTransaction", [
    tx.hash,
    { disableMemory: true, disableStorage: true },
  ])) as { structLogs: Step[] };

  const registryAddress = BigInt(await registry.getAddress());
  const classes = new Map<string, number>();
  const count = (name: string, gas: number) => classes.set(name, (classes.get(name) ?? 0) + gas);
  const calldata = calldataGas(tx.data);
  count("base", TX_BASE);
  count("calldata", calldata);
  console.log(`base ${TX_BASE}, calldata ${calldata} (${ethers.getBytes(tx.data).length} bytes)`);
  let compute = 0;
  const landmark = (what: string, gas: number, cls: string) => {
    console.log(`${String(compute).padStart(6)} computation, then ${what}: ${gas}`);
    count("ledger computation", compute);
    count(cls, gas);
    compute = 0;
  };
  for (let i = 0; i < steps.length; ) {
    const s = steps[i];
    if (s.op === "STATICCALL" || s.op === "CALL") {
      let j = i + 1;
      let loads = 0;
      let callee = 0;
      for (; j < steps.length && steps[j].depth > s.depth; j++) {
        if (steps[j].op === "SLOAD") loads += steps[j].gasCost;
        else callee += steps[j].gasCost;
      }
      const inclusive = s.gas - steps[j].gas;
      const target = BigInt("0x" + top(s, 2));
      if (target === ECRECOVER) landmark("ecrecover", inclusive, "signature recovery");
      else {
        const name = target === registryAddress ? "registry" : `0x${target.toString(16)}`;
        landmark(
          `${s.op} ${name} (access and call ${inclusive - loads - callee}, its SLOADs ${loads}, its computation ${callee})`,
          inclusive,
          `${name} call`,
        );
      }
      i = j;
      continue;
    }
    if (s.op === "SLOAD" || s.op === "SSTORE") {
      landmark(`${s.op} …${top(s).slice(-8)}`, s.gasCost, `${s.op} ${s.gasCost}`);
    } else if (s.op.startsWith("LOG")) {
      landmark(s.op, s.gasCost, "events");
    } else {
      compute += s.gasCost;
    }
    i++;
  }
  landmark("the end", 0, "events");
  console.log("\nby class:");
  let sum = 0;
  for (const [name, gas] of [...classes.entries()].sort((a, b) => b[1] - a[1])) {
    console.log(`${String(gas).padStart(7)}  ${name}`);
    sum += gas;
  }
  console.log(`${String(sum).padStart(7)}  sum (gasUsed ${gasUsed}: the two agree when the transaction earns no refund)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
