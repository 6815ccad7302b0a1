/** The identity vault (holders' personal data, off chain) and password hashing (not used for operators, who sign in with passkeys). */
export { hashPassword, verifyPassword, MAX_PASSWORD_LENGTH } from "./passwords";
export {
  createIdentityVault,
  identityCommitment,
  identityRecordSchema,
  canonicalRecord,
  DEFAULT_MAX_PHOTO_BYTES,
  type IdentityRecord,
  type IdentityVault,
} from "./identity-vault";
