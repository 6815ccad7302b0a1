/**
 * A job the gateway runs at start and then on an interval (the identity sweep, the session purge):
 * never two runs at once, a failed run logged and retried at the next, stopped at shutdown after
 * the run under way.
 */
import type { Logger } from "pino";

export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly log: Pick<Logger, "warn">,
    private readonly failure: string,
  ) {}

  /** Runs now and then every `intervalMs`; a failed run is logged and retried at the next. */
  start(intervalMs: number): void {
    const tick = () => {
      this.running = this.run()
        .catch((err: Error) => this.log.warn({ err: err.message }, this.failure))
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(() => this.running ?? tick(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
