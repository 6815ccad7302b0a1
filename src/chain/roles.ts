/**
 * Role and institution identifiers, as contracts/access/CredenceRoles.sol defines them. BANK and
 * CREDIT_CENTER name the institutions of operator credentials (never roles granted to an
 * address); GATEWAY is the relayers' role in the registry.
 */
import { id } from "ethers";

export const ROLES = {
  BANK: id("credence.role.bank"),
  CREDIT_CENTER: id("credence.role.credit-center"),
  GATEWAY: id("credence.role.gateway"),
} as const;

export type RoleName = keyof typeof ROLES;
