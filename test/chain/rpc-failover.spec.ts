/**
 * RPC_URL listing several URLs of one chain: the provider and the raw client post through one
 * transport that leaves a URL whose node does not answer for the next, and never fails over on
 * an answer (a JSON-RPC error is the chain's word). One anvil stands behind two TCP proxies, two
 * endpoints of one chain: killing a proxy is that endpoint's node dying. A second anvil, of
 * another chain ID, is what a misconfigured list would reach.
 */
import { expect } from "chai";
import fs from "node:fs";
import { startLocalNode, type LocalNode } from "../../src/chain/node";
import { JsonRpc, JsonRpcError } from "../../src/chain/json-rpc";
import { connectProvider, rawEndpointOf } from "../../src/chain/rpc-endpoint";
import { FailoverHttpTransport, type Failover } from "../../src/chain/rpc-transport";
import { tempDir } from "../gateway/helpers/process";
import { TcpProxy } from "../helpers/tcp-proxy";

const quiet = { info: () => undefined, warn: () => undefined };

describe("RPC failover between the URLs of one chain", function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  const proxies: TcpProxy[] = [];
  let node: LocalNode;
  let otherChain: LocalNode;

  /** A new endpoint of the test's node. */
  const endpoint = async () => {
    const proxy = await TcpProxy.start({ host: "127.0.0.1", port: Number(new URL(node.httpUrl!).port) });
    proxies.push(proxy);
    return proxy;
  };
  const start = async (chainId: number) => {
    const dataDir = tempDir("rpc-failover");
    dirs.push(dataDir);
    return startLocalNode({ dataDir, isolation: "none", chainId, log: quiet });
  };

  before(async () => {
    [node, otherChain] = await Promise.all([start(31_337), start(31_338)]);
  });

  after(async () => {
    for (const p of proxies) await p.kill();
    await Promise.all([node?.stop(), otherChain?.stop()]);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  describe("when the current URL's node stops answering", () => {
    it("moves the provider and the raw client together to the next URL, once, and stays there", async () => {
      const [first, second] = [await endpoint(), await endpoint()];
      const provider = connectProvider(`${first.url()},${second.url()}`, undefined, { staticNetwork: true });
      const transport = provider.transport as FailoverHttpTransport;
      const failovers: Failover[] = [];
      transport.onFailover((f) => failovers.push(f));
      const raw = new JsonRpc(rawEndpointOf(provider));
      try {
        const head = await provider.getBlockNumber();
        expect(transport.current).to.equal(0);
        await first.kill();
        const [viaProvider, viaRaw] = await Promise.all([provider.getBlockNumber(), raw.call<string>("eth_blockNumber", [])]);
        expect(viaProvider).to.equal(head);
        expect(Number(viaRaw)).to.equal(head);
        expect(transport.current).to.equal(1);
        expect(failovers.map(({ from, to }) => ({ from, to }))).to.deep.equal([{ from: 0, to: 1 }]);
        expect(["ECONNREFUSED", "ECONNRESET"]).to.include(failovers[0].reason);
        const acceptedBefore = first.accepted;
        await raw.call("eth_chainId", []);
        expect(first.accepted, "connections to the dead URL after the failover").to.equal(acceptedBefore);
      } finally {
        raw.close();
        provider.destroy();
      }
    });

    it("fails with the last URL's error when no URL answers", async () => {
      const [first, second] = [await endpoint(), await endpoint()];
      await Promise.all([first.kill(), second.kill()]);
      const raw = new JsonRpc(`${first.url()},${second.url()}`);
      const err = await raw.call("eth_blockNumber", []).then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e,
      );
      expect(err?.code).to.equal("ECONNREFUSED");
    });
  });

  describe("when the node answers with a JSON-RPC error", () => {
    it("takes the answer and stays on the current URL", async () => {
      const [first, second] = [await endpoint(), await endpoint()];
      const raw = new JsonRpc(`${first.url()},${second.url()}`);
      const err = await raw.call("credence_noSuchMethod", []).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(JsonRpcError);
      expect(second.accepted, "connections to the second URL").to.equal(0);
    });
  });

  describe("at start (checkChain)", () => {
    it("returns the chain ID every URL reports", async () => {
      const [first, second] = [await endpoint(), await endpoint()];
      expect(await new FailoverHttpTransport([first.url(), second.url()]).checkChain()).to.deep.equal({ chainId: 31_337n, unanswered: [] });
    });

    it("refuses URLs of two chains, naming the one that differs without its credentials", async () => {
      const first = await endpoint();
      const other = `http://operator:s3cret@127.0.0.1:${new URL(otherChain.httpUrl!).port}/?key=s3cret`;
      const err = await new FailoverHttpTransport([first.url(), other]).checkChain().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.equal(
        `RPC_URL http://127.0.0.1:${new URL(otherChain.httpUrl!).port} is chain 31338, ${first.url()} is chain 31337: every URL must reach one chain`,
      );
    });

    it("starts on the second URL while the first is down, sending the first nothing", async () => {
      const [dead, second] = [await endpoint(), await endpoint()];
      await dead.kill();
      const transport = new FailoverHttpTransport([dead.url("operator:s3cret@"), second.url()]);
      expect(await transport.checkChain()).to.deep.equal({ chainId: 31_337n, unanswered: [0] });
      expect(transport.current, "requests go to the URL that answered").to.equal(1);
      const raw = new JsonRpc(transport);
      expect(BigInt(await raw.call<string>("eth_chainId", []))).to.equal(31_337n);
      expect(dead.accepted, "nothing sent to the dead URL after the check").to.equal(0);
    });

    it("never sends a request to a URL found on another chain when failing over to it", async () => {
      const first = await endpoint();
      // The second URL's node is down at start (nothing listens behind it); later another chain answers there.
      const closed = await TcpProxy.start({ host: "127.0.0.1", port: 1 });
      proxies.push(closed);
      const second = await TcpProxy.start({ host: "127.0.0.1", port: closed.port });
      proxies.push(second);
      await closed.kill();
      const transport = new FailoverHttpTransport([first.url(), second.url()], 2_000);
      expect((await transport.checkChain()).unanswered).to.deep.equal([1]);
      second.retarget({ host: "127.0.0.1", port: Number(new URL(otherChain.httpUrl!).port) });
      const seen = second.accepted;
      await first.kill();
      const err = await new JsonRpc(transport).call<string>("eth_blockNumber", []).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message, "the only live URL is another chain's").to.match(/reaches another chain/);
      expect(second.accepted - seen, "one connection: the chain ID asked, no request sent").to.equal(1);
    });

    it("refuses a list where no URL answers, naming them without credentials", async () => {
      const dead = await endpoint();
      await dead.kill();
      const err = await new FailoverHttpTransport([dead.url("operator:s3cret@")]).checkChain().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).to.equal(`no URL of RPC_URL answers eth_chainId (${dead.url()})`);
    });
  });
});
