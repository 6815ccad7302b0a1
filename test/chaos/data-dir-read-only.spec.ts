/**
 * DATA_DIR read-only mid-load (embedded chain and store): while terminals stream signed
 * settlements, DATA_DIR becomes read-only (a read-only bind mount over it), stays so a few
 * seconds, and becomes writable again. Meanwhile the gateway must answer with clear errors and
 * accept nothing it then loses: afterwards every settlement that got 2xx is confirmed on chain
 * exactly once, and the auditor reports a clean ledger.
 *
 * Needs the right to mount (root with CAP_SYS_ADMIN): skipped saying so without it.
 * Run by `npm run test:chaos`.
 */
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
import { pendingUntilFixed } from "./helpers/pending";
import { expectConfirmedOnceAndAudited, FAULT_LOAD, loadThroughFault } from "./helpers/load";

/**
 * Seen with DATA_DIR read-only for 4 s under load: the gateway went on answering 2xx (no request
 * went unanswered, so settlements were accepted that no disk held), and once DATA_DIR was writable
 * again the embedded store stayed broken: every submitter cycle failed with `could not create file
 * "base/5/<relfilenode>_fsm": File exists` (PGlite's files half created while read-only), so the
 * settlements accepted before and during the fault stayed "submitted" for good.
 */
const KNOWN_BUG: string | undefined =
  "with DATA_DIR read-only the embedded store still accepts settlements, and afterwards every submitter cycle fails (PGlite: could not create file ..._fsm: File exists)";

describe("DATA_DIR read-only mid-load (embedded chain and store)", function () {
  this.timeout(300_000);
  const dataDir = tempDir("chaos-ro");
  const readOnly = new ReadOnlySwitch(dataDir);
  let gateway: GatewayProcess;
  let demo: Demo;
  const started: GatewayProcess[] = [];

  before(async function () {
    this.timeout(180_000);
    if (!(await canMount())) {
      console.warn("      SKIPPED: this machine does not let the test mount (root with CAP_SYS_ADMIN is needed to make DATA_DIR read-only).");
      this.skip();
    }
    pendingUntilFixed(this, KNOWN_BUG);
    gateway = await startGatewayProcess({ dataDir });
    started.push(gateway);
    demo = await setUpDemo(await loginOperators(gateway.url, dataDir), { terminals: 4, cards: 8, tag: "chaos-ro" });
  });

  after(async function () {
    this.timeout(60_000);
    await readOnly.writable().catch(() => undefined);
    await cleanUp(started, []);
    await readOnly.release();
    await cleanUp([], [dataDir]);
  });

  it("answers with errors while DATA_DIR is read-only, and confirms every accepted settlement exactly once after", async () => {
    const run = await loadThroughFault(gateway, demo, "readonly", { inject: () => readOnly.readOnly(), recover: () => readOnly.writable() });
    const { stream, load, duringFault } = run;
    const whileReadOnly = `${duringFault.accepted} accepted, ${duringFault.unanswered} unanswered (last: ${duringFault.lastErrors.join("; ")})`;
    const { confirmed, audit } = await expectConfirmedOnceAndAudited({
      gateway,
      started,
      demo,
      stream,
      planned: run.planned.length,
      runKeys: run.runKeys,
      deploymentFile: path.join(dataDir, "deployment.json"),
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nwhile read-only: ${whileReadOnly}; gateway warnings:\n${gateway.warnings().slice(-8).map((w) => JSON.stringify(w).slice(0, 400)).join("\n")}`);
    });
    console.log(
      `      injected: DATA_DIR read-only for ${FAULT_LOAD.downMs} ms after ${run.acceptedAtFault} accepted; counted while read-only: ${whileReadOnly}; ` +
        `${load.unanswered} re-sent in all; ${stream.accepted.size} accepted, ${confirmed} confirmed on chain once each; auditor: ${audit.discrepancies.length} discrepancies`,
    );
  });
});
