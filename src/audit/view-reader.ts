/**
 * Contract views read at one block, for the state comparison: thousands of calls, sent many per
 * JSON-RPC batch request and coded by layout. Every view the auditor compares takes and returns
 * static one-word values (bytes32, address, bool, intN, uintN, and structs of them), so a call
 * is its selector and argument words and an answer is its words in order; ethers' generic coder
 * (which re-hashes the function signature on every call) cost more than the node's answers.
 * Without a batching client (Hardhat's in-process network in tests) each call goes on its own.
 */
import type { Interface, ParamType } from "ethers";
import { JsonRpcError, type JsonRpc } from "../chain/json-rpc";
import type { RpcSender } from "./rpc";

/** A view's answer: each output word by its position and by its name (a struct's by field name). */
export type ViewResult = Record<string, bigint>;
export type ViewArg = string | bigint | number;
/** A prepared view: call it with the contract address and the arguments. */
export type View = (to: string, args: readonly ViewArg[]) => Promise<ViewResult>;

/** Calls per batch request, and batch requests in flight at once. */
const BATCH_SIZE = 250;
const BATCHES_IN_FLIGHT = 4;

interface Output {
  name: string;
  signed: boolean;
}

interface QueuedCall {
  to: string;
  data: string;
  outputs: readonly Output[];
  resolve: (r: ViewResult) => void;
  reject: (e: Error) => void;
}

export class ViewReader {
  private readonly queue: QueuedCall[] = [];
  private readonly blockTag: string;
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly rpc: RpcSender & { batch?: JsonRpc["batch"] },
    blockNumber: number,
  ) {
    this.blockTag = "0x" + blockNumber.toString(16);
  }

  /** Prepares the view `name` of `iface`; throws for a view with a dynamic input or output. */
  view(iface: Interface, name: string): View {
    const fn = iface.getFunction(name);
    if (!fn) throw new Error(`no view ${name} in the interface`);
    const selector = fn.selector;
    const inputs = fn.inputs.map((p) => wordEncoder(p, name));
    const outputs = (fn.outputs.length === 1 && fn.outputs[0].baseType === "tuple" ? fn.outputs[0].components! : fn.outputs).map(
      (p, i): Output => ({ name: p.name || String(i), signed: staticWord(p, name).startsWith("int") }),
    );
    return (to, args) => {
      if (args.length !== inputs.length) throw new Error(`${name} takes ${inputs.length} arguments, got ${args.length}`);
      const data = selector + args.map((a, i) => inputs[i](a)).join("");
      return new Promise((resolve, reject) => {
        this.queue.push({ to, data, outputs, resolve, reject });
        this.schedule();
      });
    };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < BATCHES_IN_FLIGHT && this.queue.length > 0) {
      const calls = this.queue.splice(0, BATCH_SIZE);
      this.inFlight++;
      this.send(calls)
        .catch((err: Error) => calls.forEach((c) => c.reject(err)))
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private async send(calls: QueuedCall[]): Promise<void> {
    const requests = calls.map((c) => ({ method: "eth_call", params: [{ to: c.to, data: c.data }, this.blockTag] }));
    const answers = this.rpc.batch
      ? await this.rpc.batch(requests)
      : await Promise.all(requests.map((r) => this.rpc.send(r.method, r.params).catch((err: Error) => err)));
    calls.forEach((c, i) => {
      const answer = answers[i];
      if (answer instanceof Error) c.reject(answer);
      else if (typeof answer !== "string" || answer.length !== 2 + 64 * c.outputs.length) {
        c.reject(new JsonRpcError(`eth_call to ${c.to}: an answer of ${String(answer).length} characters does not fit the view's ${c.outputs.length} words`, undefined, answer));
      } else c.resolve(decodeWords(answer, c.outputs));
    });
  }
}

function decodeWords(hex: string, outputs: readonly Output[]): ViewResult {
  const result: ViewResult = {};
  outputs.forEach((o, i) => {
    const word = BigInt("0x" + hex.slice(2 + 64 * i, 66 + 64 * i));
    result[i] = result[o.name] = o.signed ? BigInt.asIntN(256, word) : word;
  });
  return result;
}

/** The static one-word type of a parameter, or an error naming the view that cannot be read here. */
function staticWord(p: ParamType, view: string): string {
  if (!/^(u?int\d*|bytes32|address|bool)$/.test(p.type)) throw new Error(`view ${view}: ${p.type} is not a static one-word type`);
  return p.type;
}

function wordEncoder(p: ParamType, view: string): (a: ViewArg) => string {
  const type = staticWord(p, view);
  if (type === "bytes32" || type === "address") {
    const hexChars = type === "bytes32" ? 64 : 40;
    return (a) => {
      const hex = String(a).replace(/^0x/i, "");
      if (hex.length !== hexChars || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`view ${view}: ${String(a)} is not a ${type}`);
      return hex.padStart(64, "0");
    };
  }
  return (a) => BigInt.asUintN(256, BigInt(a)).toString(16).padStart(64, "0");
}
