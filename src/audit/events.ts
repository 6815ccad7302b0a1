/**
 * Decoding the logs an audit reads, by their first topic, with the ABIs typechain generated
 * from the contracts (never hand-written): the registry's, the ledger's and the dual-control
 * events every DualControl contract shares, plus those of any extra subject.
 */
import { Interface, type EventFragment } from "ethers";
import { CredenceRegistry__factory, IDualControl__factory, PointsLedger__factory } from "../../typechain-types";
import type { RawLog } from "./event-pager";

export interface DecodedLog extends RawLog {
  name: string;
  args: Record<string, unknown> & { [index: number]: unknown };
}

export class EventDecoder {
  private readonly byTopic = new Map<string, { iface: Interface; fragment: EventFragment }>();

  constructor(extra: readonly Interface[] = []) {
    const interfaces = [
      CredenceRegistry__factory.createInterface(),
      PointsLedger__factory.createInterface(),
      IDualControl__factory.createInterface(),
      ...extra,
    ];
    for (const iface of interfaces) {
      iface.forEachEvent((fragment) => {
        if (!this.byTopic.has(fragment.topicHash)) this.byTopic.set(fragment.topicHash, { iface, fragment });
      });
    }
  }

  /** The log decoded, or undefined for an event no known ABI declares. */
  decode(log: RawLog): DecodedLog | undefined {
    if (log.topics[0] === POINTS_EARNED) return { ...log, name: "PointsEarned", args: decodePointsEarned(log) };
    const known = this.byTopic.get(log.topics[0]);
    if (!known) return undefined;
    const args = known.iface.decodeEventLog(known.fragment, log.data, log.topics) as unknown as DecodedLog["args"];
    return { ...log, name: known.fragment.name, args };
  }
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
