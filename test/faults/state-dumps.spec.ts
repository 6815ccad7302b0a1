/**
 * Faults at every moment of a state dump of the embedded node, periodic and final: the gateway
 * runs as a child process with CREDENCE_FAILPOINT=<kind>:<moment>, which pauses that dump at that
 * moment (src/chain/node.ts), and is then killed -9 (its anvil writes its own exit dump), killed
 * -9 with its anvil (a power cut), or stopped with SIGINT (Ctrl-C). The next start must load a
 * whole state, with nothing found unloadable, and every settlement that got 202 must be
 * confirmed on chain exactly once.
 *
 * Moments: captured (anvil answered, nothing written), writing (state.json.tmp half written),
 * written (tmp synced, not renamed), rotated (older states shifted, state.json not yet replaced).
 *
 * Run by `npm run test:faults` (not part of `npm test`: about 20 gateway restarts).
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import {
  anvilPid,
  cleanUp,
  finishExactlyOnce,
  isAlive,
  loginOperators,
  planSettlements,
  setUpDemo,
  startGatewayProcess,
  SettlementStream,
  tempDir,
  terminalClients,
  waitForExit,
  type Demo,
  type GatewayProcess,
} from "../gateway/helpers/process";
import { UNLOADABLE_DIR } from "../../src/chain/node";

const MOMENTS = ["captured", "writing", "written", "rotated"] as const;
const CONCURRENCY = 16;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Fault = "kill -9 gateway" | "kill -9 gateway and anvil" | "SIGINT";

describe("state dumps under faults (child process, embedded chain and store)", function () {
  this.timeout(300_000);
  let dataDir: string;
  let gateway: GatewayProcess;
  let demo: Demo;
  const started: GatewayProcess[] = [];
  const failpointFile = () => path.join(dataDir, "chain", "failpoint");

  const start = async (failpoint?: string) => {
    fs.rmSync(failpointFile(), { force: true });
    // CREDENCE_FAILPOINT_MS: long enough for the test to act, short enough for SIGINT's final dump to follow.
    const env: Record<string, string> = failpoint ? { CREDENCE_FAILPOINT: failpoint, CREDENCE_FAILPOINT_MS: "3000" } : {};
    gateway = await startGatewayProcess({ dataDir, env });
    started.push(gateway);
    return gateway;
  };

  before(async function () {
    this.timeout(180_000);
    dataDir = tempDir("dump-faults");
    await start();
    demo = await setUpDemo(await loginOperators(gateway.url, dataDir), { terminals: 4, cards: 8, tag: "dumps" });
  });

  after(async function () {
    this.timeout(60_000);
    await cleanUp(started, [dataDir]);
  });

  /** Waits until the running gateway pauses at its failpoint, streaming settlements meanwhile. */
  const reachFailpoint = async (stream: SettlementStream, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!fs.existsSync(failpointFile())) {
      if (Date.now() > deadline) throw new Error(`the failpoint was not reached within ${timeoutMs} ms:\n${gateway.output()}`);
      if (stream.pending === 0) throw new Error("the stream ran dry before the failpoint");
      await delay(5);
    }
  };

  const killHard = async (withAnvil: boolean) => {
    const anvil = anvilPid(dataDir)!;
    if (withAnvil) process.kill(anvil, "SIGKILL");
    expect((await gateway.kill("SIGKILL")).signal).to.equal("SIGKILL");
    // Without the power cut, anvil writes its exit dump on the SIGTERM its guard sends it.
    expect(await waitForExit(anvil, 60_000), "the gateway's anvil exited by itself").to.equal(true);
  };

  /** Restarts, sends what is left, and checks every accepted settlement against the chain. */
  const restartAndCheck = async (stream: SettlementStream, runKeys: Set<string>, planned: number) => {
    await start();
    expect(fs.existsSync(path.join(dataDir, "chain", UNLOADABLE_DIR)), "a saved state could not be loaded").to.equal(false);
    await finishExactlyOnce({ gateway, started, demo, stream, planned, runKeys, more: 50, concurrency: CONCURRENCY });
  };

  const scenario = (kind: "periodic" | "final", moment: (typeof MOMENTS)[number], fault: Fault) =>
    it(`${fault} while a ${kind} dump is ${moment}: a whole state loads, every accepted settlement is confirmed once`, async () => {
      if (gateway.running()) await gateway.kill("SIGTERM");
      await start(`${kind}:${moment}`);
      const planned = planSettlements(demo, 20_000, `${kind}-${moment}-${fault.replace(/\W+/g, "")}-${Date.now().toString(36)}`);
      const runKeys = new Set(planned.map((p) => p.key));
      const stream = new SettlementStream(planned);
      const running = stream.run(await terminalClients(gateway.url, demo), CONCURRENCY);
      const oldAnvil = anvilPid(dataDir)!;
      if (kind === "periodic") {
        await reachFailpoint(stream, 60_000);
        if (fault === "SIGINT") {
          const exit = await gateway.kill("SIGINT", 120_000);
          expect(exit, "a clean stop exits 0").to.deep.equal({ code: 0, signal: null });
        } else {
          await killHard(fault === "kill -9 gateway and anvil");
        }
      } else {
        // Some settlements on chain first, then Ctrl-C: the final dump pauses, and the fault hits it.
        while (stream.accepted.size < 300 && stream.pending > 0) await delay(5);
        gateway.child.kill("SIGINT");
        await reachFailpoint(stream, 60_000);
        await killHard(fault === "kill -9 gateway and anvil");
      }
      await running;
      // Its guard shell reaps it a moment after it exits.
      for (const until = Date.now() + 10_000; isAlive(oldAnvil) && Date.now() < until; ) await delay(20);
      expect(isAlive(oldAnvil), "the old anvil is gone").to.equal(false);
      expect(stream.accepted.size, "settlements accepted before the fault").to.be.greaterThan(0);
      await restartAndCheck(stream, runKeys, planned.length);
    });

  for (const moment of MOMENTS) {
    for (const fault of ["kill -9 gateway", "kill -9 gateway and anvil", "SIGINT"] as const) scenario("periodic", moment, fault);
    for (const fault of ["kill -9 gateway", "kill -9 gateway and anvil"] as const) scenario("final", moment, fault);
  }
});
