/**
 * Crash recovery of the embedded default, end to end: the gateway runs as a child process on a
 * temporary DATA_DIR (its own anvil, its own PGlite store) and is killed with SIGKILL while
 * terminals stream signed settlements at it and a ledger transaction is in flight (anvil mines
 * one block a second, as a real network would, so a batch waits broadcast but unmined). After a
 * restart on the same DATA_DIR, every settlement the gateway ACCEPTED (answered 2xx) must be
 * recorded on the chain exactly once: one PointsEarned per (terminal, nonce), none missing, none
 * duplicated, and the ledger's totals agree with its events. The same holds across three kills
 * in one run, and when anvil dies with the gateway and the chain loses its newest blocks.
 * A clean stop (SIGTERM) keeps cards, agreements and points.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import {
  anvilPid,
  blockNumber,
  cleanUp,
  inspectStore,
  expectAllConfirmed,
  finishExactlyOnce,
  isAlive,
  loginOperators,
  pendingTransactions,
  planSettlements,
  readLedger,
  setIntervalMining,
  stopMining,
  setUpDemo,
  startGatewayProcess,
  SettlementStream,
  submit,
  tempDir,
  terminalClients,
  waitForExit,
  type Demo,
  type GatewayProcess,
  type Operators,
  type PlannedSettlement,
} from "../gateway/helpers/process";

const CONCURRENCY = 32;

/** best_block_number of anvil's state file, if it was rewritten after `since` (mtime, ms) and is complete. */
function dumpedBlock(stateFile: string, since: number): number | undefined {
  try {
    if (fs.statSync(stateFile).mtimeMs <= since) return undefined;
    return (JSON.parse(fs.readFileSync(stateFile, "utf8")) as { best_block_number: number }).best_block_number;
  } catch {
    return undefined; // being written
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(5);
  }
}

describe("gateway crash recovery (child process, embedded chain and store)", function () {
  this.timeout(300_000);
  let dataDir: string;
  let gateway: GatewayProcess;
  let operators: Operators;
  let demo: Demo;
  const started: GatewayProcess[] = [];
  const deploymentFile = () => path.join(dataDir, "deployment.json");

  const start = async () => {
    gateway = await startGatewayProcess({ dataDir });
    started.push(gateway);
    operators = await loginOperators(gateway.url, dataDir); // a restart listens on a new port
    return gateway;
  };

  /** kill -9 the gateway; returns the pid of the anvil it ran, which must then shut down by itself. */
  const killHard = async () => {
    const anvil = anvilPid(dataDir);
    const exit = await gateway.kill("SIGKILL");
    expect(exit.signal).to.equal("SIGKILL");
    return anvil;
  };

  /** Restart on the same DATA_DIR: the new gateway waits for the old anvil's state dump. */
  const restartAfterKill = async (oldAnvil: number | undefined) => {
    await start();
    expect(oldAnvil, "anvil.pid of the killed gateway").to.be.a("number");
    expect(isAlive(oldAnvil!), "the killed gateway's anvil is still running").to.equal(false);
    expect(anvilPid(dataDir)).to.not.equal(oldAnvil);
  };

  before(async function () {
    this.timeout(180_000);
    dataDir = tempDir("crash");
    await start();
    demo = await setUpDemo(operators, { terminals: 4, cards: 8, tag: "crash" });
  });

  after(async function () {
    this.timeout(60_000);
    await cleanUp(started, [dataDir]);
  });

  afterEach(async function () {
    // A failed test may leave the gateway dead: the next one starts from a running gateway.
    if (!gateway.running()) await start();
  });

  interface KillReport {
    accepted: number;
    onChain: number;
    unanswered: number;
    store: Awaited<ReturnType<typeof inspectStore>>;
  }

  /**
   * Streams `stream` at the gateway and kill -9s it once `extra` more settlements are accepted;
   * reports what was accepted by then, what was on chain just before, and what the store held.
   */
  const killDuringStream = async (
    stream: SettlementStream,
    runKeys: Set<string>,
    extra: number,
    whenTxPending = false,
  ): Promise<KillReport> => {
    const target = stream.accepted.size + extra;
    let finished = false;
    const running = stream.run(await terminalClients(gateway.url, demo), CONCURRENCY).finally(() => (finished = true));
    await until(() => stream.accepted.size >= target || finished, 90_000, `${target} accepted settlements`);
    const beforeKill = await readLedger(gateway.rpcEndpoint, deploymentFile());
    if (whenTxPending) {
      // Until a ledger transaction is broadcast and not yet mined.
      const deadline = Date.now() + 15_000;
      while ((await pendingTransactions(gateway.rpcEndpoint)) === 0) {
        if (Date.now() > deadline) throw new Error("no ledger transaction pending within 15 s");
        await delay(10);
      }
    }
    // The dying gateway's anvil dumps its state on SIGTERM: it must not mine meanwhile (see stopMining).
    await stopMining(gateway.rpcEndpoint);
    const endedBeforeKill = finished;
    const oldAnvil = await killHard();
    expect(endedBeforeKill, `the stream ended before the kill: ${stream.errors.slice(-3).join("; ")}`).to.equal(false);
    const { unknown } = await running;
    const accepted = stream.accepted.size; // answers already on their way count too
    const store = await inspectStore(dataDir);
    await restartAfterKill(oldAnvil);
    return { accepted, onChain: beforeKill.earned.filter((e) => runKeys.has(e.key)).length, unanswered: unknown, store };
  };

  /** Sends what is left (unanswered requests first), then checks every accepted settlement against the chain. */
  const finishAndCheck = async (stream: SettlementStream, planned: PlannedSettlement[], runKeys: Set<string>) => {
    const { statuses, chain } = await finishExactlyOnce({ gateway, started, demo, stream, planned: planned.length, runKeys, more: 100, concurrency: CONCURRENCY });
    // The points the gateway reports are the points the ledger recorded.
    const pointsByKey = new Map(chain.earned.map((e) => [e.key, e.points.toString()]));
    for (const [key, a] of stream.accepted) expect(statuses.get(a.id)!.points, key).to.equal(pointsByKey.get(key));
    return chain.earned.filter((e) => runKeys.has(e.key)).length;
  };

  const describeKill = (k: KillReport) =>
    `${k.accepted} accepted (${k.onChain} on chain just before), ${k.unanswered} unanswered, ` +
    `store: submissions ${JSON.stringify(k.store.submissions)} ledger txs ${JSON.stringify(k.store.chainTxs)}`;

  it("confirms every accepted settlement exactly once after a kill -9 in mid-stream", async () => {
    // One block a second, like a real network: ledger transactions are broadcast but not yet
    // mined most of the time, so the kill finds one in flight.
    await setIntervalMining(gateway.rpcEndpoint, 1);
    const planned = planSettlements(demo, 1000, `crash1-${Date.now().toString(36)}`);
    const runKeys = new Set(planned.map((p) => p.key));
    const stream = new SettlementStream(planned);

    const kill = await killDuringStream(stream, runKeys, 160, true);
    // The kill must hit a live pipeline: accepted settlements not yet on chain, and a signed
    // ledger transaction stored and broadcast but not mined.
    expect(kill.onChain, "settlements on chain when the gateway was killed").to.be.lessThan(kill.accepted);
    expect(kill.store.chainTxs.sent, "ledger transactions in flight at the kill").to.be.at.least(1);
    const confirmed = await finishAndCheck(stream, planned, runKeys);
    console.log(
      `      kill -9 x1: ${stream.accepted.size + stream.refused.length} submitted; at the kill ${describeKill(kill)}; ` +
        `${stream.duplicates} re-sends answered as duplicates; ${stream.accepted.size} accepted, ${confirmed} confirmed on chain once each`,
    );
  });

  it("confirms every accepted settlement exactly once across three kills -9 in one run", async () => {
    const planned = planSettlements(demo, 4000, `crash3-${Date.now().toString(36)}`);
    const runKeys = new Set(planned.map((p) => p.key));
    const stream = new SettlementStream(planned);
    // Kill after 100 accepted, then soon after the restart (its recovery and backlog in flight), then later again.
    const kills: KillReport[] = [];
    for (const [extra, whenTxPending] of [[100, true], [20, false], [60, true]] as const) {
      await setIntervalMining(gateway.rpcEndpoint, 1);
      kills.push(await killDuringStream(stream, runKeys, extra, whenTxPending));
    }
    const confirmed = await finishAndCheck(stream, planned, runKeys);
    console.log(
      `      kill -9 x${kills.length}: ${stream.accepted.size + stream.refused.length} submitted; ${kills.map((k, i) => `kill ${i + 1}: ${describeKill(k)}`).join("; ")}; ` +
        `${stream.duplicates} re-sends answered as duplicates; ${stream.accepted.size} accepted, ${confirmed} confirmed on chain once each`,
    );
  });

  it("re-sends what the chain lost when the gateway and its anvil are killed -9 together", async () => {
    // A power cut of the whole process group: anvil dies without its final state dump, so the
    // restarted chain lacks its newest blocks (those after its last periodic dump), some of which
    // the store saw mined. The gateway must put those transactions back on chain, unchanged.
    // Long enough that the chain still grows when the kill comes, on a fast machine too (about
    // half a minute at 1,300/s; only 100 more are sent after the restart).
    const planned = planSettlements(demo, 40_000, `powercut-${Date.now().toString(36)}`);
    const runKeys = new Set(planned.map((p) => p.key));
    const stream = new SettlementStream(planned);
    const running = stream.run(await terminalClients(gateway.url, demo), CONCURRENCY);
    await until(() => stream.accepted.size >= 100, 90_000, "100 accepted settlements");

    // The gateway dumps the local chain every few seconds, between blocks (never during one):
    // wait for a dump, let the chain grow past it, and cut the power before the next one.
    const stateFile = path.join(dataDir, "chain", "state.json");
    // Transactions the store has recorded as mined must be among the lost blocks: wait until
    // three blocks past the dump and a moment more (the submitter records outcomes after the
    // receipt), and start over should a newer dump have been written meanwhile.
    let dumped: number;
    let headAtKill: number;
    for (;;) {
      const since = fs.statSync(stateFile).mtimeMs;
      await until(() => dumpedBlock(stateFile, since) !== undefined, 60_000, "a state dump by the gateway");
      const dumpedAt = fs.statSync(stateFile).mtimeMs;
      dumped = dumpedBlock(stateFile, 0)!;
      const growUntil = Date.now() + 60_000;
      while ((headAtKill = await blockNumber(gateway.rpcEndpoint)) < dumped + 3) {
        if (Date.now() > growUntil || stream.pending === 0) throw new Error(`the chain stopped at block ${headAtKill}, before 3 blocks past the dump (${dumped})`);
        await delay(2);
      }
      await delay(300);
      headAtKill = await blockNumber(gateway.rpcEndpoint);
      if (fs.statSync(stateFile).mtimeMs === dumpedAt) break;
    }
    const anvil = anvilPid(dataDir)!;
    process.kill(anvil, "SIGKILL");
    await killHard();
    await running;
    expect(await waitForExit(anvil, 10_000), "the killed anvil exited").to.equal(true);
    const leftBehind = dumpedBlock(stateFile, 0)!;
    expect(leftBehind, "the state anvil left behind").to.be.lessThan(headAtKill);

    await start();
    // Transactions the store had recorded as mined come back through reconcileMined (it logs
    // them); those still 'sent' through the usual recovery.
    const restored = gateway.warnings().filter((w) => w.msg === "the chain lost mined transactions; re-broadcasting them");
    expect(restored, "the restarted gateway found no lost transaction").to.have.length(1);
    const confirmed = await finishAndCheck(stream, planned, runKeys);
    console.log(
      `      power cut: the chain fell back from block ${headAtKill} to ${leftBehind}; ` +
        `${String(restored[0].restored)} ledger transactions the store had seen mined were re-broadcast; ` +
        `${stream.accepted.size} accepted, ${confirmed} confirmed on chain once each`,
    );
  });

  it("keeps cards, the merchant's agreement and every balance across a clean stop (SIGTERM) and start", async () => {
    // Some activity first, all confirmed.
    const planned = planSettlements(demo, 20, `stop-${Date.now().toString(36)}`);
    const stream = new SettlementStream(planned);
    await stream.run(await terminalClients(gateway.url, demo), 8);
    expect(stream.accepted.size).to.equal(planned.length);
    await expectAllConfirmed(gateway, demo, stream, started);

    const snapshot = async () => ({
      cards: await Promise.all(demo.cards.map((c) => operators.bank.call("GET", `/v1/cards/${c.cardId}`))),
      merchantCard: await operators.bank.call("GET", `/v1/cards/${demo.merchantCardId}`),
      merchant: await operators.bank.call("GET", `/v1/merchants/${demo.merchantId}`),
      ledger: await readLedger(gateway.rpcEndpoint, deploymentFile(), demo.cards.map((c) => c.cardId)),
    });
    const before = await snapshot();
    expect(before.ledger.totals.earned > 0n).to.equal(true);

    const anvil = anvilPid(dataDir);
    const exit = await gateway.kill("SIGTERM");
    expect(exit, "a clean stop exits 0").to.deep.equal({ code: 0, signal: null });
    expect(isAlive(anvil!), "anvil stopped with the gateway").to.equal(false);

    await start();
    const after = await snapshot();
    expect(after.ledger.deployment, "the contracts were not redeployed").to.deep.equal(before.ledger.deployment);
    expect(after.cards).to.deep.equal(before.cards);
    expect(after.merchantCard).to.deep.equal(before.merchantCard);
    expect(after.merchant).to.deep.equal(before.merchant);
    expect(after.ledger.totals).to.deep.equal(before.ledger.totals);
    expect(after.ledger.balances).to.deep.equal(before.ledger.balances);
    expect(after.ledger.earned).to.deep.equal(before.ledger.earned);

    // Terminals, cards and the agreement still work: a new settlement is confirmed.
    const [next] = planSettlements(demo, 1, `after-stop-${Date.now().toString(36)}`);
    const clients = await terminalClients(gateway.url, demo);
    const { id } = await submit(clients, next);
    const status = await clients[next.terminal].waitFor(id, 60_000);
    expect(status.status).to.equal("confirmed");
    const card = await operators.bank.call<{ points: { balance: string } }>("GET", `/v1/cards/${next.card.cardId}`);
    expect(BigInt(card.points.balance)).to.equal(before.ledger.balances.get(next.card.cardId)! + BigInt(status.points!));
  });
});
