/**
 * The embedded local node's periodic state dumps: when to take one, under the write gate (so a
 * dump never catches a block half-mined), and what the operator is told as the state grows
 * towards the embedded default's ceiling.
 */
import fs from "node:fs";
import type { Gauge, Histogram } from "prom-client";
import type { LocalNode } from "./node";
import type { WriteGate } from "./write-gate";

/** The fewest seconds between two dumps (a small state). */
export const MIN_DUMP_INTERVAL_MS = 5_000;
/** A dump takes at most 1/DUMP_SPACING of the time, and pauses writes at most 1/PAUSE_SPACING of it. */
export const DUMP_SPACING = 20;
export const PAUSE_SPACING = 100;
/**
 * The embedded default's ceiling: the state size (bytes of DATA_DIR/chain/state.json) past which
 * anvil no longer meets the targets of a site (restart to healthy within 60 s, p99 confirmation
 * within 2 s, at most 4 GB of memory). p99 gives way first: dumps pause chain writes 9-16 ms per MB
 * of state. Measured with `npm run bench:embedded-growth`; see the README.
 */
export const EMBEDDED_STATE_CEILING_BYTES = 200_000_000;
/** Shares of the ceiling at which the log warns (once each per start). */
export const CEILING_WARNINGS = [0.5, 0.8, 0.9, 1] as const;

export interface StateDumpsOptions {
  node: Pick<LocalNode, "captureState" | "stateFile">;
  writeGate: WriteGate;
  /** The state size (bytes) past which the embedded default no longer meets its targets. */
  ceilingBytes: number;
  log: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
  metrics: { stateBytes: Gauge; ceilingBytes: Gauge; pauseSeconds: Histogram };
}

export class StateDumps {
  private timer: NodeJS.Timeout | undefined;
  private nextDumpAt = Date.now() + MIN_DUMP_INTERVAL_MS;
  private running: Promise<void> | undefined;
  private warned = 0;

  constructor(private readonly o: StateDumpsOptions) {
    o.metrics.ceilingBytes.set(o.ceilingBytes);
    this.observeSize();
  }

  start(): void {
    this.timer = setInterval(() => {
      if (Date.now() >= this.nextDumpAt && !this.running) this.running = this.dump().finally(() => (this.running = undefined));
    }, 1_000);
  }

  /** Stops scheduling and waits for a dump under way (the final one is the node's stop()). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Takes one dump now, under the gate (the timer's dumps come here too). */
  async dump(): Promise<void> {
    const started = Date.now();
    let pausedMs = 0;
    try {
      // Writes wait only while the node serialises its state; the file is written after.
      const capture = await this.o.writeGate.exclusive(async () => {
        const captured = await this.o.node.captureState();
        pausedMs = Date.now() - started;
        return captured;
      });
      this.o.metrics.pauseSeconds.observe(pausedMs / 1000);
      await capture.write();
      this.o.log.debug({ ms: Date.now() - started, pausedMs }, "local node state written");
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, "local node state dump failed");
    } finally {
      // A large state takes a while to serialise and write: space the dumps out accordingly.
      const took = Date.now() - started;
      this.nextDumpAt = Date.now() + Math.max(MIN_DUMP_INTERVAL_MS, DUMP_SPACING * took, PAUSE_SPACING * pausedMs);
      this.observeSize();
    }
  }

  private observeSize(): void {
    const bytes = fs.statSync(this.o.node.stateFile, { throwIfNoEntry: false })?.size ?? 0;
    this.o.metrics.stateBytes.set(bytes);
    const share = bytes / this.o.ceilingBytes;
    const crossed = CEILING_WARNINGS.filter((s) => share >= s).length;
    if (crossed > this.warned) {
      this.warned = crossed;
      this.o.log.warn(
        { stateBytes: bytes, ceilingBytes: this.o.ceilingBytes, percent: Math.round(share * 100) },
        share >= 1
          ? "the embedded local node's state is past its ceiling: restarts, dumps and memory no longer meet their targets; move the chain to a real network (RPC_URL, see the README)"
          : "the embedded local node's state is approaching its ceiling; plan the move to a real network (RPC_URL, see the README)",
      );
    }
  }
}
