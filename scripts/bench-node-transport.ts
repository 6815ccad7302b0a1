/**
 * The embedded node's transports, measured: JSON-RPC over its IPC socket (src/chain/ipc-client.ts,
 * what the gateway uses) against ethers' IpcSocketProvider and against HTTP, under load and with
 * a big answer (anvil_dumpState).
 *
 *   npm run bench:node-transport -- [--state-mb 150] [--calls 20000] [--concurrency 64]
 *
 * A temporary anvil (isolation "none", so that HTTP can be compared) is filled with accounts
 * holding random code until its state is about --state-mb of code, then: the state dump the
 * gateway writes (streamed), the same answer through ethers' IpcSocketProvider (given at most
 * --ethers-timeout-s), and --calls eth_getBalance calls through each transport. Prints wall
 * time, this process's CPU time and the growth of its resident memory.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Command } from "commander";
import { IpcSocketProvider, JsonRpcProvider, Wallet } from "ethers";
import { startLocalNode } from "../src/chain/node";
import { IpcJsonRpcProvider } from "../src/chain/rpc-endpoint";
import { JsonRpc } from "../src/chain/json-rpc";

const opts = new Command()
  .option("--state-mb <n>", "megabytes of contract code to put in the state", "150")
  .option("--calls <n>", "eth_getBalance calls per transport", "20000")
  .option("--concurrency <n>", "calls in flight at once", "64")
  .option("--ethers-timeout-s <n>", "how long ethers' IpcSocketProvider is given for the dump", "120")
  .parse()
  .opts<{ stateMb: string; calls: string; concurrency: string; ethersTimeoutS: string }>();

const CODE_BYTES = 24_000;

interface Measure {
  seconds: number;
  cpuSeconds: number;
  rssGrowthMb: number;
}

/** Runs `work`, sampling this process's resident memory every 50 ms. */
async function measure<T>(work: () => Promise<T>): Promise<Measure & { value: T }> {
  const rss0 = process.memoryUsage.rss();
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const value = await work();
    const cpu = process.cpuUsage(cpu0);
    return { value, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssGrowthMb: (Math.max(peak, process.memoryUsage.rss()) - rss0) / 1e6 };
  } finally {
    clearInterval(sampler);
  }
}

const fmt = (m: Measure) => `${m.seconds.toFixed(2)} s, CPU ${m.cpuSeconds.toFixed(2)} s, RSS +${m.rssGrowthMb.toFixed(0)} MB`;

async function load(send: (i: number) => Promise<unknown>, calls: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) await send(next++);
    }),
  );
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-bench-transport-"));
  const log = { info: () => undefined, warn: () => undefined };
  const node = await startLocalNode({ dataDir, log, isolation: "none" });
  try {
    const rpc = new JsonRpc(node.ipcPath);
    const accounts = Math.ceil((Number(opts.stateMb) * 1e6) / CODE_BYTES);
    for (let i = 0; i < accounts; i += 50) {
      const batch = Array.from({ length: Math.min(50, accounts - i) }, () => ({
        method: "anvil_setCode",
        params: [`0x${randomBytes(20).toString("hex")}`, `0x${randomBytes(CODE_BYTES).toString("hex")}`],
      }));
      for (const r of await rpc.batch(batch)) if (r instanceof Error) throw r;
    }
    console.log(`state: ${accounts} accounts with ${CODE_BYTES} bytes of random code each`);

    const dump = await measure(() => node.dumpState());
    console.log(`dump through the gateway's streaming IPC path: ${fmt(dump)}; state.json ${(fs.statSync(node.stateFile).size / 1e6).toFixed(0)} MB`);

    const ethersIpc = new IpcSocketProvider(node.ipcPath, node.chainId, { staticNetwork: true });
    const timeoutMs = Number(opts.ethersTimeoutS) * 1000;
    const viaEthers = await measure(() =>
      Promise.race([
        ethersIpc.send("anvil_dumpState", []).then((hex: string) => `answered, ${(hex.length / 1e6).toFixed(0)} MB of hex`),
        new Promise<string>((resolve) => setTimeout(() => resolve(`no answer within ${opts.ethersTimeoutS} s`), timeoutMs).unref()),
      ]),
    );
    console.log(`dump through ethers' IpcSocketProvider: ${viaEthers.value}; ${fmt(viaEthers)}`);
    ethersIpc.destroy();

    const calls = Number(opts.calls);
    const concurrency = Number(opts.concurrency);
    const address = Wallet.createRandom().address;
    const transports: [string, () => { send: (i: number) => Promise<unknown>; close: () => void }][] = [
      ["ours (IpcJsonRpcProvider)", () => {
        const p = new IpcJsonRpcProvider(node.ipcPath, node.chainId, { staticNetwork: true, cacheTimeout: -1 });
        return { send: () => p.getBalance(address), close: () => p.destroy() };
      }],
      ["ethers IpcSocketProvider", () => {
        const p = new IpcSocketProvider(node.ipcPath, node.chainId, { staticNetwork: true, cacheTimeout: -1 });
        return { send: () => p.getBalance(address), close: () => p.destroy() };
      }],
      ["ethers JsonRpcProvider over HTTP", () => {
        const p = new JsonRpcProvider(node.httpUrl!, node.chainId, { staticNetwork: true, cacheTimeout: -1 });
        return { send: () => p.getBalance(address), close: () => p.destroy() };
      }],
      ["bare JsonRpc over IPC", () => {
        const c = new JsonRpc(node.ipcPath);
        return { send: () => c.call("eth_getBalance", [address, "latest"]), close: () => c.close() };
      }],
      ["bare JsonRpc over HTTP", () => {
        const c = new JsonRpc(node.httpUrl!);
        return { send: () => c.call("eth_getBalance", [address, "latest"]), close: () => c.close() };
      }],
    ];
    for (const [name, open] of transports) {
      const t = open();
      const m = await measure(() => load(t.send, calls, concurrency));
      console.log(`${calls} eth_getBalance, ${concurrency} in flight, ${name}: ${(calls / m.seconds).toFixed(0)} calls/s; ${fmt(m)}`);
      t.close();
    }
    rpc.close();
  } finally {
    await node.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
