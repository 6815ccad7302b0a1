/**
 * The gateway alone decides nothing (issue 14, point 4; ADR 0001, sections 6 and 8).
 *
 * A real gateway process is started as the README's first start has it (the embedded default,
 * FIRST_OPERATORS=enrolment-codes, a fresh DATA_DIR). Both institutions' first operators enrol
 * with their one-time codes through `npm run operator`'s machinery (a software-authenticator
 * passkey, a key file each), the bank proposes a card and the credit center approves it, and the
 * bank proposes a second card that stays pending: there is something to act on.
 *
 * The attacker model. The attacker holds everything the gateway holds, as the gateway's own OS
 * user would: every file in DATA_DIR (keys.json with the GATEWAY key, the card-freezer key derived
 * from it, which can only freeze an active consumer card (ADR 0010), the relayer key, the
 * governance key, the identity key and the ID key; the store, whose session tokens are kept only
 * as hashes; the redeemed
 * enrolment-codes.json), the gateway process's environment (/proc/<pid>/environ), and the node
 * the gateway talks to: the IPC socket in DATA_DIR/chain. Every 32-byte secret found is tried as a
 * signing key. The attacker does NOT hold an operator's passkey (it is on the operator's device;
 * here, a key file outside DATA_DIR).
 *
 * With that, each attempt to issue a card, grant or raise credit, void points, erase an identity,
 * enrol an operator, approve the pending proposal, or act as the bank (register a merchant,
 * freeze a card) is made directly against the contracts, signed with every key found (claiming
 * each enrolled credential, and one that does not exist) and relayed by each key in turn, and
 * also by calling each function directly from every key; and, where the API offers it, through
 * the gateway's API without an operator session. Each is refused with the contract's named error
 * or the API's problem code, and the chain's state is checked unchanged. A positive control makes
 * the same call signed by the right operator's passkey, and it succeeds.
 *
 * Anvil's test methods. The embedded node answers on the gateway's socket, so the gateway's OS
 * user reaches anvil's non-standard methods too. Impersonating any address (anvil_impersonate
 * Account) gives the attacker nothing new: authority is in credential signatures, never in
 * msg.sender, and impersonated calls are refused like the rest. Rewriting storage
 * (anvil_setStorageAt), moving the clock (evm_increaseTime, which would make governance's
 * vetoable 7-day recovery due at once) or editing the state dumps in DATA_DIR/chain is not
 * something any contract can refuse: in the embedded default the node and its state are the
 * host's, one person runs everything and holds both codes (ADR 0001, section 6). The last test
 * shows those methods answer on the socket, so that this limit stays written down and checked;
 * a deployment of two institutions runs against a network the gateway does not host (RPC_URL),
 * which offers the gateway only the standard methods used by every other attempt here.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import {
  AbiCoder,
  Interface,
  NonceManager,
  Wallet,
  ZeroAddress,
  ZeroHash,
  hexlify,
  id,
  keccak256,
  randomBytes,
  type BaseContract,
  type JsonRpcProvider,
} from "ethers";
import {
  CredenceOperators__factory,
  CredenceRegistry__factory,
  CreditGrants__factory,
  IDualControl__factory,
  PointsLedger__factory,
  type CredenceOperators,
  type CredenceRegistry,
  type CreditGrants,
  type PointsLedger,
} from "../../typechain-types";
import { startGatewayProcess, tempDir, type GatewayProcess } from "./helpers/process";
import { PasskeyOperator } from "../../scripts/lib/passkey-operator";
import { SoftwareAuthenticator } from "../../src/auth/software-authenticator";
import { readDeployment } from "../../src/chain/deployment";
import { openPglite } from "../../src/store/db";
import { connectProvider } from "../../src/chain/rpc-endpoint";
import { ROLES } from "../../src/chain/roles";
import {
  NO_DEADLINE,
  StepKind,
  codeRedemptionStep,
  encodePasskeySignature,
  encodeSecp256k1Signature,
  enrolmentStep,
  enrolmentCodePrivateKey,
  operatorDomain,
  passkeyKey,
  recoveryVetoStep,
  secp256k1Key,
  stepDigest,
  type OperatorStep,
} from "../../src/domain/operator-steps";
import { toWebAuthnAuth } from "../../src/domain/webauthn";
import { NO_ORDER } from "../helpers/ledger-ops";
import { cardFreezerKey } from "../../src/chain/card-freezer-key";

const ORIGIN = "http://localhost:8080";
const RP_ID = "localhost";
const HEX32 = /^0x[0-9a-fA-F]{64}$/;
/** The credential IDs the first enrolments get: the bank's first, then the credit center's. */
const BANK_CREDENTIAL = 1n;
const CREDIT_CENTER_CREDENTIAL = 2n;
/** Every eligible card may be granted up to this (the policy set up below). */
const ELIGIBLE_LIMIT = 500_000n;

/** A key the attacker found, and where. */
interface Loot {
  source: string;
  wallet: Wallet;
}

/** Every 32-byte secret in DATA_DIR's key and code files and in the gateway's environment, as signing keys. */
function lootOf(gateway: GatewayProcess): Loot[] {
  const found = new Map<string, string>();
  const keys = JSON.parse(fs.readFileSync(path.join(gateway.dataDir, "keys.json"), "utf8")) as Record<string, unknown>;
  for (const [name, value] of Object.entries(keys)) if (typeof value === "string" && HEX32.test(value)) found.set(value.toLowerCase(), `keys.json ${name}`);
  // The card-freezer key (ADR 0010) is derived from the gateway key: whoever has one has both.
  found.set(cardFreezerKey(keys.gatewayKey as string).toLowerCase(), "card-freezer key derived from keys.json gatewayKey");
  const codes = JSON.parse(fs.readFileSync(path.join(gateway.dataDir, "enrolment-codes.json"), "utf8")) as Record<string, string>;
  for (const institution of ["bank", "credit_center"]) found.set(enrolmentCodePrivateKey(codes[institution]).toLowerCase(), `enrolment code of ${institution}`);
  const environ = fs.readFileSync(`/proc/${gateway.pid}/environ`, "utf8").split("\0");
  for (const entry of environ) {
    const value = entry.slice(entry.indexOf("=") + 1);
    if (HEX32.test(value)) found.set(value.toLowerCase(), `environment ${entry.slice(0, entry.indexOf("="))}`);
  }
  return [...found].map(([key, source]) => ({ source, wallet: new Wallet(key) }));
}

const bigintJson = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

describe("the gateway alone: every key, secret and file it has decides nothing", function () {
  this.timeout(600_000);

  let dataDir: string;
  let operatorsDir: string;
  let gateway: GatewayProcess;
  let provider: JsonRpcProvider;
  let operators: CredenceOperators;
  let registry: CredenceRegistry;
  let ledger: PointsLedger;
  let credit: CreditGrants;
  let bank: PasskeyOperator;
  let creditCenter: PasskeyOperator;
  let cardId: string;
  let pendingId: bigint;
  let pendingAction: string;
  let loot: Loot[];
  /** The relayer key from keys.json (its nonces counted here: ethers reuses a nonce read within 250 ms). */
  let relayer: NonceManager;
  let errors: Interface;

  /** The named error a call is refused with (its revert data decoded against every contract's errors). */
  async function refusal(call: Promise<unknown>): Promise<string> {
    try {
      await call;
    } catch (err) {
      const data = (err as { data?: string }).data ?? (err as { info?: { error?: { data?: string } } }).info?.error?.data;
      const parsed = data ? errors.parseError(data) : null;
      if (!parsed) throw new Error(`refused without a named error: ${(err as Error).message.slice(0, 300)}`);
      return parsed.name;
    }
    throw new Error("the call was not refused");
  }

  /** What an attack could change: credentials, codes, recoveries, proposals, cards, grants, points, pause. */
  async function chainState(): Promise<string> {
    return bigintJson({
      credentials: await operators.credentialCount(),
      bankCredentials: await operators.activeCredentials(ROLES.BANK),
      creditCenterCredentials: await operators.activeCredentials(ROLES.CREDIT_CENTER),
      codes: [await operators.enrolmentCode(ROLES.BANK), await operators.enrolmentCode(ROLES.CREDIT_CENTER)],
      recoveries: [await operators.pendingRecovery(ROLES.BANK), await operators.pendingRecovery(ROLES.CREDIT_CENTER)],
      proposals: [await registry.proposalCount(), await ledger.proposalCount(), await credit.proposalCount()],
      pending: await registry.proposal(pendingId),
      accounts: await registry.accountCount(),
      card: await registry.card(cardId),
      identity: await registry.identityCommitmentOf(cardId),
      grant: await credit.grantOf(cardId),
      freeze: await credit.freezeOf(cardId),
      policyVersion: await credit.policyVersion(),
      totals: await ledger.totals(),
      paused: await ledger.paused(),
    });
  }

  before(async () => {
    dataDir = tempDir("gateway-alone");
    operatorsDir = tempDir("gateway-alone-operators");
    gateway = await startGatewayProcess({
      dataDir,
      env: { FIRST_OPERATORS: "enrolment-codes", PUBLIC_ORIGIN: ORIGIN, RP_ID },
      startTimeoutMs: 180_000,
    });
    const client = { gateway: gateway.url, origin: ORIGIN, rpId: RP_ID };
    const codes = JSON.parse(fs.readFileSync(path.join(dataDir, "enrolment-codes.json"), "utf8")) as { bank: string; credit_center: string };
    bank = PasskeyOperator.open(client, path.join(operatorsDir, "bank-1.key"));
    creditCenter = PasskeyOperator.open(client, path.join(operatorsDir, "cc-1.key"));
    await bank.enrol("bank", "Bank operator 1", { code: codes.bank });
    await creditCenter.enrol("credit_center", "Credit operator 1", { code: codes.credit_center });

    const proposed = await bank.decide({
      kind: "propose",
      target: "registry",
      function: "issueCard",
      args: { kind: "consumer", key: Wallet.createRandom().address, holder: { name: "Li Hua", nationalId: "110101199003077777" } },
    });
    await creditCenter.decide({ kind: "approve", target: "registry", proposalId: proposed.result.proposalId });
    cardId = (proposed.draft.summary as { args: { cardId: string } }).args.cardId;
    // A policy under which the card is eligible, so that a grant fails on its signatures alone.
    const policy = await creditCenter.decide({ kind: "propose", target: "credit", function: "setPolicy", args: { kind: 0, tiers: [[0, 0, ELIGIBLE_LIMIT.toString()]] } });
    await bank.decide({ kind: "approve", target: "credit", proposalId: policy.result.proposalId });
    const pending = await bank.decide({
      kind: "propose",
      target: "registry",
      function: "issueCard",
      args: { kind: "consumer", key: Wallet.createRandom().address, holder: { name: "Wang Fang", nationalId: "110101199203088888" } },
    });
    pendingId = BigInt(pending.result.proposalId!);
    pendingAction = (pending.draft as unknown as { action: string }).action;

    provider = connectProvider(gateway.rpcEndpoint, undefined, { staticNetwork: true });
    const deployment = readDeployment(path.join(dataDir, "deployment.json"))!;
    operators = CredenceOperators__factory.connect(deployment.operators!, provider);
    registry = CredenceRegistry__factory.connect(deployment.registry, provider);
    ledger = PointsLedger__factory.connect(deployment.ledger, provider);
    credit = CreditGrants__factory.connect(deployment.creditGrants!, provider);
    errors = new Interface([
      ...CredenceOperators__factory.createInterface().fragments.filter((f) => f.type === "error"),
      ...CredenceRegistry__factory.createInterface().fragments.filter((f) => f.type === "error"),
      ...PointsLedger__factory.createInterface().fragments.filter((f) => f.type === "error"),
      ...CreditGrants__factory.createInterface().fragments.filter((f) => f.type === "error"),
    ].filter((f, i, all) => all.findIndex((g) => g.format() === f.format()) === i));

    loot = lootOf(gateway);
    const relayerKey = (JSON.parse(fs.readFileSync(path.join(dataDir, "keys.json"), "utf8")) as { relayerKey: string }).relayerKey;
    relayer = new NonceManager(new Wallet(relayerKey, provider));
  });

  after(async () => {
    provider?.destroy();
    await gateway?.kill("SIGTERM");
    for (const dir of [dataDir, operatorsDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the set-up worked: two enrolled passkeys, an issued card, a pending proposal, and keys found in DATA_DIR and the environment", async () => {
    expect(await operators.credentialCount()).to.equal(2n);
    expect((await registry.card(cardId)).status).to.equal(1n);
    expect((await registry.proposal(pendingId)).state).to.equal(1n);
    const sources = loot.map((l) => l.source);
    for (const name of ["gatewayKey", "relayerKey", "governanceKey", "identityKey", "idKey"]) expect(sources).to.include(`keys.json ${name}`);
    expect(sources).to.include("enrolment code of bank").and.to.include("enrolment code of credit_center");
    expect(sources).to.include("card-freezer key derived from keys.json gatewayKey");
    // The operators' passkeys are not among them: no file in DATA_DIR holds their private keys.
    const secrets = ["bank-1.key", "cc-1.key"].flatMap((file) => {
      const d = (JSON.parse(fs.readFileSync(path.join(operatorsDir, file), "utf8")) as { jwk: { d: string } }).jwk.d;
      return [Buffer.from(d), Buffer.from(Buffer.from(d, "base64url").toString("hex")), Buffer.from(d, "base64url")];
    });
    const files = (fs.readdirSync(dataDir, { recursive: true }) as string[]).map((f) => path.join(dataDir, f)).filter((f) => fs.statSync(f, { throwIfNoEntry: false })?.isFile());
    expect(files.length).to.be.greaterThan(5);
    for (const file of files) {
      let content: Buffer;
      try {
        content = fs.readFileSync(file);
      } catch {
        continue; // a state dump rotated away meanwhile
      }
      for (const secret of secrets) expect(content.includes(secret), `${file} holds an operator's private key`).to.equal(false);
    }
  });

  describe("directly against the contracts, signing with every key found", () => {
    let before: string;
    let attackerPasskey: SoftwareAuthenticator;
    const claimed = [1n, 2n, 3n]; // the bank's passkey, the credit center's, and a credential that does not exist

    beforeEach(async () => {
      before = await chainState();
      attackerPasskey = SoftwareAuthenticator.generate();
    });
    afterEach(async () => {
      expect(await chainState(), "chain state after the attempts").to.equal(before);
    });

    /** A step signed by `key` (65 bytes), or by the attacker's own passkey when `key` is "passkey". */
    function sign(contract: string, step: OperatorStep, key: Wallet | "passkey"): string {
      const digest = stepDigest(operatorDomain(BigInt(gateway.chainId), contract), step);
      if (key !== "passkey") return encodeSecp256k1Signature(key.signingKey.sign(digest));
      const assertion = attackerPasskey.assert({ challenge: Buffer.from(digest.slice(2), "hex"), origin: ORIGIN });
      return encodePasskeySignature(toWebAuthnAuth(assertion));
    }

    /**
     * What a claimed credential's signature by a key the credential is not is refused with. A step
     * only one institution may sign (an act of the bank, an enrolment) names that institution's
     * credential in `only`: the other's is refused before its signature is read.
     */
    function expected(credentialId: bigint, key: Wallet | "passkey", only?: bigint): string {
      if (credentialId === 3n) return "OperatorCredentialsCredentialNotActive";
      if (only !== undefined && credentialId !== only) return "OperatorCredentialsWrongInstitution";
      return key === "passkey" ? "OperatorSignaturesInvalidSignature" : "OperatorSignaturesMalformed";
    }

    const keysAndPasskey = (): (Wallet | "passkey")[] => [...loot.map((l) => l.wallet), "passkey"];

    /** Every key found, claiming each credential, relayed by each key found in turn; each refusal is the expected named error. */
    async function everySigner(
      contract: BaseContract,
      kind: StepKind,
      subject: bigint,
      action: string,
      send: (step: { credentialId: bigint; salt: string; notAfter: bigint; signature: string }, from: Wallet) => Promise<unknown>,
      only?: bigint,
    ): Promise<number> {
      let attempts = 0;
      const address = await contract.getAddress();
      for (const key of keysAndPasskey()) {
        for (const credentialId of claimed) {
          const salt = hexlify(randomBytes(32));
          const step: OperatorStep = { kind, subject, actionHash: keccak256(action), salt, notAfter: NO_DEADLINE };
          // Relayed by each key found in turn: whoever relays, the contract reads the signature.
          const from = loot[attempts % loot.length].wallet.connect(provider);
          const name = await refusal(send({ credentialId, salt, notAfter: NO_DEADLINE, signature: sign(address, step, key) }, from));
          expect(name, `${key === "passkey" ? "the attacker's own passkey" : loot.find((l) => l.wallet === key)!.source} as credential ${credentialId}`).to.equal(expected(credentialId, key, only));
          attempts++;
        }
      }
      return attempts;
    }

    /** Every key found calls the function itself, which only dual control or an act may run. */
    async function everyCallerDirectly(call: (from: Wallet) => Promise<unknown>): Promise<void> {
      for (const { wallet } of loot) expect(await refusal(call(wallet.connect(provider)))).to.equal("DualControlOnlySelf");
    }

    const proposeAs = (contract: BaseContract, action: string) =>
      everySigner(contract, StepKind.Propose, 0n, action, (step, from) => IDualControl__factory.connect(contractAddress(contract), from).propose.staticCall(action, step));
    const actAs = (contract: BaseContract, action: string) =>
      everySigner(contract, StepKind.Act, 0n, action, (step, from) => IDualControl__factory.connect(contractAddress(contract), from).act.staticCall(action, step), BANK_CREDENTIAL);
    const contractAddress = (contract: BaseContract) => contract.target as string;

    it("cannot issue a card", async () => {
      const action = registry.interface.encodeFunctionData("issueCard", [id("attacker card"), 0, Wallet.createRandom().address, id("commitment")]);
      expect(await proposeAs(registry, action)).to.be.greaterThan(20);
      await everyCallerDirectly((w) => registry.connect(w).issueCard.staticCall(id("attacker card"), 0, w.address, id("commitment")));
    });

    it("cannot approve the pending proposal", async () => {
      await everySigner(registry, StepKind.Approve, pendingId, pendingAction, (step, from) =>
        IDualControl__factory.connect(contractAddress(registry), from).approveProposal.staticCall(pendingId, pendingAction, step),
      );
    });

    it("cannot grant or raise credit", async () => {
      const expiry = BigInt(Math.floor(Date.now() / 1000) + 365 * 24 * 3600);
      expect(await credit.eligibleLimit(cardId)).to.equal(ELIGIBLE_LIMIT);
      const grant = credit.interface.encodeFunctionData("grantCredit", [cardId, ELIGIBLE_LIMIT, expiry]);
      await proposeAs(credit, grant);
      await everyCallerDirectly((w) => credit.connect(w).grantCredit.staticCall(cardId, ELIGIBLE_LIMIT, expiry));
      const policy = credit.interface.encodeFunctionData("setPolicy", [0, [{ minScore: 0, minPoints: 0, limit: 10n ** 12n }]]);
      await proposeAs(credit, policy);
    });

    it("cannot void points", async () => {
      const action = ledger.interface.encodeFunctionData("voidPoints", [cardId, 1, 100, 0, 1, NO_ORDER.order, NO_ORDER.proof]);
      await proposeAs(ledger, action);
      await everyCallerDirectly((w) => ledger.connect(w).voidPoints.staticCall(cardId, 1, 100, 0, 1, NO_ORDER.order, NO_ORDER.proof));
    });

    it("cannot erase an identity", async () => {
      const action = registry.interface.encodeFunctionData("recordIdentityErasure", [cardId]);
      await proposeAs(registry, action);
      await everyCallerDirectly((w) => registry.connect(w).recordIdentityErasure.staticCall(cardId));
    });

    it("cannot act as the bank: register a merchant, freeze a card, pause the ledger", async () => {
      await actAs(registry, registry.interface.encodeFunctionData("registerMerchant", [cardId]));
      await actAs(registry, registry.interface.encodeFunctionData("freezeCard", [cardId]));
      await actAs(ledger, ledger.interface.encodeFunctionData("pause"));
      await everyCallerDirectly((w) => registry.connect(w).freezeCard.staticCall(cardId));
      await everyCallerDirectly((w) => ledger.connect(w).pause.staticCall());
    });

    it("cannot enrol an operator: not with the redeemed codes, not signed as an operator, and no key but governance's may propose a recovery", async () => {
      const operatorsAddress = await operators.getAddress();
      for (const institution of [ROLES.BANK, ROLES.CREDIT_CENTER]) {
        for (const { wallet, source } of loot) {
          const key = secp256k1Key(wallet.address);
          const operatorId = id(`attacker ${source}`);
          const salt = hexlify(randomBytes(32));
          // The redeemed code (or any key) redeeming a code again.
          const redemption = codeRedemptionStep(institution, operatorId, key, salt);
          const codeSignature = encodeSecp256k1Signature(wallet.signingKey.sign(stepDigest(operatorDomain(BigInt(gateway.chainId), operatorsAddress), redemption)));
          expect(await refusal(operators.connect(relayer).redeemEnrolmentCode.staticCall(institution, operatorId, key, salt, NO_DEADLINE, codeSignature))).to.equal(
            "OperatorCredentialsNoEnrolmentCode",
          );
          // An Enrol step signed as each enrolled credential (and one that does not exist).
          const step = enrolmentStep(institution, operatorId, key, salt);
          for (const credentialId of claimed) {
            const signature = sign(operatorsAddress, step, wallet);
            expect(await refusal(operators.connect(relayer).enrol.staticCall(institution, operatorId, key, salt, NO_DEADLINE, [{ credentialId, signature }])), `${source} as ${credentialId}`).to.equal(
              expected(credentialId, wallet, institution === ROLES.BANK ? BANK_CREDENTIAL : CREDIT_CENTER_CREDENTIAL),
            );
          }
        }
      }
      // Governance (its key is in keys.json) may propose a recovery (below); no other key may.
      const { qx, qy } = SoftwareAuthenticator.generate().publicKey;
      const attackerKey = passkeyKey(qx, qy);
      for (const { wallet, source } of loot) {
        if (source === "keys.json governanceKey") continue;
        expect(await refusal(operators.connect(wallet.connect(provider)).proposeRecovery.staticCall(ROLES.BANK, id("attacker"), attackerKey))).to.equal("OperatorCredentialsNotGovernance");
      }
    });
  });

  describe("through the gateway's API without an operator session", () => {
    let before: string;
    beforeEach(async () => {
      before = await chainState();
    });
    afterEach(async () => {
      expect(await chainState()).to.equal(before);
    });

    const post = (url: string, body: unknown, cookie?: string) =>
      fetch(new URL(url, gateway.url), {
        method: "POST",
        headers: { "content-type": "application/json", origin: ORIGIN, ...(cookie ? { cookie } : {}) },
        body: JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as { code?: string } }));

    it("cannot draft or relay a decision, with no session or with a cookie made of a secret found", async () => {
      const decisions = [
        { kind: "propose", target: "registry", function: "issueCard", args: { kind: "consumer", key: ZeroAddress, holder: { name: "X", nationalId: "Y" } } },
        { kind: "approve", target: "registry", proposalId: pendingId.toString() },
        { kind: "propose", target: "credit", function: "grantCredit", args: { cardId, limit: "1000000", expiresAt: "9999999999" } },
        { kind: "propose", target: "ledger", function: "voidPoints", args: { cardId, merchantId: 1, points: 100, creditPoints: 0, reasonCode: 1, order: { ...NO_ORDER.order, merchantId: 0, nonce: 0, amount: 0, points: 0, creditPoints: 0 }, proof: { batchId: 0, chainBefore: ZeroHash, batchLeaves: [], index: 0, laterDigests: [] } } },
        { kind: "propose", target: "registry", function: "recordIdentityErasure", args: { cardId } },
        { kind: "act", target: "registry", function: "freezeCard", args: { cardId } },
      ];
      for (const body of decisions) {
        const res = await post("/v1/decisions/drafts", body);
        expect([res.status, res.body.code], JSON.stringify(body)).to.deep.equal([401, "session.required"]);
      }
      const relayed = await post("/v1/decisions", { draftId: "x".repeat(22), credentialId: "1", signature: `0x${"11".repeat(65)}` });
      expect([relayed.status, relayed.body.code]).to.deep.equal([401, "session.required"]);
      for (const { wallet, source } of loot) {
        const res = await post("/v1/decisions/drafts", decisions[0], `credence_operator=${Buffer.from(wallet.privateKey.slice(2), "hex").toString("base64url")}`);
        expect([res.status, res.body.code], source).to.deep.equal([401, "session.ended"]);
      }
    });

    it("cannot use what the store keeps of sessions: a copy of DATA_DIR/db holds only their tokens' hashes", async () => {
      const copy = tempDir("gateway-alone-store");
      fs.cpSync(path.join(dataDir, "db"), copy, { recursive: true });
      const store = await openPglite(copy);
      try {
        const sessions = await store.query<{ token_hash: string }>("select token_hash from operator_sessions");
        expect(sessions.length, "the operators' sessions").to.be.greaterThanOrEqual(2);
        for (const { token_hash } of sessions) {
          const res = await post("/v1/decisions/drafts", { kind: "approve", target: "registry", proposalId: pendingId.toString() }, `credence_operator=${token_hash}`);
          expect([res.status, res.body.code]).to.deep.equal([401, "session.ended"]);
        }
      } finally {
        await store.close();
        fs.rmSync(copy, { recursive: true, force: true });
      }
    });

    it("cannot enrol an operator: the codes are redeemed, and further enrolment needs a session of the institution", async () => {
      const codes = JSON.parse(fs.readFileSync(path.join(dataDir, "enrolment-codes.json"), "utf8")) as { bank: string; credit_center: string };
      for (const institution of ["bank", "credit_center"] as const) {
        const res = await post("/v1/enrolment/options", { institution, operatorLabel: "attacker" });
        expect([res.status, res.body.code]).to.deep.equal([401, "session.required"]);
        // The redeemed code, used through the CLI's machinery, is refused the same way.
        const thief = PasskeyOperator.open({ gateway: gateway.url, origin: ORIGIN, rpId: RP_ID }, path.join(operatorsDir, `thief-${institution}.key`));
        const err = await thief.enrol(institution, "attacker", { code: codes[institution] }).then(
          () => undefined,
          (e: Error & { code?: string; status?: number }) => e,
        );
        expect([err?.status, err?.code]).to.deep.equal([401, "session.required"]);
      }
    });
  });

  describe("governance's key (keys.json)", () => {
    it("proposes a recovery that cannot complete before its delay and that the institution's operator vetoes", async () => {
      const governance = new Wallet(loot.find((l) => l.source === "keys.json governanceKey")!.wallet.privateKey, provider);
      const { qx, qy } = SoftwareAuthenticator.generate().publicKey;
      const attackerKey = passkeyKey(qx, qy);
      await (await operators.connect(governance).proposeRecovery(ROLES.BANK, id("attacker"), attackerKey)).wait();
      const recovery = await operators.pendingRecovery(ROLES.BANK);
      expect(recovery.effectiveAt - BigInt((await provider.getBlock("latest"))!.timestamp)).to.be.greaterThan(6n * 24n * 3600n);
      for (const { wallet } of loot) {
        expect(await refusal(operators.connect(wallet.connect(provider)).completeRecovery.staticCall(ROLES.BANK))).to.equal("OperatorCredentialsRecoveryNotDue");
      }
      // The bank's operator sees RecoveryProposed on chain and vetoes it with the passkey.
      const salt = hexlify(randomBytes(32));
      const step = recoveryVetoStep(recovery.recoveryId, attackerKey, salt);
      const digest = stepDigest(operatorDomain(BigInt(gateway.chainId), await operators.getAddress()), step);
      const signature = encodePasskeySignature(toWebAuthnAuth(bank.passkey.assert({ challenge: Buffer.from(digest.slice(2), "hex"), origin: ORIGIN })));
      await (await operators.connect(relayer).vetoRecovery(ROLES.BANK, salt, NO_DEADLINE, { credentialId: BANK_CREDENTIAL, signature })).wait();
      expect(await refusal(operators.connect(governance).completeRecovery.staticCall(ROLES.BANK))).to.equal("OperatorCredentialsNoRecovery");
      expect(await operators.activeCredentials(ROLES.BANK)).to.deep.equal([BANK_CREDENTIAL]);
    });
  });

  describe("positive control: the same calls signed by the right operator's passkey", () => {
    it("the bank's passkey freezes the card directly on chain, relayed by the relayer key; the credit center approves the pending card", async () => {
      const action = registry.interface.encodeFunctionData("freezeCard", [cardId]);
      const salt = hexlify(randomBytes(32));
      const step: OperatorStep = { kind: StepKind.Act, subject: 0n, actionHash: keccak256(action), salt, notAfter: NO_DEADLINE };
      const digest = stepDigest(operatorDomain(BigInt(gateway.chainId), await registry.getAddress()), step);
      const assertion = bank.passkey.assert({ challenge: Buffer.from(digest.slice(2), "hex"), origin: ORIGIN });
      const signature = encodePasskeySignature(toWebAuthnAuth(assertion));
      await (await IDualControl__factory.connect(await registry.getAddress(), relayer).act(action, { credentialId: BigInt(bank.identity!.credentialId), salt, notAfter: NO_DEADLINE, signature })).wait();
      expect((await registry.card(cardId)).status).to.equal(2n);

      const approve = { kind: StepKind.Approve, subject: pendingId, actionHash: keccak256(pendingAction), salt: hexlify(randomBytes(32)), notAfter: NO_DEADLINE };
      const ccDigest = stepDigest(operatorDomain(BigInt(gateway.chainId), await registry.getAddress()), approve);
      const ccSignature = encodePasskeySignature(toWebAuthnAuth(creditCenter.passkey.assert({ challenge: Buffer.from(ccDigest.slice(2), "hex"), origin: ORIGIN })));
      // Relayed by another key found (any key relays; the signature is the authority).
      const gatewayKey = new Wallet(loot.find((l) => l.source === "keys.json gatewayKey")!.wallet.privateKey, provider);
      await (
        await IDualControl__factory.connect(await registry.getAddress(), gatewayKey).approveProposal(pendingId, pendingAction, {
          credentialId: BigInt(creditCenter.identity!.credentialId),
          salt: approve.salt,
          notAfter: NO_DEADLINE,
          signature: ccSignature,
        })
      ).wait();
      expect((await registry.proposal(pendingId)).state).to.equal(2n);
    });
  });

  describe("anvil's test methods on the gateway's socket", () => {
    it("impersonating every address the deployment knows gives nothing: the calls are refused as the keys' own", async () => {
      const rpc = provider;
      const addresses = [...loot.map((l) => l.wallet.address), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"];
      const before = await chainState();
      for (const address of addresses) {
        await rpc.send("anvil_impersonateAccount", [address]);
        const signer = await rpc.getSigner(address);
        expect(await refusal(registry.connect(signer).issueCard.staticCall(id("impersonated"), 0, address, id("commitment")))).to.equal("DualControlOnlySelf");
        expect(await refusal(registry.connect(signer).freezeCard.staticCall(cardId))).to.equal("DualControlOnlySelf");
        await rpc.send("anvil_stopImpersonatingAccount", [address]);
      }
      expect(await chainState()).to.equal(before);
    });

    it("storage writes answer on the socket: the embedded node is the host's (the embedded default's stated limit)", async () => {
      // Written back unchanged: the point is that the method answers the gateway's OS user.
      const slot = AbiCoder.defaultAbiCoder().encode(["uint256"], [0]);
      const value = await provider.getStorage(await operators.getAddress(), 0);
      expect(await provider.send("anvil_setStorageAt", [await operators.getAddress(), slot, value])).to.equal(true);
    });
  });
});
