/**
 * Decoding the logs an audit reads, by their first topic, with the ABIs typechain generated
 * from the contracts (never hand-written): the registry's, the ledger's and the dual-control
 * events every DualControl contract shares, plus those of any extra subject.
 */
import { AbiCoder, Interface, type EventFragment, type ParamType } from "ethers";
import { CredenceRegistry__factory, IDualControl__factory, PointsLedger__factory } from "../../typechain-types";
import type { RawLog } from "./event-pager";

export interface DecodedLog extends RawLog {
  name: string;
  args: Record<string, unknown> & { [index: number]: unknown };
}

/** An event's layout: its indexed parameters (one topic each, after the signature's) and the rest (its data). */
interface EventLayout {
  name: string;
  params: readonly ParamType[];
  indexed: readonly ParamType[];
  data: readonly ParamType[];
}

const abi = AbiCoder.defaultAbiCoder();

export class EventDecoder {
  private readonly byTopic = new Map<string, EventLayout>();

  constructor(extra: readonly Interface[] = []) {
    const interfaces = [
      CredenceRegistry__factory.createInterface(),
      PointsLedger__factory.createInterface(),
      IDualControl__factory.createInterface(),
      ...extra,
    ];
    for (const iface of interfaces) {
      iface.forEachEvent((fragment) => {
        if (!this.byTopic.has(fragment.topicHash)) this.byTopic.set(fragment.topicHash, layoutOf(fragment));
      });
    }
  }

  /** The log decoded, or undefined for an event no known ABI declares. */
  decode(log: RawLog): DecodedLog | undefined {
    if (log.topics[0] === POINTS_EARNED) return { ...log, name: "PointsEarned", args: decodePointsEarned(log) };
    const layout = this.byTopic.get(log.topics[0]);
    return layout && { ...log, name: layout.name, args: decodeByLayout(layout, log) };
  }
}

function layoutOf(fragment: EventFragment): EventLayout {
  const indexed = fragment.inputs.filter((p) => p.indexed);
  if (indexed.some((p) => p.isArray() || p.isTuple() || p.type === "string" || p.type === "bytes")) {
    // Such a topic is a hash of the value; no event of these contracts has one.
    throw new Error(`event ${fragment.name}: indexed dynamic parameters are not decoded`);
  }
  return { name: fragment.name, params: fragment.inputs, indexed, data: fragment.inputs.filter((p) => !p.indexed) };
}

/**
 * What Interface.decodeEventLog gives (each argument by name and by position), without its
 * per-call re-hash of the event signature: topics decode as their one static word each.
 */
function decodeByLayout(layout: EventLayout, log: RawLog): DecodedLog["args"] {
  if (log.topics.length !== layout.indexed.length + 1) throw new Error(`${layout.name}: ${log.topics.length - 1} indexed topics, the event has ${layout.indexed.length}`);
  const fromData = abi.decode(layout.data, log.data);
  const args: DecodedLog["args"] = {};
  let topic = 1;
  let word = 0;
  layout.params.forEach((p, i) => {
    args[i] = p.indexed ? abi.decode([p], log.topics[topic++])[0] : fromData[word++];
    if (p.name) args[p.name] = args[i];
  });
  return args;
}

const POINTS_EARNED = PointsLedger__factory.createInterface().getEvent("PointsEarned").topicHash;

/**
 * PointsEarned, one per settlement, decoded from its fixed layout (three indexed topics, eight
 * static words) instead of the generic decoder: the bulk of a long chain's events.
 */
function decodePointsEarned(log: RawLog): DecodedLog["args"] {
  const d = log.data;
  const word = (i: number) => d.slice(2 + 64 * i, 66 + 64 * i);
  const uint = (i: number) => BigInt("0x" + word(i));
  return {
    cardId: log.topics[1],
    merchantId: BigInt(log.topics[2]),
    orderId: log.topics[3],
    terminal: "0x" + word(0).slice(24),
    nonce: uint(1),
    amount: uint(2),
    points: uint(3),
    creditPoints: uint(4),
    agreementVersion: uint(5),
    creditRuleVersion: uint(6),
    slipHash: "0x" + word(7),
  };
}
