/**
 * The events the read index keeps, decoded from raw logs through the contracts' ABIs (typechain's
 * interfaces, never hand-written) by event and field NAME. This is the one place that knows an
 * event's fields: a change to an event is one edit here (and tsc points at it, since each event's
 * fields are typed by typechain's OutputObject).
 */
import { ZeroHash, type EventFragment, type Interface, type Log } from "ethers";
import { CredenceRegistry__factory, PointsLedger__factory } from "../../typechain-types";
import type { PointsEarnedFields } from "../chain/settlement-calldata";
import type { PointsEarnedEvent, PointsRedeemedEvent, PointsReversedEvent } from "../../typechain-types/contracts/ledger/PointsLedger";
import type {
  AgreementSetEvent,
  CardClosedEvent,
  CardFrozenEvent,
  CardIssuedEvent,
  CardReplacedEvent,
  CardUnfrozenEvent,
  MerchantActivationChangedEvent,
  MerchantCardReplacedEvent,
  MerchantRegisteredEvent,
  TerminalEnabledChangedEvent,
  TerminalRegisteredEvent,
} from "../../typechain-types/contracts/registry/CredenceRegistry";
import { CARD_KINDS } from "../../packages/terminal-sdk/src/constants";

/** The fields of a log the index reads (ethers' Log has them; so does `indexLog` of a raw eth_getLogs answer). */
export type IndexLog = Pick<Log, "address" | "topics" | "data" | "blockNumber" | "index" | "transactionHash">;

/** Where an event is on the chain. */
export interface ChainPosition {
  block: number;
  logIndex: number;
  txHash: string;
}

/** A points movement: what it did to a card's balance (signed points) and where it happened. */
export interface MovementEvent extends ChainPosition {
  type: "movement";
  movement: "earned" | "reversed_refund" | "reversed_correction" | "redeemed";
  cardId: string;
  merchantId: number;
  terminal: string;
  orderId: string;
  points: bigint;
  creditPoints: bigint;
  /** A settlement's amount or a refund's; undefined for a redemption. */
  amount?: bigint;
  reasonCode?: number;
  /** A settlement's: its merchant's agreement version at its position in the chain. */
  agreementVersion?: number;
}

/**
 * A PointsEarned as its log says it: the settlement it names by terminal and nonce, whose order
 * and amount are in its transaction's calldata (ADR 0012). `earnedMovement` completes it; the
 * store gives it its merchant's agreement version at its position (`agreement_set` events).
 */
export interface EarnedLog extends ChainPosition, PointsEarnedFields {
  type: "earned";
}

/** What the read index takes from a signed settlement in calldata. */
export interface SettlementOrder {
  orderId: string;
  amount: bigint;
}

/**
 * The movement an EarnedLog records, with its settlement's order and amount (its agreement
 * version is the store's to give, in chain order). A settlement its
 * transaction's calldata does not carry (a ledger call relayed by another contract) is listed
 * with order 0x00..00 and amount 0: the log alone does not say them.
 */
export function earnedMovement(e: EarnedLog, order: SettlementOrder | undefined): MovementEvent {
  return {
    block: e.block,
    logIndex: e.logIndex,
    txHash: e.txHash,
    type: "movement",
    movement: "earned",
    cardId: e.cardId,
    merchantId: e.merchantId,
    terminal: e.terminal,
    orderId: lower(order?.orderId ?? ZeroHash),
    points: e.points,
    creditPoints: e.creditPoints,
    amount: order?.amount ?? 0n,
  };
}

/** A change the registry made to a card, a merchant or a terminal. */
export type RegistryEvent = ChainPosition &
  (
    | { type: "card_issued"; cardId: string; account: bigint; kind: "consumer" | "merchant" }
    | { type: "card_status"; cardId: string; status: "active" | "frozen" | "closed" }
    | { type: "card_replaced"; oldCardId: string; newCardId: string; account: bigint }
    | { type: "merchant_registered"; merchantId: number; cardId: string }
    | { type: "merchant_active"; merchantId: number; active: boolean }
    | { type: "merchant_card_replaced"; merchantId: number; cardId: string }
    | { type: "agreement_set"; merchantId: number; version: number }
    | { type: "terminal_registered"; terminal: string; merchantId: number }
    | { type: "terminal_enabled"; terminal: string; enabled: boolean }
  );

export type IndexedEvent = MovementEvent | RegistryEvent;

/** What a log decodes to: an event to index, or a PointsEarned to complete from its calldata first. */
export type DecodedEvent = IndexedEvent | EarnedLog;

const ledgerInterface: Interface = PointsLedger__factory.createInterface();
const registryInterface: Interface = CredenceRegistry__factory.createInterface();
/** ReversalReason.Refund; anything else is a bank's correction. */
const REFUND = 0n;

type Decoder = (args: unknown, at: ChainPosition) => DecodedEvent;
const lower = (hex: string) => hex.toLowerCase();

/** Each event the index keeps, by name, with how its named fields become an IndexedEvent. */
const LEDGER_EVENTS: Record<string, Decoder> = {
  PointsEarned: (args, at) => {
    const e = args as PointsEarnedEvent.OutputObject;
    return { ...at, type: "earned", cardId: lower(e.cardId), merchantId: Number(e.merchantId), terminal: lower(e.terminal), nonce: e.nonce, points: e.points, creditPoints: e.creditPoints };
  },
  PointsReversed: (args, at) => {
    const e = args as PointsReversedEvent.OutputObject;
    const refund = e.reason === REFUND;
    return {
      ...at,
      type: "movement",
      movement: refund ? "reversed_refund" : "reversed_correction",
      cardId: lower(e.cardId),
      merchantId: Number(e.merchantId),
      terminal: lower(e.terminal),
      orderId: lower(e.orderId),
      points: -e.points,
      creditPoints: -e.creditPoints,
      amount: e.refundAmount,
      reasonCode: Number(e.reasonCode),
    };
  },
  PointsRedeemed: (args, at) => {
    const e = args as PointsRedeemedEvent.OutputObject;
    return { ...at, type: "movement", movement: "redeemed", cardId: lower(e.cardId), merchantId: Number(e.merchantId), terminal: lower(e.terminal), orderId: lower(e.orderId), points: -e.points, creditPoints: 0n };
  },
};

const REGISTRY_EVENTS: Record<string, Decoder> = {
  CardIssued: (args, at) => {
    const e = args as CardIssuedEvent.OutputObject;
    return { ...at, type: "card_issued", cardId: lower(e.cardId), account: e.account, kind: CARD_KINDS[Number(e.kind)] };
  },
  CardFrozen: (args, at) => ({ ...at, type: "card_status", cardId: lower((args as CardFrozenEvent.OutputObject).cardId), status: "frozen" }),
  CardUnfrozen: (args, at) => ({ ...at, type: "card_status", cardId: lower((args as CardUnfrozenEvent.OutputObject).cardId), status: "active" }),
  CardClosed: (args, at) => ({ ...at, type: "card_status", cardId: lower((args as CardClosedEvent.OutputObject).cardId), status: "closed" }),
  CardReplaced: (args, at) => {
    const e = args as CardReplacedEvent.OutputObject;
    return { ...at, type: "card_replaced", oldCardId: lower(e.oldCardId), newCardId: lower(e.newCardId), account: e.account };
  },
  MerchantRegistered: (args, at) => {
    const e = args as MerchantRegisteredEvent.OutputObject;
    return { ...at, type: "merchant_registered", merchantId: Number(e.merchantId), cardId: lower(e.cardId) };
  },
  MerchantActivationChanged: (args, at) => {
    const e = args as MerchantActivationChangedEvent.OutputObject;
    return { ...at, type: "merchant_active", merchantId: Number(e.merchantId), active: e.active };
  },
  MerchantCardReplaced: (args, at) => {
    const e = args as MerchantCardReplacedEvent.OutputObject;
    return { ...at, type: "merchant_card_replaced", merchantId: Number(e.merchantId), cardId: lower(e.newCardId) };
  },
  AgreementSet: (args, at) => {
    const e = args as AgreementSetEvent.OutputObject;
    return { ...at, type: "agreement_set", merchantId: Number(e.merchantId), version: Number(e.version) };
  },
  TerminalRegistered: (args, at) => {
    const e = args as TerminalRegisteredEvent.OutputObject;
    return { ...at, type: "terminal_registered", terminal: lower(e.terminal), merchantId: Number(e.merchantId) };
  },
  TerminalEnabledChanged: (args, at) => {
    const e = args as TerminalEnabledChangedEvent.OutputObject;
    return { ...at, type: "terminal_enabled", terminal: lower(e.terminal), enabled: e.enabled };
  },
};

/** The first topics (event signatures) of every event the index keeps: the logs to ask the node for. */
export const INDEXED_TOPICS: readonly string[] = [
  ...Object.keys(LEDGER_EVENTS).map((name) => ledgerInterface.getEvent(name)!.topicHash),
  ...Object.keys(REGISTRY_EVENTS).map((name) => registryInterface.getEvent(name)!.topicHash),
];

/**
 * Reads an event's named fields straight from its topics and data words: every field of the
 * events above is one static word (bytes32, address, bool, uintN or an enum), and reading words
 * is some twenty times cheaper than ethers' general ABI decoder, the indexer's main cost.
 * Values come as ethers gives them: uint and enum as bigint, address and bytes32 as hex strings.
 */
type WordReader = (word: string) => bigint | string | boolean;

interface EventLayout {
  name: string;
  fields: { name: string; topic?: number; word?: number; read: WordReader }[];
}

/** How to read a one-word field; undefined for another type (a tuple, say). */
function wordReader(type: string): WordReader | undefined {
  if (type === "address") return (w) => "0x" + w.slice(24);
  if (type === "bool") return (w) => !/^0+$/.test(w);
  if (type === "bytes32") return (w) => "0x" + w;
  if (/^uint\d*$/.test(type)) return (w) => BigInt("0x" + w);
  return undefined;
}

/**
 * The fields of an event the index reads. A field that is not one word is left unread, and must
 * be the last of the data (AgreementSet's agreement): the words before it keep their places.
 */
function layoutOf(fragment: EventFragment): EventLayout {
  let topic = 0;
  let word = 0;
  let unread: string | undefined;
  const fields: EventLayout["fields"] = [];
  for (const p of fragment.inputs) {
    const read = wordReader(p.type);
    if (!read || (unread && !p.indexed)) {
      if (p.indexed || unread) throw new Error(`the read index reads only one-word fields before any other; ${fragment.name}.${unread ?? p.name} is not one`);
      unread = p.name;
      continue;
    }
    fields.push({ name: p.name, ...(p.indexed ? { topic: ++topic } : { word: word++ }), read });
  }
  return { name: fragment.name, fields };
}

function layouts(iface: Interface, names: readonly string[]): Map<string, EventLayout> {
  return new Map(names.map((name) => [iface.getEvent(name)!.topicHash, layoutOf(iface.getEvent(name)!)]));
}

/** Decodes the logs of one deployment's ledger and registry, in chain order; other logs are skipped. */
export class IndexDecoder {
  private readonly ledger: string;
  private readonly registry: string;
  private readonly ledgerLayouts = layouts(ledgerInterface, Object.keys(LEDGER_EVENTS));
  private readonly registryLayouts = layouts(registryInterface, Object.keys(REGISTRY_EVENTS));

  constructor(addresses: { ledger: string; registry: string }) {
    this.ledger = lower(addresses.ledger);
    this.registry = lower(addresses.registry);
  }

  decode(log: IndexLog): DecodedEvent | undefined {
    const address = lower(log.address);
    const [byTopic, decoders] = address === this.ledger ? [this.ledgerLayouts, LEDGER_EVENTS] : address === this.registry ? [this.registryLayouts, REGISTRY_EVENTS] : [undefined, undefined];
    const layout = byTopic?.get(log.topics[0]);
    if (!layout || !decoders) return undefined;
    const data = log.data.slice(2);
    const args: Record<string, bigint | string | boolean> = {};
    for (const f of layout.fields) args[f.name] = f.read(f.topic !== undefined ? log.topics[f.topic].slice(2) : data.slice(64 * f.word!, 64 * f.word! + 64));
    return decoders[layout.name](args, { block: log.blockNumber, logIndex: log.index, txHash: lower(log.transactionHash) });
  }
}
