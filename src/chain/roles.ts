/** Role identifiers, as contracts/access/CredenceRoles.sol defines them. */
import { id } from "ethers";

export const ROLES = {
  BANK: id("credence.role.bank"),
  CREDIT_CENTER: id("credence.role.credit-center"),
  GATEWAY: id("credence.role.gateway"),
} as const;

export type RoleName = keyof typeof ROLES;
