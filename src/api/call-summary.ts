/** A contract call in words, for operators deciding on it and for proposal listings. */
import type { Interface } from "ethers";

/** A call in words: its function and its arguments by name, as strings (never personal data: identities stay off chain). */
export function summaryOf(iface: Interface, action: string): { function: string; args: Record<string, string> } {
  const call = iface.parseTransaction({ data: action });
  if (!call) return { function: "unknown", args: {} };
  const args: Record<string, string> = {};
  call.fragment.inputs.forEach((input, i) => {
    args[input.name || String(i)] = stringifyArg(call.args[i]);
  });
  // A correction carries the order it names whole (with its batch proof): name the order ID alone too.
  if (call.name === "voidPoints") args.orderId = String(call.args[5].orderId);
  return { function: call.name, args };
}

/** An argument as a string: numbers in decimal, tuples and arrays as JSON. */
export function stringifyArg(value: unknown): string {
  if (Array.isArray(value)) return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return String(value);
}
