/**
 * The submitter drains the outbox onto the chain, exactly once.
 *
 * One cycle: in ONE database transaction, claim due settlements (FOR UPDATE SKIP LOCKED), sign
 * the settleBatch transaction locally with the next nonce, and store it (raw bytes and hash)
 * beside the claimed rows. Only then broadcast it, wait for the receipt and record each item's
 * outcome. A crash before the commit leaves nothing behind; a crash after it leaves a 'sent'
 * transaction that `recover` re-broadcasts unchanged (same nonce, same hash) or reads the receipt
 * of. A settlement can therefore reach the chain in one transaction only; the ledger's
 * per-terminal nonces refuse any other copy anyway.
 *
 * Refunds and redemptions go one per transaction after a dry run (eth_call) that turns a revert
 * into a rejection reason without spending gas. A refund's proof against the ledger's batch chain
 * is built when it is claimed (refund-proof.ts; `singleData` says why it cannot fail for going stale).
 *
 * While the ledger is paused nothing is sent: before each claim the submitter reads the ledger's
 * `paused()` view (trusted for PAUSE_READ_MS), and a revert or dry run refused with EnforcedPause
 * counts as that read. Due submissions stay queued with reason 'ledger.paused' and go out once the
 * ledger is unpaused. The key's GATEWAY role in the registry is read and held for the same way
 * (LedgerUnauthorized: revoked, or not granted yet), with reason 'gateway.unauthorized'.
 *
 * With a lease (ADR 0007), every claim commits only while this gateway holds its lease (`fence`),
 * and `finishAdopted` finishes the 'sent' transactions of a dead gateway whose lease it adopted:
 * re-broadcast unchanged in nonce order and recorded from their receipts, the same conditional
 * writes as its own, so a slow gateway and its adopter never both count one.
 */
import { EventEmitter } from "node:events";
import { Transaction, type Interface, type Wallet } from "ethers";
import { signTransaction, type FeeFields } from "../chain/signed-transaction";
import type { Logger } from "pino";
import type { Db } from "../store/db";
import {
  holdClaimed,
  lockDue,
  markSent,
  rejectClaimed,
  restoreLostMined,
  retryClaimedLater,
  sentTransactions,
  settlementPayloads,
  submittedIn,
  transactionStatus,
  type DueSubmission,
  type RedemptionPayload,
  type RefundPayload,
} from "../store/outbox";
import type { LedgerClient } from "../chain/ledger-client";
import {
  dropUnminable,
  holdQueued,
  recordBatch,
  recordDropped,
  recordFillerMined,
  recordSingle,
  requeueReverted,
  restoreRefused,
  storeFiller,
  type SentTx,
} from "../store/outbox-outcomes";
import {
  encodeSettleBatch,
  readBatchLogs,
  readSingleLogs,
  redemptionCall,
  refundCall,
  revertCode,
} from "./calls";
import { refundProof, type RefundUnprovable } from "./refund-proof";
import { WriteGate } from "../chain/write-gate";
import { JsonRpc } from "../chain/json-rpc";
import { ROLES } from "../chain/roles";
import { rawEndpointOf } from "../chain/rpc-endpoint";
import { submitterFailpoint } from "./failpoint";
import type { SubmissionOutcomeCode } from "../domain/submission-outcomes";

export interface SubmitterOptions {
  db: Db;
  chain: LedgerClient;
  /** The gateway key (holds the gateway role), connected to the chain's provider. */
  wallet: Wallet;
  batchMax: number;
  batchWaitMs: number;
  /** Held from each broadcast until its receipt is seen (the local node's dumps wait for it). */
  writeGate?: WriteGate;
  /** Transactions broadcast and not yet recorded, at most (default 3). */
  inFlightMax?: number;
  log: Logger;
  /** Called with how long each confirmed settlement waited, in seconds. */
  onConfirmed?: (kind: string, seconds: number[]) => void;
  /**
   * Inside each claim transaction (and before a filler is stored): true while this gateway holds
   * its lease (`holdsLease`). Without it, claims are not fenced (a store with one gateway).
   */
  fence?: (tx: Db) => Promise<boolean>;
}

/** A claim found the gateway's lease no longer held: nothing was claimed (ADR 0007). */
export class LeaseNotHeldError extends Error {
  constructor() {
    super("the gateway's lease is not held: nothing is claimed until it is renewed");
    this.name = "LeaseNotHeldError";
  }
}

/** The parts of a receipt the submitter reads (straight from JSON-RPC, no provider caching). */
interface Receipt {
  status: number;
  blockNumber: number;
  logs: { address: string; topics: string[]; data: string }[];
}

// A first visit (new card, new holding) costs ~74k gas in a batch; 256 items stay under 30M.
const GAS_PER_SETTLEMENT = 100_000n;
const GAS_BASE = 200_000n;
const GAS_SINGLE = 500_000n;

/** The largest batch, up to `batchMax`, whose gas limit fits in a block of `blockGasLimit` (at least 1). */
export function fittingBatchMax(batchMax: number, blockGasLimit: bigint): number {
  const fits = (blockGasLimit - GAS_BASE) / GAS_PER_SETTLEMENT;
  return fits >= BigInt(batchMax) ? batchMax : Math.max(1, Number(fits));
}

/**
 * How long a receipt may lag the nonce count of its block (anvil has served the new nonce a moment
 * before the receipt): a transaction is taken for dropped only once its receipt stays missing so long.
 */
const RECEIPT_LAG_MS = 3_000;

/** A condition that stops all sending, and what the submitter last read of it. */
interface SendingHold {
  /** The reason waiting submissions carry while it holds. */
  reason: "ledger.paused" | "gateway.unauthorized";
  /** Whether it holds now, read from the chain. */
  read(): Promise<boolean>;
  heldMessage: string;
  releasedMessage: string;
  last?: { on: boolean; at: number };
  /** Whether the loop is holding for it (logged on each change). */
  holding?: boolean;
}

/** A filler: a zero-value transfer to the sender itself, the least gas a transaction takes. */
const GAS_FILLER = 21_000n;

/**
 * Node answers to eth_sendRawTransaction that no later block changes for a transaction as signed
 * (anvil, geth, Besu): its gas limit above the block gas limit, or below its intrinsic gas. A
 * timeout, "already known", a low fee or a full pool are never among them (ADR 0007).
 */
export const REFUSED_FOR_GOOD = /intrinsic gas too (?:high|low)|exceeds block gas limit|exceeds_block_gas_limit|gas limit reached/i;

/** How long a read of the ledger's `paused()` is trusted: at most one eth_call per this, paused or not. */
export const PAUSE_READ_MS = 1_000;

/** Polls of a transaction's receipt between two re-broadcasts that would hear a refusal. */
const POLLS_PER_REBROADCAST = 100;

function largest(...values: bigint[]): bigint {
  return values.reduce((a, b) => (a > b ? a : b));
}

export class Submitter {
  /**
   * Emits "outcome" with the IDs of submissions that reached a final status and, for a recorded
   * settlement batch, their FinalOutcomes (what a status read would show).
   */
  readonly events = new EventEmitter();
  private nonce: number | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private fees: FeeFields | undefined;
  private readonly privateKey: Buffer;
  /** Settlements per batch: BATCH_MAX, or fewer where the chain's blocks could not hold such a batch. */
  private batchMax: number;
  /** Refunds or redemptions the dry run refused inside a claim: announced once it commits. */
  private rejectedInClaim: string[] = [];
  /** Set when the node refused a transaction for good: the block gas limit is read again before the next claim. */
  private blockGasChanged = false;
  /** What stops all sending: a paused ledger, a key without the GATEWAY role. */
  private readonly holds: SendingHold[];

  private readonly gate: WriteGate;
  private readonly rpc: JsonRpc;

  constructor(private readonly o: SubmitterOptions) {
    this.privateKey = Buffer.from(o.wallet.signingKey.privateKey.slice(2), "hex");
    this.gate = o.writeGate ?? new WriteGate();
    // Over HTTP the provider's own transport: both fail over together, to one current URL.
    this.rpc = new JsonRpc(rawEndpointOf(o.chain.provider));
    this.events.setMaxListeners(0);
    this.batchMax = o.batchMax;
    const { ledger, registry, deployment } = o.chain;
    this.holds = [
      {
        reason: "ledger.paused",
        read: async () => Boolean(await this.readView(ledger.interface as Interface, deployment.ledger, "paused", [])),
        heldMessage: "ledger paused; holding submissions until it is unpaused",
        releasedMessage: "ledger unpaused; sending held submissions",
      },
      {
        reason: "gateway.unauthorized",
        read: async () => !(await this.readView(registry.interface as Interface, deployment.registry, "hasRole", [ROLES.GATEWAY, o.wallet.address])),
        heldMessage: "the gateway's key lacks the GATEWAY role; holding submissions until governance grants it",
        releasedMessage: "the gateway's key holds the GATEWAY role again; sending held submissions",
      },
    ];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.rpc.close();
  }

  /** Nudge the loop (a submission was just queued). */
  poke(): void {
    this.wake?.();
  }

  /**
   * The pipeline: claim, sign and broadcast the next batch while earlier ones are being mined,
   * up to `inFlightMax` transactions at once. Outcomes are awaited and recorded in nonce order.
   * While a transaction is in flight, a new one is sent only once half a batch is queued, so
   * batches fill up under load instead of splintering. Any failure drains the pipeline, forgets
   * the nonce and re-runs `recover` before going on.
   */
  private async run(): Promise<void> {
    let backoff = 100;
    let recovered = false;
    const inFlight: Promise<void>[] = [];
    const depth = Math.max(1, this.o.inFlightMax ?? 3);
    while (this.running) {
      try {
        if (!recovered || this.blockGasChanged) {
          this.blockGasChanged = false;
          this.batchMax = await this.batchMaxForChain();
        }
        if (!recovered) {
          await this.recover();
          recovered = true;
        }
        if (inFlight.length >= depth || (this.nonce === undefined && inFlight.length > 0)) {
          await inFlight.shift();
          continue;
        }
        if (await this.held()) {
          if (inFlight.length > 0) await inFlight.shift();
          else await this.sleep(PAUSE_READ_MS);
          continue;
        }
        const min = inFlight.length > 0 ? Math.ceil(this.batchMax / 2) : 1;
        const release = await this.gate.acquire();
        const t0 = performance.now();
        let sent: SentTx | undefined;
        try {
          sent = (await this.claimAndSign("settlement", min)) ?? (await this.claimAndSign("single", 1));
        } finally {
          if (!sent) release();
        }
        if (sent) {
          await submitterFailpoint("signed", this.o.log, sent.hash);
          const t1 = performance.now();
          const broadcast = await this.broadcast(sent).catch((err: unknown) => {
            release();
            throw err;
          });
          this.o.log.debug({ tx: sent.hash, items: sent.rows.length, inFlight: inFlight.length, claimMs: Math.round(t1 - t0), sendMs: Math.round(performance.now() - t1) }, "ledger transaction sent");
          if (!broadcast) release();
          else {
            await submitterFailpoint("broadcast", this.o.log, broadcast.hash);
            const tracked = this.track(broadcast, inFlight.at(-1)).finally(release);
            tracked.catch(() => undefined); // seen when the loop takes it off the pipeline
            inFlight.push(tracked);
          }
          backoff = 100;
        } else if (inFlight.length > 0) {
          await inFlight.shift();
        } else {
          await this.sleep(this.o.batchWaitMs);
        }
      } catch (err) {
        await Promise.allSettled(inFlight.splice(0));
        this.nonce = undefined; // re-read from the chain after any failure
        recovered = false;
        this.o.log.warn({ err: (err as Error).message, retryInMs: backoff }, "submitter cycle failed; retrying");
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
    await Promise.allSettled(inFlight);
  }

  /**
   * Whether a hold stops sending now; if so, every waiting submission is marked with its reason
   * (what its status shows). Each hold's condition is read at most once per PAUSE_READ_MS (raw
   * eth_call: no provider cache); a start or end of holding is logged once.
   */
  private async held(): Promise<boolean> {
    const now = Date.now();
    for (const hold of this.holds) {
      if (!hold.last || now - hold.last.at >= PAUSE_READ_MS) hold.last = { on: await hold.read(), at: now };
      if (hold.last.on) {
        const marked = await holdQueued(this.o.db, hold.reason);
        if (!hold.holding) this.o.log.info({ held: marked }, hold.heldMessage);
        hold.holding = true;
        return true;
      }
      if (hold.holding) this.o.log.info(hold.releasedMessage);
      hold.holding = false;
    }
    return false;
  }

  /** The ledger refused a call for `reason` (EnforcedPause, LedgerUnauthorized): taken as a fresh read of its hold. */
  private saw(reason: SendingHold["reason"]): void {
    const hold = this.holds.find((h) => h.reason === reason)!;
    hold.last = { on: true, at: Date.now() };
  }

  /** The one result of view `fn` of the contract at `to`, at the latest block. */
  private async readView(iface: Interface, to: string, fn: string, args: unknown[]): Promise<unknown> {
    const answer = await this.rpc.call<string>("eth_call", [{ to, data: iface.encodeFunctionData(fn, args) }, "latest"]);
    return iface.decodeFunctionResult(fn, answer)[0];
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * A local chain that lost its newest blocks (restored from an older saved state, or its process
   * killed between state dumps) no longer holds transactions the store saw mined. Chains lose a
   * suffix: every mined transaction of ours at or above the chain's nonce count is gone. They are
   * marked 'sent' again, in one statement, and `recover` re-broadcasts them, in nonce order, as
   * they were signed.
   */
  async reconcileMined(): Promise<number> {
    const onChain = Number(await this.rpc.call<string>("eth_getTransactionCount", [this.o.wallet.address, "latest"]));
    const restored = await restoreLostMined(this.o.db, this.o.wallet.address, onChain);
    if (restored > 0) this.o.log.warn({ restored }, "the chain lost mined transactions; re-broadcasting them");
    return restored;
  }

  /**
   * Finish what a previous run left: every 'sent' transaction is either found mined (its
   * outcomes recorded) or re-broadcast unchanged and awaited.
   */
  async recover(): Promise<void> {
    for (const tx of await sentTransactions(this.o.db, this.o.wallet.address)) {
      const rows = await submittedIn(this.o.db, tx.hash);
      await this.gate.hold(() => this.settle({ ...tx, rows }));
    }
  }

  /**
   * Finish the unfinished work of `sender`, a dead gateway whose lease this one adopted (ADR
   * 0007): each of its 'sent' transactions, in nonce order, is found mined (outcomes recorded from
   * its receipt) or re-broadcast unchanged (anyone may broadcast a signed transaction) and awaited.
   * A transaction the node refuses for good is dropped with every later one (`refusedAdopted`).
   * Each is read again before it is handled: another adopter, or the slow gateway itself, may have
   * recorded or dropped it meanwhile. Returns how many transactions were handled.
   */
  async finishAdopted(sender: string): Promise<number> {
    let handled = 0;
    for (;;) {
      if (!this.running) return handled;
      const [tx] = await sentTransactions(this.o.db, sender, 1);
      if (!tx) return handled;
      const sent: SentTx = { ...tx, rows: await submittedIn(this.o.db, tx.hash), adoptedFrom: sender };
      await this.gate.hold(() => this.settle(sent));
      handled++;
      // Still 'sent' after settle: the gateway is stopping (or the wait ran out); the next round takes it up.
      if ((await transactionStatus(this.o.db, sent.hash)) === "sent") return handled;
    }
  }

  /**
   * The node refused an adopted transaction for good. The adopter holds no key to fill its nonce,
   * and the dead sender's key is retired, so neither it nor any later transaction of that sender
   * can ever be mined: each is dropped and its items requeued, after a check that the sender's
   * nonce count is still at or below it (ADR 0007). A count above it means its nonce was taken.
   */
  private async refusedAdopted(sent: SentTx, answer: string): Promise<SentTx | undefined> {
    const sender = sent.adoptedFrom!;
    const count = await this.nonceCount(sender);
    if (count > sent.nonce) {
      if (await this.receiptWithin(sent.hash, RECEIPT_LAG_MS)) return sent;
      await this.dropped(sent);
      return undefined;
    }
    const requeued = await dropUnminable(this.o.db, sender, sent, count);
    this.o.log.warn(
      { tx: sent.hash, sender, nonce: sent.nonce, answer, requeued: requeued.length },
      "the node refused an adopted ledger transaction for good; it and the retired sender's later transactions are dropped, their submissions requeued",
    );
    this.poke();
    return undefined;
  }

  /** The chain's count of mined transactions of `sender` (its next nonce). */
  private async nonceCount(sender: string): Promise<number> {
    return Number(await this.rpc.call<string>("eth_getTransactionCount", [sender, "latest"]));
  }

  /**
   * BATCH_MAX, capped so that a full batch's gas limit fits in the chain's block gas limit: a
   * transaction above it is never mined, and its settlements would wait for ever.
   */
  private async batchMaxForChain(): Promise<number> {
    const block = await this.rpc.call<{ gasLimit: string } | null>("eth_getBlockByNumber", ["latest", false]);
    if (!block) return this.o.batchMax;
    const capped = fittingBatchMax(this.o.batchMax, BigInt(block.gasLimit));
    if (capped < this.o.batchMax) {
      this.o.log.warn({ batchMax: this.o.batchMax, capped, blockGasLimit: Number(block.gasLimit) }, "BATCH_MAX does not fit in the chain's block gas limit; batches are capped");
    }
    return capped;
  }

  /** Claims due submissions (at least `minRows`, else none), signs their transaction and stores it. */
  private async claimAndSign(kind: "settlement" | "single", minRows: number): Promise<SentTx | undefined> {
    const nonce = this.nonce ?? (await this.o.wallet.getNonce("latest"));
    const fees = await this.feeFields();
    const sent = await this.o.db.transaction(async (tx) => {
      if (this.o.fence && !(await this.o.fence(tx))) throw new LeaseNotHeldError();
      const rows = await lockDue(tx, {
        kinds: kind === "settlement" ? ["settlement"] : ["refund", "redemption"],
        limit: kind === "settlement" ? this.batchMax : 1,
        minRows,
      });
      if (rows.length === 0) return undefined;
      await submitterFailpoint("claimed", this.o.log);
      const data = kind === "settlement" ? this.batchData(rows) : await this.singleData(tx, rows[0]);
      if (data === undefined) return undefined;
      const gasLimit = kind === "settlement" ? GAS_BASE + GAS_PER_SETTLEMENT * BigInt(rows.length) : GAS_SINGLE;
      const { raw, hash } = signTransaction({ to: this.o.chain.deployment.ledger, data, nonce, gasLimit, chainId: this.o.chain.chainId, fees }, this.privateKey);
      await markSent(tx, { ids: rows.map((r) => r.id), txHash: hash, sender: this.o.wallet.address, nonce, kind: rows[0].kind, raw });
      return { hash, raw, nonce, kind: rows[0].kind, rows } satisfies SentTx;
    });
    if (sent) this.nonce = nonce + 1;
    if (this.rejectedInClaim.length > 0) this.events.emit("outcome", this.rejectedInClaim.splice(0));
    return sent;
  }

  private batchData(rows: DueSubmission[]): string {
    return encodeSettleBatch(this.o.chain.ledger, settlementPayloads(rows));
  }

  /**
   * Calldata of a refund or redemption, after a dry run. A refused one is marked rejected here
   * (inside the claim transaction) and returns undefined; a refund whose order is not yet
   * confirmed waits.
   *
   * A refund's proof is built here, then dry-run at the latest block. A proof ending at a sealed
   * batch cannot go stale; one ending at the order's own batch (a ring proof, made only while the
   * sealed batch covering it is not yet recorded) goes stale once CHAIN_RING more batches are,
   * which other senders' batches and this gateway's own in flight can do between the two reads.
   * So a refund refused with refund.proof_invalid is proven once more: a ring proof that went
   * stale means the sealed batch is recorded now, and the new proof ends there, where nothing can
   * make it stale; a second refusal is the proof's own fault. A ring proof that goes stale after
   * the dry run, before it is mined, reverts: the refund is queued again (`requeueReverted`) and
   * its next claim proves it afresh, sealed.
   */
  private async singleData(tx: Db, row: DueSubmission): Promise<string | undefined> {
    if (row.kind === "settlement") throw new Error(`submission ${row.id} is a settlement, not a refund or redemption`);
    if (row.kind === "redemption") {
      const data = this.redemptionData(row.payload);
      return this.dryRunOutcome(tx, row.id, data, await this.refusal(data));
    }
    for (let proven = 0; ; proven++) {
      const data = await this.refundData(tx, row.payload);
      if (data === "wait") {
        await retryClaimedLater(tx, row.id, 1);
        return undefined;
      }
      if (typeof data !== "string") return this.rejectInClaim(tx, row.id, data.rejected);
      const refused = await this.refusal(data);
      if (refused === "refund.proof_invalid" && proven === 0) continue;
      return this.dryRunOutcome(tx, row.id, data, refused);
    }
  }

  /** Calldata of refund `p` with a proof built now; "wait" or why it cannot be proven. */
  private async refundData(tx: Db, p: RefundPayload): Promise<string | "wait" | RefundUnprovable> {
    const proof = await refundProof(tx, this.o.chain, p);
    if (proof === "wait" || "rejected" in proof) return proof;
    return this.o.chain.ledger.interface.encodeFunctionData("refund", [refundCall(p), p.signature.r, p.signature.vs, proof.order, proof.proof]);
  }

  private redemptionData(p: RedemptionPayload): string {
    const sigs = {
      terminalR: p.signatures.terminal.r,
      terminalVS: p.signatures.terminal.vs,
      cardR: p.signatures.card.r,
      cardVS: p.signatures.card.vs,
    };
    return this.o.chain.ledger.interface.encodeFunctionData("redeem", [redemptionCall(p), sigs]);
  }

  /** The code the ledger refuses call `data` with at the latest block, if it does (throws when the node does not answer). */
  private async refusal(data: string): Promise<SubmissionOutcomeCode | undefined> {
    try {
      await this.o.wallet.call({ to: this.o.chain.deployment.ledger, data });
      return undefined;
    } catch (err) {
      const code = revertCode(this.o.chain.ledger, err);
      if (code === "ledger.unavailable") throw err;
      return code;
    }
  }

  /**
   * `data` when its dry run was not refused; otherwise the claimed submission `id` waits (the
   * ledger paused, the key without its role) or is rejected with the refusal, and the answer is
   * undefined.
   */
  private async dryRunOutcome(tx: Db, id: string, data: string, refused: SubmissionOutcomeCode | undefined): Promise<string | undefined> {
    if (refused === undefined) return data;
    if (refused === "ledger.paused" || refused === "gateway.unauthorized") {
      // Paused, or the key lost its role, since the last read: nothing is wrong with the refund
      // or redemption, which stays queued and waits as settlements do.
      this.saw(refused);
      await holdClaimed(tx, id, refused);
      return undefined;
    }
    return this.rejectInClaim(tx, id, refused);
  }

  /** Marks a claimed refund or redemption rejected with `reason`, inside the claim transaction. */
  private async rejectInClaim(tx: Db, id: string, reason: SubmissionOutcomeCode): Promise<undefined> {
    await rejectClaimed(tx, id, reason);
    this.rejectedInClaim.push(id);
    return undefined;
  }

  /** Broadcast (or re-broadcast) a stored transaction, await it and record the outcomes. */
  private async settle(sent: SentTx): Promise<void> {
    const awaited = (await this.receipt(sent.hash)) ? sent : await this.broadcast(sent);
    if (awaited) await this.awaitAndRecord(awaited);
  }

  /**
   * Hand a signed transaction to the node. Returns the transaction to await: this one, or the
   * filler that replaces it when the node refused it for good. Undefined when it can never be
   * mined (its nonce was taken by another transaction): its submissions are then queued again.
   */
  private async broadcast(sent: SentTx): Promise<SentTx | undefined> {
    try {
      await this.rpc.call("eth_sendRawTransaction", [sent.raw]);
    } catch (err) {
      // "nonce too low": mined (its receipt may lag a moment) or dropped; "already known": pending or mined.
      const message = (err as Error).message;
      if (/nonce too low|nonce has already been used/i.test(message)) {
        if (await this.receiptWithin(sent.hash, RECEIPT_LAG_MS)) return sent;
        await this.dropped(sent);
        return undefined;
      }
      if (await this.receipt(sent.hash)) return sent;
      if (REFUSED_FOR_GOOD.test(message) && sent.kind !== "filler") return sent.adoptedFrom ? this.refusedAdopted(sent, message) : this.refused(sent, message);
      if (!/already known|already imported|known transaction/i.test(message)) throw err;
    }
    return sent;
  }

  /**
   * The node refused `sent` for good (ADR 0007). A filler is signed at its nonce with higher fees
   * (so it also replaces a copy of `sent` still in the node's pool), stored, then broadcast: the
   * transactions after it become minable again unchanged, and `sent`'s submissions are requeued
   * once the filler is mined, when `sent` provably never can be.
   */
  private async refused(sent: SentTx, answer: string): Promise<SentTx | undefined> {
    const signed = Transaction.from(sent.raw);
    const current = await this.feeFields();
    // Twice the refused transaction's fees: a node replaces a pooled transaction only for more.
    let fees: FeeFields;
    if (signed.maxFeePerGas != null && "maxFeePerGas" in current) {
      const maxPriorityFeePerGas = largest(current.maxPriorityFeePerGas, (signed.maxPriorityFeePerGas ?? 0n) * 2n + 1n);
      fees = { maxPriorityFeePerGas, maxFeePerGas: largest(current.maxFeePerGas, signed.maxFeePerGas * 2n + 1n, maxPriorityFeePerGas) };
    } else {
      fees = { gasPrice: largest("gasPrice" in current ? current.gasPrice : current.maxFeePerGas, (signed.gasPrice ?? signed.maxFeePerGas ?? 0n) * 2n + 1n) };
    }
    const { raw, hash } = signTransaction(
      { to: this.o.wallet.address, data: "0x", nonce: sent.nonce, gasLimit: GAS_FILLER, chainId: this.o.chain.chainId, fees },
      this.privateKey,
    );
    const filler: SentTx = { hash, raw, nonce: sent.nonce, kind: "filler", rows: [] };
    this.blockGasChanged = true;
    if (!(await storeFiller(this.o.db, sent, filler, this.o.wallet.address, this.o.fence))) return undefined;
    this.o.log.warn({ tx: sent.hash, nonce: sent.nonce, items: sent.rows.length, answer, filler: hash }, "the node refused a ledger transaction for good; a filler takes its nonce");
    return this.broadcast(filler);
  }

  /**
   * Await a broadcast transaction after the one before it (a sender's transactions are mined in
   * nonce order, so only one receipt is polled at a time) and record its outcomes. A failure is
   * kept for the loop to see when it takes this transaction off the pipeline.
   */
  private track(sent: SentTx, previous: Promise<void> | undefined): Promise<void> {
    return (async () => {
      await previous?.catch(() => undefined);
      await this.awaitAndRecord(sent);
    })();
  }

  private async awaitAndRecord(awaited: SentTx): Promise<void> {
    let sent = awaited;
    const t0 = performance.now();
    let receipt: Receipt | undefined;
    const deadline = Date.now() + 60_000;
    // Poll briskly at first (a local node mines in milliseconds), then ease off (a QBFT block).
    // Now and then, check that our nonce was not taken by another transaction meanwhile, and
    // less often re-broadcast it: a node that no longer takes it (its block gas limit lowered)
    // says so then, and a filler replaces it.
    for (let polls = 1; !receipt && Date.now() < deadline; polls++) {
      // An adopted transaction is left for the next adopter when this gateway stops.
      if (sent.adoptedFrom && !this.running) return;
      receipt = await this.receipt(sent.hash);
      if (!receipt && polls % 20 === 0 && (await this.nonceTakenByAnother(sent))) {
        await this.dropped(sent);
        return;
      }
      if (!receipt && polls % POLLS_PER_REBROADCAST === 0) {
        const next = await this.broadcast(sent);
        if (!next) return;
        sent = next;
      }
      if (!receipt) await new Promise((r) => setTimeout(r, polls < 200 ? 5 : 100));
    }
    if (!receipt) throw new Error(`transaction ${sent.hash} not mined within 60 s`);
    if (!sent.adoptedFrom) await submitterFailpoint("mined", this.o.log, sent.hash);
    const t1 = performance.now();
    await this.record(sent, receipt);
    this.o.log.debug(
      { tx: sent.hash, items: sent.rows.length, minedMs: Math.round(t1 - t0), recordMs: Math.round(performance.now() - t1) },
      "ledger transaction recorded",
    );
  }

  /**
   * eth_getTransactionReceipt sent raw: ethers' provider methods cache identical reads for a
   * moment and poll every few seconds, both too slow for a batch that mines in milliseconds.
   */
  private async receipt(hash: string): Promise<Receipt | undefined> {
    const r = await this.rpc.call<{ status: string; blockNumber: string; logs: Receipt["logs"] } | null>("eth_getTransactionReceipt", [hash]);
    return r ? { status: Number(r.status), blockNumber: Number(r.blockNumber), logs: r.logs } : undefined;
  }

  /** The receipt, asked again until it shows or `ms` have passed. */
  private async receiptWithin(hash: string, ms: number): Promise<Receipt | undefined> {
    const deadline = Date.now() + ms;
    for (;;) {
      const receipt = await this.receipt(hash);
      if (receipt || Date.now() >= deadline) return receipt;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * True when the chain has mined a transaction of ours with this nonce, and it is not this one.
   * A node can count the nonce before it serves the receipt of the block that used it: ours is
   * taken for another only when its receipt is still missing RECEIPT_LAG_MS later.
   */
  private async nonceTakenByAnother(sent: SentTx): Promise<boolean> {
    const count = await this.nonceCount(sent.adoptedFrom ?? this.o.wallet.address);
    return count > sent.nonce && !(await this.receiptWithin(sent.hash, RECEIPT_LAG_MS));
  }

  /**
   * Our nonce was taken by another transaction: ours can never be mined. Queue its items again,
   * except settlements whose terminal nonce the ledger has used: those were recorded by a
   * transaction whose receipt the node no longer has (a local node that saved its state without
   * the block). Requeued, they would be refused as replays although their points stand; they are
   * marked confirmed with reason 'ledger.receipt_lost' (points unknown to the gateway).
   */
  private async dropped(sent: SentTx): Promise<void> {
    if (sent.kind === "filler") {
      await restoreRefused(this.o.db, sent);
      if (!sent.adoptedFrom) this.nonce = undefined;
      throw new Error(`the filler ${sent.hash} lost its nonce: the transaction it replaced was mined; recovering it`);
    }
    const recorded: string[] = [];
    if (sent.kind === "settlement") {
      for (const [i, p] of settlementPayloads(sent.rows).entries()) {
        const row = sent.rows[i];
        if (await this.o.chain.ledger.nonceUsed(String(p.settlement.terminal), BigInt(p.settlement.nonce))) recorded.push(row.id);
      }
    }
    if (recorded.length > 0) {
      this.o.log.error({ tx: sent.hash, items: recorded.length }, "the ledger recorded settlements whose transaction receipt the node lost");
    } else {
      this.o.log.warn({ tx: sent.hash }, "transaction dropped (nonce used elsewhere); requeueing its submissions");
    }
    await recordDropped(this.o.db, sent, recorded);
    if (recorded.length > 0) this.events.emit("outcome", recorded);
    if (!sent.adoptedFrom) this.nonce = undefined;
    else this.poke();
  }

  private async record(sent: SentTx, receipt: Receipt): Promise<void> {
    if (sent.kind === "filler") {
      const requeued = await recordFillerMined(this.o.db, sent, receipt.blockNumber);
      this.o.log.warn({ filler: sent.hash, requeued }, "filler mined; the refused transaction's submissions are queued again");
      this.poke();
      return;
    }
    const ledger = this.o.chain.ledger;
    if (receipt.status !== 1) {
      let reason: SubmissionOutcomeCode = "ledger.reverted";
      try {
        await this.o.wallet.call({ to: this.o.chain.deployment.ledger, data: Transaction.from(sent.raw).data });
      } catch (err) {
        reason = revertCode(ledger, err);
      }
      if (reason === "ledger.paused" || reason === "gateway.unauthorized") {
        // Paused, or the key lost its role, after the last read: the items wait with the others,
        // nothing more is sent.
        this.saw(reason);
        this.o.log.info({ tx: sent.hash, items: sent.rows.length, reason }, "the ledger refused a transaction in flight (paused, or no GATEWAY role); its submissions wait");
      } else {
        this.o.log.warn({ tx: sent.hash, reason }, "ledger call reverted; requeueing");
      }
      await requeueReverted(this.o.db, sent, receipt.blockNumber, reason);
      return;
    }
    const finals =
      sent.kind === "settlement"
        ? await recordBatch(this.o.db, sent, receipt.blockNumber, readBatchLogs(ledger, receipt.logs, settlementPayloads(sent.rows)))
        : await recordSingle(this.o.db, sent, receipt.blockNumber, readSingleLogs(ledger, receipt.logs));
    const now = Date.now();
    this.o.onConfirmed?.(sent.kind, sent.rows.map((r) => (now - new Date(r.created_at).getTime()) / 1000));
    this.events.emit("outcome", sent.rows.map((r) => r.id), finals);
  }

  private async feeFields(): Promise<FeeFields> {
    if (!this.fees) {
      const fee = await this.o.chain.provider.getFeeData();
      this.fees =
        fee.maxFeePerGas != null
          ? { maxFeePerGas: fee.maxFeePerGas * 2n, maxPriorityFeePerGas: fee.maxPriorityFeePerGas ?? 0n }
          : { gasPrice: fee.gasPrice ?? 0n };
      setTimeout(() => (this.fees = undefined), 30_000).unref();
    }
    return this.fees;
  }
}
