/**
 * What a reader of a disk image can do with a holder's encrypted identity: collect every key the
 * data directory holds (32-byte hex values in its JSON files, and every data key those unwrap
 * from identity key files) and try each on a copy of the ciphertext. Written from the file
 * formats, not with the gateway's code, so a test built on it checks what the files give away.
 * Also: fresh PostgreSQL databases for the tests that run on both engines.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Client } from "pg";

export interface SealedCopy {
  ciphertext: Buffer;
  iv: Buffer;
  auth_tag: Buffer;
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.isFile() ? [p] : [];
  });
}

function open(key: Buffer, aad: string, iv: Buffer, tag: Buffer, data: Buffer): Buffer | undefined {
  try {
    const d = createDecipheriv("aes-256-gcm", key, iv);
    d.setAAD(Buffer.from(aad, "utf8"));
    d.setAuthTag(tag);
    return Buffer.concat([d.update(data), d.final()]);
  } catch {
    return undefined;
  }
}

/** Every key found under `dirs`, plus `extra` (keys the attacker got elsewhere, e.g. the environment). */
export function keysFoundIn(dirs: readonly string[], extra: readonly string[] = []): Buffer[] {
  const files = dirs.flatMap(filesUnder);
  const keks = new Map<string, Buffer>();
  const add = (hex: string) => keks.set(hex.toLowerCase(), Buffer.from(hex, "hex"));
  for (const k of extra) add(k.replace(/^0x/, ""));
  for (const f of files.filter((f) => f.endsWith(".json"))) {
    for (const m of fs.readFileSync(f, "utf8").matchAll(/"(?:0x)?([0-9a-fA-F]{64})"/g)) add(m[1]);
  }
  const dataKeys: Buffer[] = [];
  for (const f of files.filter((f) => /[0-9a-f]{64}\.key$/.test(f))) {
    const bytes = fs.readFileSync(f);
    const holder = `0x${path.basename(f).slice(0, 64)}`;
    for (const kek of keks.values()) {
      const key = open(kek, holder, bytes.subarray(9, 21), bytes.subarray(21, 37), bytes.subarray(37));
      if (key) dataKeys.push(key);
    }
  }
  return [...keks.values(), ...dataKeys];
}

/** The plaintext of `copy` under any of `keys` (the card ID as associated data), or undefined. */
export function decryptWithAny(keys: readonly Buffer[], cardId: string, copy: SealedCopy): string | undefined {
  for (const key of keys) {
    const plain = open(key, cardId, copy.iv, copy.auth_tag, copy.ciphertext);
    if (plain) return plain.toString("latin1");
  }
  return undefined;
}

/** The files under `dirs` whose bytes contain `needle`. */
export function filesContaining(dirs: readonly string[], needle: Buffer): string[] {
  return dirs.flatMap(filesUnder).filter((f) => fs.readFileSync(f).includes(needle));
}

/** A record as the single-key format (before per-holder keys) stored it: AES-256-GCM under the one key, salt in clear. */
export function legacySeal(key: Buffer, cardId: string, canonical: string): SealedCopy {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(cardId, "utf8"));
  const ciphertext = Buffer.concat([c.update(canonical, "utf8"), c.final()]);
  return { ciphertext, iv, auth_tag: c.getAuthTag() };
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Fresh PostgreSQL databases; `create` answers undefined when the server is unreachable. */
export class TestDatabases {
  private admin?: Client;
  private readonly names: string[] = [];

  async create(): Promise<string | undefined> {
    if (!this.admin) {
      const client = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
      try {
        await client.connect();
      } catch (err) {
        await client.end().catch(() => undefined);
        if (process.env.REQUIRE_POSTGRES === "1") throw err;
        return undefined;
      }
      this.admin = client;
    }
    const name = `credence_test_${randomBytes(6).toString("hex")}`;
    await this.admin.query(`create database ${name}`);
    this.names.push(name);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async dropAll(): Promise<void> {
    for (const name of this.names) await this.admin?.query(`drop database if exists ${name} with (force)`);
    await this.admin?.end();
  }
}
