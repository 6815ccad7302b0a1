/**
 * The embedded default's local node: anvil as a child process, isolated in a network namespace
 * and answering JSON-RPC on its IPC socket, that keeps its chain across a stop/start cycle,
 * refuses a corrupt state, and funds operator keys from the dev account.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { HDNodeWallet, Wallet, parseEther } from "ethers";
import {
  DEV_MNEMONIC,
  EXIT_STATE_FILE,
  LocalNodeIsolationUnavailable,
  SOCKET_FILE,
  STATE_FILE,
  UNLOADABLE_DIR,
  fundFromDevAccount,
  keptStateFiles,
  savedStates,
  startLocalNode,
  type LocalNode,
} from "../../src/chain/node";
import { connectProvider } from "../../src/chain/rpc-endpoint";
import { rpc } from "./helpers/process";

const entries: { level: string; msg: string; obj: object }[] = [];
const log = {
  info: (obj: object, msg: string) => entries.push({ level: "info", msg, obj }),
  warn: (obj: object, msg: string) => entries.push({ level: "warn", msg, obj }),
};

/** The newest block a state file holds (small test states only: read whole). */
function bestBlock(stateFile: string): number {
  return Number((JSON.parse(fs.readFileSync(stateFile, "utf8")) as { best_block_number: number | string }).best_block_number);
}

/** Sends 1 wei from the first dev account with `nonce` and waits for it; returns that account. */
async function sendFromDev(ipcPath: string, nonce: number): Promise<string> {
  const provider = connectProvider(ipcPath, undefined, { staticNetwork: true });
  try {
    const dev = HDNodeWallet.fromPhrase(DEV_MNEMONIC).connect(provider);
    await (await dev.sendTransaction({ to: Wallet.createRandom().address, value: 1n, nonce })).wait();
    return dev.address;
  } finally {
    provider.destroy();
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("local node", function () {
  this.timeout(60_000);
  let dataDir: string;
  let node: LocalNode | undefined;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-node-"));
  });
  afterEach(async () => {
    await node?.stop();
    node = undefined;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe("startLocalNode", () => {
    it("starts anvil answering eth_chainId 31337 on its IPC socket, in a directory only its user may enter", async () => {
      node = await startLocalNode({ dataDir, log });
      expect(node.ipcPath).to.equal(path.join(dataDir, "chain", SOCKET_FILE));
      expect(node.httpUrl, "no HTTP URL outside the namespace").to.equal(undefined);
      expect(fs.statSync(path.dirname(node.ipcPath)).mode & 0o777).to.equal(0o700);
      expect(node.chainId).to.equal(31337);
      expect(await rpc(node.ipcPath, "eth_chainId")).to.equal("0x7a69");
      expect(node.stateFile).to.equal(path.join(dataDir, "chain", "state.json"));
    });

    it("keeps balances, nonces and receipts across stop and start", async () => {
      node = await startLocalNode({ dataDir, log });
      let provider = connectProvider(node.ipcPath, undefined, { staticNetwork: true });
      const dev = HDNodeWallet.fromPhrase(DEV_MNEMONIC).connect(provider);
      const recipient = Wallet.createRandom().address;
      const receipt = await (await dev.sendTransaction({ to: recipient, value: 12345n })).wait();
      provider.destroy();
      await node.stop();
      expect(fs.existsSync(node.stateFile)).to.equal(true);

      node = await startLocalNode({ dataDir, log });
      provider = connectProvider(node.ipcPath, undefined, { staticNetwork: true });
      try {
        expect(await provider.getTransactionCount(dev.address, "latest")).to.equal(1);
        expect(await provider.getBalance(recipient)).to.equal(12345n);
        expect(await provider.getBlockNumber()).to.be.at.least(receipt!.blockNumber);
        expect((await provider.getTransactionReceipt(receipt!.hash))?.status).to.equal(1);
      } finally {
        provider.destroy();
      }
    });

    it("keeps what dumpState wrote when the node is killed without a clean stop", async () => {
      node = await startLocalNode({ dataDir, log });
      const pid = Number(fs.readFileSync(path.join(dataDir, "chain", "anvil.pid"), "utf8"));
      const provider = connectProvider(node.ipcPath, undefined, { staticNetwork: true });
      const dev = HDNodeWallet.fromPhrase(DEV_MNEMONIC).connect(provider);
      await (await dev.sendTransaction({ to: Wallet.createRandom().address, value: 1n, nonce: 0 })).wait();
      await node.dumpState();
      await (await dev.sendTransaction({ to: Wallet.createRandom().address, value: 1n, nonce: 1 })).wait(); // after the dump: lost
      provider.destroy();
      process.kill(pid, "SIGKILL"); // anvil itself dies: only the dump survives
      await node.stop();
      expect(fs.existsSync(`${node.stateFile}.tmp`)).to.equal(false);
      node = await startLocalNode({ dataDir, log });
      expect(await rpc(node.ipcPath, "eth_getTransactionCount", [dev.address, "latest"])).to.equal("0x1");
    });

    it("never signals a process that is not anvil, though a stale pid file names it", async () => {
      const bystander = spawn("sleep", ["30"], { stdio: "ignore" });
      try {
        fs.mkdirSync(path.join(dataDir, "chain"), { recursive: true });
        fs.writeFileSync(path.join(dataDir, "chain", "anvil.pid"), `${bystander.pid}\n`);
        const started = Date.now();
        node = await startLocalNode({ dataDir, log });
        expect(Date.now() - started, "no wait for a process that is not the previous node").to.be.lessThan(10_000);
        expect(isRunning(bystander.pid!)).to.equal(true);
      } finally {
        bystander.kill("SIGKILL");
      }
    });

    it("starts over the socket a killed node left behind", async () => {
      node = await startLocalNode({ dataDir, log });
      const pid = Number(fs.readFileSync(path.join(dataDir, "chain", "anvil.pid"), "utf8"));
      const { ipcPath } = node;
      process.kill(pid, "SIGKILL");
      while (isRunning(pid)) await new Promise((r) => setTimeout(r, 20));
      expect(fs.lstatSync(ipcPath).isSocket(), "the dead node's socket is still there").to.equal(true);

      node = await startLocalNode({ dataDir, log });
      expect(await rpc(node.ipcPath, "eth_chainId")).to.equal("0x7a69");
    });

    it("refuses to start while a live process serves its socket", async () => {
      const chainDir = path.join(dataDir, "chain");
      fs.mkdirSync(chainDir, { mode: 0o700 });
      const squatter = net.createServer((socket) => socket.end());
      await new Promise<void>((resolve) => squatter.listen(path.join(chainDir, SOCKET_FILE), resolve));
      try {
        let error: unknown;
        await startLocalNode({ dataDir, log }).catch((e) => (error = e));
        expect(String(error)).to.match(/a process still serves .*anvil\.ipc/);
        expect(fs.lstatSync(path.join(chainDir, SOCKET_FILE)).isSocket(), "the live socket is left alone").to.equal(true);
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
    });

    it("refuses to start, naming the cause and the remedy, when the node cannot be isolated", async () => {
      for (const [unsharePath, cause] of [
        ["/nonexistent/unshare", /\/nonexistent\/unshare was not found/],
        ["/bin/false", /\/bin\/false --user --map-root-user --net failed/],
      ] as const) {
        let error: unknown;
        await startLocalNode({ dataDir, log, unsharePath }).catch((e) => (error = e));
        expect(error).to.be.instanceOf(LocalNodeIsolationUnavailable);
        expect(String(error)).to.match(cause);
        expect(String(error)).to.match(/allow unprivileged user namespaces/).and.match(/LOCAL_NODE_ISOLATION=none/);
      }
      expect(fs.existsSync(path.join(dataDir, "chain", "anvil.pid")), "no node was started").to.equal(false);
    });

    it("with isolation none, warns and also serves JSON-RPC over HTTP on loopback", async () => {
      node = await startLocalNode({ dataDir, log, isolation: "none" });
      expect(entries.some((e) => e.level === "warn" && /not isolated/.test(e.msg))).to.equal(true);
      expect(node.httpUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await rpc(node.httpUrl!, "eth_chainId")).to.equal("0x7a69");
      expect(await rpc(node.ipcPath, "eth_chainId")).to.equal("0x7a69");
    });

    it("stop() ends the child process and is safe to call twice", async () => {
      node = await startLocalNode({ dataDir, log });
      const started = entries.filter((e) => e.msg === "local node started").at(-1)!.obj as { pid: number };
      expect(isRunning(started.pid)).to.equal(true);
      await node.stop();
      await node.stop();
      expect(isRunning(started.pid)).to.equal(false);
    });

    it("keeps the chain id of an existing chain and refuses a different one", async () => {
      node = await startLocalNode({ dataDir, log, chainId: 1337 });
      expect(await rpc(node.ipcPath, "eth_chainId")).to.equal("0x539");
      await node.stop();
      node = await startLocalNode({ dataDir, log });
      expect(node.chainId).to.equal(1337);
      await node.stop();
      node = undefined;
      let error: unknown;
      await startLocalNode({ dataDir, log, chainId: 31337 }).catch((e) => (error = e));
      expect(String(error)).to.match(/has chain id 1337, not 31337/);
    });

    it("keeps the last three states, the newest in state.json, each one whole", async () => {
      node = await startLocalNode({ dataDir, log });
      const chainDir = path.join(dataDir, "chain");
      const kept = keptStateFiles(chainDir);
      const provider = connectProvider(node.ipcPath, undefined, { staticNetwork: true });
      const dev = HDNodeWallet.fromPhrase(DEV_MNEMONIC).connect(provider);
      try {
        for (let i = 0; i < 4; i++) {
          await (await dev.sendTransaction({ to: Wallet.createRandom().address, value: 1n, nonce: i })).wait();
          await node.dumpState();
        }
      } finally {
        provider.destroy();
      }
      // state.json after 4 transactions, state.1.json after 3, state.2.json after 2; no leftovers.
      expect(kept.map(bestBlock)).to.deep.equal([4, 3, 2]);
      expect(fs.readdirSync(chainDir).filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
      expect(fs.statSync(kept[0]).mode & 0o777).to.equal(0o600);
    });

    it("resumes from the newest whole state when state.json is torn, moving the torn one aside", async () => {
      node = await startLocalNode({ dataDir, log });
      const dev = await sendFromDev(node.ipcPath, 0);
      await node.dumpState(); // state.json: 1 transaction
      await sendFromDev(node.ipcPath, 1);
      await node.stop(); // final state: 2 transactions; state.1.json: 1
      node = undefined;
      const stateFile = path.join(dataDir, "chain", "state.json");
      const torn = fs.readFileSync(stateFile).subarray(0, 1000);
      fs.writeFileSync(stateFile, torn);
      entries.length = 0;

      node = await startLocalNode({ dataDir, log });
      expect(node.loadedFrom).to.equal(path.join(dataDir, "chain", "state.1.json"));
      expect(await rpc(node.ipcPath, "eth_getTransactionCount", [dev, "latest"])).to.equal("0x1");
      const aside = fs.readdirSync(path.join(dataDir, "chain", UNLOADABLE_DIR));
      expect(aside).to.have.length(1);
      expect(fs.readFileSync(path.join(dataDir, "chain", UNLOADABLE_DIR, aside[0])).equals(torn), "the torn file is kept, not deleted").to.equal(true);
      const warning = entries.find((e) => e.level === "warn" && /resumed from/.test(e.msg));
      expect(warning?.msg).to.match(/re-sends its own transactions/).and.not.to.match(/remove|delete/i);
    });

    it("loads anvil's own exit dump when it is newer than state.json, and falls back when it is torn", async () => {
      node = await startLocalNode({ dataDir, log });
      const chainDir = path.join(dataDir, "chain");
      const exitState = path.join(chainDir, EXIT_STATE_FILE);
      const dev = await sendFromDev(node.ipcPath, 0);
      await node.dumpState(); // state.json: 1 transaction
      await sendFromDev(node.ipcPath, 1);
      // As when the gateway dies: anvil gets SIGTERM and writes its own dump, 2 transactions.
      const anvil = Number(fs.readFileSync(path.join(chainDir, "anvil.pid"), "utf8"));
      process.kill(anvil, "SIGTERM");
      for (const until = Date.now() + 10_000; isRunning(anvil) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
      await node.stop(); // anvil is gone: no final dump of the gateway's
      node = undefined;
      expect(bestBlock(exitState)).to.equal(2);
      expect(bestBlock(path.join(chainDir, STATE_FILE))).to.equal(1);
      expect(savedStates(chainDir)[0]).to.equal(exitState);

      node = await startLocalNode({ dataDir, log });
      expect(node.loadedFrom).to.equal(exitState);
      expect(await rpc(node.ipcPath, "eth_getTransactionCount", [dev, "latest"])).to.equal("0x2");
      expect(fs.existsSync(exitState), "the exit dump became state.json").to.equal(false);
      expect(bestBlock(path.join(chainDir, STATE_FILE))).to.equal(2);
      expect(bestBlock(path.join(chainDir, "state.1.json"))).to.equal(1);
      await node.stop();
      node = undefined;

      fs.writeFileSync(exitState, "{\"block\":"); // torn mid-dump
      const later = Date.now() / 1000 + 5;
      fs.utimesSync(exitState, later, later);
      expect(savedStates(chainDir)[0]).to.equal(exitState);
      node = await startLocalNode({ dataDir, log });
      expect(node.loadedFrom).to.equal(path.join(chainDir, STATE_FILE));
      expect(await rpc(node.ipcPath, "eth_getTransactionCount", [dev, "latest"])).to.equal("0x2");
      expect(fs.readdirSync(path.join(chainDir, UNLOADABLE_DIR)).some((f) => f.startsWith(EXIT_STATE_FILE))).to.equal(true);
    });

    it("removes an exit dump older than state.json, and the state.json.bak of earlier versions, once a newer state runs", async () => {
      node = await startLocalNode({ dataDir, log });
      await node.stop();
      node = undefined;
      const chainDir = path.join(dataDir, "chain");
      const stateFile = path.join(chainDir, STATE_FILE);
      for (const name of [EXIT_STATE_FILE, `${STATE_FILE}.bak`]) {
        fs.copyFileSync(stateFile, path.join(chainDir, name));
        const earlier = fs.statSync(stateFile).mtimeMs / 1000 - 60;
        fs.utimesSync(path.join(chainDir, name), earlier, earlier);
      }
      node = await startLocalNode({ dataDir, log });
      expect(node.loadedFrom).to.equal(stateFile);
      expect(fs.existsSync(path.join(chainDir, EXIT_STATE_FILE))).to.equal(false);
      expect(fs.existsSync(path.join(chainDir, `${STATE_FILE}.bak`))).to.equal(false);
    });

    it("refuses to start a new chain over saved states it cannot load, and deletes none of them", async () => {
      node = await startLocalNode({ dataDir, log });
      await node.stop();
      node = undefined;
      const stateFile = path.join(dataDir, "chain", "state.json");
      fs.writeFileSync(stateFile, "{\"block\":");
      let error: unknown;
      await startLocalNode({ dataDir, log }).catch((e) => (error = e));
      expect(String(error)).to.match(/no saved state .* could be loaded/).and.to.match(/Nothing was deleted/).and.not.to.match(/remove/);
      expect(fs.readdirSync(path.join(dataDir, "chain", UNLOADABLE_DIR))).to.have.length(1);
    });

    it("restarts on a state file over 512 MB, which a JavaScript string cannot hold", async function () {
      this.timeout(180_000);
      node = await startLocalNode({ dataDir, log });
      const dev = await sendFromDev(node.ipcPath, 0);
      await node.stop();
      node = undefined;
      // The real state, padded with JSON whitespace past the size of Node's longest string.
      const stateFile = path.join(dataDir, "chain", STATE_FILE);
      const state = fs.readFileSync(stateFile, "utf8");
      const padded = fs.openSync(`${stateFile}.padded`, "w", 0o600);
      const blank = Buffer.alloc(16 << 20, " ");
      fs.writeSync(padded, state.slice(0, -1));
      for (let written = 0; written < 540 << 20; written += blank.length) fs.writeSync(padded, blank);
      fs.writeSync(padded, state.slice(-1));
      fs.closeSync(padded);
      fs.renameSync(`${stateFile}.padded`, stateFile);
      expect(fs.statSync(stateFile).size).to.be.greaterThan(0x1fffffe8);
      expect(() => fs.readFileSync(stateFile, "utf8"), "too large for one string").to.throw();

      node = await startLocalNode({ dataDir, log });
      expect(node.loadedFrom).to.equal(stateFile);
      expect(await rpc(node.ipcPath, "eth_getTransactionCount", [dev, "latest"])).to.equal("0x1");
      expect(fs.existsSync(path.join(dataDir, "chain", UNLOADABLE_DIR))).to.equal(false);
    });

    it("serves a read-only copy of a running node's chain without writing into its directory", async () => {
      node = await startLocalNode({ dataDir, log });
      const dev = await sendFromDev(node.ipcPath, 0);
      await node.dumpState();
      const chainDir = path.join(dataDir, "chain");
      const listing = () => fs.readdirSync(chainDir).map((f) => `${f}:${fs.statSync(path.join(chainDir, f)).mtimeMs}`).sort();
      const before = listing();
      const reader = await startLocalNode({ dataDir, log, readOnly: true });
      try {
        expect(reader.ipcPath).to.not.equal(node.ipcPath);
        expect(await rpc(reader.ipcPath, "eth_getTransactionCount", [dev, "latest"])).to.equal("0x1");
        await expect(reader.dumpState()).to.be.rejectedWith(/read-only/);
      } finally {
        await reader.stop();
      }
      expect(listing()).to.deep.equal(before);
      expect(await rpc(node.ipcPath, "eth_chainId"), "the gateway's node still runs").to.equal("0x7a69");
    });

    it("fails with a clear error when anvil cannot start", async () => {
      let error: unknown;
      await startLocalNode({ dataDir, log, anvilPath: "/bin/false", startTimeoutMs: 5000 }).catch((e) => (error = e));
      expect(String(error)).to.match(/anvil exited during start/);
    });
  });

  describe("fundFromDevAccount", () => {
    it("tops operator addresses up to the amount, and sends nothing to those already funded", async () => {
      node = await startLocalNode({ dataDir, log });
      const [a, b] = [Wallet.createRandom().address, Wallet.createRandom().address];
      const amount = parseEther("10");
      expect(await fundFromDevAccount(node.ipcPath, [a, b], amount)).to.deep.equal([a, b]);
      const provider = connectProvider(node.ipcPath, undefined, { staticNetwork: true });
      try {
        expect(await provider.getBalance(a)).to.equal(amount);
        expect(await provider.getBalance(b)).to.equal(amount);
        expect(await fundFromDevAccount(node.ipcPath, [a, b], amount)).to.deep.equal([]);
        expect(await provider.getBalance(a)).to.equal(amount);
      } finally {
        provider.destroy();
      }
    });

    it("refuses a node that is not anvil", async () => {
      const http = await import("node:http");
      const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c)).on("end", () => {
          const answer = (r: { id: number }) => ({ jsonrpc: "2.0", id: r.id, result: "Geth/v1.14.0" });
          const parsed = JSON.parse(body);
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)));
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const { port } = server.address() as { port: number };
      let error: unknown;
      try {
        await fundFromDevAccount(`http://127.0.0.1:${port}`, [Wallet.createRandom().address], 1n).catch((e) => (error = e));
      } finally {
        server.close();
      }
      expect(String(error)).to.match(/non-anvil node/);
    });
  });
});
