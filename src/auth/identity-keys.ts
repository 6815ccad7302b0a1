/**
 * The identity key store: one data key per holder, each in a file of its own in a directory of
 * mode 0700 (DATA_DIR/identity-keys by default), wrapped (AES-256-GCM) by the key-encryption key
 * (IDENTITY_KEY). It is deliberately not a table of the store: a database keeps old row versions
 * in its pages, its write-ahead log and its backups, while a file here is overwritten and unlinked
 * at once, so erasing a holder destroys the only key to every copy of their ciphertext
 * (ADR 0004 says what that can and cannot claim on a journaling or copy-on-write filesystem).
 *
 * A file is 69 bytes: format (1) | key-encryption key ID (8) | IV (12) | tag (16) | wrapped key (32),
 * the holder's card ID as associated data, so a wrapped key cannot be moved to another holder.
 * Writes are atomic (temporary file, fsync, rename, fsync of the directory).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const IDENTITY_KEYS_DIR = "identity-keys";

const FORMAT = 1;
const FILE_BYTES = 1 + 8 + 12 + 16 + 32;
const HOLDER = /^0x[0-9a-f]{64}$/;

/** The 8-byte ID of a key-encryption key (a hash: it does not reveal the key). */
export function keyEncryptionKeyId(kek: Uint8Array): string {
  return createHash("sha256").update("credence/identity-kek-id").update(kek).digest().subarray(0, 8).toString("hex");
}

export function parseKey(key: string | Uint8Array): Buffer {
  const bytes = typeof key === "string" ? Buffer.from(key.replace(/^0x/, ""), "hex") : Buffer.from(key);
  if (bytes.length !== 32) throw new RangeError("an identity key must be 32 bytes");
  return bytes;
}

export interface IdentityKeyStoreOptions {
  /** Absolute path of the directory (created with mode 0700). */
  dir: string;
  /** The key-encryption key that wraps new data keys. */
  kek: string | Uint8Array;
  /** Earlier key-encryption keys still accepted for unwrapping (during a rotation). */
  previousKeks?: readonly (string | Uint8Array)[];
}

export class IdentityKeyStore {
  readonly dir: string;
  private readonly kek: Buffer;
  private readonly kekId: string;
  private readonly keks = new Map<string, Buffer>();

  constructor(options: IdentityKeyStoreOptions) {
    this.dir = options.dir;
    this.kek = parseKey(options.kek);
    this.kekId = keyEncryptionKeyId(this.kek);
    for (const k of [this.kek, ...(options.previousKeks ?? []).map(parseKey)]) this.keks.set(keyEncryptionKeyId(k), k);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(this.dir, 0o700);
  }

  /**
   * A fresh data key for `holder`, written before it is returned. `replace` overwrites an existing
   * one (a migration that crashed before using it); otherwise an existing key is an error.
   */
  create(holder: string, options: { replace?: boolean } = {}): Buffer {
    holder = holder.toLowerCase();
    const key = randomBytes(32);
    this.write(holder, key, options.replace === true);
    return key;
  }

  /** The holder's data key, or undefined when it was destroyed (or never made). */
  get(holder: string): Buffer | undefined {
    holder = holder.toLowerCase();
    let file: Buffer;
    try {
      file = fs.readFileSync(this.file(holder));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    return this.unwrap(holder, file).key;
  }

  has(holder: string): boolean {
    return fs.existsSync(this.file(holder.toLowerCase()));
  }

  /**
   * Destroy the holder's data key: overwrite the file with zeros, flush, unlink, flush the
   * directory. True when a key existed.
   */
  destroy(holder: string): boolean {
    const file = this.file(holder.toLowerCase());
    let fd: number;
    try {
      fd = fs.openSync(file, "r+");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
    try {
      fs.writeSync(fd, Buffer.alloc(Math.max(FILE_BYTES, fs.fstatSync(fd).size)), 0, undefined, 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.unlinkSync(file);
    this.syncDir();
    return true;
  }

  /** The holders that have a data key, with the age of their file in milliseconds. */
  list(): { holder: string; ageMs: number }[] {
    const now = Date.now();
    return fs
      .readdirSync(this.dir)
      .filter((name) => /^[0-9a-f]{64}\.key$/.test(name))
      .map((name) => ({ holder: `0x${name.slice(0, 64)}`, ageMs: now - fs.statSync(path.join(this.dir, name)).mtimeMs }));
  }

  /**
   * Rewrap every data key under the current key-encryption key (after IDENTITY_KEY changed, with
   * the old one given as previous). Each file is replaced atomically, so a crash leaves every key
   * readable with one of the two and a rerun finishes the job. Returns the count rewrapped.
   */
  rewrapAll(onProgress?: (done: number, total: number) => void): number {
    const holders = this.list();
    let rewrapped = 0;
    holders.forEach(({ holder }, i) => {
      const file = fs.readFileSync(this.file(holder));
      const { key, kekId } = this.unwrap(holder, file);
      if (kekId !== this.kekId) {
        this.write(holder, key, true);
        rewrapped += 1;
      }
      if ((i + 1) % 1000 === 0) onProgress?.(i + 1, holders.length);
    });
    onProgress?.(holders.length, holders.length);
    return rewrapped;
  }

  private unwrap(holder: string, file: Buffer): { key: Buffer; kekId: string } {
    if (file.length !== FILE_BYTES || file[0] !== FORMAT) throw new Error(`identity key file of ${holder} is malformed`);
    const kekId = file.subarray(1, 9).toString("hex");
    const kek = this.keks.get(kekId);
    if (!kek) throw new Error(`identity key of ${holder} is wrapped by key ${kekId}, which is not configured (IDENTITY_KEY, IDENTITY_KEY_PREVIOUS)`);
    const decipher = createDecipheriv("aes-256-gcm", kek, file.subarray(9, 21));
    decipher.setAAD(Buffer.from(holder, "utf8"));
    decipher.setAuthTag(file.subarray(21, 37));
    return { key: Buffer.concat([decipher.update(file.subarray(37)), decipher.final()]), kekId };
  }

  private write(holder: string, key: Buffer, replace: boolean) {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.kek, iv);
    cipher.setAAD(Buffer.from(holder, "utf8"));
    const wrapped = Buffer.concat([cipher.update(key), cipher.final()]);
    const bytes = Buffer.concat([Buffer.from([FORMAT]), Buffer.from(this.kekId, "hex"), iv, cipher.getAuthTag(), wrapped]);
    const file = this.file(holder);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const fd = fs.openSync(tmp, "wx", 0o600);
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      if (replace) fs.renameSync(tmp, file);
      else fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new IdentityKeyExistsError(holder);
      throw err;
    } finally {
      if (!replace) fs.rmSync(tmp, { force: true });
    }
    this.syncDir();
  }

  private file(holder: string): string {
    if (!HOLDER.test(holder)) throw new RangeError("a holder is a 0x-prefixed 32-byte lowercase hex card ID");
    return path.join(this.dir, `${holder.slice(2)}.key`);
  }

  private syncDir() {
    const fd = fs.openSync(this.dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

export class IdentityKeyExistsError extends Error {
  constructor(holder: string) {
    super(`a data key for ${holder} already exists`);
    this.name = "IdentityKeyExistsError";
  }
}
