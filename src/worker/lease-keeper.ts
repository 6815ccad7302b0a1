/**
 * Keeps this gateway's lease (ADR 0007) and, on a shared store, adopts the lapsed leases of dead
 * gateways. Every third of the lease time it renews the lease; a renewal that finds the lease no
 * longer this gateway's (adopted, or taken by a newer start of the same key) marks the lease lost
 * at once: `onLost` stops the submitter and the gateway reports unready. Then it takes any lapsed
 * lease (`adoptLapsedLease`) and finishes the adopted senders' transactions (`finish`), in the
 * background, one round at a time.
 */
import type { Logger } from "pino";
import type { Db } from "../store/db";
import { adoptLapsedLease, adoptedUnfinished, holdsLease, releaseLease, renewLease, takeLease, type Lease } from "../store/leases";

export interface LeaseKeeperOptions {
  db: Db;
  /** This gateway's sender (its gateway key's address). */
  sender: string;
  /** Who holds the lease, for operators: host name and process id (no personal data). */
  instance: string;
  /** LEASE_SECONDS: how long a lease lasts unrenewed. */
  seconds: number;
  /** Whether to adopt lapsed leases (on a shared store; the embedded one serves one gateway). */
  adopt: boolean;
  /** Finishes an adopted sender's 'sent' transactions (the submitter's `finishAdopted`). */
  finish: (sender: string) => Promise<unknown>;
  /** Called once when the lease is lost: stop signing at once. */
  onLost: () => Promise<void> | void;
  log: Logger;
}

export class LeaseKeeper {
  private lease: Lease | undefined;
  private lost = false;
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> | undefined;
  private adopting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: LeaseKeeperOptions) {}

  /** Takes the lease (refused with GatewayKeyRetiredError for a retired key) and starts renewing it. */
  async start(): Promise<void> {
    this.lease = await takeLease(this.o.db, { sender: this.o.sender, instance: this.o.instance, seconds: this.o.seconds });
    this.o.log.info({ sender: this.o.sender, epoch: this.lease.epoch, leaseSeconds: this.o.seconds }, "gateway lease taken");
    this.timer = setInterval(() => {
      this.tick ??= this.renewAndAdopt().finally(() => (this.tick = undefined));
    }, (this.o.seconds * 1000) / 3);
    this.timer.unref();
  }

  /** True while the lease is this gateway's (false once lost, and before `start`). */
  get held(): boolean {
    return this.lease !== undefined && !this.lost;
  }

  /** For the submitter's claim transaction: true while the store says the lease is held. */
  fence = async (tx: Db): Promise<boolean> => this.held && holdsLease(tx, this.lease!);

  /** Stops renewing and adopting; ends the lease when this gateway left nothing unfinished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.tick;
    await this.adopting;
    if (this.lease && !this.lost && (await releaseLease(this.o.db, this.lease).catch(() => false))) {
      this.o.log.info({ sender: this.o.sender }, "gateway lease ended");
    }
  }

  private async renewAndAdopt(): Promise<void> {
    if (this.stopped || this.lost || !this.lease) return;
    let renewed: boolean;
    try {
      renewed = await renewLease(this.o.db, this.lease, this.o.seconds);
    } catch (err) {
      // The store did not answer: claims are fenced by the store anyway; the next tick tries again.
      this.o.log.warn({ err: (err as Error).message }, "gateway lease renewal failed; retrying");
      return;
    }
    if (!renewed) {
      this.lost = true;
      this.o.log.error({ sender: this.o.sender }, "gateway lease lost (adopted, or taken by a newer start of this key); the submitter stops and the gateway reports unready");
      await this.o.onLost();
      return;
    }
    if (this.o.adopt) this.adoptInBackground();
  }

  /** One round: take every lapsed lease, then finish every adopted sender's transactions. */
  private adoptInBackground(): void {
    this.adopting ??= this.adoptRound()
      .catch((err: Error) => this.o.log.warn({ err: err.message }, "finishing adopted gateway work failed; retrying"))
      .finally(() => (this.adopting = undefined));
  }

  private async adoptRound(): Promise<void> {
    for (let adoption = await adoptLapsedLease(this.o.db, this.o.sender); adoption; adoption = await adoptLapsedLease(this.o.db, this.o.sender)) {
      if (adoption.outcome === "adopted") this.o.log.warn({ sender: adoption.sender }, "adopted the lapsed lease of a gateway; finishing its ledger transactions");
      else this.o.log.info({ sender: adoption.sender }, "ended the lapsed lease of a gateway that left nothing unfinished");
      if (this.stopped || this.lost) return;
    }
    for (const sender of await adoptedUnfinished(this.o.db, this.o.sender)) {
      if (this.stopped || this.lost) return;
      const handled = await this.o.finish(sender);
      this.o.log.info({ sender, handled }, "finished adopted ledger transactions");
    }
  }
}
