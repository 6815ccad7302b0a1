/** Operator authentication (passwords, tokens, roles, login) and the identity vault. */
export { hashPassword, verifyPassword, MAX_PASSWORD_LENGTH } from "./passwords";
export {
  createAuth,
  currentOperator,
  OPERATOR_ROLES,
  type Auth,
  type AuthOptions,
  type IssuedToken,
  type Operator,
  type OperatorRole,
} from "./tokens";
export { ensureInitialOperators, loginRouter, OPERATORS_FILE, type LoginRouterOptions } from "./operators";
export {
  createIdentityVault,
  identityCommitment,
  identityRecordSchema,
  canonicalRecord,
  DEFAULT_MAX_PHOTO_BYTES,
  type IdentityRecord,
  type IdentityVault,
} from "./identity-vault";
