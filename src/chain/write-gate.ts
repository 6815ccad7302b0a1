/**
 * A gate between the gateway's chain writers and the local node's state dumps.
 *
 * anvil writes its state file from several maps read one after another; a dump taken while a
 * block is being mined can hold the new account nonces and storage without the block and its
 * receipts. Every sender therefore holds the gate from broadcast until its receipt is seen, and
 * a dump waits until no transaction is in flight. A pending dump closes the gate to new holders,
 * so a busy submitter cannot starve it: holders queue behind it for the few milliseconds it
 * takes and then go on.
 */
export class WriteGate {
  private holders = 0;
  private closed: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  /** Wait for the gate to open, then hold it. Call the returned function once, when done. */
  async acquire(): Promise<() => void> {
    while (this.closed) await this.closed;
    this.holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holders--;
      if (this.holders === 0) this.drained?.();
    };
  }

  /** Hold the gate while `fn` runs. */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Run `fn` once no holder is left, keeping new holders out until it is done. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    let open!: () => void;
    this.closed = new Promise<void>((resolve) => (open = resolve));
    try {
      if (this.holders > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      return await fn();
    } finally {
      this.drained = undefined;
      this.closed = undefined;
      open();
    }
  }
}
