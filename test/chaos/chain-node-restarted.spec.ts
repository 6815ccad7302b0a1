/**
 * The chain node stopped mid-load and started again: the gateway runs (child process, embedded
 * store) with RPC_URL pointing at an anvil the test runs itself, standing in for an external
 * node. While terminals stream signed settlements, the node stops mining and is stopped with
 * SIGTERM, writing its state (--dump-state; its mempool, transactions broadcast but not yet
 * mined, is lost), stays down a few seconds, and starts again on the same port from that state
 * (--load-state). A real restart keeps the chain this way, so no SIGSTOP stands in for it.
 * Afterwards every settlement that got 2xx is confirmed on chain exactly once, nothing is
 * duplicated, and the auditor reports a clean ledger.
 *
 * Run by `npm run test:chaos`.
 */
import { expect } from "chai";
import { blockNumber, setIntervalMining } from "../gateway/helpers/process";
import { externalNodeSuite } from "./helpers/external-node-gateway";
import { expectConfirmedOnceAndAudited, FAULT_LOAD, loadThroughFault } from "./helpers/load";

describe("chain node stopped and restarted mid-load (RPC_URL, embedded store)", function () {
  this.timeout(300_000);
  const suite = externalNodeSuite({ tag: "chaos-node" });

  it("confirms every accepted settlement exactly once, and the auditor finds a clean ledger, after the node is stopped and restarted", async () => {
    const { node, gateway, demo, started, deploymentFile } = suite;
    await setIntervalMining(node.url, 1);
    let stop = { headAtStop: 0, stateBytes: 0, droppedTransactions: 0 };
    const run = await loadThroughFault(gateway, demo, "nodestop", {
      inject: async () => {
        await node.haltWithTransactionPending();
        const headAtStop = await blockNumber(node.url);
        stop = { headAtStop, ...(await node.stop()) };
      },
      recover: async () => {
        await node.start();
        expect(await blockNumber(node.url), "the restarted node's head").to.be.at.least(stop.headAtStop);
      },
    });
    expect(stop.droppedTransactions, "ledger transactions the node dropped from its mempool").to.be.at.least(1);

    const { stream, load } = run;
    const { confirmed, audit } = await expectConfirmedOnceAndAudited({ gateway, started, demo, stream, planned: run.planned.length, runKeys: run.runKeys, deploymentFile });
    console.log(
      `      injected: node stopped (SIGTERM after mining halted, ${stop.stateBytes} bytes of state kept, ${stop.droppedTransactions} ledger transactions dropped from its mempool) ` +
        `after ${run.acceptedAtFault} accepted at block ${stop.headAtStop}, down ${FAULT_LOAD.downMs} ms, restarted from its state; counted: ${run.duringFault.accepted} accepted while it was down, ` +
        `${load.unanswered} requests unanswered and re-sent, ${stream.duplicates} answered as duplicates; ${stream.accepted.size} accepted, ${confirmed} confirmed on chain once each; ` +
        `auditor: ${audit.counts.settlements} settlements, ${audit.discrepancies.length} discrepancies`,
    );
  });
});
