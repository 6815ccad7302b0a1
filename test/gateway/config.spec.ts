/**
 * Configuration: defaults, parsing, the one error that lists every bad variable, and the key
 * file of the embedded default.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { ConfigError, KEY_FILE, loadConfig, loadOrCreateKeyFile, resolveSecrets, type Config } from "../../src/config";

const KEY_A = "0x" + "11".repeat(32);
const KEY_B = "0x" + "22".repeat(32);

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  return expect.fail("expected a ConfigError");
}

describe("config", () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "credence-config-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe("loadConfig", () => {
    it("applies the defaults of the embedded setup to an empty environment", () => {
      const c = loadConfig({});
      expect(c).to.deep.include({
        port: 8080,
        host: "127.0.0.1",
        dataDir: path.resolve("./data"),
        deploymentFile: path.resolve("./data/deployment.json"),
        batch: { max: 100, waitMs: 200, inFlight: 3 },
        logLevel: "info",
        embeddedChain: true,
        roleGrantDelaySeconds: 60,
        localNodeIsolation: "namespace",
        metricsAllow: [
          { address: "127.0.0.0", prefix: 8, family: "ipv4" },
          { address: "::1", prefix: 128, family: "ipv6" },
        ],
        keys: {},
      });
      expect(c.rpcUrls).to.equal(undefined);
      expect(c.databaseUrl).to.equal(undefined);
    });

    it("parses every variable into its typed field", () => {
      const c = loadConfig({
        PORT: "9000",
        HOST: "0.0.0.0",
        DATA_DIR: tmp,
        RPC_URL: "http://10.0.0.5:8545",
        DATABASE_URL: "postgres://gw@db:5432/credence",
        DEPLOYMENT_FILE: "/etc/credence/deployment.json",
        GATEWAY_KEY: KEY_A,
        GOVERNANCE_KEY: KEY_B.toUpperCase().replace("0X", "0x"),
        RELAYER_KEY: KEY_A,
        IDENTITY_KEY: "ab".repeat(32),
        BATCH_MAX: "256",
        BATCH_WAIT_MS: "0",
        BATCH_IN_FLIGHT: "1",
        LOG_LEVEL: "debug",
        ROLE_GRANT_DELAY_SECONDS: "86400",
        LOCAL_NODE_ISOLATION: "none",
        METRICS_ALLOW: "10.1.0.0/16, 192.0.2.7,fd00::/8",
      });
      expect(c).to.deep.include({
        port: 9000,
        host: "0.0.0.0",
        dataDir: tmp,
        rpcUrls: ["http://10.0.0.5:8545"],
        databaseUrl: "postgres://gw@db:5432/credence",
        deploymentFile: "/etc/credence/deployment.json",
        identityKey: "0x" + "ab".repeat(32),
        batch: { max: 256, waitMs: 0, inFlight: 1 },
        logLevel: "debug",
        embeddedChain: false,
        firstOperators: "public-keys",
        roleGrantDelaySeconds: 86_400,
        localNodeIsolation: "none",
        metricsAllow: [
          { address: "10.1.0.0", prefix: 16, family: "ipv4" },
          { address: "192.0.2.7", prefix: 32, family: "ipv4" },
          { address: "fd00::", prefix: 8, family: "ipv6" },
        ],
      });
      expect(c.keys).to.deep.equal({ gateway: KEY_A, governance: KEY_B, relayer: KEY_A });
    });

    it("delays role grants by two days against an external node unless told otherwise", () => {
      const keys = { GATEWAY_KEY: KEY_A, GOVERNANCE_KEY: KEY_B };
      expect(loadConfig({ RPC_URL: "http://10.0.0.5:8545", ...keys }).roleGrantDelaySeconds).to.equal(2 * 24 * 3600);
    });

    it("resolves a relative DEPLOYMENT_FILE against DATA_DIR", () => {
      expect(loadConfig({ DATA_DIR: tmp, DEPLOYMENT_FILE: "dep.json" }).deploymentFile).to.equal(path.join(tmp, "dep.json"));
    });

    it("treats an empty variable as unset", () => {
      expect(loadConfig({ PORT: "", RPC_URL: "" })).to.deep.include({ port: 8080, embeddedChain: true });
    });

    it("returns a deeply frozen object", () => {
      const c = loadConfig({});
      expect(Object.isFrozen(c)).to.equal(true);
      expect(Object.isFrozen(c.batch)).to.equal(true);
      expect(() => {
        (c.batch as { max: number }).max = 1;
      }).to.throw(TypeError);
    });
  });

  describe("when variables are invalid", () => {
    it("lists every bad variable in one error", () => {
      const keys = { GATEWAY_KEY: KEY_A, GOVERNANCE_KEY: KEY_A };
      const err = configError({ PORT: "eighty", BATCH_MAX: "257", LOG_LEVEL: "loud", RPC_URL: "ftp://x", BATCH_WAIT_MS: "1.5", ...keys });
      expect(err.problems.map((p) => p.variable).sort()).to.deep.equal(
        ["BATCH_MAX", "BATCH_WAIT_MS", "LOG_LEVEL", "PORT", "RPC_URL"].sort(),
      );
      for (const name of ["PORT", "BATCH_MAX", "LOG_LEVEL", "RPC_URL", "BATCH_WAIT_MS"]) expect(err.message).to.contain(name);
    });

    it("reports cross-variable rules together with field errors", () => {
      const err = configError({ PORT: "-1", RPC_URL: "http://127.0.0.1:8545", GATEWAY_KEY: KEY_A });
      expect(err.problems).to.deep.equal([
        { variable: "PORT", message: "must be an integer from 0 to 65535" },
        { variable: "GOVERNANCE_KEY", message: "is required when RPC_URL is set" },
      ]);
    });

    it("believes X-Forwarded-For from no proxy by default, and from the TRUST_PROXY list when given", () => {
      expect(loadConfig({}).trustProxy).to.deep.equal([]);
      expect(loadConfig({ TRUST_PROXY: "loopback, 10.0.0.0/8,192.0.2.7" }).trustProxy).to.deep.equal(["loopback", "10.0.0.0/8", "192.0.2.7"]);
      for (const bad of ["everyone", "10.0.0.0/33", "true"]) {
        expect(configError({ TRUST_PROXY: bad }).problems.map((p) => p.variable), bad).to.deep.equal(["TRUST_PROXY"]);
      }
    });

    it("rejects a METRICS_ALLOW entry that is not an IP address or CIDR range, and an unknown LOCAL_NODE_ISOLATION", () => {
      for (const bad of ["localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/8/1", "10.0.0.0/x"]) {
        expect(configError({ METRICS_ALLOW: `127.0.0.1,${bad}` }).problems.map((p) => p.variable), bad).to.deep.equal(["METRICS_ALLOW"]);
      }
      expect(configError({ LOCAL_NODE_ISOLATION: "off" }).problems.map((p) => p.variable)).to.deep.equal(["LOCAL_NODE_ISOLATION"]);
    });

    it("rejects BATCH_MAX outside 1..256", () => {
      expect(configError({ BATCH_MAX: "0" }).problems.map((p) => p.variable)).to.deep.equal(["BATCH_MAX"]);
      expect(loadConfig({ BATCH_MAX: "1" }).batch.max).to.equal(1);
    });

    it("accepts only an http:// or https:// RPC_URL, the one transport of the gateway's providers", () => {
      const keys = { GATEWAY_KEY: KEY_A, GOVERNANCE_KEY: KEY_A };
      for (const url of ["ws://127.0.0.1:8546", "wss://node.example/rpc", "http://127.0.0.1:8545,ws://127.0.0.1:8546"]) {
        const err = configError({ RPC_URL: url, ...keys });
        expect(err.problems).to.deep.equal([{ variable: "RPC_URL", message: "must be an http:// or https:// URL, or several comma-separated" }]);
        expect(err.message).to.contain("RPC_URL must be an http:// or https:// URL");
      }
      expect(loadConfig({ RPC_URL: "http://127.0.0.1:8545", ...keys }).rpcUrls).to.deep.equal(["http://127.0.0.1:8545"]);
      expect(loadConfig({ RPC_URL: "https://node.example/rpc", ...keys }).rpcUrls).to.deep.equal(["https://node.example/rpc"]);
    });

    it("takes several RPC_URL URLs of one chain, comma-separated, in the order tried, each once", () => {
      const keys = { GATEWAY_KEY: KEY_A, GOVERNANCE_KEY: KEY_A };
      expect(loadConfig({ RPC_URL: "http://10.0.0.5:8545, https://node-b.example/rpc", ...keys }).rpcUrls).to.deep.equal([
        "http://10.0.0.5:8545",
        "https://node-b.example/rpc",
      ]);
      expect(configError({ RPC_URL: "http://10.0.0.5:8545,http://10.0.0.5:8545", ...keys }).problems).to.deep.equal([
        { variable: "RPC_URL", message: "lists the same URL twice" },
      ]);
    });

    it("requires the gateway's and governance's keys when RPC_URL is set", () => {
      const err = configError({ RPC_URL: "http://127.0.0.1:8545" });
      expect(err.problems.map((p) => p.variable).sort()).to.deep.equal(["GATEWAY_KEY", "GOVERNANCE_KEY"]);
      expect(err.problems[0].message).to.match(/required when RPC_URL is set/);
    });

    it("requires IDENTITY_KEY when DATABASE_URL is set (shared by all gateways)", () => {
      const err = configError({ DATABASE_URL: "postgres://db/credence" });
      expect(err.problems.map((p) => p.variable).sort()).to.deep.equal(["IDENTITY_KEY"]);
    });

    it("rejects malformed and out-of-range private keys without echoing them", () => {
      const secretLooking = "0x" + "ab".repeat(31);
      const zero = "0x" + "00".repeat(32);
      const err = configError({ GATEWAY_KEY: secretLooking, RELAYER_KEY: zero, IDENTITY_KEY: "xyz" });
      expect(err.problems.map((p) => p.variable).sort()).to.deep.equal(["GATEWAY_KEY", "IDENTITY_KEY", "RELAYER_KEY"]);
      expect(err.message).not.to.contain(secretLooking.slice(2));
    });

    it("rejects a DATABASE_URL that is not postgres", () => {
      expect(configError({ DATABASE_URL: "mysql://x/y", IDENTITY_KEY: KEY_A }).problems.map((p) => p.variable)).to.deep.equal([
        "DATABASE_URL",
      ]);
    });
  });

  describe("operators' settings", () => {
    const QX = "0x" + "a1".repeat(32);
    const QY = "0x" + "b2".repeat(32);
    const HSM = new Wallet(KEY_A).address;

    it("names the first operators by enrolment codes on the embedded default and by public keys with RPC_URL, with passkeys for localhost", () => {
      expect(loadConfig({})).to.deep.include({ firstOperators: "enrolment-codes", rpId: "localhost", publicOrigin: "http://localhost:8080" });
      expect(loadConfig({ RPC_URL: "http://127.0.0.1:8545", GATEWAY_KEY: KEY_A, GOVERNANCE_KEY: KEY_A }).firstOperators).to.equal("public-keys");
    });

    for (const name of ["BANK_KEY", "CREDIT_CENTER_KEY", "TOKEN_SECRET", "TOKEN_TTL_SECONDS"]) {
      it(`refuses the removed ${name}, naming what replaced it`, () => {
        const err = configError({ [name]: name === "TOKEN_TTL_SECONDS" ? "3600" : KEY_A });
        expect(err.problems.map((p) => p.variable)).to.deep.equal([name]);
        expect(err.problems[0].message).to.match(/^is no longer used: /);
        expect(err.message).to.contain(name === "TOKEN_SECRET" ? "passkey" : name === "TOKEN_TTL_SECONDS" ? "sessions" : "sign their own decisions");
        expect(err.message).not.to.contain(KEY_A.slice(2));
      });
    }

    it("refuses the removed FIRST_OPERATORS=gateway-keys, naming the modes that replace it", () => {
      const err = configError({ FIRST_OPERATORS: "gateway-keys" });
      expect(err.problems.map((p) => p.variable)).to.deep.equal(["FIRST_OPERATORS"]);
      expect(err.message).to.contain("gateway-keys was removed").and.to.contain("enrolment-codes").and.to.contain("public-keys");
    });

    it("refuses enrolment codes against an external node", () => {
      const err = configError({ RPC_URL: "http://127.0.0.1:8545", GATEWAY_KEY: KEY_A, GOVERNANCE_KEY: KEY_A, FIRST_OPERATORS: "enrolment-codes" });
      expect(err.problems.map((p) => p.variable)).to.deep.equal(["FIRST_OPERATORS"]);
    });

    it("requires both institutions' public keys for public-keys and reads a passkey, an HSM address and a file", () => {
      expect(configError({ FIRST_OPERATORS: "public-keys", BANK_FIRST_CREDENTIAL: HSM }).problems.map((p) => p.variable)).to.deep.equal(["CREDIT_CENTER_FIRST_CREDENTIAL"]);
      const file = path.join(tmp, "credit-center.pub");
      fs.writeFileSync(file, `${QX},${QY}\n`);
      const c = loadConfig({ FIRST_OPERATORS: "public-keys", BANK_FIRST_CREDENTIAL: HSM.toLowerCase(), CREDIT_CENTER_FIRST_CREDENTIAL: file });
      expect(c.firstCredentials).to.deep.equal({ bank: { kind: "hsm", signer: HSM }, creditCenter: { kind: "passkey", qx: QX, qy: QY } });
      expect(configError({ FIRST_OPERATORS: "public-keys", BANK_FIRST_CREDENTIAL: HSM, CREDIT_CENTER_FIRST_CREDENTIAL: "0x1234" }).problems[0].variable).to.equal(
        "CREDIT_CENTER_FIRST_CREDENTIAL",
      );
    });

    it("takes the public origin as an origin and refuses a bad relying party ID", () => {
      expect(loadConfig({ PUBLIC_ORIGIN: "https://operators.example:8443/console" }).publicOrigin).to.equal("https://operators.example:8443");
      expect(configError({ RP_ID: "not a host" }).problems.map((p) => p.variable)).to.deep.equal(["RP_ID"]);
    });
  });

  describe("loadOrCreateKeyFile", () => {
    it("creates keys.json once, mode 0600, with valid distinct keys, and reads it back unchanged", () => {
      const first = loadOrCreateKeyFile(tmp);
      const file = path.join(tmp, KEY_FILE);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      const addresses = [first.gatewayKey, first.governanceKey, first.relayerKey].map((k) => new Wallet(k).address);
      expect(new Set(addresses).size).to.equal(3);
      expect(first.identityKey).to.match(/^0x[0-9a-f]{64}$/);
      expect(Object.keys(first).sort()).to.deep.equal(["gatewayKey", "governanceKey", "idKey", "identityKey", "relayerKey"]);
      expect(loadOrCreateKeyFile(tmp)).to.deep.equal(first);
    });

    it("fills in entries an older file lacks and keeps the ones it has", () => {
      const file = path.join(tmp, KEY_FILE);
      fs.writeFileSync(file, JSON.stringify({ gatewayKey: KEY_A }), { mode: 0o644 });
      const keys = loadOrCreateKeyFile(tmp);
      expect(keys.gatewayKey).to.equal(KEY_A);
      expect(keys.identityKey).to.match(/^0x[0-9a-f]{64}$/);
      expect(JSON.parse(fs.readFileSync(file, "utf8"))).to.deep.equal(keys);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    });

    it("refuses a key file that still holds the institutions' keys or the token secret, saying what to do with them", () => {
      const file = path.join(tmp, KEY_FILE);
      fs.writeFileSync(file, JSON.stringify({ gatewayKey: KEY_A, bankKey: KEY_B, creditCenterKey: KEY_A, tokenSecret: KEY_B }), { mode: 0o600 });
      expect(() => loadOrCreateKeyFile(tmp)).to.throw(/bankKey \(the bank's key\), creditCenterKey \(the credit center's key\), tokenSecret .* HSM credential/);
      expect(JSON.parse(fs.readFileSync(file, "utf8"))).to.have.property("bankKey", KEY_B);
    });

    it("refuses a corrupt key file rather than replacing it", () => {
      fs.writeFileSync(path.join(tmp, KEY_FILE), "{not json");
      expect(() => loadOrCreateKeyFile(tmp)).to.throw(/not valid JSON/);
    });
  });

  describe("resolveSecrets", () => {
    it("prefers the environment and takes the rest from keys.json", () => {
      const config: Config = loadConfig({ DATA_DIR: tmp, GOVERNANCE_KEY: KEY_B });
      const secrets = resolveSecrets(config);
      const file = loadOrCreateKeyFile(tmp);
      expect(secrets.keys.governance).to.equal(KEY_B);
      expect(secrets.keys.gateway).to.equal(file.gatewayKey);
      expect(secrets.identityKey).to.equal(file.identityKey);
    });

    it("touches no file when the environment gives every secret", () => {
      const dir = path.join(tmp, "untouched");
      const config = loadConfig({
        DATA_DIR: dir,
        RPC_URL: "http://127.0.0.1:8545",
        DATABASE_URL: "postgres://db/x",
        GATEWAY_KEY: KEY_A,
        GOVERNANCE_KEY: KEY_A,
        IDENTITY_KEY: KEY_B,
      });
      const secrets = resolveSecrets(config);
      expect(secrets.identityKey).to.equal(KEY_B);
      // Without ID_KEY the key of operator and submission IDs derives from IDENTITY_KEY, which every
      // gateway shares; ID_KEY, when set, is that key.
      expect(secrets.idKey).to.match(/^0x[0-9a-f]{64}$/).and.not.to.equal(KEY_B);
      expect(resolveSecrets(config).idKey).to.equal(secrets.idKey);
      expect(resolveSecrets({ ...config, idKey: KEY_A }).idKey).to.equal(KEY_A);
      expect(fs.existsSync(dir)).to.equal(false);
    });

    it("places the identity key store in DATA_DIR unless IDENTITY_KEY_DIR names one (relative to DATA_DIR), and takes a previous key during a rotation", () => {
      expect(loadConfig({ DATA_DIR: tmp }).identityKeyDir).to.equal(path.join(tmp, "identity-keys"));
      expect(loadConfig({ DATA_DIR: tmp, IDENTITY_KEY_DIR: "shared/keys" }).identityKeyDir).to.equal(path.join(tmp, "shared", "keys"));
      expect(loadConfig({ DATA_DIR: tmp, IDENTITY_KEY_DIR: "/srv/identity-keys" }).identityKeyDir).to.equal("/srv/identity-keys");
      const rotating = loadConfig({ DATA_DIR: tmp, IDENTITY_KEY: KEY_A, IDENTITY_KEY_PREVIOUS: KEY_B, ID_KEY: KEY_B });
      expect(resolveSecrets(rotating)).to.deep.include({ identityKey: KEY_A, identityKeyPrevious: [KEY_B] });
      expect(configError({ IDENTITY_KEY_PREVIOUS: "xyz" }).problems.map((p) => p.variable)).to.deep.equal(["IDENTITY_KEY_PREVIOUS"]);
    });
  });
});
