/**
 * Load that outlives a fault: terminals keep submitting a SettlementStream while a component is
 * down, and whatever went unanswered (a 5xx, a dropped connection) is re-sent, unchanged, until
 * every settlement has a final answer. Then the checks every fault test ends with: each accepted
 * settlement confirmed, on chain exactly once, and the auditor finds a clean ledger.
 */
import { expect } from "chai";
import { readDeployment } from "../../../src/chain/deployment";
import { connectProvider } from "../../../src/chain/rpc-endpoint";
import { runAudit } from "../../../src/audit/auditor";
import type { AuditReport } from "../../../src/audit/report";
import type { SlipSource } from "../../../src/audit/slips";
import {
  expectAllConfirmed,
  planSettlements,
  expectExactlyOnce,
  readLedger,
  terminalClients,
  type Demo,
  type GatewayProcess,
  SettlementStream,
} from "../../gateway/helpers/process";

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The load every fault test runs: terminals at once, settlements planned, accepted before the fault, time down. */
export const FAULT_LOAD = { concurrency: 16, settlements: 1500, acceptedBeforeFault: 200, downMs: 4_000 } as const;

/** Waits until `stream` has `count` accepted settlements. */
export async function untilAccepted(stream: SettlementStream, count: number): Promise<void> {
  while (stream.accepted.size < count) {
    if (stream.pending === 0) throw new Error(`the stream ran dry before ${count} settlements were accepted`);
    await delay(5);
  }
}

export interface Load {
  /** Rounds of sending so far: each re-sends what the previous one left unanswered. */
  rounds: number;
  /** Requests left unanswered (a 5xx, a dropped connection) and re-sent, so far. */
  unanswered: number;
  /** Resolves once every settlement of the stream got an answer other than 5xx. */
  done: Promise<void>;
}

/** Submits until every settlement of `stream` got an answer other than 5xx, re-sending the unanswered ones. */
export function submitUntilAnswered(gateway: GatewayProcess, demo: Demo, stream: SettlementStream, concurrency: number, timeoutMs: number): Load {
  const deadline = Date.now() + timeoutMs;
  const load: Load = { rounds: 0, unanswered: 0, done: Promise.resolve() };
  load.done = (async () => {
    while (stream.pending > 0) {
      if (!gateway.running()) throw new Error(`the gateway exited (${gateway.child.exitCode ?? gateway.child.signalCode}) with ${stream.pending} settlements unanswered:\n${gateway.output()}`);
      if (Date.now() > deadline) throw new Error(`${stream.pending} settlements without an answer after ${timeoutMs} ms; last errors: ${stream.errors.slice(-3).join("; ")}`);
      load.rounds++;
      try {
        load.unanswered += (await stream.run(await terminalClients(gateway.url, demo), concurrency)).unknown;
      } catch (err) {
        stream.errors.push(`connect: ${(err as Error).message}`);
      }
      if (stream.pending > 0) await delay(200);
    }
  })();
  return load;
}

/**
 * Streams a new run of settlements at `gateway`; once `FAULT_LOAD.acceptedBeforeFault` are
 * accepted, calls `inject`, waits `FAULT_LOAD.downMs`, calls `recover`, and waits until every
 * settlement has an answer (the unanswered ones re-sent). The gateway must outlive the fault.
 */
export async function loadThroughFault(gateway: GatewayProcess, demo: Demo, tag: string, fault: { inject(): Promise<void>; recover(): Promise<void> }) {
  const planned = planSettlements(demo, FAULT_LOAD.settlements, `${tag}-${Date.now().toString(36)}`);
  const runKeys = new Set(planned.map((p) => p.key));
  const stream = new SettlementStream(planned);
  const load = submitUntilAnswered(gateway, demo, stream, FAULT_LOAD.concurrency, 240_000);
  await untilAccepted(stream, FAULT_LOAD.acceptedBeforeFault);
  const acceptedAtFault = stream.accepted.size;
  await fault.inject();
  await delay(FAULT_LOAD.downMs);
  const duringFault = { accepted: stream.accepted.size - acceptedAtFault, unanswered: load.unanswered, lastErrors: stream.errors.slice(-3) };
  await fault.recover();
  await load.done;
  expect(gateway.running(), `the gateway exited:\n${gateway.output()}`).to.equal(true);
  return { planned, runKeys, stream, load, acceptedAtFault, duringFault };
}

/** Replays the whole ledger with the auditor (and the slips when given); returns its report. */
export async function auditLedger(rpcEndpoint: string, deploymentFile: string, slips?: SlipSource): Promise<AuditReport> {
  const deployment = readDeployment(deploymentFile);
  if (!deployment) throw new Error(`no deployment record at ${deploymentFile}`);
  const provider = connectProvider(rpcEndpoint, Number(deployment.chainId), { staticNetwork: true, batchMaxCount: 50 });
  try {
    return await runAudit({ provider, rpcUrl: rpcEndpoint, deployment, slips, workers: 0 });
  } finally {
    provider.destroy();
  }
}

/**
 * Every settlement `stream` had accepted is confirmed and on chain exactly once, none refused,
 * and the auditor finds no discrepancy. Returns what it counted, for the test's report line.
 */
export async function expectConfirmedOnceAndAudited(o: {
  gateway: GatewayProcess;
  started: GatewayProcess[];
  demo: Demo;
  stream: SettlementStream;
  planned: number;
  runKeys: Set<string>;
  deploymentFile: string;
  slips?: () => SlipSource;
}): Promise<{ confirmed: number; audit: AuditReport }> {
  const { gateway, stream } = o;
  expect(stream.refused.map((r) => r.error.message), "settlements refused").to.deep.equal([]);
  expect(stream.accepted.size, "settlements accepted").to.equal(o.planned);
  await expectAllConfirmed(gateway, o.demo, stream, o.started);
  const chain = await readLedger(gateway.rpcEndpoint, o.deploymentFile);
  expectExactlyOnce(stream, chain, o.runKeys);
  const audit = await auditLedger(gateway.rpcEndpoint, o.deploymentFile, o.slips?.());
  expect(audit.discrepancies, "the auditor's findings").to.deep.equal([]);
  expect(audit.discrepanciesOmitted).to.equal(0);
  return { confirmed: chain.earned.filter((e) => o.runKeys.has(e.key)).length, audit };
}
