/** A contract call in words, for operators deciding on it and for proposal listings. */
import type { Interface, ParamType } from "ethers";
import { FUNCTION_ARGUMENTS } from "./call-arguments";

/** A decoded value as JSON: numbers as decimal strings, a struct as an object by its fields' names, an array as an array. */
export type NamedValue = string | boolean | NamedValue[] | { [name: string]: NamedValue };

/** A decoded value by its ABI type: a struct (a credit policy's tier, say) as an object of its named fields. */
export function namedValue(type: ParamType, value: unknown): NamedValue {
  if (type.isArray()) return (value as unknown[]).map((v) => namedValue(type.arrayChildren, v));
  if (type.isTuple()) return Object.fromEntries(type.components.map((c, i) => [c.name || String(i), namedValue(c, (value as unknown[])[i])]));
  return typeof value === "boolean" ? value : String(value);
}

/** A call's arguments by name, as decoded values. */
export function namedCall(iface: Interface, action: string): { function: string; args: Record<string, NamedValue> } | null {
  const call = iface.parseTransaction({ data: action });
  if (!call) return null;
  return { function: call.name, args: Object.fromEntries(call.fragment.inputs.map((input, i) => [input.name || String(i), namedValue(input, call.args[i])])) };
}

/** A call in words: its function and its arguments by name, as strings (never personal data: identities stay off chain). */
export function summaryOf(iface: Interface, action: string): { function: string; args: Record<string, string> } {
  const call = namedCall(iface, action);
  if (!call) return { function: "unknown", args: {} };
  const args = Object.fromEntries(Object.entries(call.args).map(([name, v]) => [name, stringifyArg(v)]));
  return { function: call.function, args: { ...args, ...FUNCTION_ARGUMENTS[call.function]?.summarise?.(call.args) } };
}

/** An argument as a string: numbers in decimal, structs and arrays as JSON. */
export function stringifyArg(value: unknown): string {
  if (Array.isArray(value) || (typeof value === "object" && value !== null)) return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return String(value);
}
