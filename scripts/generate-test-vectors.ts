/**
 * Writes the terminal test vectors (test-vectors/*.json) from fixed public test keys, through the
 * project's own code: the gateway's slip canonicalisation, the SDK's signing and the typed-data
 * hashing. Deterministic: the same source writes the same bytes, and test/domain/test-vectors.spec.ts
 * fails when the files and the code disagree.
 *
 *   npm run vectors
 *
 * The vectors' domain is the ledger that a fresh deployment by the vector deployer key gets
 * (its third contract, after the operators and the registry) on chain 31337: the contract test
 * deploys exactly that and settles a vector on it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TypedDataEncoder, Wallet, getBytes, getCreateAddress, id, keccak256 } from "ethers";
import { canonicalJson, canonicalSlip, extractSettlement, orderIdOf, slipHash, slipSchema, type Slip } from "../src/domain/slips";
import { MAX_AMOUNT } from "../src/domain/slips";
import {
  REDEMPTION_TYPES,
  REFUND_TYPES,
  SETTLEMENT_TYPES,
  ORDER_SLIP_TYPES,
  domainSeparator,
  ledgerDomain,
  orderSlipDigest,
  redemptionDigest,
  refundDigest,
  settlementDigest,
  type CompactSignature,
  type RedemptionMessage,
  type RefundMessage,
  type SettlementMessage,
} from "../src/domain/typed-data";
import { signCompact } from "../src/domain/signer-recovery";
import { reversedShare } from "../src/domain/points";

const OUT_DIR = path.join(__dirname, "..", "test-vectors");
const UINT64_MAX = 2n ** 64n - 1n;
const UINT40_MAX = 2n ** 40n - 1n;

/** Public test keys: keccak256 of a label. Never use them for anything but tests. */
const keyOf = (label: string) => new Wallet(id(`credence test vector: ${label}`));
const KEYS = {
  deployer: keyOf("deployer"),
  terminal: keyOf("terminal"),
  otherTerminal: keyOf("other terminal"),
  card: keyOf("card"),
};
const CARD_ID = id("credence test vector: card id");
const CHAIN_ID = 31337n;
/** CredenceOperators, CredenceRegistry, then PointsLedger: the deployer's nonces 0, 1, 2. */
const LEDGER = getCreateAddress({ from: KEYS.deployer.address, nonce: 2 });
const DOMAIN = ledgerDomain(CHAIN_ID, LEDGER);
/** The time of the vector the contract test settles on chain (2033-05-18T03:33:20Z). */
const ON_CHAIN_TIME = 2_000_000_000;

const typeString = (types: Record<string, { name: string; type: string }[]>) => {
  const [name] = Object.keys(types);
  return `${name}(${types[name].map((f) => `${f.type} ${f.name}`).join(",")})`;
};
const sign = (digest: string, key: Wallet): CompactSignature => signCompact(getBytes(digest), getBytes(key.privateKey));
/** JSON: bigints as decimal strings (as the API takes them). */
const jsonOf = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n";
const structHashOf = (types: Record<string, { name: string; type: string }[]>, message: object) =>
  TypedDataEncoder.from(types).hash(message as Record<string, unknown>);
/** What the struct hash hashes: the type hash and each field as one 32-byte word. */
const encodedOf = (types: Record<string, { name: string; type: string }[]>, message: object) =>
  TypedDataEncoder.from(types).encodeData(Object.keys(types)[0], message);

/** A message's JSON form (numbers as decimal strings) and every hash of it, down to its digest. */
function hashed(types: Record<string, { name: string; type: string }[]>, message: object, digest: string) {
  const json = Object.fromEntries(Object.entries(message).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]));
  return { message: json, encodedData: encodedOf(types, message), structHash: structHashOf(types, message), digest };
}

function slipOf(fields: Partial<Slip> & Pick<Slip, "orderNumber" | "lines">): Slip {
  const total = fields.lines.reduce((sum, l) => sum + BigInt(l.unitPrice) * BigInt(l.quantity), 0n);
  return {
    cardId: CARD_ID,
    terminal: KEYS.terminal.address,
    currency: "CNY",
    category: 1,
    time: ON_CHAIN_TIME,
    total: total.toString(),
    ...fields,
  };
}

const SLIPS: { name: string; description: string; slip: Slip }[] = [
  {
    name: "groceries",
    description: "A plain slip: two lines, CNY, category 1. The contract test settles it on chain (nonce 1).",
    slip: slipOf({
      orderNumber: "A-1001",
      lines: [
        { description: "Rice 5kg", quantity: 1, unitPrice: "4590" },
        { description: "Soy sauce", quantity: 2, unitPrice: "1250" },
      ],
    }),
  },
  {
    name: "unicode-and-escapes",
    description:
      "Unicode and JSON escapes in line text (CJK, an emoji outside the BMP, a combining accent, U+2028, quote, backslash, slash, tab, newline, U+001F); " +
      "the card ID in upper case and the terminal in lower case (canonical: lower-case card ID, EIP-55 terminal); unit prices with leading zeros (canonical: none); a free line.",
    slip: slipOf({
      orderNumber: "Z.9_8:7-6",
      cardId: "0x" + CARD_ID.slice(2).toUpperCase(),
      terminal: KEYS.terminal.address.toLowerCase(),
      currency: "JPY",
      category: 7,
      lines: [
        { description: "大米 5kg", quantity: 3, unitPrice: "00980" },
        { description: "🍣 sushi set", quantity: 1, unitPrice: "1200" },
        { description: "Cafe\u0301 cre\u0300me \u2028 next", quantity: 1, unitPrice: "450" },
        { description: 'He said "hi" \\ a/b\ttab\nline\u001f', quantity: 2, unitPrice: "0" },
      ],
    }),
  },
  {
    name: "largest",
    description:
      "Every field at its largest: total MAX_AMOUNT (10^15) as quantity 1,000,000 x 10^9, category 15, time 2^40-1, a 64-character order number of every allowed character class, a 200-character line.",
    slip: slipOf({
      orderNumber: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.:",
      category: 15,
      time: Number(UINT40_MAX),
      lines: [{ description: "x".repeat(199) + "€", quantity: 1_000_000, unitPrice: "1000000000" }],
    }),
  },
  {
    name: "smallest",
    description: "Every field at its smallest: total 1 minor unit, category 0, time 0, a one-character order number and line text.",
    slip: slipOf({ orderNumber: "0", category: 0, time: 0, currency: "USD", lines: [{ description: "a", quantity: 1, unitPrice: "1" }] }),
  },
];

function slipVectors() {
  return SLIPS.map(({ name, description, slip }) => {
    const parsed = slipSchema.parse(slip);
    const canonical = canonicalSlip(parsed);
    const hash = slipHash(parsed);
    const digest = orderSlipDigest(DOMAIN, hash);
    const record = extractSettlement(parsed);
    return {
      name,
      description,
      slip,
      canonicalJson: canonicalJson(canonical),
      slipHash: hash,
      orderId: orderIdOf(slip.orderNumber),
      settlementFields: { ...record, amount: record.amount.toString(), time: record.time.toString() },
      orderSlip: {
        structHash: structHashOf(ORDER_SLIP_TYPES, { slipHash: hash }),
        digest,
        request: { slip, signature: sign(digest, KEYS.terminal) },
      },
    };
  });
}

function settlementVector(name: string, description: string, slip: Slip, nonce: bigint) {
  const settlement: SettlementMessage = { ...extractSettlement(slipSchema.parse(slip)), nonce };
  const digest = settlementDigest(DOMAIN, settlement);
  const hashes = hashed(SETTLEMENT_TYPES, settlement, digest);
  return {
    name,
    description,
    slipName: SLIPS.find((s) => s.slip === slip)!.name,
    ...hashes,
    request: {
      settlement: hashes.message,
      signatures: { terminal: sign(digest, KEYS.terminal), card: sign(digest, KEYS.card) },
      slip,
    },
  };
}

function settlementVectors() {
  const [groceries, unicode, largest, smallest] = SLIPS.map((s) => s.slip);
  return [
    settlementVector("groceries", "The groceries slip at nonce 1: the contract test settles this one on chain.", groceries, 1n),
    settlementVector("unicode", "The unicode slip at nonce 2.", unicode, 2n),
    settlementVector("largest", "The largest slip at the largest nonce (2^64-1): hashes only, its time is beyond any ledger's window.", largest, UINT64_MAX),
    settlementVector("smallest", "The smallest slip at nonce 0: hashes only, its time is long expired.", smallest, 0n),
  ];
}

function refundVector(name: string, description: string, refund: RefundMessage) {
  const digest = refundDigest(DOMAIN, refund);
  const hashes = hashed(REFUND_TYPES, refund, digest);
  return {
    name,
    description,
    ...hashes,
    request: { refund: hashes.message, signature: sign(digest, KEYS.otherTerminal) },
  };
}

function refundVectors(settlements: ReturnType<typeof settlementVectors>) {
  const groceries = settlements[0].message;
  const base = {
    cardId: groceries.cardId,
    terminal: KEYS.otherTerminal.address,
    orderId: groceries.orderId,
    settlementTerminal: groceries.terminal,
    settlementNonce: BigInt(groceries.nonce),
  };
  return [
    refundVector("partial", "2,500 of the groceries settlement, from another terminal of the merchant, an hour later.", {
      ...base,
      nonce: 1n,
      amount: 2_500n,
      time: BigInt(ON_CHAIN_TIME + 3600),
    }),
    refundVector("largest", "Every number at its largest: nonce and settlement nonce 2^64-1, amount MAX_AMOUNT, time 2^40-1.", {
      ...base,
      nonce: UINT64_MAX,
      settlementNonce: UINT64_MAX,
      amount: MAX_AMOUNT,
      time: UINT40_MAX,
    }),
    refundVector("smallest", "Every number at its smallest: nonce 0, settlement nonce 0, amount 1, time 0.", {
      ...base,
      nonce: 0n,
      settlementNonce: 0n,
      amount: 1n,
      time: 0n,
    }),
  ];
}

/** Points and credit points a refund reverses: the refunded share of the order's, rounded down at each end. */
function roundingVectors() {
  const cases: [bigint, bigint, bigint, bigint][] = [
    // [order's points (or credit points), order amount, refunded before, refunded after]
    [91n, 9_090n, 0n, 2_500n],
    [91n, 9_090n, 2_500n, 9_090n],
    [10n, 3n, 0n, 1n],
    [10n, 3n, 1n, 2n],
    [10n, 3n, 2n, 3n],
    [1n, 1_000n, 0n, 999n],
    [1n, 1_000n, 999n, 1_000n],
    [5_000n, MAX_AMOUNT, 0n, MAX_AMOUNT],
  ];
  return cases.map(([total, amount, before, after]) => ({
    orderPoints: total.toString(),
    orderAmount: amount.toString(),
    refundedBefore: before.toString(),
    refundedAfter: after.toString(),
    reversed: reversedShare(total, amount, before, after).toString(),
  }));
}

function redemptionVector(name: string, description: string, redemption: RedemptionMessage, orderNumber: string) {
  const digest = redemptionDigest(DOMAIN, redemption);
  const hashes = hashed(REDEMPTION_TYPES, redemption, digest);
  return {
    name,
    description,
    orderNumber,
    ...hashes,
    request: { redemption: hashes.message, signatures: { terminal: sign(digest, KEYS.terminal), card: sign(digest, KEYS.card) } },
  };
}

function redemptionVectors() {
  const base = { cardId: CARD_ID, terminal: KEYS.terminal.address };
  return [
    redemptionVector("plain", "50 points for order R-77, a day after the groceries settlement.", { ...base, nonce: 3n, orderId: orderIdOf("R-77"), points: 50n, time: BigInt(ON_CHAIN_TIME + 86_400) }, "R-77"),
    redemptionVector("largest", "Nonce 2^64-1, points MAX_AMOUNT, time 2^40-1, a 64-character order number.", { ...base, nonce: UINT64_MAX, orderId: orderIdOf("9".repeat(64)), points: MAX_AMOUNT, time: UINT40_MAX }, "9".repeat(64)),
    redemptionVector("smallest", "Nonce 0, 1 point, time 0.", { ...base, nonce: 0n, orderId: orderIdOf("r"), points: 1n, time: 0n }, "r"),
  ];
}

function domainVector() {
  const types = { Settlement: SETTLEMENT_TYPES, Refund: REFUND_TYPES, Redemption: REDEMPTION_TYPES, OrderSlip: ORDER_SLIP_TYPES };
  return {
    description:
      "Public test keys (keccak256 of 'credence test vector: <label>'): never use them for anything but tests. " +
      "The domain is that of the ledger a fresh deployment by `deployer` gets on chain 31337 (its nonce 2).",
    keys: Object.fromEntries(Object.entries(KEYS).map(([k, w]) => [k, { privateKey: w.privateKey, address: w.address }])),
    cardId: CARD_ID,
    domain: { name: DOMAIN.name, version: DOMAIN.version, chainId: CHAIN_ID.toString(), verifyingContract: LEDGER },
    domainTypeString: "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
    domainSeparator: domainSeparator(DOMAIN),
    types: Object.fromEntries(
      Object.entries(types).map(([name, t]) => [name, { typeString: typeString(t), typeHash: keccak256(Buffer.from(typeString(t))) }]),
    ),
  };
}

function main(): void {
  mkdirSync(OUT_DIR, { recursive: true });
  const settlements = settlementVectors();
  const files: Record<string, unknown> = {
    "domain.json": domainVector(),
    "slips.json": slipVectors(),
    "settlements.json": settlements,
    "refunds.json": { refunds: refundVectors(settlements), rounding: roundingVectors() },
    "redemptions.json": redemptionVectors(),
  };
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(OUT_DIR, file), jsonOf(content));
  console.log(`vectors: ${Object.keys(files).length} files written to test-vectors/`);
}

main();
