/**
 * Requests waiting for their submission's final status (`Prefer: wait`, `?waitMs=`). One listener
 * on the submitter's "outcome" events wakes the waiters of the IDs it names: a batch of outcomes
 * costs one lookup per ID, however many requests wait. When the event carries the final fields
 * (a recorded settlement batch does), the waiter gets them and needs no status read.
 */
import type { EventEmitter } from "node:events";
import type { FinalOutcome } from "../../store/outbox-outcomes";

/** The final outcome; "final" when it is final but its fields were not sent (read the status); "timeout". */
export type WaitResult = FinalOutcome | "final" | "timeout";

export class OutcomeWaiters {
  private readonly waiting = new Map<string, Set<(r: WaitResult) => void>>();

  /** @param outcomes emits "outcome" with the IDs that became final and, optionally, their FinalOutcomes. */
  constructor(outcomes: EventEmitter) {
    outcomes.on("outcome", (ids: readonly string[], finals?: readonly FinalOutcome[]) => {
      if (this.waiting.size === 0) return;
      if (finals) {
        for (const f of finals) this.wake(f.id, f);
      }
      for (const id of ids) this.wake(id, "final");
    });
  }

  /**
   * Resolves when submission `id` becomes final, or with "timeout" after `waitMs`. Call it before
   * reading the status, so an outcome between the read and the wait is not missed; `cancel` once
   * the answer is known otherwise.
   */
  wait(id: string, waitMs: number): { result: Promise<WaitResult>; cancel: () => void } {
    let done: (r: WaitResult) => void = () => undefined;
    const result = new Promise<WaitResult>((resolve) => {
      const timer = setTimeout(() => done("timeout"), waitMs);
      done = (r) => {
        clearTimeout(timer);
        const set = this.waiting.get(id);
        set?.delete(done);
        if (set?.size === 0) this.waiting.delete(id);
        resolve(r);
      };
      let set = this.waiting.get(id);
      if (!set) this.waiting.set(id, (set = new Set()));
      set.add(done);
    });
    return { result, cancel: () => done("timeout") };
  }

  private wake(id: string, r: WaitResult): void {
    const set = this.waiting.get(id);
    if (set) for (const done of [...set]) done(r);
  }
}
