/**
 * Signed operator steps for tests (contracts/access/DualControl.sol): `dual(contract, actor)`
 * proposes, approves, rejects, withdraws, acts alone or confirms a credit freeze as the actor's
 * credential, building the OperatorStep typed data through src/domain/operator-steps.ts and
 * signing it with the actor's key; `acting(contract, actor)` calls a single-institution function
 * by its name through `act`. Tests never assemble a digest by hand.
 *
 * An actor is either a Signer of the suite whose address is a secp256k1 (HSM-kind) credential
 * (the suite registers the bank, credit-center, bank 2 and credit-center 2 accounts so), or an
 * `Operator` from ./operators (a passkey or an HSM wallet). A Signer relays its own steps; an
 * Operator's are relayed by `relayer` (default: the contract's runner). Anyone may relay.
 */
import { ethers } from "hardhat";
import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { id, keccak256, type ContractTransactionResponse, type Interface, type Signer } from "ethers";
import {
  NO_DEADLINE,
  OPERATOR_STEP_TYPES,
  StepKind,
  enrolmentStep,
  keyHash,
  secp256k1Key,
  type OperatorStep,
} from "../../src/domain/operator-steps";
import { CredenceOperators__factory } from "../../typechain-types";
import type { CredenceOperators, CreditGrants, CredenceRegistry, PointsLedger } from "../../typechain-types";
import type { IDualControl } from "../../typechain-types/contracts/registry/CredenceRegistry";
import { domainOf, keyOf, operatorIdFor, signStep, type Fault, type Holder, type Operator } from "./operators";

export type DualControlled = CredenceRegistry | PointsLedger | CreditGrants;
export type Actor = Signer | Operator;

/** The signer-chosen fields of a step, and which credential it claims to be (by default, the actor's). */
export interface StepOptions {
  salt?: string;
  notAfter?: bigint;
  credentialId?: bigint;
  fault?: Fault;
}

let salts = 0;
/** A fresh salt per step, deterministic across runs. */
export function nextSalt(): string {
  return id(`dual-control-salt:${++salts}`);
}

function isOperator(actor: Actor): actor is Operator {
  return (actor as Operator).holder !== undefined;
}

/** The credentials contract a dual-controlled contract consults. */
export async function operatorsOf(target: DualControlled): Promise<CredenceOperators> {
  return CredenceOperators__factory.connect(await target.operators(), ethers.provider);
}

/** The credential an actor signs as (0 for an account that is no credential). */
export async function credentialOf(target: DualControlled, actor: Actor): Promise<bigint> {
  if (isOperator(actor)) return actor.credentialId;
  return (await operatorsOf(target)).credentialOfKey(keyHash(secp256k1Key(await actor.getAddress())));
}

/** The actor's signature over one step performed on `target`. */
export async function signedStep(
  target: DualControlled,
  actor: Actor,
  kind: StepKind,
  subject: bigint,
  actionHash: string,
  options: StepOptions = {},
): Promise<IDualControl.StepSignatureStruct> {
  const step: OperatorStep = {
    kind,
    subject,
    actionHash,
    salt: options.salt ?? nextSalt(),
    notAfter: options.notAfter ?? NO_DEADLINE,
  };
  const credentialId = options.credentialId ?? (await credentialOf(target, actor));
  let signature: string;
  if (isOperator(actor)) {
    signature = String((await signStep(target, step, { ...actor, credentialId }, options.fault)).signature);
  } else {
    signature = await actor.signTypedData(await domainOf(target), OPERATOR_STEP_TYPES, step);
  }
  return { credentialId, salt: step.salt, notAfter: step.notAfter, signature };
}

/** The action hash a step on an existing proposal binds. */
async function proposalActionHash(target: DualControlled, proposalId: bigint): Promise<string> {
  return (await target.proposal(proposalId)).actionHash;
}

/** Dual-control calls as `actor`, relayed by the actor itself (a Signer) or by `relayer`. */
export function dual(target: DualControlled, actor: Actor, relayer?: Signer) {
  const from = (relayer ?? (isOperator(actor) ? undefined : actor)) as Signer | undefined;
  const c = (from ? target.connect(from) : target) as DualControlled;
  return {
    step: (kind: StepKind, subject: bigint, actionHash: string, options?: StepOptions) =>
      signedStep(target, actor, kind, subject, actionHash, options),
    async propose(action: string, options?: StepOptions): Promise<ContractTransactionResponse> {
      return c.propose(action, await signedStep(target, actor, StepKind.Propose, 0n, keccak256(action), options));
    },
    async approve(proposalId: bigint, action: string, options?: StepOptions): Promise<ContractTransactionResponse> {
      const step = await signedStep(target, actor, StepKind.Approve, proposalId, keccak256(action), options);
      return c.approveProposal(proposalId, action, step);
    },
    async reject(proposalId: bigint, options?: StepOptions): Promise<ContractTransactionResponse> {
      const hash = await proposalActionHash(target, proposalId);
      return c.reject(proposalId, await signedStep(target, actor, StepKind.Reject, proposalId, hash, options));
    },
    async withdraw(proposalId: bigint, options?: StepOptions): Promise<ContractTransactionResponse> {
      const hash = await proposalActionHash(target, proposalId);
      return c.withdraw(proposalId, await signedStep(target, actor, StepKind.Withdraw, proposalId, hash, options));
    },
    /** Run a single-institution action (calldata of one of the contract's functions) alone. */
    async act(action: string, options?: StepOptions): Promise<ContractTransactionResponse> {
      return c.act(action, await signedStep(target, actor, StepKind.Act, 0n, keccak256(action), options));
    },
    /** Confirm the card's current credit freeze (CreditGrants), as the other institution. */
    async confirm(cardId: string, options?: StepOptions): Promise<ContractTransactionResponse> {
      const grants = target as CreditGrants;
      const [subject, actionHash] = await grants.freezeConfirmation(cardId);
      const step = await signedStep(target, actor, StepKind.Confirm, subject, actionHash, options);
      return (c as CreditGrants).confirmFreeze(cardId, step);
    },
    /** Withdraw when the actor is of the proposer's institution, reject otherwise. */
    async cancel(proposalId: bigint, options?: StepOptions): Promise<ContractTransactionResponse> {
      const [p, credential] = await Promise.all([target.proposal(proposalId), credentialOf(target, actor)]);
      const institution = (await (await operatorsOf(target)).credential(credential)).institution;
      // The proposal and credential just read serve the step too: no second round trip for either.
      const kind = institution === p.institution ? StepKind.Withdraw : StepKind.Reject;
      const step = await signedStep(target, actor, kind, proposalId, p.actionHash, { credentialId: credential, ...options });
      return kind === StepKind.Withdraw ? c.withdraw(proposalId, step) : c.reject(proposalId, step);
    },
  };
}

/** A single-institution function called by name through `act`, e.g. `acting(registry, bank).freezeCard(id)`. */
export type Acting = Record<string, (...args: unknown[]) => Promise<ContractTransactionResponse>>;

/**
 * Single-institution calls as `actor`: each function of `target` by its name, with its usual
 * arguments, encoded and run through `act` (relayed as `dual` relays).
 */
export function acting(target: DualControlled, actor: Actor, relayer?: Signer): Acting {
  const steps = dual(target, actor, relayer);
  return new Proxy({} as Acting, {
    get: (_, name: string) =>
      (...args: unknown[]) =>
        steps.act(actionOf(target, name, args)),
  });
}

/** The calldata of `target`'s function `name` with `args` (an action for `act` or `propose`). */
export function actionOf(target: DualControlled, name: string, args: readonly unknown[]): string {
  return (target.interface as unknown as Interface).encodeFunctionData(name, args);
}

/** What `fn(args)` would return if `actor` acted it now (a static call of `act`, decoded). */
export async function actReturn(target: DualControlled, actor: Actor, name: string, args: readonly unknown[]): Promise<unknown> {
  const action = actionOf(target, name, args);
  const from = isOperator(actor) ? target : (target.connect(actor) as DualControlled);
  const result = await from.act.staticCall(action, await signedStep(target, actor, StepKind.Act, 0n, keccak256(action)));
  return (target.interface as unknown as Interface).decodeFunctionResult(name, result)[0];
}

/** Assert that an act reverted because its function did, with `error(args)` of `target`. */
export async function expectActRevert(
  call: Promise<unknown>,
  target: DualControlled,
  error: string,
  args: readonly unknown[] = [],
): Promise<void> {
  await expect(call)
    .to.be.revertedWithCustomError(target, "DualControlActFailed")
    .withArgs(anyValue, (target.interface as unknown as Interface).encodeErrorResult(error, args));
}

/**
 * Enrol `holder` (a passkey or an HSM wallet) as a credential of `institution`, signed by
 * `signers`, accounts of the suite that are credentials of distinct operators of that
 * institution (two once it has two operators); returns the operator.
 */
export async function enrolHolder(
  operators: CredenceOperators,
  institution: string,
  label: string,
  holder: Holder,
  signers: readonly Signer[],
): Promise<Operator> {
  const operatorId = operatorIdFor(label);
  const key = keyOf(holder);
  const salt = id(`enrol:${label}`);
  const step = enrolmentStep(institution, operatorId, key, salt);
  const domain = await domainOf(operators);
  const signatures = await Promise.all(
    signers.map(async (signer) => ({
      credentialId: await operators.credentialOfKey(keyHash(secp256k1Key(await signer.getAddress()))),
      signature: await signer.signTypedData(domain, OPERATOR_STEP_TYPES, step),
    })),
  );
  await (await operators.enrol(institution, operatorId, key, salt, NO_DEADLINE, signatures)).wait();
  return { credentialId: await operators.credentialCount(), operatorId, institution, holder };
}
