/**
 * Relaying operators' signed decisions (ADR 0001, section 8): the gateway drafts the step of a
 * decision (the call, its hash, a fresh salt and a notAfter), an operator signs its digest with
 * their own credential on their own device, and the gateway's role-less relayer sends it. The
 * session only lets an operator ask; the signature, which the contract checks, is the authority.
 *
 * The decision kinds are one table (DECISION_KINDS): proposals and the steps on them, `act` (a
 * single-institution function run at once, signed by an Act step) and `confirm` (the other
 * institution's confirmation of an emergency credit freeze). The operator endpoints of
 * src/api/operations and src/api/credit draft through here too. After a relayed step the
 * gateway's own bookkeeping follows the chain: cached terms are forgotten, and an erasure both
 * institutions approved, or a cancelled issuance, erases the holder's stored identity.
 */
import { randomBytes } from "node:crypto";
import { hexlify, getBytes, keccak256, type ContractTransactionResponse, type Interface } from "ethers";
import { CreditGrants__factory, IDualControl__factory } from "../../../typechain-types";
import type { IDualControl as DualControlContract } from "../../../typechain-types";
import type { IDualControl } from "../../../typechain-types/contracts/registry/CredenceRegistry";
import type { LedgerClient } from "../../chain/ledger-client";
import { contractRefusal } from "../../chain/contract-errors";
import { cardsOfAccount } from "../../chain/account-cards";
import type { ChainSender } from "../../chain/sender";
import { StepKind, operatorDomain, stepDigest, type OperatorStep } from "../../domain/operator-steps";
import { base64url } from "../../domain/webauthn";
import { DomainError } from "../../domain/domain-error";
import type { Db } from "../../store/db";
import { getDraft, saveDraft } from "../../store/operator-records";
import type { IdentityStore, OperationsService, ProposalTarget } from "../operations/service";
import { stepProblem } from "../step-problems";
import { namedValue, stringifyArg, summaryOf } from "../call-summary";
import { FUNCTION_ARGUMENTS, invalidDecision } from "../call-arguments";
import { DRAFT_VALIDITY_SECONDS, latestBlockTime, relayerOf, stepJson, stepSignatureOf, type SignatureInput, type StepJson } from "./steps";
import { CardStatus } from "../../../packages/terminal-sdk/src/constants";

export type DecisionKind = "propose" | "act" | "approve" | "reject" | "withdraw" | "confirm";

type Overrides = { nonce: number };
type Send = (contract: DualControlContract, d: DecisionRecord, step: IDualControl.StepSignatureStruct, o: Overrides) => Promise<ContractTransactionResponse>;

interface KindRule {
  stepKind: StepKind;
  /** Whether the step is on an existing proposal (subject = proposal ID) or on a new call. */
  onProposal: boolean;
  send: Send;
}

/** Confirming the other institution's emergency credit freeze: CreditGrants.confirmFreeze (ADR 0001, section 9). */
const sendConfirmFreeze: Send = (c, d, s, o) => CreditGrants__factory.connect(c.target as string, c.runner).confirmFreeze(d.summary.args.cardId, s, o);

/** Each decision kind: its step kind, what it acts on, and the call that performs it. */
export const DECISION_KINDS: Readonly<Record<DecisionKind, KindRule>> = {
  propose: { stepKind: StepKind.Propose, onProposal: false, send: (c, d, s, o) => c.propose(d.action, s, o) },
  act: { stepKind: StepKind.Act, onProposal: false, send: (c, d, s, o) => c.act(d.action, s, o) },
  approve: { stepKind: StepKind.Approve, onProposal: true, send: (c, d, s, o) => c.approveProposal(BigInt(d.step.subject), d.action, s, o) },
  reject: { stepKind: StepKind.Reject, onProposal: true, send: (c, d, s, o) => c.reject(BigInt(d.step.subject), s, o) },
  withdraw: { stepKind: StepKind.Withdraw, onProposal: true, send: (c, d, s, o) => c.withdraw(BigInt(d.step.subject), s, o) },
  confirm: { stepKind: StepKind.Confirm, onProposal: false, send: sendConfirmFreeze },
};

export type DraftRequest =
  | { kind: "propose" | "act"; target: ProposalTarget; function: string; args: Record<string, unknown> }
  | { kind: "approve" | "reject" | "withdraw"; target: ProposalTarget; proposalId: string }
  | { kind: "confirm"; target: "credit"; cardId: string };

/** An event the relayed transaction emitted, its arguments as strings. */
export interface DecisionEvent {
  name: string;
  args: Record<string, string>;
}

interface DecisionRecord {
  target: ProposalTarget;
  kind: DecisionKind;
  action: string;
  step: StepJson;
  summary: { function: string; args: Record<string, string> };
}

/** ICardRegistry.CardStatus.None and Closed, as the registry's views answer them. */
const NONE = BigInt(CardStatus.None);
const CLOSED = BigInt(CardStatus.Closed);


export class DecisionsService {
  constructor(
    private readonly db: Db,
    private readonly chain: LedgerClient,
    private readonly relayer: ChainSender | undefined,
    private readonly ops: OperationsService,
    private readonly identities: IdentityStore,
  ) {}

  /** Build the step of a decision for an operator to sign. */
  async draft(request: DraftRequest) {
    const rule = DECISION_KINDS[request.kind];
    const contract = this.contractOf(request.target);
    let action: string;
    let subject = 0n;
    let actionHash: string;
    if (request.kind === "confirm") {
      const grants = contract as NonNullable<LedgerClient["creditGrants"]>;
      const [account, hash] = await grants.freezeConfirmation(request.cardId);
      subject = account;
      actionHash = hash;
      // No call to propose: the step binds the freeze itself (card, freezing credential, lapse time).
      action = "0x";
    } else if ("proposalId" in request) {
      subject = BigInt(request.proposalId);
      const proposal = await this.ops.proposal(request.target, subject);
      // A proposal past its deadline can no longer be approved, but can still be cancelled.
      if (proposal.state !== "pending" && !(proposal.state === "expired" && request.kind !== "approve")) {
        throw new DomainError({ code: "proposal.not_pending", detail: `proposal is ${proposal.state}` });
      }
      action = proposal.action;
      actionHash = keccak256(action);
    } else {
      action = await this.encodeCall(contract.interface, request.function, request.args);
      actionHash = keccak256(action);
      await this.refuseFailingCall(contract, action);
    }
    const now = await latestBlockTime(this.chain);
    const step: OperatorStep = { kind: rule.stepKind, subject, actionHash, salt: hexlify(randomBytes(32)), notAfter: now + DRAFT_VALIDITY_SECONDS };
    const verifyingContract = await contract.getAddress();
    const digest = stepDigest(operatorDomain(this.chain.chainId, verifyingContract), step);
    const summary = request.kind === "confirm" ? { function: "confirmFreeze", args: { cardId: request.cardId } } : summaryOf(contract.interface, action);
    const record: DecisionRecord = { target: request.target, kind: request.kind, action, step: stepJson(step), summary };
    const draftId = randomBytes(16).toString("base64url");
    const expiresAt = new Date(Number(step.notAfter) * 1000);
    await saveDraft(this.db, { id: draftId, purpose: "decision", payload: record, expiresAt });
    return {
      draftId,
      target: record.target,
      kind: record.kind,
      subject: subject.toString(),
      action,
      summary: record.summary,
      step: record.step,
      digest,
      challenge: base64url(getBytes(digest)),
      verifyingContract,
      chainId: this.chain.chainId.toString(),
      expiresAt: expiresAt.toISOString(),
    };
  }

  /** Relay a drafted decision with a credential's signature over its digest. */
  async submit(draftId: string, input: SignatureInput): Promise<{ transactionHash: string; target: ProposalTarget; proposalId?: string; executed: boolean; events: DecisionEvent[] }> {
    const draft = await getDraft<DecisionRecord>(this.db, draftId, "decision");
    if (!draft) throw new DomainError({ code: "decision.draft_unknown" });
    const d = draft.payload;
    const signature = stepSignatureOf(input);
    const relayer = relayerOf(this.relayer);
    const contract = IDualControl__factory.connect(await this.contractOf(d.target).getAddress(), relayer.wallet);
    const step = { credentialId: BigInt(input.credentialId!), salt: d.step.salt, notAfter: BigInt(d.step.notAfter), signature };
    let receipt;
    try {
      receipt = await relayer.send((o) => DECISION_KINDS[d.kind].send(contract, d, step, o));
    } catch (err) {
      throw stepProblem(err);
    }
    const iface = this.contractOf(d.target).interface;
    const address = (await contract.getAddress()).toLowerCase();
    const events = receipt.logs
      .filter((l) => l.address.toLowerCase() === address)
      .map((l) => iface.parseLog(l))
      .filter((e) => e !== null);
    const created = events.find((e) => e.name === "ProposalCreated");
    const executed = events.some((e) => e.name === "ProposalExecuted");
    if (executed || d.kind === "act" || d.kind === "confirm") this.forgetCachedTerms(d.summary);
    const erasedIdentities: string[] = [];
    if (executed && d.target === "registry") {
      // Both institutions approved erasing a holder's identity: crypto-shred the record now, and
      // say which card's record went (the account's first card, whichever card was named).
      for (const e of events) {
        if (e.name !== "IdentityErasureApproved") continue;
        const erased = await this.identities.erase(String(e.args.cardId));
        if (erased) erasedIdentities.push(erased);
      }
    }
    if ((d.kind === "reject" || d.kind === "withdraw") && d.summary.function === "issueCard") await this.eraseUnissued(d.summary.args.cardId);
    return {
      transactionHash: receipt.hash,
      target: d.target,
      ...(created ? { proposalId: created.args.proposalId.toString() } : {}),
      executed,
      ...(erasedIdentities.length > 0 ? { erasedIdentities } : {}),
      events: events.map((e) => ({ name: e.name, args: Object.fromEntries(e.fragment.inputs.map((input, i) => [input.name || String(i), stringifyArg(namedValue(input, e.args[i]))])) })),
    };
  }

  /**
   * Refuse at the draft what the call would refuse when it runs: the call
   * as the contract runs it for an approval or an act (from itself), on the latest state. A
   * refusal answers as the relayed step would (`contract.<ErrorName>`, 422); a card issuance's
   * holder data stored for the draft goes with it. What can change before the approval (balances,
   * scores) is checked again when the action runs.
   */
  private async refuseFailingCall(contract: { getAddress(): Promise<string>; interface: Interface }, action: string) {
    const address = await contract.getAddress();
    try {
      await this.chain.provider.call({ from: address, to: address, data: action });
    } catch (err) {
      const refusal = contractRefusal(this.chain, err);
      // Not a custom error (a node's own failure): the chain decides when the step is relayed.
      if (!refusal) return;
      const summary = summaryOf(contract.interface, action);
      if (summary.function === "issueCard") await this.eraseUnissued(summary.args.cardId);
      throw stepProblem(refusal);
    }
  }

  /** A change to cards, merchants, terminals or agreements: the settlement path must not use cached terms. */
  private forgetCachedTerms(summary: DecisionRecord["summary"]) {
    const { cardId, oldCardId, terminalKey } = summary.args;
    for (const card of [cardId, oldCardId]) if (card) this.chain.invalidate({ cardId: card });
    if (terminalKey) this.chain.invalidate({ terminal: terminalKey });
    this.chain.invalidateAllTerms();
  }

  /** A cancelled issuance's holder data goes: that card will never exist. */
  private async eraseUnissued(cardId: string | undefined) {
    if (cardId && (await this.chain.registry.card(cardId)).status === NONE) await this.identities.erase(cardId);
  }

  /** The ABI-encoded call of `fn` with its arguments by name, prepared first where the function takes more than its ABI inputs (FUNCTION_ARGUMENTS). */
  private async encodeCall(iface: Interface, fn: string, args: Record<string, unknown>): Promise<string> {
    const fragment = iface.getFunction(fn);
    if (!fragment) throw invalidDecision("decision.unknown_function", `no function ${fn} on this contract`);
    const named = { ...args };
    await FUNCTION_ARGUMENTS[fn]?.prepare?.(named, {
      storeIdentity: (cardId, holder, options) => this.identities.store(cardId, holder, options),
      requireNoConsumerCard: (nationalId) => this.oneConsumerCardPerPerson(nationalId),
    });
    const values = fragment.inputs.map((input) => {
      if (!(input.name in named)) throw invalidDecision("decision.invalid_args", `${fn} needs ${input.name}`);
      return named[input.name];
    });
    try {
      return iface.encodeFunctionData(fragment, values);
    } catch (err) {
      throw invalidDecision("decision.invalid_args", (err as Error).message.split(" (")[0]);
    }
  }

  /**
   * One active consumer card per person (ADR 0004): 409 card.holder_has_card while a card of an
   * account issued to this national ID is active or frozen, or an issuance for it is pending (its
   * identity is stored, its card not yet issued: a rejected or withdrawn proposal's identity is
   * erased at once, an expired one's by the identity sweep). A replacement is the way to a new card.
   */
  private async oneConsumerCardPerPerson(nationalId: string) {
    for (const cardId of await this.identities.cardsOfPerson(nationalId)) {
      const card = await this.chain.registry.card(cardId);
      const cards = card.status === NONE ? [] : await cardsOfAccount(this.chain)(cardId);
      const statuses = card.status === NONE ? [NONE] : await Promise.all(cards.map(async (c) => (await this.chain.registry.card(c)).status));
      if (statuses.some((s) => s !== CLOSED)) {
        throw new DomainError({
          code: "card.holder_has_card",
          detail: card.status === NONE ? "an issuance for this holder is pending" : "this holder has an active consumer card: replace it instead",
        });
      }
    }
  }

  private contractOf(target: ProposalTarget) {
    if (target === "registry") return this.chain.registry;
    if (target === "ledger") return this.chain.ledger;
    if (!this.chain.creditGrants) throw new DomainError({ code: "credit.not_deployed" });
    return this.chain.creditGrants;
  }
}
