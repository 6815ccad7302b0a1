/**
 * Group commit: concurrent calls are gathered and run as one. While a batch runs, new calls wait
 * for the next one, so under load each database round trip carries many requests and at low
 * load a lone call runs at once. Every caller gets its own result or its own error.
 */
export type Outcome<O> = { ok: O } | { error: Error };

interface Pending<I, O> {
  input: I;
  resolve: (value: O) => void;
  reject: (error: Error) => void;
}

export class Coalescer<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = false;

  /**
   * @param runBatch runs inputs together; returns one outcome per input, in order. If it throws,
   *   every call of the batch fails with that error.
   * @param maxBatch the most inputs one batch takes.
   * @param gatherMs how long the first call of an idle coalescer waits for company (0: only the
   *   calls of the same event-loop turn join it).
   */
  constructor(
    private readonly runBatch: (inputs: I[]) => Promise<Outcome<O>[]>,
    private readonly maxBatch = 256,
    private readonly gatherMs = 0,
  ) {}

  call(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.running) {
        this.running = true;
        if (this.gatherMs > 0) setTimeout(() => void this.drain(), this.gatherMs);
        else setImmediate(() => void this.drain()); // the calls of this same turn join the batch
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outcomes = await this.runBatch(batch.map((p) => p.input));
        batch.forEach((p, i) => {
          const o = outcomes[i];
          if (o && "ok" in o) p.resolve(o.ok);
          else p.reject(o?.error ?? new Error("the batch returned no outcome for this call"));
        });
      } catch (err) {
        for (const p of batch) p.reject(err as Error);
      }
    }
    this.running = false;
  }
}
