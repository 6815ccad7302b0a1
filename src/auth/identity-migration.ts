/**
 * Migration of identities stored under the single identity key (format 1: every holder's record
 * encrypted with IDENTITY_KEY itself, the commitment's salt in clear) to per-holder data keys
 * (format 2, ADR 0004). Runs at start, before the gateway serves.
 *
 * Crash-safe and idempotent: each record gets a fresh data key (written and flushed to the key
 * store) and then its row is rewritten in one statement that applies only while the row is still
 * format 1. A crash between the two leaves a format-1 row and an unused key, which the next run
 * replaces; a finished row is never touched again. Logs progress every `progressEvery` records,
 * with counts only.
 */
import type { Logger } from "pino";
import type { Db } from "../store/db";
import { parseKey, type IdentityKeyStore } from "./identity-keys";
import { identityRecordSchema, openSealed, sealIdentity } from "./identity-vault";

interface LegacyRow {
  card_id: string;
  ciphertext: Buffer;
  iv: Buffer;
  auth_tag: Buffer;
  salt: Buffer;
}

export interface IdentityMigrationResult {
  migrated: number;
  /** Format-1 rows that were already erased: only their format changes. */
  erased: number;
}

export async function migrateLegacyIdentities(
  db: Db,
  keys: IdentityKeyStore,
  /** The single key format-1 records were encrypted with. */
  legacyKeys: readonly (string | Uint8Array)[],
  options: { log?: Pick<Logger, "info">; batch?: number; progressEvery?: number } = {},
): Promise<IdentityMigrationResult> {
  const batch = options.batch ?? 200;
  const progressEvery = options.progressEvery ?? 1000;
  const candidates = legacyKeys.map(parseKey);
  const schema = identityRecordSchema(Number.MAX_SAFE_INTEGER);
  const erased = (await db.query<{ card_id: string }>("update identities set format = 2, salt = null where format = 1 and erased_at is not null returning card_id")).length;
  const [{ count }] = await db.query<{ count: string }>("select count(*) as count from identities where format = 1");
  const total = Number(count);
  if (total === 0) return { migrated: 0, erased };
  options.log?.info({ total }, "identities: moving records to per-holder data keys");
  let migrated = 0;
  for (;;) {
    const rows = await db.query<{ card_id: string }>(
      "select card_id from identities where format = 1 and erased_at is null order by card_id limit $1",
      [batch],
    );
    if (rows.length === 0) break;
    for (const { card_id } of rows) {
      // Row-locked: another gateway migrating the same store (and key directory) at the same
      // time never replaces the key of a row already rewritten.
      const done = await db.transaction(async (tx) => {
        const [row] = await tx.query<LegacyRow>(
          "select card_id, ciphertext, iv, auth_tag, salt from identities where card_id = $1 and format = 1 and erased_at is null for update",
          [card_id],
        );
        if (!row) return false;
        const plain = decryptLegacy(candidates, row);
        const record = schema.parse(JSON.parse(plain.toString("utf8")));
        const dataKey = keys.create(row.card_id, { replace: true });
        const sealed = sealIdentity(dataKey, row.card_id, row.salt, record);
        await tx.query("update identities set ciphertext = $2, iv = $3, auth_tag = $4, salt = null, format = 2 where card_id = $1", [
          row.card_id,
          sealed.ciphertext,
          sealed.iv,
          sealed.authTag,
        ]);
        return true;
      });
      if (!done) continue;
      migrated += 1;
      if (migrated % progressEvery === 0) options.log?.info({ migrated, total }, "identities: moving records to per-holder data keys");
    }
  }
  options.log?.info({ migrated, total }, "identities: every record has a data key of its own");
  return { migrated, erased };
}

function decryptLegacy(keys: readonly Buffer[], row: LegacyRow): Buffer {
  for (const key of keys) {
    try {
      return openSealed(key, row.card_id, row);
    } catch {
      // Not this key: try the next.
    }
  }
  throw new Error(`the identity of card ${row.card_id} decrypts with no configured key (IDENTITY_KEY, IDENTITY_KEY_PREVIOUS)`);
}
