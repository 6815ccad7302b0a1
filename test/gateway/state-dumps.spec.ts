/**
 * The embedded node's periodic dumps (src/chain/state-dumps.ts) against a real local node: each
 * dump waits for the write gate, reports the state's size as a metric, and the log warns as the
 * state nears its ceiling and once past it, once per threshold.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HDNodeWallet, Wallet } from "ethers";
import { connectProvider } from "../../src/chain/rpc-endpoint";
import { DEV_MNEMONIC, startLocalNode, type LocalNode } from "../../src/chain/node";
import { StateDumps } from "../../src/chain/state-dumps";
import { WriteGate } from "../../src/chain/write-gate";
import { createMetrics } from "../../src/http/observability";

describe("StateDumps", function () {
  this.timeout(60_000);
  let dataDir: string;
  let node: LocalNode;
  const warnings: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = {
    info: () => undefined,
    debug: () => undefined,
    warn: (obj: object, msg: string) => warnings.push({ obj: obj as Record<string, unknown>, msg }),
  };

  beforeEach(async () => {
    warnings.length = 0;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-dumps-"));
    node = await startLocalNode({ dataDir, log });
    await node.dumpState();
  });
  afterEach(async () => {
    await node.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const sizeOf = () => fs.statSync(node.stateFile).size;
  const dumpsWithCeiling = (ceilingBytes: number, writeGate = new WriteGate()) => {
    const metrics = createMetrics({ defaultMetrics: false });
    const dumps = new StateDumps({
      node,
      writeGate,
      ceilingBytes,
      log,
      metrics: { stateBytes: metrics.localNodeStateBytes, ceilingBytes: metrics.localNodeStateCeilingBytes, pauseSeconds: metrics.localNodeDumpPauseSeconds },
    });
    return { dumps, metrics };
  };
  const send = async (count: number) => {
    const provider = connectProvider(node.ipcPath, undefined, { staticNetwork: true });
    try {
      const dev = HDNodeWallet.fromPhrase(DEV_MNEMONIC).connect(provider);
      let nonce = await provider.getTransactionCount(dev.address, "latest");
      for (let i = 0; i < count; i++) await (await dev.sendTransaction({ to: Wallet.createRandom().address, value: 1n, nonce: nonce++ })).wait();
    } finally {
      provider.destroy();
    }
  };

  it("reports the state's size and the ceiling as metrics, and says nothing far below the ceiling", async () => {
    const ceiling = sizeOf() * 10;
    const { dumps, metrics } = dumpsWithCeiling(ceiling);
    await send(3);
    await dumps.dump();
    const text = await metrics.registry.metrics();
    expect(text).to.include(`local_node_state_bytes ${sizeOf()}`);
    expect(text).to.include(`local_node_state_ceiling_bytes ${ceiling}`);
    expect(text).to.match(/local_node_state_dump_pause_seconds_count 1/);
    expect(warnings).to.deep.equal([]);
  });

  it("warns once as the state nears the ceiling, and again once past it", async () => {
    const start = sizeOf();
    const { dumps } = dumpsWithCeiling(Math.ceil(start / 0.85)); // 85% at start: past 50% and 80%
    expect(warnings.map((w) => w.obj.percent)).to.deep.equal([85]);
    expect(warnings[0].msg).to.match(/approaching its ceiling/);
    await dumps.dump(); // no growth: no new warning
    expect(warnings).to.have.length(1);
    await send(20);
    await dumps.dump();
    expect(sizeOf()).to.be.greaterThan(start / 0.85);
    expect(warnings).to.have.length(2);
    expect(warnings[1].msg).to.match(/past its ceiling/).and.to.match(/RPC_URL/);
  });

  it("waits for chain writers to finish before the node serialises its state", async () => {
    const gate = new WriteGate();
    const { dumps } = dumpsWithCeiling(sizeOf() * 10, gate);
    const release = await gate.acquire();
    const before = fs.statSync(node.stateFile).mtimeMs;
    const dumping = dumps.dump();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fs.statSync(node.stateFile).mtimeMs, "no dump while a writer holds the gate").to.equal(before);
    release();
    await dumping;
    expect(fs.statSync(node.stateFile).mtimeMs).to.be.greaterThan(before);
  });
});
