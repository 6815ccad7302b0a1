/**
 * Erasure that really erases, against a real gateway (its anvil, its store: the embedded PGlite
 * and PostgreSQL via TEST_DATABASE_URL, skipped when unreachable unless REQUIRE_POSTGRES=1):
 * - erasure through the current (replacement) card's ID reaches the record stored under the
 *   first card, and the answer names that card;
 * - the sweep erases the identity of an issuance that expired, keeps a pending one, and logs
 *   and counts without personal data;
 * - the forensic test: a copy of the holder's ciphertext taken before erasure (the store's
 *   files or a pg_dump) decrypts with the keys the data directory holds before erasure, and with
 *   none of them after, once the gateway is stopped; no file holds the plaintext.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { Wallet, id } from "ethers";
import { IdentitySweep } from "../../src/api/operations/identity-sweep";
import { IdentityKeyStore } from "../../src/auth/identity-keys";
import { createIdentityVault } from "../../src/auth/identity-vault";
import { KEY_FILE, loadConfig } from "../../src/config";
import { startGateway, type RunningGateway } from "../../src/gateway";
import { LedgerClient } from "../../src/chain/ledger-client";
import { createLogger } from "../../src/http/observability";
import { OperatorClient, issueCardJointly } from "../../src/sdk/operator-client";
import { firstOperators } from "./helpers/gateway-fixture";
import { TestDatabases, decryptWithAny, filesContaining, keysFoundIn, type SealedCopy } from "../helpers/identity-forensics";

const keyFor = (label: string) => new Wallet(id(`credence-identity-erasure-test:${label}`));

for (const engine of ["pglite", "postgres"] as const) {
  describe(`identity erasure through the gateway (${engine})`, function () {
    this.timeout(180_000);
    const databases = new TestDatabases();
    const logLines: Record<string, unknown>[] = [];
    let dataDir: string;
    let databaseUrl: string | undefined;
    let env: Record<string, string> = {};
    let gateway: RunningGateway | undefined;
    let chain: LedgerClient;
    let bank: OperatorClient;
    let creditCenter: OperatorClient;

    before(async function () {
      if (engine === "postgres") {
        databaseUrl = await databases.create();
        if (!databaseUrl) {
          console.warn("      SKIPPED: PostgreSQL is unreachable (TEST_DATABASE_URL); REQUIRE_POSTGRES=1 fails instead");
          this.skip();
        }
        const hex32 = () => `0x${randomBytes(32).toString("hex")}`;
        env = { DATABASE_URL: databaseUrl!, IDENTITY_KEY: hex32(), ID_KEY: hex32() };
      }
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-erasure-"));
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      });
      const config = loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "info", ...env });
      gateway = await startGateway(config, createLogger({ level: "info" }, sink), { print: () => undefined });
      chain = LedgerClient.connect(gateway.rpcEndpoint, gateway.deployment, 0);
      ({ bank, creditCenter } = await firstOperators(gateway.url, dataDir));
    });

    after(async function () {
      chain?.provider.destroy();
      await gateway?.stop();
      await databases.dropAll();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const keyFile = (cardId: string) => path.join(dataDir, "identity-keys", `${cardId.slice(2).toLowerCase()}.key`);
    const rowOf = async (cardId: string) =>
      (await gateway!.db.query<SealedCopy & { erased_at: Date | null }>("select ciphertext, iv, auth_tag, erased_at from identities where card_id = $1", [cardId]))[0];
    const status = async (client: OperatorClient, method: string, route: string) => client.call(method, route).then(() => 200, (e: { status: number }) => e.status);

    it("erases through the replacement card's ID the record stored under the first card, and says so", async function () {
      const holder = { name: "Chen Jing", nationalId: "310101198507150022" };
      const first = await issueCardJointly(bank, creditCenter, { kind: "consumer", key: keyFor("lost").address, holder });
      const replacement = await bank.decide("POST", `/v1/cards/${first}/replacement`, { newKey: keyFor("replacement").address });
      const newCardId = replacement.draft.summary.args.newCardId;
      await creditCenter.decide("POST", `/v1/proposals/registry/${replacement.result.proposalId}/approval`);
      expect(fs.existsSync(keyFile(first))).to.equal(true);

      const proposed = await creditCenter.decide("DELETE", `/v1/cards/${newCardId}/identity`);
      expect(proposed.draft.summary.args.cardId).to.equal(newCardId);
      expect((await rowOf(first)).erased_at, "not before the other institution approves").to.equal(null);
      const approved = await bank.decide("POST", `/v1/proposals/registry/${proposed.result.proposalId}/approval`);
      expect(approved.result.erasedIdentities, "the answer says which record was erased").to.deep.equal([first]);

      expect(await rowOf(first)).to.include({ ciphertext: null });
      expect(fs.existsSync(keyFile(first)), "the data key is destroyed").to.equal(false);
      expect(await status(bank, "DELETE", `/v1/cards/${newCardId}/identity`)).to.equal(404);
      expect(await status(bank, "DELETE", `/v1/cards/${first}/identity`)).to.equal(404);
    });

    it("sweeps the identity of an issuance that expired, keeps a pending one, and logs counts only", async function () {
      const holder = { name: "Zhao Lei", nationalId: "510101199202020033" };
      const issued = await issueCardJointly(bank, creditCenter, { kind: "consumer", key: keyFor("issued").address, holder });
      const lapsedDecision = await bank.decide("POST", "/v1/cards", { kind: "consumer", key: keyFor("lapsed").address, holder: { ...holder, nationalId: "510101199202020034" } });
      const lapsed = { cardId: lapsedDecision.draft.summary.args.cardId, proposalId: lapsedDecision.result.proposalId! };
      expect(await gateway!.identitySweep.run()).to.deep.include({ unissued: 0 });
      expect((await rowOf(lapsed.cardId)).erased_at, "kept while its proposal is pending").to.equal(null);
      const seen = async (cardId: string) =>
        (await gateway!.db.query<{ card_issued: boolean }>("select card_issued from identities where card_id = $1", [cardId]))[0].card_issued;
      expect([await seen(issued), await seen(lapsed.cardId)], "an issued card's record is not read again").to.deep.equal([true, false]);

      // Past the lapsed proposal's deadline by chain time.
      const { deadline } = await chain.registry.proposal(lapsed.proposalId);
      await chain.provider.send("evm_mine", [Number(deadline) + 1]);
      const pending = { cardId: (await bank.decide("POST", "/v1/cards", { kind: "consumer", key: keyFor("pending").address, holder: { ...holder, nationalId: "510101199202020035" } })).draft.summary.args.cardId };

      const result = await gateway!.identitySweep.run();
      expect(result.unissued).to.equal(1);
      expect(result.pending).to.equal(1);
      expect(await rowOf(lapsed.cardId)).to.include({ ciphertext: null });
      expect(fs.existsSync(keyFile(lapsed.cardId))).to.equal(false);
      expect((await rowOf(pending.cardId)).erased_at).to.equal(null);
      expect(fs.existsSync(keyFile(pending.cardId))).to.equal(true);

      const lines = logLines.filter((l) => l.msg === "identity sweep");
      expect(lines.at(-1)).to.include({ unissued: 1, pending: 1, approved: 0, orphanKeys: 0 });
      const logged = JSON.stringify(logLines);
      for (const secret of [holder.name, holder.nationalId, lapsed.cardId.slice(2)]) expect(logged).not.to.contain(secret);
      const metrics = await fetch(`${gateway!.url}/metrics`).then((r) => r.text());
      expect(metrics).to.match(/identity_sweep_erased_total\{reason="unissued"\} 1\b/);
    });

    it("destroys at its next sweep the data key of a record another gateway over the same store erased", async function () {
      const cardId = await issueCardJointly(bank, creditCenter, { kind: "consumer", key: keyFor("elsewhere").address, holder: { name: "Sun Li", nationalId: "4" } });
      // What another gateway's erasure does to the shared store; that gateway holds no key to destroy.
      await gateway!.db.query("update identities set ciphertext = null, iv = null, auth_tag = null, erased_at = now() where card_id = $1", [cardId]);
      expect(fs.existsSync(keyFile(cardId))).to.equal(true);
      expect(await gateway!.identitySweep.run()).to.deep.include({ orphanKeys: 1 });
      expect(fs.existsSync(keyFile(cardId))).to.equal(false);
    });

    it("erases at the sweep a record whose erasure was approved on chain but not applied", async function () {
      const cardId = await issueCardJointly(bank, creditCenter, { kind: "consumer", key: keyFor("unapplied").address, holder: { name: "Gao Min", nationalId: "5" } });
      const stored = await rowOf(cardId);
      const key = fs.readFileSync(keyFile(cardId));
      const { proposalId } = (await bank.decide("DELETE", `/v1/cards/${cardId}/identity`)).result;
      await creditCenter.decide("POST", `/v1/proposals/registry/${proposalId}/approval`);
      // As if the approval had been relayed by something other than this gateway: still stored.
      await gateway!.db.query("update identities set ciphertext = $2, iv = $3, auth_tag = $4, erased_at = null where card_id = $1", [
        cardId,
        stored.ciphertext,
        stored.iv,
        stored.auth_tag,
      ]);
      fs.writeFileSync(keyFile(cardId), key, { mode: 0o600 });
      const kek = env.IDENTITY_KEY ?? (JSON.parse(fs.readFileSync(path.join(dataDir, KEY_FILE), "utf8")) as { identityKey: string }).identityKey;
      const identities = createIdentityVault(gateway!.db, { keys: new IdentityKeyStore({ dir: path.dirname(keyFile(cardId)), kek }) });
      expect(await identities.read(cardId)).to.deep.include({ name: "Gao Min" });

      const fresh = new IdentitySweep({ db: gateway!.db, chain, identities, log: { info: () => undefined, warn: () => undefined } });
      expect((await fresh.run()).approved).to.equal(1);
      expect(await rowOf(cardId)).to.include({ ciphertext: null });
      expect(fs.existsSync(keyFile(cardId))).to.equal(false);
      expect((await fresh.run()).approved, "a later run reads only new blocks").to.equal(0);
    });

    it("leaves no copy of an erased holder's data readable with anything the data directory holds", async function () {
      const holder = { name: "Wang Xiuying", nationalId: "110105196512310047" };
      const cardId = await issueCardJointly(bank, creditCenter, { kind: "consumer", key: keyFor("forensic").address, holder });
      const copy = await rowOf(cardId);
      const extraKeys = Object.values(env).filter((v) => /^0x[0-9a-f]{64}$/.test(v));
      const dumps = fs.mkdtempSync(path.join(os.tmpdir(), "credence-dump-"));
      try {
        // A backup taken before erasure: the store's files (PGlite) or a pg_dump (PostgreSQL).
        if (databaseUrl) {
          fs.writeFileSync(path.join(dumps, "before.sql"), execFileSync("pg_dump", ["--data-only", "--table=identities", databaseUrl]));
        } else {
          await gateway!.db.query("checkpoint");
          fs.cpSync(path.join(dataDir, "db"), path.join(dumps, "db"), { recursive: true });
        }
        const backupHolds = (dir: string) =>
          databaseUrl ? fs.readFileSync(path.join(dir, "before.sql"), "utf8").includes(copy.ciphertext.toString("hex")) : filesContaining([dir], copy.ciphertext).length > 0;
        expect(backupHolds(dumps), "the backup holds the ciphertext").to.equal(true);
        const recovered = decryptWithAny(keysFoundIn([dataDir], extraKeys), cardId, copy);
        expect(recovered, "before erasure the data directory's keys open it").to.contain(holder.nationalId);

        const { proposalId } = (await bank.decide("DELETE", `/v1/cards/${cardId}/identity`)).result;
        await creditCenter.decide("POST", `/v1/proposals/registry/${proposalId}/approval`);
        await gateway!.stop();
        gateway = undefined;

        const everywhere = [dataDir, dumps];
        for (const secret of [holder.name, holder.nationalId]) expect(filesContaining(everywhere, Buffer.from(secret, "utf8")), secret).to.deep.equal([]);
        expect(backupHolds(dumps), "the backup still holds the ciphertext").to.equal(true);
        const keys = keysFoundIn(everywhere, extraKeys);
        expect(keys.length, "keys.json's keys and the other holders' data keys").to.be.greaterThan(3);
        expect(decryptWithAny(keys, cardId, copy), "after erasure").to.equal(undefined);
      } finally {
        fs.rmSync(dumps, { recursive: true, force: true });
      }
    });
  });
}
