/**
 * The identity vault: a card holder's personal data (name, national ID, photo) stays OFF chain,
 * encrypted with AES-256-GCM under a data key of that holder's own (fresh IV per record, the card
 * ID as associated data so a ciphertext cannot be moved to another card). Data keys live in the
 * identity key store (src/auth/identity-keys.ts), wrapped by IDENTITY_KEY, never in the database.
 * The chain holds only
 *   commitment = keccak256(salt || canonical JSON of the record)
 * with a fresh random 32-byte salt per holder, encrypted with the record: a reader of the store
 * cannot test a guessed name and ID number against the commitment.
 *
 * `erase` nulls the row and destroys the holder's data key: every copy of the ciphertext left
 * in table files, the write-ahead log or backups is unreadable from then on ("crypto-shredding";
 * ADR 0004). A holder's record is stored under the card ID it was issued with and is found
 * through any card of the same account (`cardsOfAccount`): a replacement card reaches it too.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { concat, keccak256, toUtf8Bytes } from "ethers";
import { z } from "zod";
import { DomainError } from "../domain/domain-error";
import type { Db } from "../store/db";
import { IdentityKeyExistsError, type IdentityKeyStore } from "./identity-keys";

export const DEFAULT_MAX_PHOTO_BYTES = 256 * 1024;
const SALT_BYTES = 32;

export interface IdentityRecord {
  name: string;
  nationalId: string;
  /** Base64. */
  photo?: string;
}

export function identityRecordSchema(maxPhotoBytes = DEFAULT_MAX_PHOTO_BYTES) {
  return z
    .object({
      name: z.string().trim().min(1).max(200),
      nationalId: z.string().trim().min(1).max(64),
      photo: z
        .base64()
        .max(Math.ceil(maxPhotoBytes / 3) * 4, `photo must be at most ${maxPhotoBytes} bytes`)
        .optional(),
    })
    .strict();
}

export interface IdentityVault {
  /**
   * Encrypts and stores the record; returns the commitment to put on chain. 409 if the card has
   * one. A consumer's record (`consumer`) also keeps its person key (`personKey`), found by `cardsOfPerson`.
   */
  store(cardId: string, record: IdentityRecord, options?: { consumer?: boolean }): Promise<string>;
  /** The cards whose live consumer record has this national ID (by its person key). */
  cardsOfPerson(nationalId: string): Promise<string[]>;
  /** The decrypted record, or undefined when none is stored or it was erased. */
  read(cardId: string): Promise<IdentityRecord | undefined>;
  /** The card ID the holder's live record is stored under (any card of the account finds it). */
  holderOf(cardId: string): Promise<string | undefined>;
  /**
   * Erases the account's live record: answers the card ID it was stored under (the account's
   * first card, whichever card is named), or undefined when none was live.
   */
  erase(cardId: string): Promise<string | undefined>;
}

/** Keys sorted, no whitespace: the exact bytes the commitment covers. */
export function canonicalRecord(record: IdentityRecord): string {
  const entries = Object.entries(record)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries));
}

export function identityCommitment(salt: Uint8Array, record: IdentityRecord): string {
  return keccak256(concat([salt, toUtf8Bytes(canonicalRecord(record))]));
}

/** AES-256-GCM of salt || canonical record under the holder's data key. */
export function sealIdentity(dataKey: Buffer, cardId: string, salt: Buffer, record: IdentityRecord) {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", dataKey, iv);
  cipher.setAAD(Buffer.from(cardId, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(salt), cipher.update(canonicalRecord(record), "utf8"), cipher.final()]);
  return { ciphertext, iv, authTag: cipher.getAuthTag() };
}

export function openSealed(key: Buffer, cardId: string, row: { ciphertext: Buffer; iv: Buffer; auth_tag: Buffer }): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, row.iv);
  decipher.setAAD(Buffer.from(cardId, "utf8"));
  decipher.setAuthTag(row.auth_tag);
  return Buffer.concat([decipher.update(row.ciphertext), decipher.final()]);
}

/** A national ID as written in different ways by different operators: no spaces or dashes, upper case. */
export function normalizedNationalId(nationalId: string): string {
  return nationalId.normalize("NFKC").replace(/[\s-]/g, "").toUpperCase();
}

/**
 * The person key of a national ID: HMAC-SHA256 under the gateway's national-ID key, so equal IDs
 * match while the key stays unguessable without that secret (an ID number alone is guessable).
 */
export function personKey(nationalIdKey: string, nationalId: string): string {
  return createHmac("sha256", Buffer.from(nationalIdKey.replace(/^0x/, ""), "hex")).update(normalizedNationalId(nationalId), "utf8").digest("hex");
}

interface IdentityRow {
  card_id: string;
  ciphertext: Buffer | null;
  iv: Buffer | null;
  auth_tag: Buffer | null;
  commitment: string;
}

export interface IdentityVaultOptions {
  keys: IdentityKeyStore;
  maxPhotoBytes?: number;
  /**
   * Every card ID of the account `cardId` belongs to (itself included; just itself when it is no
   * card yet). Default: the card alone.
   */
  cardsOfAccount?: (cardId: string) => Promise<readonly string[]>;
  /** The key of consumers' person keys (32 bytes, 0x-prefixed hex); without it none are kept. */
  nationalIdKey?: string;
}

export function createIdentityVault(db: Db, options: IdentityVaultOptions): IdentityVault {
  const { keys } = options;
  const schema = identityRecordSchema(options.maxPhotoBytes);
  const cardsOf = async (cardId: string) => {
    const cards = options.cardsOfAccount ? await options.cardsOfAccount(cardId) : [cardId];
    return [...new Set([cardId, ...cards].flatMap((c) => [c, c.toLowerCase()]))];
  };
  const liveRow = async (cardId: string) =>
    (
      await db.query<IdentityRow>(
        "select card_id, ciphertext, iv, auth_tag, commitment from identities where card_id = any($1::text[]) and erased_at is null",
        [await cardsOf(cardId)],
      )
    )[0];

  return {
    async store(cardId, input, storeOptions = {}) {
      if (!/^0x[0-9a-fA-F]{64}$/.test(cardId)) {
        throw new DomainError({ code: "identity.invalid_card_id", detail: "a card ID is 32 bytes of hex, 0x-prefixed" });
      }
      const record = schema.parse(input);
      const exists = () =>
        new DomainError({ code: "identity.exists", detail: "this card already has (or had) personal data" });
      let dataKey: Buffer;
      try {
        dataKey = keys.create(cardId);
      } catch (err) {
        if (err instanceof IdentityKeyExistsError) throw exists();
        throw err;
      }
      const salt = randomBytes(SALT_BYTES);
      const sealed = sealIdentity(dataKey, cardId, salt, record);
      const commitment = identityCommitment(salt, record);
      const person = storeOptions.consumer && options.nationalIdKey ? personKey(options.nationalIdKey, record.nationalId) : null;
      const rows = await db.query(
        `insert into identities (card_id, ciphertext, iv, auth_tag, salt, commitment, format, person_key) values ($1, $2, $3, $4, null, $5, 2, $6)
         on conflict (card_id) do nothing returning card_id`,
        [cardId, sealed.ciphertext, sealed.iv, sealed.authTag, commitment, person],
      );
      if (rows.length === 0) {
        keys.destroy(cardId);
        throw exists();
      }
      return commitment;
    },

    async read(cardId) {
      const row = await liveRow(cardId);
      if (!row || !row.ciphertext || !row.iv || !row.auth_tag) return undefined;
      const key = keys.get(row.card_id);
      // A live row always has its key (erasure nulls the row first): its absence is a lost key store.
      if (!key) throw new Error(`the data key of the identity stored for card ${row.card_id} is missing from the identity key store`);
      const plain = openSealed(key, row.card_id, { ciphertext: row.ciphertext, iv: row.iv, auth_tag: row.auth_tag });
      const salt = plain.subarray(0, SALT_BYTES);
      const record = schema.parse(JSON.parse(plain.subarray(SALT_BYTES).toString("utf8")));
      if (identityCommitment(salt, record) !== row.commitment) throw new Error(`identity of card ${row.card_id} does not match its commitment`);
      return record;
    },

    async cardsOfPerson(nationalId) {
      if (!options.nationalIdKey) return [];
      const rows = await db.query<{ card_id: string }>("select card_id from identities where person_key = $1 and erased_at is null", [
        personKey(options.nationalIdKey, nationalId),
      ]);
      return rows.map((r) => r.card_id);
    },

    async holderOf(cardId) {
      return (await liveRow(cardId))?.card_id;
    },

    async erase(cardId) {
      const cards = await cardsOf(cardId);
      // The row first, then the key: a crash in between leaves a key without a live row, which
      // `destroyOrphanKeys` removes; never a live row without its key.
      const rows = await db.query<{ card_id: string }>(
        `update identities set ciphertext = null, iv = null, auth_tag = null, salt = null, person_key = null, erased_at = now()
         where card_id = any($1::text[]) and erased_at is null returning card_id`,
        [cards],
      );
      const stored = await db.query<{ card_id: string }>("select card_id from identities where card_id = any($1::text[])", [cards]);
      for (const { card_id } of stored) keys.destroy(card_id);
      return rows[0]?.card_id;
    },
  };
}

/**
 * Destroy data keys that belong to no live record: the key of a record erased through another
 * gateway over the same PostgreSQL (with a key store of its own), or a crash between erasing a
 * row and destroying its key; and a key with no row at all, from a crash between writing the key
 * and storing its row (only when older than `minAgeMs`, so a record being stored right now is
 * left alone). Returns the count destroyed.
 */
export async function destroyOrphanKeys(db: Db, keys: IdentityKeyStore, minAgeMs = 10 * 60_000): Promise<number> {
  const held = keys.list();
  if (held.length === 0) return 0;
  const rows = new Map(
    (
      await db.query<{ card_id: string; live: boolean }>(
        "select lower(card_id) as card_id, erased_at is null as live from identities where lower(card_id) = any($1::text[])",
        [held.map((c) => c.holder)],
      )
    ).map((r) => [r.card_id, r.live]),
  );
  let destroyed = 0;
  for (const { holder, ageMs } of held) {
    const live = rows.get(holder);
    const orphan = live === false || (live === undefined && ageMs >= minAgeMs);
    if (orphan && keys.destroy(holder)) destroyed += 1;
  }
  return destroyed;
}
