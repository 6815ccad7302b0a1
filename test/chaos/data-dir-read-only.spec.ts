/**
 * DATA_DIR read-only, and DATA_DIR full, mid-load (embedded chain and store): while terminals
 * stream signed settlements, DATA_DIR stops taking writes for a few seconds, then takes them
 * again. Read-only is a read-only bind mount over DATA_DIR (new files cannot be created; files
 * already open stay writable, as the kernel keeps them on the mount they were opened on). Full
 * is a small tmpfs under DATA_DIR filled to its last block (every write that needs a block fails
 * with ENOSPC, through open files too). Meanwhile the gateway answers 503 store.unavailable
 * (ADR 0011) and accepts nothing it then loses: afterwards every settlement that got 2xx is
 * confirmed on chain exactly once, and the auditor reports a clean ledger.
 *
 * Needs the right to mount (root with CAP_SYS_ADMIN): skipped saying so without it.
 * Run by `npm run test:chaos`.
 */
import { expect } from "chai";
import path from "node:path";
import {
  cleanUp,
  loginOperators,
  setUpDemo,
  startGatewayProcess,
  tempDir,
  type Demo,
  type GatewayProcess,
} from "../gateway/helpers/process";
import { canMount, ReadOnlySwitch } from "./helpers/read-only-mount";
import { FullDisk } from "./helpers/full-disk";
import { expectConfirmedOnceAndAudited, FAULT_LOAD, loadThroughFault } from "./helpers/load";

/** A fault of DATA_DIR's disk: `prepare` before the gateway starts, `inject` and `recover` mid-load. */
interface DiskFault {
  name: string;
  prepare(): Promise<void>;
  /** Makes DATA_DIR refuse writes; says what it did, for the report line. */
  inject(): Promise<string>;
  recover(): Promise<void>;
  release(): Promise<void>;
}

/** Asks /readyz every 100 ms while started, counting its answers. */
class ReadinessProbe {
  probes = 0;
  notReady = 0;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly url: string) {}

  start(): void {
    this.running = (async () => {
      while (!this.stopped) {
        const status = await fetch(`${this.url}/readyz`).then((r) => r.status, () => 0);
        this.probes++;
        if (status === 503) this.notReady++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

/** Runs the load through `fault` against a gateway on `dataDir`, and checks and reports the outcome. */
function dataDirFaultSuite(title: string, dataDir: string, fault: DiskFault): void {
  describe(title, function () {
    this.timeout(300_000);
    let gateway: GatewayProcess;
    let demo: Demo;
    const started: GatewayProcess[] = [];

    before(async function () {
      this.timeout(180_000);
      if (!(await canMount())) {
        console.warn("      SKIPPED: this machine does not let the test mount (root with CAP_SYS_ADMIN is needed to make DATA_DIR read-only or full).");
        this.skip();
      }
      await fault.prepare();
      gateway = await startGatewayProcess({ dataDir });
      started.push(gateway);
      demo = await setUpDemo(await loginOperators(gateway.url, dataDir), { terminals: 4, cards: 8, tag: `chaos-${fault.name}` });
    });

    after(async function () {
      this.timeout(60_000);
      await fault.recover().catch(() => undefined);
      await cleanUp(started, []);
      await fault.release();
      await cleanUp([], [dataDir]);
    });

    it("answers 503 store.unavailable while DATA_DIR takes no writes, and confirms every accepted settlement exactly once after", async () => {
      let injected = "";
      const readiness = new ReadinessProbe(gateway.url);
      const run = await loadThroughFault(gateway, demo, fault.name, {
        inject: async () => {
          injected = await fault.inject();
          readiness.start();
        },
        recover: async () => {
          await readiness.stop();
          await fault.recover();
        },
      });
      const { stream, load, duringFault } = run;
      const whileDown = `${duringFault.accepted} accepted (last errors: ${duringFault.lastErrors.join("; ")})`;
      const deploymentFile = path.join(dataDir, "deployment.json");
      const checks = { gateway, started, demo, stream, planned: run.planned.length, runKeys: run.runKeys, deploymentFile };
      const { confirmed, audit } = await expectConfirmedOnceAndAudited(checks).catch((err: Error) => {
        throw new Error(`${err.message}\nwhile ${fault.name}: ${whileDown}; gateway warnings:\n${gateway.warnings().slice(-8).map((w) => JSON.stringify(w).slice(0, 400)).join("\n")}`);
      });
      const warnings = gateway.warnings();
      const storeLost = warnings.filter((w) => w.msg.startsWith("the embedded store cannot write")).length;
      const settlementAnswers = warnings.filter((w) => (w.req as { path?: string } | undefined)?.path === "/v1/settlements");
      const unavailable = settlementAnswers.filter((w) => (w.res as { statusCode?: number } | undefined)?.statusCode === 503).length;
      console.log(
        `      injected: ${injected} for ${FAULT_LOAD.downMs} ms after ${run.acceptedAtFault} accepted; counted while ${fault.name}: ${whileDown}; ` +
          `store lost DATA_DIR ${storeLost} time(s), ${unavailable} settlements answered 503, /readyz 503 in ${readiness.notReady} of ${readiness.probes} probes; ${load.unanswered} re-sent in all; ${stream.accepted.size} accepted, ${confirmed} confirmed on chain once each; ` +
          `auditor: ${audit.discrepancies.length} discrepancies`,
      );
      expect(storeLost, "times the store said it cannot write (the fault must reach it)").to.be.greaterThan(0);
      expect(unavailable, "503 answers while the store could not write").to.be.greaterThan(0);
      expect(readiness.notReady, "/readyz answers 503 while the store cannot write").to.be.greaterThan(0);
    });
  });
}

const readOnlyDir = tempDir("chaos-ro");
const readOnly = new ReadOnlySwitch(readOnlyDir);
dataDirFaultSuite("DATA_DIR read-only mid-load (embedded chain and store)", readOnlyDir, {
  name: "read-only",
  prepare: async () => undefined,
  inject: async () => {
    await readOnly.readOnly();
    return "DATA_DIR read-only (bind mount)";
  },
  recover: () => readOnly.writable(),
  release: () => readOnly.release(),
});

const fullDir = tempDir("chaos-full");
const FULL_DISK_MIB = 256;
const fullDisk = new FullDisk(fullDir, FULL_DISK_MIB);
dataDirFaultSuite("DATA_DIR full mid-load (embedded chain and store)", fullDir, {
  name: "full",
  prepare: () => fullDisk.mount(),
  inject: async () => `DATA_DIR full (tmpfs of ${FULL_DISK_MIB} MiB, its last ${((await fullDisk.fill()) / 2 ** 20).toFixed(1)} MiB taken)`,
  recover: () => fullDisk.free(),
  release: () => fullDisk.release(),
});
