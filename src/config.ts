/**
 * Gateway configuration: parsed ONCE from environment variables into a typed, frozen object.
 * A bad value refuses the boot with one error that lists every offending variable (never its
 * value: some are secrets). Variables of removed features are refused with what replaced them, so
 * an upgrade never silently ignores one. Secrets the embedded default needs but the environment
 * does not give (the gateway's, governance's and the relayer's keys, the identity key) live in
 * DATA_DIR/keys.json, mode 0600, created on first start by `loadOrCreateKeyFile`. The gateway
 * holds no key of the bank or the credit center: their operators sign their own decisions.
 */
import { hkdfSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { SigningKey, Wallet, getAddress } from "ethers";
import { z } from "zod";

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/**
 * How each institution's first operator is named at deployment (ADR 0001, section 3):
 * "enrolment-codes" (the embedded default's default; embedded only) registers a one-time
 * enrolment code per institution, printed once at first start, with which each institution's
 * first operator enrols a passkey; "public-keys" (the default with RPC_URL) registers the public
 * key each institution handed over (BANK_FIRST_CREDENTIAL, CREDIT_CENTER_FIRST_CREDENTIAL): a
 * passkey's "qx,qy" or an HSM's address.
 */
export const FIRST_OPERATOR_MODES = ["enrolment-codes", "public-keys"] as const;

/**
 * Variables of removed features, each with what replaced it: set, they refuse the boot (an
 * upgrade must not run with a setting silently ignored).
 */
export const REMOVED_VARIABLES: Readonly<Record<string, string>> = {
  BANK_KEY:
    "is no longer used: the gateway holds no key of the bank; its operators sign their own decisions with passkeys (FIRST_OPERATORS, BANK_FIRST_CREDENTIAL). On a deployment whose bank credential is this key, keep it off the gateway and sign decisions with it as an HSM credential (POST /v1/decisions with `signature`)",
  CREDIT_CENTER_KEY:
    "is no longer used: the gateway holds no key of the credit center; its operators sign their own decisions with passkeys (FIRST_OPERATORS, CREDIT_CENTER_FIRST_CREDENTIAL). On a deployment whose credit-center credential is this key, keep it off the gateway and sign decisions with it as an HSM credential (POST /v1/decisions with `signature`)",
  TOKEN_SECRET: "is no longer used: operators sign in with a passkey (POST /v1/operator-session) instead of bearer tokens; submission and operator IDs are keyed by ID_KEY (keys.json: idKey)",
  TOKEN_TTL_SECONDS: "is no longer used: operator sessions (passkey sign-in) last 15 minutes idle and 8 hours at most",
};
export type FirstOperatorMode = (typeof FIRST_OPERATOR_MODES)[number];

/** An empty variable (`FOO=`) counts as unset. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());
const withDefault = <T extends z.ZodType>(schema: T, fallback: z.input<T>) =>
  z.preprocess((v) => (v === "" || v === undefined ? fallback : v), schema);

const privateKey = z
  .string()
  .regex(HEX32, { message: "must be a 0x-prefixed 32-byte hex private key", abort: true })
  .refine(isValidPrivateKey, "is not a valid secp256k1 private key")
  .transform((k) => k.toLowerCase());
const hex32 = z
  .string()
  .regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be 32 bytes of hex (64 hex digits, 0x prefix optional)")
  .transform((k) => (k.startsWith("0x") ? k : `0x${k}`).toLowerCase());
/**
 * A first credential's public key: "0x<qx>,0x<qy>" (a passkey, 32-byte coordinates) or "0x<address>"
 * (an HSM's secp256k1 key). A value starting with "/" or "./" names a file holding it.
 */
const firstCredential = z
  .string()
  .transform((v, ctx) => {
    let text = v;
    if (v.startsWith("/") || v.startsWith("./")) {
      try {
        text = fs.readFileSync(v, "utf8");
      } catch {
        ctx.addIssue({ code: "custom", message: "names a file that cannot be read" });
        return z.NEVER;
      }
    }
    return text.trim();
  })
  .pipe(
    z.union([
      z.string().regex(/^0x[0-9a-fA-F]{40}$/).transform((signer) => ({ kind: "hsm" as const, signer: getAddress(signer) })),
      z
        .string()
        .regex(/^0x[0-9a-fA-F]{64}\s*,\s*0x[0-9a-fA-F]{64}$/)
        .transform((v) => {
          const [qx, qy] = v.split(",").map((c) => c.trim().toLowerCase());
          return { kind: "passkey" as const, qx, qy };
        }),
    ], { error: 'must be "0x<qx>,0x<qy>" (a passkey, 32 bytes each) or "0x<address>" (an HSM key), or a file holding one' }),
  );
export type FirstCredential = z.infer<typeof firstCredential>;

const int = (min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message);
};

/** Loopback only: METRICS_ALLOW's default. */
export const LOOPBACK_CLIENTS: readonly AddressRange[] = [
  { address: "127.0.0.0", prefix: 8, family: "ipv4" },
  { address: "::1", prefix: 128, family: "ipv6" },
];

const EnvSchema = z
  .object({
    PORT: withDefault(int(0, 65_535), "8080"),
    HOST: withDefault(z.string().min(1), "127.0.0.1"),
    DATA_DIR: withDefault(z.string().min(1), "./data"),
    // The gateway's providers speak JSON-RPC over HTTP only: a ws:// URL would fail later, at boot.
    // Several URLs of one chain, comma-separated: the gateway fails over from one that does not
    // answer to the next (src/chain/rpc-transport.ts).
    RPC_URL: optional(
      z
        .string()
        .transform((v) => v.split(",").map((u) => u.trim()).filter((u) => u !== ""))
        .pipe(
          z
            .array(z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL, or several comma-separated" }))
            .min(1, "must be an http:// or https:// URL, or several comma-separated")
            .refine((urls) => new Set(urls).size === urls.length, "lists the same URL twice"),
        ),
    ),
    DATABASE_URL: optional(
      z.string().regex(/^postgres(ql)?:\/\/\S+$/, "must be a postgres:// or postgresql:// URL"),
    ),
    DEPLOYMENT_FILE: optional(z.string().min(1)),
    GATEWAY_KEY: optional(privateKey),
    GOVERNANCE_KEY: optional(privateKey),
    RELAYER_KEY: optional(privateKey),
    BANK_FIRST_CREDENTIAL: optional(firstCredential),
    CREDIT_CENTER_FIRST_CREDENTIAL: optional(firstCredential),
    BANK_FIRST_OPERATOR_ID: optional(hex32),
    CREDIT_CENTER_FIRST_OPERATOR_ID: optional(hex32),
    FIRST_OPERATORS: optional(z.enum(FIRST_OPERATOR_MODES, { error: `must be one of ${FIRST_OPERATOR_MODES.join(", ")}` })),
    RP_ID: withDefault(z.string().regex(/^[a-z0-9.-]+$/i, "must be a host name (the WebAuthn relying party ID)"), "localhost"),
    PUBLIC_ORIGIN: withDefault(
      z.url({ protocol: /^https?$/, error: "must be an http:// or https:// origin" }).transform((u) => new URL(u).origin),
      "http://localhost:8080",
    ),
    IDENTITY_KEY: optional(hex32),
    // The key-encryption key being rotated away from (ADR 0004): accepted for unwrapping only.
    IDENTITY_KEY_PREVIOUS: optional(hex32),
    IDENTITY_KEY_DIR: optional(z.string().min(1)),
    // Keys submission IDs and operator IDs derived from enrolment labels (not the identity key,
    // which rotates).
    ID_KEY: optional(hex32),
    // Blocks under the head before the read index takes a block (ADR 0008): a rollback shallower
    // than this cannot leave a movement in the index that never happened.
    INDEX_CONFIRMATIONS: optional(int(0, 10_000)),
    BATCH_MAX: withDefault(int(1, 256), "100"),
    BATCH_WAIT_MS: withDefault(int(0, 60_000), "200"),
    BATCH_IN_FLIGHT: withDefault(int(1, 16), "3"),
    // A gateway's lease on its key (ADR 0007): renewed every third of it; lapsed, adopted.
    LEASE_SECONDS: withDefault(int(3, 3600), "15"),
    LOG_LEVEL: withDefault(z.enum(LOG_LEVELS), "info"),
    ROLE_GRANT_DELAY_SECONDS: optional(int(0, 30 * 24 * 3600)),
    // "none" leaves the embedded node's JSON-RPC port open to every local process: development only.
    LOCAL_NODE_ISOLATION: withDefault(z.enum(["namespace", "none"]), "namespace"),
    METRICS_ALLOW: withDefault(
      z
        .string()
        .transform((v) => v.split(",").map((a) => a.trim()).filter((a) => a !== ""))
        .pipe(z.array(z.string().refine((a) => parseAddressRange(a) !== undefined, "must list IP addresses or CIDR ranges, comma-separated"))),
      LOOPBACK_CLIENTS.map((r) => `${r.address}/${r.prefix}`).join(","),
    ),
    // Which proxies' X-Forwarded-For to believe for a client's address (express "trust proxy").
    TRUST_PROXY: withDefault(
      z
        .string()
        .transform((v) => v.split(",").map((a) => a.trim()).filter((a) => a !== ""))
        .pipe(
          z.array(
            z.string().refine((a) => TRUST_PROXY_NAMES.has(a) || parseAddressRange(a) !== undefined, 'must be "none", or list loopback, linklocal, uniquelocal, IP addresses or CIDR ranges, comma-separated'),
          ),
        ),
      "none",
    ),
  });

/** Named ranges express's "trust proxy" knows, and "none" (the default: X-Forwarded-For ignored). */
const TRUST_PROXY_NAMES = new Set(["none", "loopback", "linklocal", "uniquelocal"]);

/** A role grant's delay (a new relayer) on a deployment the gateway makes: days on a real network. */
const NETWORK_ROLE_GRANT_DELAY_SECONDS = 2 * 24 * 3600;
/** The embedded default's: one person runs every part, so a minute is enough to see it coming. */
const EMBEDDED_ROLE_GRANT_DELAY_SECONDS = 60;

/** The embedded node mines each block once and never rolls one back. */
const EMBEDDED_INDEX_CONFIRMATIONS = 0;
/** A network's: Besu's and GoQuorum's QBFT blocks are final at once; a little margin for others. */
const NETWORK_INDEX_CONFIRMATIONS = 2;

/** Rules across variables, checked on the raw environment so they are reported with the rest. */
function crossVariableProblems(env: NodeJS.ProcessEnv): { variable: string; message: string }[] {
  const set = (name: string) => env[name] !== undefined && env[name] !== "";
  const problems = [];
  for (const [name, replacement] of Object.entries(REMOVED_VARIABLES)) {
    if (set(name)) problems.push({ variable: name, message: replacement });
  }
  if (env.FIRST_OPERATORS === "gateway-keys") {
    problems.push({
      variable: "FIRST_OPERATORS",
      message: "gateway-keys was removed (the gateway no longer signs for the institutions): use enrolment-codes (embedded default) or public-keys (RPC_URL)",
    });
  }
  // Against an external node the gateway cannot invent role keys: they hold roles on chain.
  if (set("RPC_URL")) {
    for (const name of ["GATEWAY_KEY", "GOVERNANCE_KEY"]) {
      if (!set(name)) problems.push({ variable: name, message: "is required when RPC_URL is set" });
    }
    // The codes are printed by the gateway that deploys; on a real network each institution
    // hands over its first credential's public key instead (ADR 0001, section 3).
    if (env.FIRST_OPERATORS === "enrolment-codes") {
      problems.push({ variable: "FIRST_OPERATORS", message: "enrolment-codes works only on the embedded default (without RPC_URL)" });
    }
  }
  if (env.FIRST_OPERATORS === "public-keys") {
    for (const name of ["BANK_FIRST_CREDENTIAL", "CREDIT_CENTER_FIRST_CREDENTIAL"]) {
      if (!set(name)) problems.push({ variable: name, message: "is required when FIRST_OPERATORS is public-keys" });
    }
  }
  // Several gateways over one PostgreSQL must share it; a per-machine random one would make
  // records written by one gateway unreadable (identities, submission IDs) by another.
  if (set("DATABASE_URL") && !set("IDENTITY_KEY")) {
    problems.push({ variable: "IDENTITY_KEY", message: "is required when DATABASE_URL is set" });
  }
  return problems;
}

export type LogLevel = (typeof LOG_LEVELS)[number];

/** The gateway's keys, as 0x-prefixed hex: none of them acts for the bank or the credit center. */
export interface GatewayKeys {
  /** Holds the GATEWAY role: relays terminal- and card-signed settlements, refunds and redemptions. */
  gateway: string;
  /** The registry's default admin: deploys, schedules GATEWAY grants, proposes a delayed recovery (ADR 0001, section 5). */
  governance: string;
  /** Holds no role: pays for relaying operator steps (ADR 0001, section 8). */
  relayer?: string;
}

export interface Config {
  port: number;
  host: string;
  /** Absolute path. */
  dataDir: string;
  /** RPC_URL's URLs, all of one chain, in the order tried. Absent: the gateway starts its own local node (the embedded default). */
  rpcUrls?: readonly string[];
  /** Absent: the embedded PGlite store in `${dataDir}/db`. */
  databaseUrl?: string;
  /** Absolute path. */
  deploymentFile: string;
  /** Keys given in the environment; gateway and governance are present when `rpcUrls` is set. */
  keys: Partial<GatewayKeys>;
  identityKey?: string;
  identityKeyPrevious?: string;
  /** Absolute path of the identity key store (one wrapped data key per holder). */
  identityKeyDir: string;
  idKey?: string;
  batch: { max: number; waitMs: number; inFlight: number };
  /** How long a gateway's lease on its key lasts unrenewed (renewed every third of it). */
  leaseSeconds: number;
  /** Blocks under the head before the read index takes a block (INDEX_CONFIRMATIONS). */
  indexConfirmations: number;
  logLevel: LogLevel;
  /** True when the gateway runs its own node (no RPC_URL). */
  embeddedChain: boolean;
  /** Seconds between scheduling a role grant and making it, on a deployment the gateway makes. */
  roleGrantDelaySeconds: number;
  /** How the embedded node is kept from other local processes (see src/chain/node.ts). */
  localNodeIsolation: "namespace" | "none";
  /** Clients (addresses and CIDR ranges) that may read /metrics; everyone else gets 404. */
  metricsAllow: readonly AddressRange[];
  /** How the first operators are named at deployment (see FIRST_OPERATOR_MODES). */
  firstOperators: FirstOperatorMode;
  /** With FIRST_OPERATORS=public-keys: each institution's first credential and operator ID. */
  firstCredentials?: { bank: FirstCredential; creditCenter: FirstCredential; bankOperatorId?: string; creditCenterOperatorId?: string };
  /** WebAuthn relying party ID (a host name) of passkey sign-in and enrolment. */
  rpId: string;
  /** The origin (scheme://host[:port]) operators' browsers reach the gateway at. */
  publicOrigin: string;
  /** Proxies whose X-Forwarded-For gives the client's address (express "trust proxy"); empty: none. */
  trustProxy: readonly string[];
}

/** An IP address or CIDR range, as METRICS_ALLOW lists them. */
export interface AddressRange {
  address: string;
  prefix: number;
  family: "ipv4" | "ipv6";
}

/** "10.0.0.0/8", "::1" or "192.0.2.7" as a range; undefined when it is none of those. */
export function parseAddressRange(text: string): AddressRange | undefined {
  const [address, prefixText, ...rest] = text.split("/");
  const version = net.isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(bits)) || prefix > bits) return undefined;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** Boot refused: every bad variable, one per line. Carries names and reasons, never values. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p.variable} ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? "(environment)"), message: i.message }))),
    ...crossVariableProblems(env),
  ];
  if (!parsed.success || problems.length > 0) {
    // One line per variable, all its problems on it.
    const byVariable = new Map<string, string[]>();
    for (const p of problems) byVariable.set(p.variable, [...(byVariable.get(p.variable) ?? []), p.message]);
    throw new ConfigError([...byVariable].map(([variable, messages]) => ({ variable, message: messages.join("; ") })));
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    rpcUrls: e.RPC_URL,
    databaseUrl: e.DATABASE_URL,
    deploymentFile: path.resolve(dataDir, e.DEPLOYMENT_FILE ?? "deployment.json"),
    keys: dropUndefined({
      gateway: e.GATEWAY_KEY,
      governance: e.GOVERNANCE_KEY,
      relayer: e.RELAYER_KEY,
    }),
    identityKey: e.IDENTITY_KEY,
    identityKeyPrevious: e.IDENTITY_KEY_PREVIOUS,
    identityKeyDir: path.resolve(dataDir, e.IDENTITY_KEY_DIR ?? "identity-keys"),
    idKey: e.ID_KEY,
    batch: { max: e.BATCH_MAX, waitMs: e.BATCH_WAIT_MS, inFlight: e.BATCH_IN_FLIGHT },
    leaseSeconds: e.LEASE_SECONDS,
    indexConfirmations: e.INDEX_CONFIRMATIONS ?? (e.RPC_URL === undefined ? EMBEDDED_INDEX_CONFIRMATIONS : NETWORK_INDEX_CONFIRMATIONS),
    logLevel: e.LOG_LEVEL,
    embeddedChain: e.RPC_URL === undefined,
    roleGrantDelaySeconds:
      e.ROLE_GRANT_DELAY_SECONDS ?? (e.RPC_URL === undefined ? EMBEDDED_ROLE_GRANT_DELAY_SECONDS : NETWORK_ROLE_GRANT_DELAY_SECONDS),
    localNodeIsolation: e.LOCAL_NODE_ISOLATION,
    metricsAllow: e.METRICS_ALLOW.map((a) => parseAddressRange(a)!),
    firstOperators: e.FIRST_OPERATORS ?? (e.RPC_URL === undefined ? "enrolment-codes" : "public-keys"),
    ...(e.BANK_FIRST_CREDENTIAL && e.CREDIT_CENTER_FIRST_CREDENTIAL
      ? {
          firstCredentials: dropUndefined({
            bank: e.BANK_FIRST_CREDENTIAL,
            creditCenter: e.CREDIT_CENTER_FIRST_CREDENTIAL,
            bankOperatorId: e.BANK_FIRST_OPERATOR_ID,
            creditCenterOperatorId: e.CREDIT_CENTER_FIRST_OPERATOR_ID,
          }) as Config["firstCredentials"],
        }
      : {}),
    rpId: e.RP_ID,
    publicOrigin: e.PUBLIC_ORIGIN,
    trustProxy: e.TRUST_PROXY.filter((a) => a !== "none"),
  };
  return deepFreeze(config);
}

/** The secrets a running gateway needs, wherever they came from. */
export interface Secrets {
  /** `relayer` is absent only against an external node whose environment gives none. */
  keys: GatewayKeys;
  /** The key-encryption key of the identity key store (AES-256), 0x-prefixed hex. */
  identityKey: string;
  /** Key-encryption keys being rotated away from: they unwrap, never wrap. */
  identityKeyPrevious: string[];
  /** Keys operator IDs derived from enrolment labels and the submission IDs terminals are given. */
  idKey: string;
}

const KeyFileSchema = z.object({
  gatewayKey: privateKey,
  governanceKey: privateKey,
  relayerKey: privateKey,
  identityKey: hex32,
  identityKeyPrevious: hex32.optional(),
  idKey: hex32,
});

/** Entries of keys.json that earlier versions wrote and this one refuses to keep: what each was. */
const REMOVED_KEY_FILE_ENTRIES: Readonly<Record<string, string>> = {
  bankKey: "the bank's key",
  creditCenterKey: "the credit center's key",
  tokenSecret: "the operator token secret",
};
type KeyFile = z.infer<typeof KeyFileSchema>;

export const KEY_FILE = "keys.json";

/**
 * Load `${dataDir}/keys.json`, creating it (mode 0600, atomically) with fresh random keys on
 * first start, and filling in any entry an older file lacks. Never logs or returns key material
 * anywhere but to the caller.
 */
export function loadOrCreateKeyFile(dataDir: string): KeyFile {
  const file = path.join(dataDir, KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const existing = readKeyFile(file);
  const fresh: KeyFile = {
    gatewayKey: Wallet.createRandom().privateKey,
    governanceKey: Wallet.createRandom().privateKey,
    relayerKey: Wallet.createRandom().privateKey,
    identityKey: `0x${randomBytes(32).toString("hex")}`,
    idKey: `0x${randomBytes(32).toString("hex")}`,
  };
  if (existing === undefined) {
    // Write to a temporary file, then link: if another process won the race, use its keys.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(fresh, null, 2), { mode: 0o600, flag: "wx" });
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      fs.unlinkSync(tmp);
    }
    return parseKeyFile(file, fs.readFileSync(file, "utf8"));
  }
  const removed = Object.keys(REMOVED_KEY_FILE_ENTRIES).filter((k) => k in existing);
  if (removed.length > 0) {
    // A DATA_DIR of the removed gateway-keys mode: its institutions' credentials are these keys.
    throw new Error(
      `${file} holds ${removed.map((k) => `${k} (${REMOVED_KEY_FILE_ENTRIES[k]})`).join(", ")}, which the gateway no longer keeps: ` +
        "operators sign their own decisions. If the deployment's first credentials are bankKey and creditCenterKey, move each to its institution, " +
        "which signs decisions with it as an HSM credential (POST /v1/decisions with `signature`), then delete those entries; or start on an empty DATA_DIR",
    );
  }
  fs.chmodSync(file, 0o600);
  const merged = { ...fresh, ...existing };
  const parsed = KeyFileSchema.safeParse(merged);
  if (!parsed.success) {
    throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  }
  if (Object.keys(fresh).some((k) => !(k in existing))) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(parsed.data, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, file);
  }
  return parsed.data;
}

/**
 * The secrets for this configuration: values from the environment win; on the embedded default
 * the rest come from (or are created in) DATA_DIR/keys.json. Against an external node with an
 * external database every secret comes from the environment and no file is touched.
 */
export function resolveSecrets(config: Config): Secrets {
  const { keys } = config;
  // Against an external node a relayer key is optional (without it the gateway relays no
  // operator step); the embedded default always has one, in keys.json.
  const complete = keys.gateway && keys.governance && (keys.relayer || !config.embeddedChain) && config.identityKey;
  const file = complete ? undefined : loadOrCreateKeyFile(config.dataDir);
  const pick = (fromEnv: string | undefined, fromFile: string | undefined): string => {
    const value = fromEnv ?? fromFile;
    if (value === undefined) throw new Error("unreachable: a secret is neither configured nor in keys.json");
    return value;
  };
  const identityKey = pick(config.identityKey, file?.identityKey);
  return Object.freeze({
    keys: Object.freeze({
      gateway: pick(keys.gateway, file?.gatewayKey),
      governance: pick(keys.governance, file?.governanceKey),
      ...(keys.relayer || file ? { relayer: pick(keys.relayer, file?.relayerKey) } : {}),
    }),
    identityKey,
    identityKeyPrevious: [config.identityKeyPrevious ?? (config.identityKey ? undefined : file?.identityKeyPrevious)].filter((k) => k !== undefined),
    // From the environment, keys.json, or (every other secret in the environment) derived from
    // IDENTITY_KEY: then set ID_KEY before rotating IDENTITY_KEY, or IDs issued earlier change.
    idKey: config.idKey ?? file?.idKey ?? derivedKey(identityKey, "credence/ids"),
  });
}

/** A key for another purpose than `secret`'s, derived from it (HKDF-SHA256 with `purpose` as info). */
export function derivedKey(secret: string, purpose: string): string {
  return `0x${Buffer.from(hkdfSync("sha256", Buffer.from(secret.slice(2), "hex"), Buffer.alloc(0), purpose, 32)).toString("hex")}`;
}

function readKeyFile(file: string): Partial<KeyFile> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`${file} is not a JSON object`);
  return json as Partial<KeyFile>;
}

function parseKeyFile(file: string, text: string): KeyFile {
  const parsed = KeyFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  return parsed.data;
}

function isValidPrivateKey(key: string): boolean {
  try {
    return new SigningKey(key).publicKey.length > 0; // deriving the public key checks 0 < key < n
  } catch {
    return false;
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
