/**
 * Rotation of the identity key-encryption key (IDENTITY_KEY): the data keys are rewrapped under
 * the new key; no holder's data is re-encrypted (ADR 0004).
 *
 * - Embedded default (the key in DATA_DIR/keys.json): `rotateKeyFileIdentityKey` writes a new key
 *   to keys.json with the old one as `identityKeyPrevious`, rewraps every data key, then drops the
 *   old key from keys.json. Each step is an atomic file replacement: after a crash, running it
 *   again finishes the rotation that was under way (it does not start another).
 * - Keys from the environment: start the gateways with the new IDENTITY_KEY and the old one as
 *   IDENTITY_KEY_PREVIOUS, run the rotation (`rewrapIdentityKeys`), then remove
 *   IDENTITY_KEY_PREVIOUS.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { KEY_FILE } from "../config";
import { IdentityKeyStore } from "./identity-keys";

export interface RotationResult {
  /** Data keys rewrapped under the new key-encryption key. */
  rewrapped: number;
  /** Data keys already under it. */
  total: number;
}

export function rewrapIdentityKeys(
  keyDir: string,
  kek: string,
  previous: readonly string[],
  onProgress?: (done: number, total: number) => void,
): RotationResult {
  const store = new IdentityKeyStore({ dir: keyDir, kek, previousKeks: previous });
  const rewrapped = store.rewrapAll(onProgress);
  return { rewrapped, total: store.list().length };
}

/** Rotate the key-encryption key kept in `${dataDir}/keys.json`. The gateway must be stopped. */
export function rotateKeyFileIdentityKey(dataDir: string, keyDir: string, onProgress?: (done: number, total: number) => void): RotationResult {
  const file = path.join(dataDir, KEY_FILE);
  const keys = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  if (typeof keys.identityKey !== "string") throw new Error(`${file} holds no identityKey`);
  if (typeof keys.identityKeyPrevious !== "string") {
    keys.identityKeyPrevious = keys.identityKey;
    keys.identityKey = `0x${randomBytes(32).toString("hex")}`;
    replaceFile(file, keys);
  }
  const result = rewrapIdentityKeys(keyDir, keys.identityKey as string, [keys.identityKeyPrevious as string], onProgress);
  delete keys.identityKeyPrevious;
  replaceFile(file, keys);
  return result;
}

function replaceFile(file: string, value: unknown) {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = fs.openSync(tmp, "wx", 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(value, null, 2));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(path.dirname(file), "r");
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}
