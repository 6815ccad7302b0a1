/**
 * The chain adapter: typed contract handles, the settlement hasher for this chain, and short-lived
 * caches of what intake reads on every settlement (a terminal's terms, a card). Caches are
 * invalidated by the gateway's own writes; a change made elsewhere shows within `cacheMs`, and
 * the ledger re-checks everything on chain anyway.
 */
import { connectProvider, type TransportJsonRpcProvider } from "./rpc-endpoint";
import {
  CreditGrants__factory,
  CreditScores__factory,
  CredenceOperators__factory,
  CredenceRegistry__factory,
  PointsLedger__factory,
} from "../../typechain-types";
import type { CredenceOperators, CreditGrants, CreditScores, CredenceRegistry, PointsLedger } from "../../typechain-types";
import type { IMerchantRegistry } from "../../typechain-types/contracts/registry/CredenceRegistry";
import type { ICardRegistry } from "../../typechain-types/contracts/registry/CredenceRegistry";
import { domainSeparator, ledgerDomain } from "../domain/typed-data";
import { SettlementHasher } from "../domain/settlement-hasher";
import type { DeploymentRecord } from "./deployment";

export type TerminalTerms = IMerchantRegistry.SettlementTermsStructOutput;
export type CardRecord = ICardRegistry.CardStructOutput;

class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; until: number }>();
  constructor(private readonly ttlMs: number) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = load();
    this.entries.set(key, { value, until: now + this.ttlMs });
    value.catch(() => this.entries.delete(key));
    if (this.entries.size > 100_000) this.entries.clear();
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

export class LedgerClient {
  /** The operators' credentials (CredenceOperators), when the deployment record names them (the gateway's always does). */
  readonly operators?: CredenceOperators;
  readonly registry: CredenceRegistry;
  readonly ledger: PointsLedger;
  /** The credit center's contracts, when the deployment record names them (the gateway's always does). */
  readonly creditScores?: CreditScores;
  readonly creditGrants?: CreditGrants;
  readonly hasher: SettlementHasher;
  readonly chainId: bigint;
  private readonly terms: TtlCache<TerminalTerms>;
  private readonly cards: TtlCache<CardRecord>;

  constructor(
    readonly provider: TransportJsonRpcProvider,
    readonly deployment: DeploymentRecord,
    cacheMs = 2_000,
  ) {
    if (deployment.operators) this.operators = CredenceOperators__factory.connect(deployment.operators, provider);
    this.registry = CredenceRegistry__factory.connect(deployment.registry, provider);
    this.ledger = PointsLedger__factory.connect(deployment.ledger, provider);
    if (deployment.creditScores) this.creditScores = CreditScores__factory.connect(deployment.creditScores, provider);
    if (deployment.creditGrants) this.creditGrants = CreditGrants__factory.connect(deployment.creditGrants, provider);
    this.chainId = BigInt(deployment.chainId);
    this.hasher = new SettlementHasher(domainSeparator(ledgerDomain(this.chainId, deployment.ledger)));
    this.terms = new TtlCache(cacheMs);
    this.cards = new TtlCache(cacheMs);
  }

  /** `endpoint`: an http(s) URL or a node's IPC socket path. */
  static connect(endpoint: string, deployment: DeploymentRecord, cacheMs?: number): LedgerClient {
    const provider = connectProvider(endpoint, Number(deployment.chainId), { staticNetwork: true, batchMaxCount: 50 });
    return new LedgerClient(provider, deployment, cacheMs);
  }

  get domain() {
    return ledgerDomain(this.chainId, this.deployment.ledger);
  }

  terminalTerms(terminal: string): Promise<TerminalTerms> {
    return this.terms.get(terminal.toLowerCase(), () => this.registry.settlementTerms(terminal));
  }

  card(cardId: string): Promise<CardRecord> {
    return this.cards.get(cardId.toLowerCase(), () => this.registry.card(cardId));
  }

  /** Forget cached reads after a write through this gateway. */
  invalidate(what: { terminal?: string; cardId?: string }): void {
    if (what.terminal) this.terms.delete(what.terminal.toLowerCase());
    if (what.cardId) this.cards.delete(what.cardId.toLowerCase());
  }

  /** Forget every cached terminal (e.g. after an agreement or credit rule changed). */
  invalidateAllTerms(): void {
    this.terms.clear();
  }
}
