/**
 * A contract's refusal, decoded: the custom error's name and arguments, from the revert data of
 * any Credence contract. An approval whose action reverted (DualControlActionFailed) and an act
 * whose function reverted (DualControlActFailed) also name that call's own error, which is what
 * went wrong.
 */
import type { LedgerClient } from "./ledger-client";

export interface ContractErrorName {
  name: string;
  args: unknown[];
}

/** Raised by a send the contract refused (at gas estimation: no nonce was used). */
export class ContractRefusal extends Error {
  constructor(
    readonly error: ContractErrorName,
    /** The action's own error, for DualControlActionFailed and DualControlActFailed. */
    readonly inner?: ContractErrorName,
  ) {
    super(`${error.name}(${error.args.map(String).join(", ")})${inner ? `: ${inner.name}(${inner.args.map(String).join(", ")})` : ""}`);
    this.name = "ContractRefusal";
  }

  /**
   * The error a caller answers with: an act is a direct call of its function, so an act whose
   * function reverted answers with the function's own error (the codes a client switches on stay
   * those of the function); anything else with the contract's error.
   */
  get answered(): ContractErrorName {
    return this.error.name === "DualControlActFailed" && this.inner ? this.inner : this.error;
  }
}

/** The custom error revert data names, tried against every contract of the deployment. */
export function decodeContractError(chain: LedgerClient, data: string): ContractErrorName | undefined {
  const interfaces = [
    chain.registry.interface,
    chain.ledger.interface,
    chain.creditGrants?.interface,
    chain.creditScores?.interface,
    chain.operators?.interface,
  ];
  for (const iface of interfaces) {
    const parsed = iface?.parseError(data);
    if (parsed) return { name: parsed.name, args: parsed.args.toArray() };
  }
  return undefined;
}

/** The contract's refusal carried by an ethers error, or undefined when it is no refusal. */
export function contractRefusal(chain: LedgerClient, err: unknown): ContractRefusal | undefined {
  const e = err as { revert?: ContractErrorName; data?: unknown };
  let revert = e.revert ? { name: e.revert.name, args: [...e.revert.args] } : undefined;
  if (!revert && typeof e.data === "string") revert = decodeContractError(chain, e.data);
  if (!revert) return undefined;
  const inner =
    (revert.name === "DualControlActionFailed" || revert.name === "DualControlActFailed") && typeof revert.args[1] === "string"
      ? decodeContractError(chain, revert.args[1])
      : undefined;
  return new ContractRefusal(revert, inner);
}

/** Whether an ethers error is a refusal at gas estimation (the transaction was never sent). */
export function refusedBeforeSending(err: unknown): boolean {
  return (err as { revert?: unknown }).revert !== undefined || typeof (err as { data?: unknown }).data === "string";
}
