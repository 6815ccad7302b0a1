/**
 * What the operator endpoints read and check before drafting a decision: proposals (with their
 * decoded action, state and deadline), whether a card or a holder's identity record exists. The
 * gateway signs no decision (ADR 0001, section 8): operators sign their own steps and the
 * decisions service (src/api/decisions) relays them.
 */
import type { LedgerClient } from "../../chain/ledger-client";
import { DomainError } from "../../domain/domain-error";
import { namedCall, summaryOf } from "../call-summary";
import { institutionOfRole } from "../operator-session/service";
import { CardStatus } from "../../../packages/terminal-sdk/src/constants";

export type ProposalTarget = "registry" | "ledger" | "credit";

export interface HolderIdentity {
  name: string;
  nationalId: string;
  photo?: string;
}

/** Keeps personal data off chain: returns the salted commitment that goes on chain. */
export interface IdentityStore {
  /** `consumer`: also keep the holder's person key, so `cardsOfPerson` finds the card. */
  store(cardId: string, identity: HolderIdentity, options?: { consumer?: boolean }): Promise<string>;
  /** The cards whose live consumer record has this national ID. */
  cardsOfPerson(nationalId: string): Promise<string[]>;
  read(cardId: string): Promise<unknown>;
  /** The card ID the holder's record is stored under (the account's first card), if one is stored. */
  holderOf(cardId: string): Promise<string | undefined>;
  /** The card ID whose record was erased now, or undefined when none was live. */
  erase(cardId: string): Promise<string | undefined>;
}

/** IDualControl.ProposalState as the API shows it: a rejection and a withdrawal both read "cancelled". */
const PROPOSAL_STATES = ["none", "pending", "executed", "cancelled", "cancelled"] as const;
/** IDualControl.ProposalState.Pending. */
const PENDING = 1n;

export class OperationsService {
  constructor(
    private readonly chain: LedgerClient,
    private readonly identities: IdentityStore,
  ) {}

  /**
   * A proposal with its action bytes (from its ProposalCreated event) and decoded call. A pending
   * proposal past its deadline (by the chain's latest block time) shows as "expired": it can no
   * longer be approved, only cancelled. `blockTime` reads that time (a listing reads it once).
   */
  async proposal(target: ProposalTarget, proposalId: bigint, blockTime: () => Promise<bigint> = () => this.latestBlockTime()) {
    const contract = this.contractOf(target);
    const p = await contract.proposal(proposalId);
    if (p.state === 0n) {
      throw new DomainError({ code: "proposal.not_found", detail: `no ${target} proposal ${proposalId}` });
    }
    const logs = await contract.queryFilter(contract.filters.ProposalCreated(proposalId), this.chain.deployment.deploymentBlock);
    const action = logs[0]?.args.action ?? "0x";
    // The contract refuses once block time passes the deadline; the next block's time will.
    const expired = p.state === PENDING && p.deadline <= (await blockTime());
    const proposedAt = logs[0] ? (await logs[0].getBlock()).timestamp : undefined;
    return {
      target,
      id: proposalId.toString(),
      state: expired ? "expired" : PROPOSAL_STATES[Number(p.state)],
      proposer: p.proposerCredential.toString(),
      proposerRole: p.institution,
      proposerCredential: p.proposerCredential.toString(),
      proposerInstitution: institutionOfRole(p.institution) ?? null,
      proposedAt: proposedAt === undefined ? null : new Date(proposedAt * 1000).toISOString(),
      deadline: new Date(Number(p.deadline) * 1000).toISOString(),
      action,
      call: namedCall(contract.interface, action),
      summary: summaryOf(contract.interface, action),
    };
  }

  /** The node's latest block time, asked of the node itself (no provider cache), in seconds. */
  private async latestBlockTime(): Promise<bigint> {
    const block = (await this.chain.provider.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
    return BigInt(block.timestamp);
  }

  /** The most recent proposals of a contract, newest first. */
  async listProposals(target: ProposalTarget, limit = 50) {
    const contract = this.contractOf(target);
    const count = await contract.proposalCount();
    const ids: bigint[] = [];
    for (let id = count; id > 0n && ids.length < limit; id--) ids.push(id);
    let time: Promise<bigint> | undefined;
    const blockTime = () => (time ??= this.latestBlockTime());
    return Promise.all(ids.map((id) => this.proposal(target, id, blockTime)));
  }

  /** The card, or 404 card.unknown. */
  async existingCard(cardId: string) {
    const card = await this.chain.registry.card(cardId);
    if (Number(card.status) === CardStatus.None) throw new DomainError({ code: "card.not_found", detail: "no such card" });
    return card;
  }

  /** The dual-controlled contract a proposal target names. */
  private contractOf(target: ProposalTarget) {
    if (target === "registry") return this.chain.registry;
    if (target === "ledger") return this.chain.ledger;
    if (!this.chain.creditGrants) throw new DomainError({ code: "credit.not_deployed" });
    return this.chain.creditGrants;
  }

  /**
   * The card the account's stored holder identity is kept under (any card of the account reaches
   * it, a replacement included), or 404 (card.unknown, identity.not_found).
   */
  async existingIdentity(cardId: string): Promise<string> {
    await this.existingCard(cardId);
    const identityCardId = await this.identities.holderOf(cardId);
    if (identityCardId === undefined) {
      throw new DomainError({ code: "identity.not_found", detail: "no personal data stored for this card's account" });
    }
    return identityCardId;
  }
}
