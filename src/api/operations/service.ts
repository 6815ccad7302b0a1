/**
 * Bank and credit-center operations on the ledger: card issuance, replacement and identity
 * erasure (dual control), proposals, and the bank's own acts on merchants, terminals,
 * agreements, the credit-point rule, card status and pausing. Each operator role signs with its
 * own institution's key; the contracts enforce dual control between those keys and which
 * institution may act alone, this service enforces which operator role may ask for what.
 *
 * Operator steps (ADR 0001, phase 2, transitional): each institution's key is also that
 * institution's first secp256k1 credential in CredenceOperators. For every propose, approve,
 * reject, withdraw and act the service builds the OperatorStep typed data
 * (src/domain/operator-steps), signs its digest with the institution's key, and relays the call
 * from the same key (so one nonce queue per key serves both). The contract attributes the step
 * to the credential, not to the sender. Phase 4 moves the credentials off the gateway, which
 * then only relays.
 */
import { randomBytes } from "node:crypto";
import { Wallet, hexlify, keccak256, type ContractTransactionResponse, type Interface } from "ethers";
import { ChainSender } from "../../chain/sender";
import { ContractRefusal } from "../../chain/contract-errors";
import { ROLES } from "../../chain/roles";
import {
  StepKind,
  encodeSecp256k1Signature,
  keyHash,
  operatorDomain,
  secp256k1Key,
  stepDigest,
} from "../../domain/operator-steps";
import type { IDualControl } from "../../../typechain-types/contracts/registry/CredenceRegistry";
import type { LedgerClient } from "../../chain/ledger-client";
import { WriteGate } from "../../chain/write-gate";
import type { IMerchantRegistry } from "../../../typechain-types/contracts/registry/CredenceRegistry";
import { DomainError } from "../../http/problem";
import { summaryOf } from "../call-summary";
import { institutionOfRole } from "../operator-session/service";

export type ControllerRole = "bank" | "credit_center";
export type ProposalTarget = "registry" | "ledger" | "credit";

export interface HolderIdentity {
  name: string;
  nationalId: string;
  photo?: string;
}

/** Keeps personal data off chain: returns the salted commitment that goes on chain. */
export interface IdentityStore {
  store(cardId: string, identity: HolderIdentity): Promise<string>;
  read(cardId: string): Promise<unknown>;
  /** The card ID the holder's record is stored under (the account's first card), if one is stored. */
  holderOf(cardId: string): Promise<string | undefined>;
  erase(cardId: string): Promise<boolean>;
}

/** IDualControl.ProposalState as the API shows it: a rejection and a withdrawal both read "cancelled". */
const PROPOSAL_STATES = ["none", "pending", "executed", "cancelled", "cancelled"] as const;
/** IDualControl.ProposalState.Pending. */
const PENDING = 1n;

type Overrides = { nonce: number };

/** How long a step the gateway signs stays valid (seconds of chain time): it relays at once. */
const STEP_VALIDITY_SECONDS = 3600n;

/** The institution (role ID) each operator role signs for. */
const INSTITUTIONS: Record<ControllerRole, string> = { bank: ROLES.BANK, credit_center: ROLES.CREDIT_CENTER };

export class OperationsService {
  private readonly senders: Record<ControllerRole, ChainSender>;
  private readonly signers: Record<ControllerRole, Wallet>;
  private readonly credentials = new Map<ControllerRole, Promise<bigint>>();

  constructor(
    private readonly chain: LedgerClient,
    signers: Record<ControllerRole, Wallet>,
    private readonly identities: IdentityStore,
    writeGate: WriteGate = new WriteGate(),
  ) {
    this.senders = {
      bank: new ChainSender(chain, signers.bank, writeGate),
      credit_center: new ChainSender(chain, signers.credit_center, writeGate),
    };
    this.signers = { bank: this.senders.bank.wallet, credit_center: this.senders.credit_center.wallet };
  }

  // ---------------------------------------------------------------- dual control

  /** Propose issuing a card; the other role approves. Personal data stays in the identity store. */
  async proposeCardIssue(role: ControllerRole, input: { kind: "consumer" | "merchant"; key: string; holder: HolderIdentity }) {
    const cardId = "0x" + randomBytes(32).toString("hex");
    const commitment = await this.identities.store(cardId, input.holder);
    const action = this.chain.registry.interface.encodeFunctionData("issueCard", [
      cardId,
      input.kind === "consumer" ? 0 : 1,
      input.key,
      commitment,
    ]);
    let proposalId: string;
    try {
      proposalId = await this.propose(role, "registry", action);
    } catch (err) {
      // The contract refused the proposal: no card will carry this identity, so keep none of it.
      // (After any other failure the proposal may still have landed; the data stays.)
      if (err instanceof DomainError && err.code.startsWith("contract.")) await this.identities.erase(cardId);
      throw err;
    }
    return { cardId, proposalId, commitment };
  }

  /** Propose replacing a lost card by a new card ID with a new key. */
  async proposeCardReplacement(role: ControllerRole, oldCardId: string, newKey: string) {
    await this.existingCard(oldCardId);
    const newCardId = "0x" + randomBytes(32).toString("hex");
    const action = this.chain.registry.interface.encodeFunctionData("replaceCard", [oldCardId, newCardId, newKey]);
    const proposalId = await this.propose(role, "registry", action);
    return { newCardId, proposalId };
  }

  /** Propose voiding points (e.g. fraudulent ones) with a reason code. */
  async proposeVoidPoints(
    role: ControllerRole,
    input: { cardId: string; merchantId: bigint; points: bigint; creditPoints: bigint; reasonCode: number; orderId: string },
  ) {
    const action = this.chain.ledger.interface.encodeFunctionData("voidPoints", [
      input.cardId,
      input.merchantId,
      input.points,
      input.creditPoints,
      input.reasonCode,
      input.orderId,
    ]);
    return { proposalId: await this.propose(role, "ledger", action) };
  }

  async approve(role: ControllerRole, target: ProposalTarget, proposalId: bigint) {
    // One block-time read serves both the expiry check and the step's deadline.
    let time: Promise<bigint> | undefined;
    const blockTime = () => (time ??= this.latestBlockTime());
    const proposal = await this.proposal(target, proposalId, blockTime);
    if (proposal.state !== "pending") {
      throw new DomainError({ code: "proposal.not_pending", status: 409, title: "Proposal not pending", detail: `proposal is ${proposal.state}` });
    }
    const contract = this.contractOf(target);
    const step = await this.signStep(role, target, StepKind.Approve, proposalId, keccak256(proposal.action), blockTime());
    const receipt = await this.send(role, (o) => contract.connect(this.signers[role]).approveProposal(proposalId, proposal.action, step, o));
    this.chain.invalidateAllTerms();
    if (target === "registry") await this.eraseApprovedIdentities(receipt.logs);
    return this.proposal(target, proposalId);
  }

  /**
   * Erase the off-chain identity record of every card whose erasure both institutions approved
   * (IdentityErasureApproved in `logs`). Idempotent: a record already erased stays erased.
   */
  async eraseApprovedIdentities(logs: readonly { topics: readonly string[]; data: string; address: string }[]) {
    const registry = (await this.chain.registry.getAddress()).toLowerCase();
    for (const log of logs) {
      if (log.address.toLowerCase() !== registry) continue;
      const event = this.chain.registry.interface.parseLog(log);
      if (event?.name === "IdentityErasureApproved") await this.identities.erase(String(event.args.cardId));
    }
  }

  /**
   * Cancel a pending proposal: the proposer's institution withdraws it, the other rejects it.
   * Cancelling a card issuance also erases the holder's personal data stored for it: that card
   * will never exist.
   */
  async cancel(role: ControllerRole, target: ProposalTarget, proposalId: bigint) {
    const contract = this.contractOf(target);
    // An unknown or settled proposal is refused by the contract (contract.DualControlProposalNotPending).
    const p = await contract.proposal(proposalId);
    const signer = this.signers[role];
    if (p.institution === INSTITUTIONS[role]) {
      const step = await this.signStep(role, target, StepKind.Withdraw, proposalId, p.actionHash);
      await this.send(role, (o) => contract.connect(signer).withdraw(proposalId, step, o));
    } else {
      const step = await this.signStep(role, target, StepKind.Reject, proposalId, p.actionHash);
      await this.send(role, (o) => contract.connect(signer).reject(proposalId, step, o));
    }
    const cancelled = await this.proposal(target, proposalId);
    const cardId = target === "registry" && cancelled.call?.function === "issueCard" ? cancelled.call.args[0] : undefined;
    // Only for a card that does not exist: a proposal to issue an existing card ID never runs.
    if (cardId && (await this.chain.registry.card(cardId)).status === 0n) await this.identities.erase(cardId);
    return cancelled;
  }

  /**
   * A proposal with its action bytes (from its ProposalCreated event) and decoded call. A pending
   * proposal past its deadline (by the chain's latest block time) shows as "expired": it can no
   * longer be approved, only cancelled. `blockTime` reads that time (a listing reads it once).
   */
  async proposal(target: ProposalTarget, proposalId: bigint, blockTime: () => Promise<bigint> = () => this.latestBlockTime()) {
    const contract = this.contractOf(target);
    const p = await contract.proposal(proposalId);
    if (p.state === 0n) {
      throw new DomainError({ code: "proposal.not_found", status: 404, title: "Not found", detail: `no ${target} proposal ${proposalId}` });
    }
    const logs = await contract.queryFilter(contract.filters.ProposalCreated(proposalId), this.chain.deployment.deploymentBlock);
    const action = logs[0]?.args.action ?? "0x";
    const decoded = contract.interface.parseTransaction({ data: action });
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
      call: decoded ? { function: decoded.name, args: decoded.args.toArray().map(String) } : null,
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

  // ---------------------------------------------------------------- bank operations (acts)

  async registerMerchant(merchantCardId: string) {
    const receipt = await this.actOnRegistry("registerMerchant", [merchantCardId]);
    const event = receipt.logs.map((l) => this.chain.registry.interface.parseLog(l)).find((e) => e?.name === "MerchantRegistered");
    return { merchantId: Number(event!.args.merchantId) };
  }

  async setMerchantActive(merchantId: number, active: boolean) {
    await this.actOnRegistry("setMerchantActive", [merchantId, active]);
    this.chain.invalidateAllTerms();
  }

  async registerTerminal(terminal: string, merchantId: number) {
    await this.actOnRegistry("registerTerminal", [terminal, merchantId]);
    this.chain.invalidate({ terminal });
  }

  async setTerminalEnabled(terminal: string, enabled: boolean) {
    await this.actOnRegistry("setTerminalEnabled", [terminal, enabled]);
    this.chain.invalidate({ terminal });
  }

  async setAgreement(merchantId: number, agreement: IMerchantRegistry.AgreementStruct) {
    const receipt = await this.actOnRegistry("setAgreement", [merchantId, agreement]);
    this.chain.invalidateAllTerms();
    const event = receipt.logs.map((l) => this.chain.registry.interface.parseLog(l)).find((e) => e?.name === "AgreementSet");
    return { version: Number(event!.args.version) };
  }

  async setCreditPointRule(rateBps: number) {
    const receipt = await this.actOnRegistry("setCreditPointRule", [rateBps]);
    this.chain.invalidateAllTerms();
    const event = receipt.logs.map((l) => this.chain.registry.interface.parseLog(l)).find((e) => e?.name === "CreditPointRuleSet");
    return { version: Number(event!.args.version) };
  }

  async setCardStatus(cardId: string, action: "freeze" | "unfreeze" | "close") {
    await this.existingCard(cardId);
    const fn = { freeze: "freezeCard", unfreeze: "unfreezeCard", close: "closeCard" }[action];
    await this.actOnRegistry(fn, [cardId]);
    this.chain.invalidate({ cardId });
    // The card may be a merchant's: its terminals' terms carry its status.
    this.chain.invalidateAllTerms();
  }

  async setPaused(paused: boolean) {
    const ledger = this.chain.ledger.interface;
    await this.act("bank", "ledger", paused ? ledger.encodeFunctionData("pause") : ledger.encodeFunctionData("unpause"));
  }

  /**
   * Propose erasing a holder's personal data (dual control): once the other institution approves
   * (the approval endpoint), the registry emits IdentityErasureApproved and the gateway
   * crypto-shreds the record (destroys the holder's data key), so the on-chain commitment can no
   * longer be linked. Neither institution erases alone. `cardId` may be any card of the account;
   * the answer names the card the record is stored under (`identityCardId`).
   */
  async proposeIdentityErasure(role: ControllerRole, cardId: string) {
    await this.existingCard(cardId);
    // Any card of the account reaches the record, which stays under the account's first card.
    const identityCardId = await this.identities.holderOf(cardId);
    if (identityCardId === undefined) {
      throw new DomainError({ code: "identity.not_found", status: 404, title: "Not found", detail: "no personal data stored for this card's account" });
    }
    const action = this.chain.registry.interface.encodeFunctionData("recordIdentityErasure", [cardId]);
    return { proposalId: await this.propose(role, "registry", action), identityCardId };
  }

  /** The bank's act on the registry: `fn(args)`, signed by the bank's credential. */
  private actOnRegistry(fn: string, args: readonly unknown[]) {
    return this.act("bank", "registry", (this.chain.registry.interface as Interface).encodeFunctionData(fn, args));
  }

  // ---------------------------------------------------------------- internals

  /** Propose an ABI-encoded action on a dual-controlled contract with the role's credential; returns the proposal ID. */
  async propose(role: ControllerRole, target: ProposalTarget, action: string): Promise<string> {
    const contract = this.contractOf(target);
    const step = await this.signStep(role, target, StepKind.Propose, 0n, keccak256(action));
    const receipt = await this.send(role, (o) => contract.connect(this.signers[role]).propose(action, step, o));
    const event = receipt.logs.map((l) => contract.interface.parseLog(l)).find((e) => e?.name === "ProposalCreated");
    return event!.args.proposalId.toString();
  }

  /**
   * Run a single-institution action (an ABI-encoded call of one of `target`'s functions) with
   * the role's credential (an `Act` step); returns the receipt.
   */
  async act(role: ControllerRole, target: ProposalTarget, action: string) {
    const contract = this.contractOf(target);
    const step = await this.signStep(role, target, StepKind.Act, 0n, keccak256(action));
    return this.send(role, (o) => contract.connect(this.signers[role]).act(action, step, o));
  }

  /**
   * The role's signature over one operator step performed on `target`: the OperatorStep typed
   * data under that contract's domain, signed with the institution's key as its credential.
   */
  async signStep(
    role: ControllerRole,
    target: ProposalTarget,
    kind: StepKind,
    subject: bigint,
    actionHash: string,
    blockTime: Promise<bigint> = this.latestBlockTime(),
  ): Promise<IDualControl.StepSignatureStruct> {
    const [credentialId, now] = await Promise.all([this.credentialOf(role), blockTime]);
    const step = { kind, subject, actionHash, salt: hexlify(randomBytes(32)), notAfter: now + STEP_VALIDITY_SECONDS };
    const domain = operatorDomain(this.chain.chainId, await this.contractOf(target).getAddress());
    const signature = encodeSecp256k1Signature(this.signers[role].signingKey.sign(stepDigest(domain, step)));
    return { credentialId, salt: step.salt, notAfter: step.notAfter, signature };
  }

  /** The credential ID the role's key is registered as (read once; it never changes). */
  private credentialOf(role: ControllerRole): Promise<bigint> {
    let id = this.credentials.get(role);
    if (!id) {
      id = this.readCredential(role);
      this.credentials.set(role, id);
      id.catch(() => this.credentials.delete(role));
    }
    return id;
  }

  private async readCredential(role: ControllerRole): Promise<bigint> {
    const operators = this.chain.operators;
    const id = operators ? await operators.credentialOfKey(keyHash(secp256k1Key(this.signers[role].address))) : 0n;
    if (id === 0n) {
      throw new DomainError({
        code: "operator.no_credential",
        status: 503,
        title: "No operator credential",
        detail: `the ${role} key is not a registered operator credential of this deployment`,
      });
    }
    return id;
  }

  private async existingCard(cardId: string) {
    const card = await this.chain.registry.card(cardId);
    if (card.status === 0n) throw new DomainError({ code: "card.unknown", status: 404, title: "Not found", detail: "no such card" });
    return card;
  }

  /** The key an operator role signs with. */
  signerOf(role: ControllerRole): Wallet {
    return this.signers[role];
  }

  /** The dual-controlled contract a proposal target names. */
  private contractOf(target: ProposalTarget) {
    if (target === "registry") return this.chain.registry;
    if (target === "ledger") return this.chain.ledger;
    if (!this.chain.creditGrants) throw new DomainError({ code: "credit.not_deployed", status: 503, title: "Credit center not deployed" });
    return this.chain.creditGrants;
  }

  /**
   * Send one transaction with the role's key (one queue per key, shared by every service that
   * signs with it) and wait for it; a revert becomes a 422 with its error name.
   */
  async send(role: ControllerRole, fn: (overrides: Overrides) => Promise<ContractTransactionResponse>) {
    try {
      return await this.senders[role].send(fn);
    } catch (err) {
      if (!(err instanceof ContractRefusal)) throw err;
      throw new DomainError({ code: `contract.${err.answered.name}`, status: 422, title: "The contract refused the operation", detail: err.message });
    }
  }
}
