/**
 * The terminal client: what a POS terminal does with a Credence gateway.
 *
 *   const terminal = await TerminalClient.connect("http://gateway:8080", { privateKey });
 *   const slip = terminal.slip({ orderNumber: "A-1001", cardId, currency: "CNY", category: 1,
 *                                lines: [{ description: "Rice 5kg", quantity: 1, unitPrice: "4590" }] });
 *   const final = await terminal.settleAndWait(slip, cardSigner); // "confirmed" with points, or "rejected"
 *   await terminal.refund(final, 2_500n);                          // names the settlement it refunds
 *
 * The card signer is the consumer's chip or phone app: anything that signs a 32-byte digest.
 * Nonces must never repeat for a terminal; keep them increasing (the ledger stores them in
 * 256-nonce words, so consecutive nonces are cheapest) and persist the counter across restarts.
 */
import { extractSettlement, orderIdOf, slipHash, type Slip } from "./slips";
import { addressOf, signDigest } from "./signing";
import { fetchTransport, requestJson, type Transport } from "./http";
import {
  credenceDomain,
  orderSlipDigest,
  redemptionDigest,
  refundDigest,
  settlementDigest,
  type CompactSignature,
  type Eip712Domain,
  type RedemptionMessage,
  type RefundMessage,
  type SettlementMessage,
} from "./typed-data";


/** Signs for a card: the consumer's chip or phone app. */
export interface CardSigner {
  signDigest(digest: string): CompactSignature | Promise<CompactSignature>;
}

/** A card signer over a raw secp256k1 key (a simulated chip). */
export function privateKeyCardSigner(key: { privateKey: string }): CardSigner {
  return { signDigest: (digest) => signDigest(digest, key.privateKey) };
}

export interface NonceSource {
  next(): bigint;
}

/** An in-memory increasing counter. A real terminal persists its counter. */
export class CounterNonces implements NonceSource {
  constructor(private value: bigint) {}
  next(): bigint {
    return this.value++;
  }
}

export interface SubmissionStatus {
  id: string;
  kind: string;
  status: "queued" | "submitted" | "confirmed" | "rejected";
  reason: string | null;
  terminal: string;
  nonce: string;
  orderId: string | null;
  cardId: string | null;
  txHash: string | null;
  blockNumber: number | null;
  points: string | null;
  creditPoints: string | null;
}

/**
 * The settlement a refund refunds, as the ledger knows it: its card, its order, and the terminal
 * and nonce it was signed under. A SignedSettlement's `settlement` is one, and so is the status
 * of its submission.
 */
export interface SettlementReference {
  cardId: string | null;
  terminal: string;
  nonce: bigint | string;
  orderId: string | null;
}

/** A settlement with both signatures, and the slip it settles. */
export interface SignedSettlement {
  settlement: SettlementMessage;
  signatures: { terminal: CompactSignature; card: CompactSignature };
  slip: Slip;
}

export interface Accepted {
  id: string;
  status: SubmissionStatus["status"];
  duplicate: boolean;
  statusUrl: string;
  /** The final status, when the gateway was asked to wait for it (`Prefer: wait`) and it came in time. */
  outcome?: SubmissionStatus;
}

/** What the gateway answers for a stored slip (the parts a terminal needs). */
export interface StoredSlipReply {
  id: string;
  slipHash: string;
  orderId: string;
  merchantId: number;
}

export interface SlipInput {
  orderNumber: string;
  cardId: string;
  currency: string;
  category: number;
  lines: { description: string; quantity: number; unitPrice: string }[];
  /** Unix seconds; now by default. */
  time?: number;
}

/** A terminal's key: its secp256k1 private key, 0x-hex. */
export interface TerminalKey {
  privateKey: string;
}

const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));

export class TerminalClient {
  /** The terminal's address (its registered key). */
  readonly address: string;

  constructor(
    readonly gatewayUrl: string,
    protected readonly key: TerminalKey,
    readonly domain: Eip712Domain,
    readonly nonces: NonceSource = new CounterNonces(BigInt(Date.now()) * 1000n),
    private readonly transport: Transport = fetchTransport(),
  ) {
    this.address = addressOf(key.privateKey);
  }

  /** The EIP-712 domain the gateway's ledger signs under (GET /v1/info). */
  static async readDomain(gatewayUrl: string, transport: Transport = fetchTransport()): Promise<Eip712Domain> {
    const info = await requestJson<{ chainId: string; ledger: string }>(transport, gatewayUrl, "GET", "/v1/info");
    return credenceDomain(BigInt(info.chainId), info.ledger);
  }

  /** Connect to a gateway: reads the chain ID and ledger address the signatures are bound to. */
  static async connect(gatewayUrl: string, key: TerminalKey, nonces?: NonceSource, transport: Transport = fetchTransport()): Promise<TerminalClient> {
    return new TerminalClient(gatewayUrl, key, await TerminalClient.readDomain(gatewayUrl, transport), nonces, transport);
  }

  /** Build an order slip for this terminal; the total is the sum of the lines. */
  slip(input: SlipInput): Slip {
    const total = input.lines.reduce((sum, l) => sum + BigInt(l.unitPrice) * BigInt(l.quantity), 0n);
    return {
      orderNumber: input.orderNumber,
      cardId: input.cardId,
      terminal: this.address,
      currency: input.currency,
      category: input.category,
      time: input.time ?? Math.floor(Date.now() / 1000),
      lines: input.lines,
      total: total.toString(),
    };
  }

  /**
   * Store `slip` at the gateway ahead of its settlement (signed by this terminal, as the gateway
   * requires); a settlement may then leave the slip out. Returns the stored slip's ID and hash.
   */
  async storeSlip(slip: Slip): Promise<StoredSlipReply> {
    const signature = this.sign(orderSlipDigest(this.domain, slipHash(slip)));
    return this.request<StoredSlipReply>("POST", "/v1/slips", { slip, signature });
  }

  /**
   * Sign a settlement of `slip` with the terminal key and the card, and submit it with the slip.
   * With `waitSeconds` (at most 30) the gateway answers once the settlement is final or the time
   * is up; the final status is then in `outcome`.
   */
  async settle(slip: Slip, card: CardSigner, nonce = this.nonces.next(), waitSeconds?: number): Promise<Accepted> {
    return this.submit(await this.signSettlement(slip, card, nonce), waitSeconds);
  }

  /** A settlement of `slip` signed by the terminal key and the card, ready to submit. */
  async signSettlement(slip: Slip, card: CardSigner, nonce = this.nonces.next()): Promise<SignedSettlement> {
    const settlement: SettlementMessage = { ...extractSettlement(slip), nonce };
    const digest = settlementDigest(this.domain, settlement);
    return { settlement, signatures: { terminal: this.sign(digest), card: await card.signDigest(digest) }, slip };
  }

  /** Submit a signed settlement (see `settle`). */
  async submit(signed: SignedSettlement, waitSeconds?: number): Promise<Accepted> {
    return this.request<Accepted>("POST", "/v1/settlements", signed, waitSeconds ? { prefer: `wait=${waitSeconds}` } : undefined);
  }

  /**
   * Settle and wait for the final status (confirmed with points, or rejected): one request when
   * the ledger records it within 10 s, long-polling after that. `onAccepted` is called once the
   * gateway has stored the settlement. Throws after `timeoutMs`.
   */
  async settleAndWait(slip: Slip, card: CardSigner, timeoutMs = 60_000, onAccepted?: (a: Accepted) => void): Promise<SubmissionStatus> {
    return this.submitAndWait(await this.signSettlement(slip, card), timeoutMs, onAccepted);
  }

  /** Submit a signed settlement and wait for its final status (see `settleAndWait`). */
  async submitAndWait(signed: SignedSettlement, timeoutMs = 60_000, onAccepted?: (a: Accepted) => void): Promise<SubmissionStatus> {
    const started = Date.now();
    const a = await this.submit(signed, Math.max(1, Math.min(10, Math.floor(timeoutMs / 1000))));
    onAccepted?.(a);
    return a.outcome ?? this.waitFor(a.id, Math.max(0, timeoutMs - (Date.now() - started)));
  }

  /**
   * Refund `amount` of a settlement of this merchant (made at this terminal or another of the
   * merchant's): the signed refund names that settlement, so it can reverse no other. A
   * `422 refund.exceeds_order` means the refunds of that settlement already accepted leave less.
   */
  async refund(settlement: SettlementReference, amount: bigint, nonce = this.nonces.next()): Promise<Accepted> {
    if (!settlement.cardId || !settlement.orderId) throw new TypeError("a refund names a settlement: its card and order are missing");
    const refund: RefundMessage = {
      cardId: settlement.cardId,
      terminal: this.address,
      nonce,
      orderId: settlement.orderId,
      settlementTerminal: settlement.terminal,
      settlementNonce: BigInt(settlement.nonce),
      amount,
      time: nowSeconds(),
    };
    return this.request<Accepted>("POST", "/v1/refunds", { refund, signature: this.sign(refundDigest(this.domain, refund)) });
  }

  /**
   * Spend a card's points at this terminal (the card signs too). A `422 points.insufficient`
   * means the card's points, less what its accepted redemptions and refunds reserve, fall short.
   */
  async redeem(cardId: string, points: bigint, orderNumber: string, card: CardSigner, nonce = this.nonces.next()): Promise<Accepted> {
    const redemption: RedemptionMessage = { cardId, terminal: this.address, nonce, orderId: orderIdOf(orderNumber), points, time: nowSeconds() };
    const digest = redemptionDigest(this.domain, redemption);
    const signatures = { terminal: this.sign(digest), card: await card.signDigest(digest) };
    return this.request<Accepted>("POST", "/v1/redemptions", { redemption, signatures });
  }

  /** Current status of a submission. */
  async status(id: string, waitMs = 0): Promise<SubmissionStatus> {
    return this.request<SubmissionStatus>("GET", `/v1/submissions/${encodeURIComponent(id)}${waitMs ? `?waitMs=${waitMs}` : ""}`);
  }

  /** Wait until a submission is confirmed or rejected (long-polling), or throw after `timeoutMs`. */
  async waitFor(id: string, timeoutMs = 60_000): Promise<SubmissionStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      const s = await this.status(id, Math.max(0, Math.min(left, 10_000)));
      if (s.status === "confirmed" || s.status === "rejected") return s;
      if (Date.now() >= deadline) throw new Error(`submission ${id} still ${s.status} after ${timeoutMs} ms`);
    }
  }

  /** The terminal's signature on a digest (a subclass may sign with a faster secp256k1 library: same signatures). */
  protected sign(digest: string): CompactSignature {
    return signDigest(digest, this.key.privateKey);
  }

  private request<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return requestJson<T>(this.transport, this.gatewayUrl, method, path, body, headers);
  }
}
