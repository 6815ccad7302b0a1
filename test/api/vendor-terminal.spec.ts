/**
 * A vendor's terminal written from docs/terminal-integration.md alone, driving a live gateway:
 * its hashing and signing are test/helpers/independent-terminal.ts (@noble/*, no ethers, nothing
 * from src/ or packages/), its HTTP is node's fetch. It settles an order, refunds part of it and
 * redeems points, reading every outcome from the status URL as the guide says. Only the set-up
 * (gateway, cards, merchant, terminal registration) and the final balance check use the
 * project's fixtures: if the guide leaves out something a terminal needs, this fails.
 */
import { expect } from "chai";
import {
  TYPE_STRINGS,
  addressOfKey,
  orderIdOf,
  signCompact,
  typedDigest,
  type CompactSignature,
  type Eip712Domain,
  type Message,
  type SignedType,
  type Slip,
  settlementFieldsOf,
} from "../helpers/independent-terminal";
import { DEFAULT_AGREEMENT, issueConsumer, now, openMerchant, readCard, startGatewayFixture, type Consumer, type GatewayFixture, type Merchant } from "../gateway/helpers/gateway-fixture";

const CREDIT_RATE_BPS = 1_000;

/** What a terminal reads of GET /v1/submissions/{id} (section 9; a refund names its settlement by these). */
type Status = Record<"status" | "terminal" | "nonce" | "cardId" | "orderId", string> & Record<string, unknown>;

/** An answer of the gateway: status, headers and JSON body. */
interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** The vendor's terminal: a key, the domain read once from /v1/info, and a nonce counter. */
class VendorTerminal {
  readonly address: string;
  /** Section 6: a terminal that lost its counter restarts at the time in ms × 1000. */
  private nonce = BigInt(Date.now()) * 1000n;

  private constructor(
    readonly gatewayUrl: string,
    private readonly privateKey: string,
    readonly domain: Eip712Domain,
    readonly types: Record<string, { name: string; type: string }[]>,
  ) {
    this.address = addressOfKey(privateKey);
  }

  static async connect(gatewayUrl: string, privateKey: string): Promise<VendorTerminal> {
    const info = (await (await fetch(`${gatewayUrl}/v1/info`)).json()) as { eip712: { domain: Eip712Domain; types: Record<string, { name: string; type: string }[]> } };
    return new VendorTerminal(gatewayUrl, privateKey, info.eip712.domain, info.eip712.types);
  }

  nextNonce(): string {
    return (this.nonce++).toString();
  }

  sign(type: SignedType, message: Message, key = this.privateKey): CompactSignature {
    return signCompact(typedDigest(this.domain, type, message), key);
  }

  async send(method: "GET" | "POST", path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(new URL(path, this.gatewayUrl), {
      method,
      headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  /** POST /v1/settlements: the slip inline, signed by this terminal and the card (section 8). */
  settlementOf(slip: Slip, cardKey: string) {
    const settlement = { ...settlementFieldsOf(slip), nonce: this.nextNonce() };
    return { settlement, signatures: { terminal: this.sign("Settlement", settlement), card: this.sign("Settlement", settlement, cardKey) }, slip };
  }

  /** POST /v1/refunds of part of a confirmed settlement, named by its status's fields. */
  refundOf(settled: Status, amount: bigint) {
    const refund = {
      cardId: settled.cardId,
      terminal: this.address,
      nonce: this.nextNonce(),
      orderId: settled.orderId,
      settlementTerminal: settled.terminal,
      settlementNonce: settled.nonce,
      amount: amount.toString(),
      time: String(now()),
    };
    return { refund, signature: this.sign("Refund", refund) };
  }

  /** POST /v1/redemptions, signed by this terminal and the card. */
  redemptionOf(cardId: string, points: bigint, orderNumber: string, cardKey: string) {
    const redemption = { cardId, terminal: this.address, nonce: this.nextNonce(), orderId: orderIdOf(orderNumber), points: points.toString(), time: String(now()) };
    return { redemption, signatures: { terminal: this.sign("Redemption", redemption), card: this.sign("Redemption", redemption, cardKey) } };
  }

  /** Poll the status URL with `waitMs` until the status is final. */
  async finalStatus(statusUrl: string, timeoutMs = 30_000): Promise<Status> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await this.send("GET", `${statusUrl}?waitMs=5000`);
      expect(status, JSON.stringify(body)).to.equal(200);
      const view = body as unknown as Status;
      if (view.status === "confirmed" || view.status === "rejected") return view;
      if (Date.now() > deadline) throw new Error(`${statusUrl} still ${view.status}`);
    }
  }
}

/** The agreement's points for a payment (the guide's section 9): min(amount × base rate × multiplier / 10^6, cap). */
function pointsEarned(amount: bigint, category: number): bigint {
  const raw = (amount * BigInt(DEFAULT_AGREEMENT.baseRateBps) * BigInt(DEFAULT_AGREEMENT.categoryMultipliers[category])) / 1_000_000n;
  const cap = BigInt(DEFAULT_AGREEMENT.maxPointsPerSettlement);
  return raw < cap ? raw : cap;
}

describe("a vendor's terminal written from the integration guide, against a live gateway", function () {
  this.timeout(60_000);
  let f: GatewayFixture;
  let shop: Merchant;
  let card: Consumer;
  let terminal: VendorTerminal;

  before(async function () {
    f = await startGatewayFixture();
    shop = await openMerchant(f, "vendor-shop");
    await f.operators.bank.decide("PUT", "/v1/credit-point-rule", { rateBps: CREDIT_RATE_BPS });
    card = await issueConsumer(f, "vendor-card");
    terminal = await VendorTerminal.connect(f.url, shop.terminalKey.privateKey);
  });

  after(async function () {
    await f?.stop();
  });

  it("signs the type strings the guide writes, which are the gateway's", function () {
    const typeString = (name: string) => `${name}(${terminal.types[name].map((field) => `${field.type} ${field.name}`).join(",")})`;
    for (const [name, written] of Object.entries(TYPE_STRINGS)) expect(typeString(name), name).to.equal(written);
    expect(terminal.address).to.equal(shop.terminalKey.address);
  });

  it("settles an order, refunds part of it and redeems points, each confirmed with the points the guide says", async function () {
    const lines = [
      { description: "Rice 5kg", quantity: 2, unitPrice: "04590" },
      { description: "Green tea", quantity: 1, unitPrice: "1250" },
    ];
    const slip: Slip = { orderNumber: "V-1001", cardId: card.cardId.toUpperCase().replace("0X", "0x"), terminal: terminal.address.toLowerCase(), currency: "CNY", category: 1, time: now(), lines, total: "10430" };
    const settlement = terminal.settlementOf(slip, card.key.privateKey);

    // 202 with a status URL, also in Location; the same body again is a retry: 200, the same ID.
    const accepted = await terminal.send("POST", "/v1/settlements", settlement);
    expect(accepted.status, JSON.stringify(accepted.body)).to.equal(202);
    expect(accepted.body).to.include({ duplicate: false });
    const statusUrl = accepted.body.statusUrl as string;
    expect(accepted.headers.get("location")).to.equal(statusUrl);
    const retried = await terminal.send("POST", "/v1/settlements", settlement);
    expect(retried.status).to.equal(200);
    expect(retried.body).to.include({ id: accepted.body.id, duplicate: true });

    const settled = await terminal.finalStatus(statusUrl);
    const points = pointsEarned(10_430n, 1);
    const credit = (points * BigInt(CREDIT_RATE_BPS)) / 10_000n;
    expect(settled).to.deep.include({ kind: "settlement", status: "confirmed", reason: null, points: points.toString(), creditPoints: credit.toString() });

    // Refund 25.00 of 104.30: floor(P × after / A) − floor(P × before / A) (section 10).
    const refunded = 2_500n;
    const refund = await terminal.send("POST", "/v1/refunds", terminal.refundOf(settled, refunded));
    expect(refund.status, JSON.stringify(refund.body)).to.equal(202);
    const reversed = (points * refunded) / 10_430n;
    const creditReversed = (credit * refunded) / 10_430n;
    expect(await terminal.finalStatus(refund.body.statusUrl as string)).to.deep.include({
      kind: "refund",
      status: "confirmed",
      points: reversed.toString(),
      creditPoints: creditReversed.toString(),
    });

    // A redemption waiting for its outcome with Prefer: wait.
    const spent = 300n;
    const redemption = await terminal.send("POST", "/v1/redemptions", terminal.redemptionOf(card.cardId, spent, "V-1002", card.key.privateKey), { Prefer: "wait=20" });
    expect(redemption.status, JSON.stringify(redemption.body)).to.equal(202);
    expect(redemption.headers.get("preference-applied")).to.equal("wait=20");
    expect(redemption.body.outcome).to.deep.include({ kind: "redemption", status: "confirmed", points: spent.toString(), creditPoints: null });

    expect((await readCard(f, card.cardId)).points).to.deep.equal({
      balance: (points - reversed - spent).toString(),
      earned: points.toString(),
      reversed: reversed.toString(),
      redeemed: spent.toString(),
    });
  });
});
