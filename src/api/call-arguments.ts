/**
 * The contract functions whose arguments, as an operator gives or reads them, are more than their
 * ABI inputs: one table, so a function's special case lives in one place. Every other function
 * takes exactly its ABI inputs by name and is summarised by them.
 */
import { hexlify, randomBytes } from "ethers";
import { CORRECTION_REASON_CODES } from "../domain/correction-reasons";
import { DomainError } from "../domain/domain-error";
import type { NamedValue } from "./call-summary";
import { CardKind } from "../../packages/terminal-sdk/src/constants";

/** What preparing an issuance needs from the gateway: the identity store and the one-card-per-person rule. */
export interface ArgumentContext {
  /** Stores the holder's identity off chain under the card ID and answers its commitment. */
  storeIdentity(cardId: string, holder: { name: string; nationalId: string; photo?: string }, options: { consumer: boolean }): Promise<string>;
  /** Refuses (409 card.holder_has_card) a second consumer card for the person with this national ID. */
  requireNoConsumerCard(nationalId: string): Promise<void>;
}

export interface FunctionArguments {
  /** Turns the operator's named arguments into the function's ABI inputs, in place, or refuses them (400). */
  prepare?(named: Record<string, unknown>, context: ArgumentContext): Promise<void> | void;
  /** Names a summary shows beside the decoded ABI inputs. */
  summarise?(args: Record<string, NamedValue>): Record<string, string>;
}

/** A decision the gateway cannot draft as asked: 400 with the code and why. */
export const invalidDecision = (code: "decision.invalid_args" | "decision.unknown_function", detail: string) => new DomainError({ code, detail });

const KIND_VALUES: Record<string, number> = { consumer: CardKind.Consumer, merchant: CardKind.Merchant };

export const FUNCTION_ARGUMENTS: Readonly<Record<string, FunctionArguments>> = {
  /**
   * issueCard takes the holder's identity instead of its commitment: the identity is stored off
   * chain (as for POST /v1/cards) and its commitment goes in the call. The card ID is drawn when
   * not given; the kind may be named.
   */
  issueCard: {
    async prepare(named, context) {
      const holder = named.holder as { name?: unknown; nationalId?: unknown; photo?: unknown } | undefined;
      if (!holder || typeof holder.name !== "string" || typeof holder.nationalId !== "string" || !["string", "undefined"].includes(typeof holder.photo)) {
        throw invalidDecision("decision.invalid_args", "issueCard takes holder: { name, nationalId, photo? }");
      }
      named.cardId ??= hexlify(randomBytes(32));
      if (typeof named.kind === "string" && named.kind in KIND_VALUES) named.kind = KIND_VALUES[named.kind];
      const consumer = named.kind === CardKind.Consumer;
      if (consumer) await context.requireNoConsumerCard(holder.nationalId);
      const photo = typeof holder.photo === "string" ? { photo: holder.photo } : {};
      named.identityCommitment = await context.storeIdentity(String(named.cardId), { name: holder.name, nationalId: holder.nationalId, ...photo }, { consumer });
      delete named.holder;
    },
  },
  /** A correction names one of the documented reason codes, and carries its order whole (with the batch proof): its summary names the order ID alone too. */
  voidPoints: {
    prepare(named) {
      if (!CORRECTION_REASON_CODES.includes(Number(named.reasonCode))) {
        throw invalidDecision("decision.invalid_args", `voidPoints takes a correction reason code (${CORRECTION_REASON_CODES.join(", ")})`);
      }
    },
    summarise: (args) => ({ orderId: String((args.order as { orderId: string }).orderId) }),
  },
};
