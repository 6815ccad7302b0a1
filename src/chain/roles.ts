/**
 * Role and institution identifiers, as contracts/access/CredenceRoles.sol defines them. BANK and
 * CREDIT_CENTER name the institutions of operator credentials (never roles granted to an
 * address); GATEWAY is the relayers' role in the registry; CARD_FREEZER the gateway keys' that
 * relay a holder's lost-card report (it can only freeze an active consumer card).
 */
import { id } from "ethers";

export const ROLES = {
  BANK: id("credence.role.bank"),
  CREDIT_CENTER: id("credence.role.credit-center"),
  GATEWAY: id("credence.role.gateway"),
  CARD_FREEZER: id("credence.role.card-freezer"),
} as const;

export type RoleName = keyof typeof ROLES;
