/**
 * Intake of terminal-signed ledger operations: settlements, refunds and redemptions.
 *
 * A submission is checked the way the ledger will check it (terminal registration, freshness,
 * agreement, amounts, both signatures, card status), then written to the durable outbox before
 * the gateway answers. The same submission twice is answered with the stored one (idempotent);
 * a nonce reused for different content, or a second live settlement of an order, is a conflict.
 * Nothing here knows about HTTP: failures are DomainErrors with stable codes.
 */
import { getBytes } from "ethers";
import { checksumAddress } from "../../domain/address";
import { keccak256Text } from "../../domain/keccak";
import type { Db } from "../../store/db";
import { enqueueSubmissions, findSubmission, refundableSettlement, type EnqueueOutcome, type NewSubmission, type Submission } from "../../store/outbox";
import { Coalescer, type Outcome } from "../../store/coalescer";
import { LatestBlock } from "../../chain/latest-block";
import type { LedgerClient, TerminalTerms } from "../../chain/ledger-client";
import { SignerPool } from "../../domain/signer-pool";
import {
  redemptionDigest,
  refundDigest,
  type CompactSignature,
  type RedemptionMessage,
  type RefundMessage,
  type SettlementMessage,
} from "../../domain/typed-data";
import { canonicalJson, extractSettlement, readSlip, type ReadSlip, type SettlementRecord, type Slip } from "../../domain/slips";
import { MAX_AMOUNT } from "../../domain/slips";
import { MAX_CLOCK_SKEW, SIGNATURE_TTL } from "../../domain/rejections";
import type { ErrorCode } from "../../domain/error-catalogue";
import { DomainError } from "../../domain/domain-error";
import { SubmissionIds } from "./public-ids";
import { pointsInsufficient, readCardBalance, refundExceedsOrder, refundOrderUnknown, reserve, type Reservation } from "./reservations";
import type { FinalOutcome } from "../../store/outbox-outcomes";
import { storeSlips } from "../slips/service";
import { CATEGORY_COUNT, CardKind, CardStatus } from "../../../packages/terminal-sdk/src/constants";
import type { SubmissionStatus } from "../../../packages/terminal-sdk/src/client";

export interface SignaturePair {
  terminal: CompactSignature;
  card: CompactSignature;
}

export interface SettlementSubmission {
  settlement: SettlementMessage;
  signatures: SignaturePair;
  /** The order slip, unless it was created before through the slips endpoint. */
  slip?: Slip;
}

export interface RefundSubmission {
  refund: RefundMessage;
  signature: CompactSignature;
}

export interface RedemptionSubmission {
  redemption: RedemptionMessage;
  signatures: SignaturePair;
}

export interface Accepted {
  /** True when this exact submission had been accepted before. */
  duplicate: boolean;
  submission: Submission;
}

interface StatusRow {
  id: string;
  kind: Submission["kind"];
  status: Submission["status"];
  reason: string | null;
  terminal: string;
  nonce: string;
  order_id: string | null;
  card_id: string | null;
  tx_hash: string | null;
  block_number: string | null;
  batch_id: string | null;
  points: string | null;
  credit_points: string | null;
}

/**
 * A submission's status as GET /v1/submissions/:id answers it: the terminal SDK's
 * SubmissionStatus, its kind narrowed to the outbox's, and the batch it was sent in.
 */
export type SubmissionStatusView = SubmissionStatus & { kind: Submission["kind"]; batchId: string | null };

function toView(r: StatusRow): SubmissionStatusView {
  return {
    id: String(r.id),
    kind: r.kind,
    status: r.status,
    reason: r.reason,
    terminal: r.terminal,
    nonce: String(r.nonce),
    orderId: r.order_id,
    cardId: r.card_id,
    txHash: r.tx_hash,
    blockNumber: r.block_number === null ? null : Number(r.block_number),
    batchId: r.batch_id === null ? null : String(r.batch_id),
    points: r.points === null ? null : String(r.points),
    creditPoints: r.credit_points === null ? null : String(r.credit_points),
  };
}

/** The status of `s` once the ledger decided it, from the outcome the submitter reported. */
export function finalView(s: Submission, o: FinalOutcome): SubmissionStatusView {
  return {
    id: s.id,
    kind: s.kind,
    terminal: s.terminal,
    nonce: s.nonce.toString(),
    orderId: s.orderId,
    cardId: s.cardId,
    status: o.status,
    reason: o.reason,
    txHash: o.txHash,
    blockNumber: o.blockNumber,
    batchId: o.batchId,
    points: o.points,
    creditPoints: o.creditPoints,
  };
}

export function isFinal(status: Submission["status"]): boolean {
  return status === "confirmed" || status === "rejected";
}

/** The answer to a status read of a submission there is none of (or none under this ID). */
export function submissionNotFound(id: string): DomainError {
  return new DomainError({ code: "submission.not_found", detail: `no submission ${id}` });
}

/** The hash that tells a retry (the same payload) from another request under the same nonce. */
const requestHashOf = (payload: unknown) => keccak256Text(canonicalJson(payload));

function refused(code: ErrorCode, detail: string): DomainError {
  return new DomainError({ code, detail });
}

/** A request waits this long for others to share its database round trip: ~1 ms per request saved under load. */
const GATHER_MS = 2;

/** A submission to store, with the order slip that came with it, or what it reserves of a balance or an order. */
interface IntakeItem {
  submission: NewSubmission;
  slip?: { merchantId: number; slip: Slip; read?: ReadSlip };
  reservation?: Reservation;
}

export class SubmissionService {
  /** Concurrent submissions are written together: one database transaction per group. */
  private readonly intake = new Coalescer<IntakeItem, EnqueueOutcome>((items) => this.writeGroup(items), 256, GATHER_MS);
  /** The block balances are read at; call `head.forget()` when the gateway sees a block mined. */
  readonly head: LatestBlock;

  constructor(
    private readonly db: Db,
    private readonly chain: LedgerClient,
    /** Recovers the submissions' signers (inline by default; the gateway gives one with a thread). */
    private readonly signers: SignerPool = new SignerPool(0),
    /** The submission IDs terminals are given, for the errors that name one. */
    private readonly ids: SubmissionIds = new SubmissionIds(),
    private readonly nowSeconds: () => bigint = () => BigInt(Math.floor(Date.now() / 1000)),
  ) {
    this.head = new LatestBlock(chain.provider);
  }

  async submitSettlement(input: SettlementSubmission): Promise<Accepted> {
    const s = normaliseSettlement(input.settlement);
    const payload = { settlement: s, signatures: input.signatures };
    return this.answeringRetries(s.terminal, s.nonce, payload, () => this.intakeSettlement(s, input, payload));
  }

  private async intakeSettlement(s: SettlementMessage, input: SettlementSubmission, payload: unknown): Promise<Accepted> {
    const digest = this.chain.hasher.digest(s);
    const [terminalSigner, cardSigner] = this.recover(digest, input.signatures.terminal, input.signatures.card);
    const terms = await this.checkTerminalSigned(s.terminal, s.time, terminalSigner);
    this.checkSettlementTerms(s, terms);
    await this.checkCardSignature(s.cardId, cardSigner);
    const merchantId = Number(terms.merchantId);
    const read = input.slip && readSlip(input.slip);
    if (read) checkMatchesSlip(s, read.record);
    else await this.checkStoredSlip(s, merchantId);
    return this.enqueue(
      {
        kind: "settlement",
        terminal: s.terminal,
        nonce: s.nonce,
        orderId: s.orderId,
        cardId: s.cardId,
        merchantId,
        payload,
      },
      input.slip && { merchantId, slip: input.slip, read },
    );
  }

  async submitRefund(input: RefundSubmission): Promise<Accepted> {
    const r = normaliseRefund(input.refund);
    const payload = { refund: r, signature: input.signature };
    return this.answeringRetries(r.terminal, r.nonce, payload, () => this.intakeRefund(r, input.signature, payload));
  }

  private async intakeRefund(r: RefundMessage, signature: CompactSignature, payload: unknown): Promise<Accepted> {
    if (r.amount <= 0n || r.amount > MAX_AMOUNT) throw refused("refund.amount_out_of_bounds", "refund amount out of bounds");
    const [signer] = this.recover(getBytes(refundDigest(this.chain.domain, r)), signature);
    const terms = await this.checkTerminalSigned(r.terminal, r.time, signer);
    const merchantId = Number(terms.merchantId);
    // The settlement the refund names, by the terminal and nonce it was signed under.
    const original = await refundableSettlement(this.db, r.settlementTerminal, r.settlementNonce);
    if (!original || original.merchantId !== merchantId) throw refundOrderUnknown();
    if (original.cardId !== r.cardId || original.orderId !== r.orderId) {
      throw refused("refund.order_mismatch", "the settlement named by this terminal and nonce is of another card or order");
    }
    if (original.amount - original.claimed < r.amount) throw refundExceedsOrder(original.amount, original.claimed);
    return this.enqueue(
      {
        kind: "refund",
        terminal: r.terminal,
        nonce: r.nonce,
        orderId: r.orderId,
        cardId: r.cardId,
        merchantId,
        payload,
      },
      undefined,
      { kind: "refund", cardId: r.cardId, terminal: r.terminal, nonce: r.nonce, amount: r.amount, settlementTerminal: r.settlementTerminal, settlementNonce: r.settlementNonce },
    );
  }

  async submitRedemption(input: RedemptionSubmission): Promise<Accepted> {
    const r = { ...input.redemption, terminal: checksumAddress(input.redemption.terminal) };
    const payload = { redemption: r, signatures: input.signatures };
    return this.answeringRetries(r.terminal, r.nonce, payload, () => this.intakeRedemption(r, input.signatures, payload));
  }

  private async intakeRedemption(r: RedemptionMessage, signatures: SignaturePair, payload: unknown): Promise<Accepted> {
    if (r.points <= 0n || r.points > MAX_AMOUNT) throw refused("settlement.amount_out_of_bounds", "points out of bounds");
    const [terminalSigner, cardSigner] = this.recover(getBytes(redemptionDigest(this.chain.domain, r)), signatures.terminal, signatures.card);
    const terms = await this.checkTerminalSigned(r.terminal, r.time, terminalSigner);
    await this.checkCardSignature(r.cardId, cardSigner);
    // The head known may be up to a second old: before a settlement another gateway just had
    // confirmed, or before the card was issued (the ledger then reverts CardUnknown). A refusal,
    // or a failed read, is decided again on the node's head itself.
    let balance = await readCardBalance(this.chain, this.head, r.cardId).catch(() => undefined);
    if (balance === undefined || balance.balance < r.points) {
      this.head.forget();
      balance = await readCardBalance(this.chain, this.head, r.cardId);
      if (balance.balance < r.points) throw pointsInsufficient(balance.balance, 0n);
    }
    return this.enqueue(
      {
        kind: "redemption",
        terminal: r.terminal,
        nonce: r.nonce,
        orderId: r.orderId.toLowerCase(),
        cardId: r.cardId.toLowerCase(),
        merchantId: Number(terms.merchantId),
        payload,
      },
      undefined,
      { kind: "redemption", cardId: r.cardId, terminal: r.terminal, nonce: r.nonce, points: r.points, balance },
    );
  }

  /** A submission's current status, as terminals see it. */
  async status(id: string): Promise<SubmissionStatusView> {
    const row = /^\d{1,18}$/.test(id) ? await this.statusReads.call(BigInt(id).toString()) : undefined;
    if (!row) throw submissionNotFound(id);
    return toView(row);
  }

  /** Concurrent status reads (terminals long-polling) are answered by one query per group. */
  private readonly statusReads = new Coalescer<string, StatusRow | undefined>(async (ids) => {
    const rows = await this.db.query<StatusRow>(
      `select id, kind, status, reason, terminal, nonce, order_id, card_id, tx_hash, block_number, batch_id,
              points, credit_points from submissions where id = any($1::bigint[])`,
      [ids],
    );
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    return ids.map((id) => ({ ok: byId.get(id) }));
  }, 256, GATHER_MS);

  /**
   * Runs an intake, answering a retry as the first request was answered: when a check refuses a
   * request whose very payload is stored under the same terminal nonce (its answer was lost, and
   * since then the card was frozen or its points spent, say), the answer is the stored
   * submission (200, duplicate), not the refusal. `payload` is what the intake stores.
   */
  private async answeringRetries(terminal: string, nonce: bigint, payload: unknown, intake: () => Promise<Accepted>): Promise<Accepted> {
    try {
      return await intake();
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind === "internal" || err.kind === "unavailable") throw err;
      const stored = await findSubmission(this.db, terminal, nonce);
      if (stored?.requestHash === requestHashOf(payload)) return { duplicate: true, submission: stored };
      throw err;
    }
  }

  /** Stores the submission (and its slip, in the same transaction) and answers like the outbox did. */
  private async enqueue(s: Omit<NewSubmission, "requestHash">, slip?: IntakeItem["slip"], reservation?: Reservation): Promise<Accepted> {
    const requestHash = requestHashOf(s.payload);
    const stored = await this.intake.call({ submission: { ...s, requestHash }, slip, reservation });
    if (stored.outcome === "order_taken") {
      throw new DomainError({
        code: "settlement.order_duplicate",
        detail: "this merchant's order already has a settlement that was not rejected",
      });
    }
    if (stored.outcome === "conflict") {
      throw new DomainError({
        code: "submission.nonce_reused",
        detail: `nonce ${s.nonce} of this terminal was used for a different submission (${this.ids.toPublic(stored.submission.id)})`,
      });
    }
    return { duplicate: stored.outcome === "duplicate", submission: stored.submission };
  }

  /**
   * One group of submissions in one transaction: their slips first (a slip that conflicts fails
   * its own submission only), then what refunds and redemptions reserve (one refused fails its
   * own submission only, see reservations.ts), then the submissions. Should the group fail as a
   * whole, each item is tried alone, so one bad item cannot fail its neighbours.
   */
  private async writeGroup(items: IntakeItem[]): Promise<Outcome<EnqueueOutcome>[]> {
    const write = (group: IntakeItem[]) =>
      this.db.transaction(async (tx): Promise<Outcome<EnqueueOutcome>[]> => {
        const withSlip = group.filter((i) => i.slip);
        const slips = await storeSlips(tx, withSlip.map((i) => i.slip!));
        const refusals = new Map(withSlip.map((item, n) => [item, slips[n]]).filter(([, r]) => r instanceof DomainError) as [IntakeItem, DomainError][]);
        const reserving = group.filter((i) => i.reservation && !refusals.has(i));
        const reservations = await reserve(tx, reserving.map((i) => i.reservation!));
        reserving.forEach((item, n) => {
          const refusal = reservations[n];
          if (refusal) refusals.set(item, refusal);
        });
        const ready = group.filter((i) => !refusals.has(i));
        const stored = await enqueueSubmissions(tx, ready.map((i) => i.submission));
        const byItem = new Map(ready.map((item, n) => [item, stored[n]]));
        return group.map((item) => {
          const error = refusals.get(item);
          return error ? { error } : { ok: byItem.get(item)! };
        });
      });
    try {
      return await write(items);
    } catch (err) {
      if (items.length === 1) return [{ error: err as Error }];
      const alone: Outcome<EnqueueOutcome>[] = [];
      for (const item of items) alone.push(...(await write([item]).catch((e: Error) => [{ error: e }])));
      return alone;
    }
  }

  /** The signers of `digest`'s signatures, recovering meanwhile (the checks before them read the chain). */
  private recover(digest: Uint8Array, ...sigs: CompactSignature[]): Promise<string | null>[] {
    return sigs.map((sig) => {
      const signer = this.signers.signer(digest, sig);
      signer.catch(() => undefined); // awaited by a check, unless an earlier check refused the submission
      return signer;
    });
  }

  /** The terminal's terms, once it is registered and enabled, the time fresh and its signature valid. */
  private async checkTerminalSigned(terminal: string, time: bigint, signer: Promise<string | null>): Promise<TerminalTerms> {
    const terms = await this.chain.terminalTerms(terminal);
    this.checkTerminal(terms);
    this.checkFreshness(time);
    if ((await signer) !== terminal) {
      throw refused("signature.terminal_invalid", "the terminal signature does not match the terminal key");
    }
    return terms;
  }

  private checkTerminal(terms: TerminalTerms): void {
    if (terms.merchantId === 0n) throw refused("terminal.unknown", "the terminal key is not registered");
    if (!terms.terminalEnabled) throw refused("terminal.disabled", "the terminal is disabled");
    if (!terms.merchantActive) throw refused("merchant.inactive", "the merchant is suspended");
    if (!terms.merchantCardActive) throw refused("merchant.card_not_active", "the merchant's card is frozen or closed");
  }

  private checkFreshness(time: bigint): void {
    const now = this.nowSeconds();
    if (time > now + MAX_CLOCK_SKEW) throw refused("settlement.time_in_future", "the signed time is in the future");
    if (now > time + SIGNATURE_TTL) throw refused("settlement.expired", "the signed time is too old");
  }

  private checkSettlementTerms(s: SettlementMessage, terms: TerminalTerms): void {
    const a = terms.agreement;
    if (s.amount <= 0n || s.amount > MAX_AMOUNT) throw refused("settlement.amount_out_of_bounds", "amount out of bounds");
    if (terms.agreementVersion === 0n || s.time < a.validFrom || s.time > a.validUntil) {
      throw refused("agreement.not_in_force", "no agreement of this merchant is in force at the settlement's time");
    }
    if (s.amount < a.minAmount) throw refused("settlement.amount_below_minimum", `minimum amount is ${a.minAmount}`);
    if (s.currency.toLowerCase() !== a.currency.toLowerCase()) {
      throw refused("settlement.currency_mismatch", "the merchant's agreement is in another currency");
    }
    if (s.category >= CATEGORY_COUNT) throw refused("settlement.category_unknown", `category must be 0..${CATEGORY_COUNT - 1}`);
  }

  private async checkCardSignature(cardId: string, signer: Promise<string | null>): Promise<void> {
    const card = await this.chain.card(cardId);
    if (Number(card.status) === CardStatus.None) throw refused("card.unknown", "no such card");
    if (Number(card.status) !== CardStatus.Active) throw refused("card.not_active", "the card is frozen or closed");
    if (Number(card.kind) !== CardKind.Consumer) throw refused("card.not_consumer", "a merchant card cannot earn or redeem points");
    if ((await signer) !== card.key) {
      throw refused("signature.card_invalid", "the card signature does not match the card key");
    }
  }

  private async checkStoredSlip(s: SettlementMessage, merchantId: number): Promise<void> {
    const [slip] = await this.db.query<{ merchant_id: string; body: Slip }>(
      "select merchant_id, body from slips where slip_hash = $1",
      [s.slipHash.toLowerCase()],
    );
    if (!slip) throw refused("slip.unknown", "no slip with this hash: create it first or send it with the settlement");
    if (Number(slip.merchant_id) !== merchantId) throw refused("settlement.slip_mismatch", "the slip belongs to another merchant");
    checkMatchesSlip(s, extractSettlement(slip.body));
  }
}

/** Every field a slip determines must be the settlement's: card, terminal, order, amount, currency, category, time. */
function checkMatchesSlip(s: SettlementMessage, record: SettlementRecord): void {
  const mismatch = (Object.keys(record) as (keyof SettlementRecord)[]).find(
    (k) => String(record[k]).toLowerCase() !== String(s[k]).toLowerCase(),
  );
  if (mismatch) throw refused("settlement.slip_mismatch", `the settlement's ${mismatch} differs from the slip's`);
}

/** Hex fields lower-cased, the terminals checksummed: one spelling per refund. */
export function normaliseRefund(r: RefundMessage): RefundMessage {
  return {
    ...r,
    cardId: r.cardId.toLowerCase(),
    terminal: checksumAddress(r.terminal),
    orderId: r.orderId.toLowerCase(),
    settlementTerminal: checksumAddress(r.settlementTerminal),
  };
}

/** Hex fields lower-cased, the terminal checksummed: one spelling per settlement. */
export function normaliseSettlement(s: SettlementMessage): SettlementMessage {
  return {
    ...s,
    cardId: s.cardId.toLowerCase(),
    terminal: checksumAddress(s.terminal),
    orderId: s.orderId.toLowerCase(),
    slipHash: s.slipHash.toLowerCase(),
    currency: s.currency.toLowerCase(),
  };
}
