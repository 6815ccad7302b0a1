/**
 * Decoding the logs an audit reads, by their first topic, with the ABIs typechain generated
 * from the contracts (never hand-written): the registry's, the ledger's and the dual-control
 * events every DualControl contract shares, plus those of any extra subject.
 */
import { AbiCoder, Interface, type EventFragment, type ParamType } from "ethers";
import { CredenceRegistry__factory, IDualControl__factory, PointsLedger__factory } from "../../typechain-types";
import { checksumAddress } from "../domain/address";
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
  /** Where each parameter's word is and how to read it, when every parameter is one static word. */
  words?: readonly WordParam[];
}

/** A parameter that is one static word: address, bool, (u)intN or bytesN. */
interface WordParam {
  name: string;
  /** Topic index (from 1) when indexed, else the word's index in the data. */
  topic?: number;
  word?: number;
  read: (word: string) => unknown;
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
  const data = fragment.inputs.filter((p) => !p.indexed);
  const readers = fragment.inputs.map((p) => wordReader(p.type));
  const words = readers.every((r) => r !== undefined)
    ? fragment.inputs.map((p, i) => (p.indexed ? { name: p.name, topic: indexed.indexOf(p) + 1, read: readers[i]! } : { name: p.name, word: data.indexOf(p), read: readers[i]! }))
    : undefined;
  return { name: fragment.name, params: fragment.inputs, indexed, data, words };
}

/**
 * How to read an ABI type that is one static word (64 hex digits), giving what ethers' decoder
 * gives; undefined for other types. An address word with bits above the address is left to
 * ethers (which refuses it).
 */
function wordReader(type: string): ((word: string) => unknown) | undefined {
  if (type === "address") return (w) => (/^0{24}/.test(w) ? checksumAddress("0x" + w.slice(24)) : undefined);
  if (type === "bool") return (w) => /[^0]/.test(w);
  const int = /^(u?)int(\d*)$/.exec(type);
  if (int) {
    const bits = Number(int[2] || 256);
    return int[1] ? (w) => BigInt.asUintN(bits, BigInt("0x" + w)) : (w) => BigInt.asIntN(bits, BigInt("0x" + w));
  }
  const bytes = /^bytes(\d+)$/.exec(type);
  if (bytes) return (w) => "0x" + w.slice(0, 2 * Number(bytes[1]));
  return undefined;
}

/**
 * What Interface.decodeEventLog gives (each argument by name and by position), without its
 * per-call re-hash of the event signature: topics decode as their one static word each.
 */
function decodeByLayout(layout: EventLayout, log: RawLog): DecodedLog["args"] {
  if (log.topics.length !== layout.indexed.length + 1) throw new Error(`${layout.name}: ${log.topics.length - 1} indexed topics, the event has ${layout.indexed.length}`);
  const byWords = layout.words && log.data.length >= 2 + 64 * layout.data.length ? decodeWords(layout.words, log) : undefined;
  if (byWords) return byWords;
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

/**
 * An event whose parameters are all static words, read word by word: PointsEarned (one per
 * settlement, the bulk of a long chain's events) and most others. ethers' decoder builds its
 * coders again on every call. Undefined where a word is one to leave to ethers.
 */
function decodeWords(words: readonly WordParam[], log: RawLog): DecodedLog["args"] | undefined {
  const args: DecodedLog["args"] = {};
  const data = log.data.toLowerCase();
  for (let i = 0; i < words.length; i++) {
    const p = words[i];
    const word = p.topic !== undefined ? log.topics[p.topic].slice(2).toLowerCase() : data.slice(2 + 64 * p.word!, 66 + 64 * p.word!);
    const value = p.read(word);
    if (value === undefined) return undefined;
    args[i] = value;
    if (p.name) args[p.name] = value;
  }
  return args;
}
