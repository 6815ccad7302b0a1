/**
 * The identity vault: a card holder's personal data (name, national ID, photo) stays OFF chain,
 * encrypted with AES-256-GCM under IDENTITY_KEY (fresh IV per record, the card id as associated
 * data so a ciphertext cannot be moved to another card). The chain holds only
 *   commitment = keccak256(salt || canonical JSON of the record)
 * with a fresh random 32-byte salt per card. `erase` deletes ciphertext and salt
 * ("crypto-shredding"): the commitment can then no longer be linked to the person, not even by
 * guessing the record. Note: PostgreSQL keeps old row versions until VACUUM, and backups keep
 * what they hold; erasure is immediate only for the live database.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { concat, keccak256, toUtf8Bytes } from "ethers";
import { z } from "zod";
import { DomainError } from "../http/problem";
import type { Db } from "../store/db";

export const DEFAULT_MAX_PHOTO_BYTES = 256 * 1024;

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
  /** Encrypts and stores the record; returns the commitment to put on chain. 409 if the card has one. */
  store(cardId: string, record: IdentityRecord): Promise<string>;
  /** The decrypted record, or undefined when none is stored or it was erased. */
  read(cardId: string): Promise<IdentityRecord | undefined>;
  /** True when a record was erased now; false when there was none (or it was already erased). */
  erase(cardId: string): Promise<boolean>;
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

interface IdentityRow {
  ciphertext: Buffer | null;
  iv: Buffer | null;
  auth_tag: Buffer | null;
  salt: Buffer | null;
  commitment: string;
}

export function createIdentityVault(db: Db, key: string | Uint8Array, options: { maxPhotoBytes?: number } = {}): IdentityVault {
  const aesKey = typeof key === "string" ? Buffer.from(key.replace(/^0x/, ""), "hex") : Buffer.from(key);
  if (aesKey.length !== 32) throw new RangeError("the identity key must be 32 bytes");
  const schema = identityRecordSchema(options.maxPhotoBytes);

  return {
    async store(cardId, input) {
      const record = schema.parse(input);
      const salt = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", aesKey, iv);
      cipher.setAAD(Buffer.from(cardId, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(canonicalRecord(record), "utf8"), cipher.final()]);
      const commitment = identityCommitment(salt, record);
      const rows = await db.query(
        `insert into identities (card_id, ciphertext, iv, auth_tag, salt, commitment) values ($1, $2, $3, $4, $5, $6)
         on conflict (card_id) do nothing returning card_id`,
        [cardId, ciphertext, iv, cipher.getAuthTag(), salt, commitment],
      );
      if (rows.length === 0) {
        throw new DomainError({ code: "identity.exists", status: 409, title: "Identity already stored", detail: "this card already has (or had) personal data" });
      }
      return commitment;
    },

    async read(cardId) {
      const [row] = await db.query<IdentityRow>("select ciphertext, iv, auth_tag, salt, commitment from identities where card_id = $1", [cardId]);
      if (!row || !row.ciphertext || !row.iv || !row.auth_tag || !row.salt) return undefined;
      const decipher = createDecipheriv("aes-256-gcm", aesKey, row.iv);
      decipher.setAAD(Buffer.from(cardId, "utf8"));
      decipher.setAuthTag(row.auth_tag);
      const plain = Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString("utf8");
      const record = schema.parse(JSON.parse(plain));
      if (identityCommitment(row.salt, record) !== row.commitment) throw new Error(`identity of card ${cardId} does not match its commitment`);
      return record;
    },

    async erase(cardId) {
      const rows = await db.query(
        `update identities set ciphertext = null, iv = null, auth_tag = null, salt = null, erased_at = now()
         where card_id = $1 and erased_at is null returning card_id`,
        [cardId],
      );
      return rows.length === 1;
    },
  };
}
