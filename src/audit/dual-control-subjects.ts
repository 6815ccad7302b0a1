/**
 * The contracts whose effects dual control must have approved, and which events those are.
 *
 * EXTENSION POINT (credit center): when CreditGrants is deployed, add one subject here for
 * `deployment.creditGrants` with its credit-grant event(s) and the dual-controlled function that
 * emits each, e.g. `{ event: "CreditLimitGranted", action: "grantCreditLimit", cardOf: (a) => String(a.cardId) }`,
 * and pass its ABI to EventDecoder. Nothing else in the auditor changes: the checker is generic.
 */
import type { Interface } from "ethers";
import { CredenceRegistry__factory, PointsLedger__factory } from "../../typechain-types";
import type { DualControlSubject, RoleBook } from "./dual-control";

/** PointsReversed's reason for a bank correction (IPointsLedger.ReversalReason.Correction). */
export const REVERSAL_CORRECTION = 1n;

export function ledgerSubjects(addresses: { registry: string; ledger: string }, roles: RoleBook): DualControlSubject[] {
  const card = (key: string) => (a: Record<string, unknown>) => String(a[key]);
  return [
    {
      name: "registry",
      address: addresses.registry,
      iface: CredenceRegistry__factory.createInterface() as unknown as Interface,
      roles,
      effects: [
        { event: "CardIssued", action: "issueCard", cardOf: card("cardId") },
        { event: "CardReplaced", action: "replaceCard", cardOf: card("newCardId") },
      ],
    },
    {
      name: "ledger",
      address: addresses.ledger,
      iface: PointsLedger__factory.createInterface() as unknown as Interface,
      // The ledger asks the registry who holds a role.
      roles,
      effects: [
        {
          event: "PointsReversed",
          action: "voidPoints",
          applies: (a) => BigInt(a.reason as bigint) === REVERSAL_CORRECTION,
          cardOf: card("cardId"),
        },
      ],
    },
  ];
}
