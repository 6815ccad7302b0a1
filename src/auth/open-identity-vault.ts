/**
 * Opening the identity vault at start (ADR 0004): records of the single-key format move to
 * per-holder data keys, a key-encryption key rotation a crash interrupted is finished, and data
 * keys a crash left without a record are destroyed.
 */
import type { Logger } from "pino";
import { derivedKey, resolveSecrets, type Config, type Secrets } from "../config";
import type { Db } from "../store/db";
import { IdentityKeyStore } from "./identity-keys";
import { rotateKeyFileIdentityKey } from "./identity-key-rotation";
import { migrateLegacyIdentities } from "./identity-migration";
import { createIdentityVault, destroyOrphanKeys, type IdentityVault } from "./identity-vault";

/**
 * The identity vault over its key store (ADR 0004), after moving records stored under the one
 * identity key to per-holder data keys and destroying keys a crash left without a record. On the
 * embedded default, a store that held such records then rotates the key in keys.json, so the key
 * that encrypted them (and every old copy of them) is gone.
 */
export async function openIdentityVault(
  config: Config,
  secrets: Secrets,
  db: Db,
  log: Pick<Logger, "info" | "warn">,
  cardsOfAccount?: (cardId: string) => Promise<readonly string[]>,
): Promise<{ identities: IdentityVault; keys: IdentityKeyStore }> {
  const open = (kek: string, previous: readonly string[]) => new IdentityKeyStore({ dir: config.identityKeyDir, kek, previousKeks: previous });
  let keys = open(secrets.identityKey, secrets.identityKeyPrevious);
  const legacy = await migrateLegacyIdentities(db, keys, [secrets.identityKey, ...secrets.identityKeyPrevious], { log });
  // keys.json names a previous key while a rotation is under way (a crash stopped it): finish it.
  const keyFile = config.identityKey === undefined && config.identityKeyPrevious === undefined;
  if (keyFile && (legacy.migrated + legacy.erased > 0 || secrets.identityKeyPrevious.length > 0)) {
    const rotated = rotateKeyFileIdentityKey(config.dataDir, config.identityKeyDir);
    log.info({ ...legacy, rewrapped: rotated.rewrapped }, "identities: rotated the identity key in keys.json");
    keys = open(resolveSecrets(config).identityKey, []);
  } else if (legacy.migrated + legacy.erased > 0) {
    log.warn(legacy, "identities: rotate IDENTITY_KEY (npm run identity:rotate-key): it decrypts every copy of the records of the single-key format");
  }
  const orphans = await destroyOrphanKeys(db, keys);
  if (orphans > 0) log.info({ destroyed: orphans }, "identities: destroyed data keys of no stored record");
  // Consumers' person keys (one active consumer card per person) are keyed by a key derived from
  // ID_KEY, which stays fixed when IDENTITY_KEY is rotated.
  const nationalIdKey = derivedKey(secrets.idKey, "credence/national-id");
  return { identities: createIdentityVault(db, { keys, cardsOfAccount, nationalIdKey }), keys };
}
