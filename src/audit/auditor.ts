/**
 * The audit, start to end: check the node serves the deployment's chain, replay every event of
 * the registry and the ledger from the deployment block to the audited block (in pages, each
 * transaction with its decoded calldata), compare the recomputed state with the contracts'
 * views at that block, then check the slip archive when one is given.
 */
import type { Interface, Provider } from "ethers";
import type { DeploymentRecord } from "../chain/deployment";
import { domainSeparator, ledgerDomain } from "../domain/typed-data";
import { pageLogs, type PagerOptions } from "./event-pager";
import { EventDecoder, type DecodedLog } from "./events";
import { decodeLedgerCall, type LedgerCall } from "./calldata";
import { RegistryModel } from "./registry-model";
import { LedgerModel } from "./ledger-model";
import { DualControlChecker, type DualControlSubject } from "./dual-control";
import { OperatorStepChecker, type StepTransaction } from "./operator-steps";
import { credenceOperatorsInterface, creditGrantsInterface, ledgerSubjects } from "./dual-control-subjects";
import { SignaturePool } from "./signature-pool";
import { Replay } from "./replay";
import { compareState } from "./state-check";
import { ViewReader } from "./view-reader";
import { checkSlips, type SlipSource } from "./slips";
import { bulkRpc } from "./rpc";
import { limiter, sendAll, type Limit, type RpcSender } from "../chain/bulk-calls";
import { isIpcPath } from "../chain/rpc-endpoint";
import { emptyCounts, Findings, type AuditReport } from "./report";

/** A problem with what the auditor was asked to audit (not a discrepancy): exit code 2. */
export class AuditSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditSetupError";
  }
}

export interface AuditProgress {
  fromBlock: number;
  toBlock: number;
  /** Last block replayed. */
  block: number;
  settlements: number;
}

/** A node connection: ethers' JsonRpcProvider, or Hardhat's in-process provider in tests. */
export type AuditProvider = Provider & { send(method: string, params: unknown[]): Promise<unknown> };

export interface AuditOptions {
  provider: AuditProvider;
  /** The node's HTTP JSON-RPC URL or IPC socket path, for bulk reads (see rpc.ts); default: through `provider`. */
  rpcUrl?: string;
  deployment: DeploymentRecord;
  /** Default: the node's latest block. */
  toBlock?: number;
  slips?: SlipSource;
  /** Signature worker threads; 0 (default) recovers on the main thread. */
  workers?: number;
  /** More dual-controlled contracts (see dual-control-subjects.ts) and the ABIs of their events. */
  extraSubjects?: () => DualControlSubject[];
  extraInterfaces?: readonly Interface[];
  onProgress?: (p: AuditProgress) => void;
  maxDiscrepancies?: number;
  paging?: PagerOptions;
}

const TX_FETCH_PARALLEL = 16;

export async function runAudit(o: AuditOptions): Promise<AuditReport> {
  const started = performance.now();
  const { provider, deployment } = o;
  const { fromBlock, toBlock } = await checkTarget(o);
  const registry = new RegistryModel();
  const ledger = new LedgerModel();
  const counts = emptyCounts();
  const findings = new Findings(o.maxDiscrepancies);
  const subjects = [...ledgerSubjects(deployment), ...(o.extraSubjects?.() ?? [])];
  const dualControl = new DualControlChecker(subjects, deployment.operators);
  const operatorSteps = deployment.operators
    ? new OperatorStepChecker({
        chainId: BigInt(deployment.chainId),
        operators: deployment.operators,
        dualControl: [deployment.registry, deployment.ledger, ...(deployment.creditGrants ? [deployment.creditGrants] : [])],
        credentials: dualControl.credentials,
      })
    : undefined;
  const domain = ledgerDomain(BigInt(deployment.chainId), deployment.ledger);
  const pool = new SignaturePool(domainSeparator(domain), o.workers ?? 0);
  const replay = new Replay({ registryAddress: deployment.registry, ledgerAddress: deployment.ledger, domain, registry, ledger, dualControl, operatorSteps, pool, findings, counts });
  const decoder = new EventDecoder([
    ...(deployment.operators ? [credenceOperatorsInterface()] : []),
    ...(deployment.creditGrants ? [creditGrantsInterface()] : []),
    ...(o.extraInterfaces ?? []),
  ]);
  const ledgerAddress = deployment.ledger.toLowerCase();
  const addresses = [
    ...new Set(
      subjects
        .map((s) => s.address.toLowerCase())
        .concat(deployment.registry.toLowerCase(), ledgerAddress, ...(deployment.operators ? [deployment.operators.toLowerCase()] : [])),
    ),
  ];
  const rpc: RpcSender = o.rpcUrl && (isIpcPath(o.rpcUrl) || /^https?:/.test(o.rpcUrl)) ? bulkRpc(o.rpcUrl) : provider;
  const limit = limiter(TX_FETCH_PARALLEL);
  try {
    // The next page is read while this one is replayed, and each transaction's calldata while
    // the transactions before it are: the node's answers stay off the replay's path.
    const pages = pageLogs(rpc, addresses, fromBlock, toBlock, o.paging);
    for (let next = pages.next(); ; ) {
      const page = await next;
      if (page.done) break;
      next = pages.next();
      const logs = page.value.logs.map((l) => decoder.decode(l)).filter((l): l is DecodedLog => l !== undefined);
      const calls = fetchLedgerCalls(rpc, ledgerAddress, logs, limit);
      const steps = operatorSteps ? fetchStepTransactions(rpc, logs.filter((l) => operatorSteps.needsTransaction(l)), limit) : new Map();
      for (let i = 0; i < logs.length; ) {
        let j = i + 1;
        while (j < logs.length && logs[j].transactionHash === logs[i].transactionHash) j++;
        const hash = logs[i].transactionHash;
        await replay.transaction(logs.slice(i, j), await calls.get(hash), await steps.get(hash));
        i = j;
      }
      o.onProgress?.({ fromBlock, toBlock, block: page.value.toBlock, settlements: counts.settlements });
    }
    await replay.flush();
  } finally {
    await pool.close();
  }
  counts.dualControlActions = dualControl.checked;
  counts.operatorSteps = operatorSteps?.checked ?? 0;
  const scores = deployment.creditScores
    ? { address: deployment.creditScores, blockTime: BigInt((await provider.getBlock(toBlock))!.timestamp) }
    : undefined;
  const at = { reader: new ViewReader(rpc, toBlock), blockTag: toBlock, ledger: deployment.ledger, scores };
  await compareState(at, registry, ledger, findings, counts);
  if (o.slips) await checkSlips(o.slips, registry, ledger, findings, counts);
  return {
    chainId: deployment.chainId,
    registry: deployment.registry,
    ledger: deployment.ledger,
    fromBlock,
    toBlock,
    slipsChecked: o.slips !== undefined,
    seconds: (performance.now() - started) / 1000,
    counts,
    discrepancies: findings.list,
    discrepanciesOmitted: findings.omitted,
  };
}

async function checkTarget(o: AuditOptions): Promise<{ fromBlock: number; toBlock: number }> {
  const { provider, deployment } = o;
  const chainId = BigInt((await provider.send("eth_chainId", [])) as string);
  if (chainId.toString() !== deployment.chainId) {
    throw new AuditSetupError(`the node serves chain ${chainId}, the deployment is on chain ${deployment.chainId}`);
  }
  // Asked of the node itself: ethers' getBlockNumber may answer from a cache a block behind.
  const head = Number(await provider.send("eth_blockNumber", []));
  const toBlock = o.toBlock ?? head;
  if (toBlock > head) throw new AuditSetupError(`--to-block ${toBlock} is past the node's latest block ${head}`);
  if (toBlock < deployment.deploymentBlock) throw new AuditSetupError(`--to-block ${toBlock} is before the deployment block ${deployment.deploymentBlock}`);
  if ((await provider.getCode(deployment.ledger, toBlock)) === "0x") {
    throw new AuditSetupError(`no ledger contract at ${deployment.ledger} at block ${toBlock}: wrong chain or deployment file`);
  }
  return { fromBlock: deployment.deploymentBlock, toBlock };
}

/**
 * The ledger calls of the transactions that settled, refunded or redeemed, by transaction hash:
 * all requested at once (sendAll: in JSON-RPC batches when `rpc` can send them), at most
 * TX_FETCH_PARALLEL requests at a time (`limit`), in chain order.
 */
function fetchLedgerCalls(rpc: RpcSender, ledgerAddress: string, logs: readonly DecodedLog[], limit: Limit): Map<string, Promise<LedgerCall | undefined>> {
  const settled = logs.filter((l) => l.address === ledgerAddress && (l.name === "PointsEarned" || l.name === "PointsReversed" || l.name === "PointsRedeemed"));
  const hashes = [...new Set(settled.map((l) => l.transactionHash))];
  const answers = sendAll(rpc, hashes.map((hash) => ({ method: "eth_getTransactionByHash", params: [hash] })), limit);
  const calls = new Map<string, Promise<LedgerCall | undefined>>();
  hashes.forEach((hash, i) => {
    const call = (answers[i] as Promise<{ to: string | null; input: string } | null>).then((tx) => {
      if (!tx || tx.to?.toLowerCase() !== ledgerAddress) return undefined;
      try {
        return decodeLedgerCall(tx.input);
      } catch {
        return undefined; // undecodable calldata: its settlements are reported as unverifiable
      }
    });
    call.catch(() => undefined); // awaited in chain order by the replay, where a failure surfaces
    calls.set(hash, call);
  });
  return calls;
}

/**
 * The transactions that performed operator steps (operator-steps.ts), with their blocks' times,
 * by transaction hash. Steps are administrative, yet a page may hold hundreds (every card issued
 * is two): they are read with their blocks' headers like the ledger calls (sendAll).
 */
function fetchStepTransactions(rpc: RpcSender, logs: readonly DecodedLog[], limit: Limit): Map<string, Promise<StepTransaction>> {
  const hashes = [...new Set(logs.map((l) => l.transactionHash))];
  const times = new Map<number, bigint | undefined>();
  for (const l of logs) if (times.get(l.blockNumber) === undefined) times.set(l.blockNumber, l.blockTimestamp);
  const untimed = [...times].filter(([, t]) => t === undefined).map(([block]) => block);
  const answers = sendAll(rpc, [
    ...hashes.map((hash) => ({ method: "eth_getTransactionByHash", params: [hash] })),
    ...untimed.map((block) => ({ method: "eth_getBlockByNumber", params: ["0x" + block.toString(16), false] })),
  ], limit);
  const blockTimes = new Map<number, Promise<bigint>>();
  for (const [block, time] of times) {
    blockTimes.set(block, time !== undefined ? Promise.resolve(time) : answers[hashes.length + untimed.indexOf(block)].then((b) => BigInt((b as { timestamp: string }).timestamp)));
  }
  const blockOf = new Map(logs.map((l) => [l.transactionHash, l.blockNumber]));
  const txs = new Map<string, Promise<StepTransaction>>();
  hashes.forEach((hash, i) => {
    const tx = Promise.all([answers[i] as Promise<{ to: string | null; input: string } | null>, blockTimes.get(blockOf.get(hash)!)!]).then(
      // A transaction the node does not return has no call to read: its steps are reported undecodable.
      ([t, blockTime]) => ({ to: t?.to ?? null, input: t?.input ?? "0x", blockTime }),
    );
    tx.catch(() => undefined); // awaited in chain order by the replay, where a failure surfaces
    txs.set(hash, tx);
  });
  return txs;
}
