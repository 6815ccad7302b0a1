/**
 * An anvil the test runs itself, standing in for the external node of RPC_URL: on a fixed port
 * of 127.0.0.1 so a restart keeps its URL, with --dump-state so a stop keeps the chain. `stop`
 * halts mining (a block mined during the exit dump would leave accounts ahead of blocks, see
 * stopMining), then sends SIGTERM: anvil writes its state and exits; its mempool is lost. `start`
 * loads that state again (automine on, as at first).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { anvilBinary } from "../../../src/chain/node";
import { pendingTransactions, rpc, stopMining, tempDir } from "../../gateway/helpers/process";
import { freePort } from "./ports";

/** Beyond any test's length: anvil dumps only on exit. */
const NEVER_SECONDS = 10_000_000;

export class RestartableAnvil {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = "";
  readonly dir = tempDir("chaos-anvil");

  private constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private get stateFile(): string {
    return path.join(this.dir, "state.json");
  }

  static async create(): Promise<RestartableAnvil> {
    const node = new RestartableAnvil(await freePort());
    await node.start();
    return node;
  }

  /** Starts anvil, from the saved state if there is one, and waits until it answers. */
  async start(): Promise<void> {
    const args = ["--host", "127.0.0.1", "--port", String(this.port), "--prune-history", "256"];
    args.push("--dump-state", this.stateFile, "--state-interval", String(NEVER_SECONDS));
    if (fs.existsSync(this.stateFile)) args.push("--load-state", this.stateFile);
    const child = spawn(anvilBinary(), args, { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (this.stderr = (this.stderr + c).slice(-4000)));
    const orphanGuard = () => child.kill("SIGKILL");
    process.once("exit", orphanGuard);
    this.exited = new Promise((resolve) =>
      child.once("exit", () => {
        process.removeListener("exit", orphanGuard);
        resolve();
      }),
    );
    this.child = child;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`anvil exited at start (code ${child.exitCode}): ${this.stderr}`);
      try {
        await rpc(this.url, "eth_chainId");
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`anvil did not answer within 30 s: ${this.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /**
   * Halts mining, then waits until a transaction is pending in the mempool (at most 15 s), so
   * that it is still pending when the node stops: with mining on, a block could take it between
   * the check and the stop. Resolves with how many are pending.
   */
  async haltWithTransactionPending(): Promise<number> {
    await stopMining(this.url);
    return this.untilTransactionPending();
  }

  /** Waits until a transaction is pending in the mempool (at most 15 s); resolves with how many are. */
  async untilTransactionPending(): Promise<number> {
    for (const until = Date.now() + 15_000; ; await new Promise((resolve) => setTimeout(resolve, 10))) {
      const pending = await pendingTransactions(this.url);
      if (pending > 0) return pending;
      if (Date.now() > until) throw new Error("no ledger transaction pending within 15 s");
    }
  }

  /**
   * Stops mining, then SIGTERM: anvil writes its state and exits. Resolves with the state's size
   * in bytes and the transactions its mempool dropped (broadcast, never mined).
   */
  async stop(): Promise<{ stateBytes: number; droppedTransactions: number }> {
    await stopMining(this.url);
    const droppedTransactions = await pendingTransactions(this.url);
    this.child?.kill("SIGTERM");
    await this.exited;
    return { stateBytes: fs.statSync(this.stateFile).size, droppedTransactions };
  }

  async destroy(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
