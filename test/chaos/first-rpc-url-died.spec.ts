/**
 * Two RPC URLs for one chain, and the first one dies mid-load: the gateway runs (child process,
 * embedded store) with RPC_URL listing two URLs, and goes on through the second.
 *
 * Why one anvil behind two TCP proxies: two anvil processes are two chains (each mines its own
 * blocks; `anvil --fork-url` of the first copies its state once, then diverges), so a settlement
 * mined on one would be unknown to the other. Real deployments put several RPC nodes in front of
 * one network; here each proxy is one such endpoint of the one chain, and killing proxy 1 (its
 * listener closed, its open connections reset) is the first URL's node dying, while the chain
 * itself goes on as a network's does.
 *
 * While terminals stream signed settlements, with interval mining so that ledger transactions
 * wait in the mempool, proxy 1 is killed once a transaction is pending, and stays dead. The URLs
 * carry credentials, which no log line may show. Afterwards every settlement that got 202 is
 * confirmed on chain exactly once, nothing is duplicated, the auditor (reading anvil directly)
 * reports a clean ledger, /metrics shows the second URL in use, and the failover was logged
 * with the URLs redacted.
 *
 * Run by `npm run test:chaos`.
 */
import { expect } from "chai";
import { setIntervalMining } from "../gateway/helpers/process";
import { TcpProxy } from "../helpers/tcp-proxy";
import { externalNodeSuite } from "./helpers/external-node-gateway";
import { expectConfirmedOnceAndAudited, FAULT_LOAD, loadThroughFault } from "./helpers/load";
/** Credentials in both URLs: the gateway must never print them. */
const CREDENTIALS = "operator:rpc-s3cret@";

/** One metric's value in /metrics' text. */
async function metric(gatewayUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.split(" ")[1]);
}

describe("first of two RPC URLs dies mid-load (RPC_URL=url1,url2, one chain, embedded store)", function () {
  this.timeout(300_000);
  const proxies: TcpProxy[] = [];
  const suite = externalNodeSuite({
    tag: "chaos-rpcs",
    rpcUrl: async (node) => {
      for (let i = 0; i < 2; i++) proxies.push(await TcpProxy.start({ host: "127.0.0.1", port: node.port }));
      return proxies.map((p) => p.url(CREDENTIALS)).join(",");
    },
  });

  // Runs after the suite's clean-up (registered first): the gateway is stopped by then.
  after(async () => {
    for (const p of proxies) await p.kill();
  });

  it("confirms every accepted settlement exactly once through the second URL, and the auditor finds a clean ledger", async () => {
    const { node, gateway, demo, started, deploymentFile } = suite;
    const [first, second] = proxies;
    expect(gateway.rpcEndpoint, "the chain line of the banner").to.equal(proxies.map((p) => p.url()).join(","));
    expect(await metric(gateway.url, "rpc_endpoint_in_use"), "URL in use before the fault").to.equal(1);
    await setIntervalMining(node.url, 1);
    let kill = { reset: 0, pending: 0, secondConnectionsBefore: 0 };
    const run = await loadThroughFault(gateway, demo, "rpcs", {
      inject: async () => {
        const pending = await node.untilTransactionPending();
        const secondConnectionsBefore = second.accepted;
        kill = { ...(await first.kill()), pending, secondConnectionsBefore };
      },
      // The first URL stays dead: the gateway must go on without it.
      recover: async () => undefined,
    });
    expect(run.duringFault.accepted, "settlements accepted after the first URL died").to.be.at.least(1);

    const { stream, load } = run;
    // Counted on the chain itself, not through the gateway's URLs.
    const direct = { ...gateway, rpcEndpoint: node.url };
    const { confirmed, audit } = await expectConfirmedOnceAndAudited({ gateway: direct, started, demo, stream, planned: run.planned.length, runKeys: run.runKeys, deploymentFile });

    const inUse = await metric(gateway.url, "rpc_endpoint_in_use");
    const failovers = await metric(gateway.url, "rpc_failovers_total");
    expect(inUse, "URL in use after the fault").to.equal(2);
    expect(failovers, "failovers").to.equal(1);
    const logged = gateway.warnings().filter((w) => w.msg === "RPC_URL: a node did not answer; failing over to the next URL");
    expect(logged.map((w) => ({ from: w.from, to: w.to }))).to.deep.equal([{ from: first.url(), to: second.url() }]);
    expect(gateway.output(), "the gateway's output").not.to.contain("rpc-s3cret");
    console.log(
      `      injected: RPC URL 1 of 2 killed (listener closed, ${kill.reset} open connections reset) with ${kill.pending} ledger transactions pending, ` +
        `after ${run.acceptedAtFault} accepted; it stayed dead. counted: ${run.duringFault.accepted} accepted in the ${FAULT_LOAD.downMs} ms after, ` +
        `${failovers} failover (${String(logged[0]?.reason)}), URL ${inUse} in use, ${second.accepted - kill.secondConnectionsBefore} connections to URL 2 after the kill, ` +
        `${load.unanswered} requests unanswered and re-sent, ${stream.duplicates} answered as duplicates; ${stream.accepted.size} accepted, ${confirmed} confirmed on chain once each; ` +
        `auditor: ${audit.counts.settlements} settlements, ${audit.discrepancies.length} discrepancies`,
    );
  });
});
