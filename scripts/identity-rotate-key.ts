/**
 * npm run identity:rotate-key — rotate the identity key-encryption key (ADR 0004): rewrap every
 * holder's data key under a new IDENTITY_KEY, re-encrypting no personal data.
 *
 * Embedded default (the key in DATA_DIR/keys.json): stop the gateway, run this; it makes the new
 * key, rewraps, and removes the old key from keys.json.
 * Keys from the environment: set the new IDENTITY_KEY and the old one as IDENTITY_KEY_PREVIOUS
 * (gateways may keep running with both), run this, then remove IDENTITY_KEY_PREVIOUS everywhere.
 * Prints counts only.
 */
import { rewrapIdentityKeys, rotateKeyFileIdentityKey } from "../src/auth/identity-key-rotation";
import { loadConfig } from "../src/config";
import { lockDataDir } from "../src/data-dir-lock";

function main() {
  const config = loadConfig();
  const progress = (done: number, total: number) => console.log(`identity:rotate-key: ${done}/${total} data keys`);
  if (config.identityKey) {
    if (!config.identityKeyPrevious) throw new Error("set the new IDENTITY_KEY and the old one as IDENTITY_KEY_PREVIOUS");
    const r = rewrapIdentityKeys(config.identityKeyDir, config.identityKey, [config.identityKeyPrevious], progress);
    console.log(`identity:rotate-key: rewrapped=${r.rewrapped} keys=${r.total}; now remove IDENTITY_KEY_PREVIOUS`);
    return;
  }
  const unlock = lockDataDir(config.dataDir);
  try {
    const r = rotateKeyFileIdentityKey(config.dataDir, config.identityKeyDir, progress);
    console.log(`identity:rotate-key: rewrapped=${r.rewrapped} keys=${r.total}; the old key is gone from keys.json`);
  } finally {
    unlock();
  }
}

main();
