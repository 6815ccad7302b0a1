/**
 * The registry as replayed from its events: roles, cards, merchants, terminals, agreement
 * versions and credit-point rules. At any point of the replay it answers "who held this role",
 * "which merchant was this terminal registered to" and "what was this card's key and status"
 * as the chain stood at that moment: the auditor never asks the registry's views for the past.
 */
import type { Agreement } from "../domain/points";
import { CardKind, CardStatus } from "../../packages/terminal-sdk/src/constants";

export interface CardState {
  key: string;
  status: number;
  kind: number;
  account: bigint;
}

export interface MerchantState {
  cardId: string;
  active: boolean;
  agreementVersion: number;
}

export interface TerminalState {
  merchantId: number;
  enabled: boolean;
}

/** A named registry event, its arguments decoded (ethers Result read by name). */
export interface NamedEvent {
  name: string;
  args: Record<string, unknown> & { [index: number]: unknown };
}

export class RegistryModel {
  private readonly roles = new Map<string, Set<string>>();
  readonly cards = new Map<string, CardState>();
  readonly merchants = new Map<number, MerchantState>();
  readonly terminals = new Map<string, TerminalState>();
  private readonly agreements = new Map<string, Agreement>();
  private readonly creditRates = new Map<number, bigint>();
  creditRuleVersion = 0;

  hasRole(role: string, account: string): boolean {
    return this.roles.get(role.toLowerCase())?.has(account.toLowerCase()) ?? false;
  }

  card(cardId: string): CardState | undefined {
    return this.cards.get(cardId.toLowerCase());
  }

  terminal(address: string): TerminalState | undefined {
    return this.terminals.get(address.toLowerCase());
  }

  agreement(merchantId: number, version: number): Agreement | undefined {
    return this.agreements.get(`${merchantId}:${version}`);
  }

  creditRate(version: number): bigint | undefined {
    return version === 0 ? 0n : this.creditRates.get(version);
  }

  /** Apply one registry event; returns false for an event this model does not track. */
  apply(e: NamedEvent): boolean {
    const a = e.args;
    switch (e.name) {
      case "RoleGranted":
        this.roleSet(String(a.role)).add(String(a.account).toLowerCase());
        return true;
      case "RoleRevoked":
        this.roleSet(String(a.role)).delete(String(a.account).toLowerCase());
        return true;
      case "CardIssued":
        this.cards.set(String(a.cardId).toLowerCase(), {
          key: String(a.key),
          status: CardStatus.Active,
          kind: Number(a.kind),
          account: BigInt(a.account as bigint),
        });
        return true;
      case "CardReplaced": {
        const old = this.card(String(a.oldCardId));
        if (old) old.status = CardStatus.Closed;
        this.cards.set(String(a.newCardId).toLowerCase(), {
          key: String(a.newKey),
          status: CardStatus.Active,
          kind: old?.kind ?? CardKind.Consumer,
          account: BigInt(a.account as bigint),
        });
        return true;
      }
      case "CardFrozen":
      case "CardReportedLost":
        return this.setStatus(String(a.cardId), CardStatus.Frozen);
      case "CardUnfrozen":
        return this.setStatus(String(a.cardId), CardStatus.Active);
      case "CardClosed":
        return this.setStatus(String(a.cardId), CardStatus.Closed);
      case "MerchantCardReplaced": {
        const m = this.merchants.get(Number(a.merchantId));
        if (m) m.cardId = String(a.newCardId);
        return true;
      }
      case "MerchantRegistered":
        this.merchants.set(Number(a.merchantId), { cardId: String(a.cardId), active: true, agreementVersion: 0 });
        return true;
      case "MerchantActivationChanged": {
        const m = this.merchants.get(Number(a.merchantId));
        if (m) m.active = Boolean(a.active);
        return true;
      }
      case "TerminalRegistered":
        this.terminals.set(String(a.terminal).toLowerCase(), { merchantId: Number(a.merchantId), enabled: true });
        return true;
      case "TerminalEnabledChanged": {
        const t = this.terminal(String(a.terminal));
        if (t) t.enabled = Boolean(a.enabled);
        return true;
      }
      case "AgreementSet": {
        const merchantId = Number(a.merchantId);
        const version = Number(a.version);
        const g = a.agreement as unknown as Record<string, bigint | string>;
        this.agreements.set(`${merchantId}:${version}`, {
          baseRateBps: BigInt(g.baseRateBps),
          maxPointsPerSettlement: BigInt(g.maxPointsPerSettlement),
          minAmount: BigInt(g.minAmount),
          validFrom: BigInt(g.validFrom),
          validUntil: BigInt(g.validUntil),
          currency: String(g.currency).toLowerCase(),
          categoryMultipliers: BigInt(g.categoryMultipliers),
        });
        const m = this.merchants.get(merchantId);
        if (m) m.agreementVersion = version;
        return true;
      }
      case "CreditPointRuleSet":
        this.creditRuleVersion = Number(a.version);
        this.creditRates.set(this.creditRuleVersion, BigInt(a.rateBps as bigint));
        return true;
      default:
        return false;
    }
  }

  private roleSet(role: string): Set<string> {
    const key = role.toLowerCase();
    let set = this.roles.get(key);
    if (!set) this.roles.set(key, (set = new Set()));
    return set;
  }

  private setStatus(cardId: string, status: number): boolean {
    const c = this.card(cardId);
    if (c) c.status = status;
    return true;
  }
}
