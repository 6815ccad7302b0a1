/**
 * The contracts whose effects dual control must have approved, and which events those are:
 * card issuance, replacement and identity erasure (registry), bank corrections (ledger) and, when
 * the credit center is deployed, every credit grant, decrease, revocation, unfreeze and policy
 * change. (An emergency freeze is the one credit step either institution takes alone, an act.)
 * The checker is generic: another dual-controlled contract is one more subject here.
 */
import type { Interface } from "ethers";
import {
  CredenceOperators__factory,
  CreditGrants__factory,
  CredenceRegistry__factory,
  PointsLedger__factory,
} from "../../typechain-types";
import type { DualControlSubject } from "./dual-control";

/** PointsReversed's reason for a bank correction (IPointsLedger.ReversalReason.Correction). */
export const REVERSAL_CORRECTION = 1n;

/** The credit grants' ABI, for decoding its events (only read when the contract is deployed). */
export const creditGrantsInterface = (): Interface => CreditGrants__factory.createInterface() as unknown as Interface;

/** The credentials contract's ABI, for decoding CredentialEnrolled and CredentialRemoved. */
export const credenceOperatorsInterface = (): Interface => CredenceOperators__factory.createInterface() as unknown as Interface;

export function ledgerSubjects(addresses: { registry: string; ledger: string; creditGrants?: string }): DualControlSubject[] {
  const card = (key: string) => (a: Record<string, unknown>) => String(a[key]);
  const credit: DualControlSubject[] = addresses.creditGrants
    ? [
        {
          name: "credit grants",
          address: addresses.creditGrants,
          iface: creditGrantsInterface(),
          effects: [
            { event: "CreditGranted", action: "grantCredit", cardOf: card("cardId") },
            { event: "CreditLimitDecreased", action: "decreaseLimit", cardOf: card("cardId") },
            { event: "CreditRevoked", action: "revokeCredit", cardOf: card("cardId") },
            { event: "CreditUnfrozen", action: "unfreezeCredit", cardOf: card("cardId") },
            { event: "CreditPolicySet", action: "setPolicy" },
          ],
        },
      ]
    : [];
  return [
    ...credit,
    {
      name: "registry",
      address: addresses.registry,
      iface: CredenceRegistry__factory.createInterface() as unknown as Interface,
      effects: [
        { event: "CardIssued", action: "issueCard", cardOf: card("cardId") },
        { event: "CardReplaced", action: "replaceCard", cardOf: card("newCardId") },
        { event: "IdentityErasureApproved", action: "recordIdentityErasure", cardOf: card("cardId") },
      ],
    },
    {
      name: "ledger",
      address: addresses.ledger,
      iface: PointsLedger__factory.createInterface() as unknown as Interface,
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
