/**
 * Operators without gateway-held keys (ADR 0001, phases 4 and 5, server side), against a real
 * gateway over a real node started with FIRST_OPERATORS=enrolment-codes: first start's one-time
 * codes, enrolment by code and by operators, passkey sign-in and its sessions, and decisions
 * drafted by the gateway, signed by operators' passkeys and relayed by the role-less relayer.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet, hexlify, randomBytes } from "ethers";
import { passkeyFor } from "../helpers/operators";
import { expectProblem } from "./helpers/gateway-fixture";
import {
  ORIGIN,
  RP_ID,
  assertion,
  codeSignature,
  del,
  draftEnrolment,
  enrolByCode,
  get,
  post,
  signIn,
  startPasskeyGateway,
  type EnrolledOperator,
  type PasskeyGateway,
} from "./helpers/passkey-gateway";

import { PasskeyOperator } from "../../scripts/lib/passkey-operator";
import { enrolmentCodeAddress } from "../../src/auth/enrolment-codes";
import { ROLES } from "../../src/chain/roles";
import { FIRST_OPERATOR_IDS } from "../../src/chain/deploy";
import { encodePasskeySignature, operatorDomain, passkeyKey, removalStep, stepDigest } from "../../src/domain/operator-steps";
import { toWebAuthnAuth } from "../../src/domain/webauthn";

describe("operators with passkeys (enrolment codes at first start)", function () {
  this.timeout(180_000);

  describe("first start", () => {
    let g: PasskeyGateway;
    before(async () => {
      g = await startPasskeyGateway();
    });
    after(async () => g?.stop());

    it("prints one code per institution once, writes them 0600, creates no passwords and puts only the codes' addresses on chain", async () => {
      expect(g.printed).to.contain(g.codes.bank).and.to.contain(g.codes.credit_center);
      expect(g.codes.bank).to.match(/^([0-9a-f]{4}-){7}[0-9a-f]{4}$/);
      expect(fs.statSync(g.gateway.enrolmentCodesFile).mode & 0o777).to.equal(0o600);
      expect(fs.existsSync(path.join(g.dataDir, "operators.json"))).to.equal(false);
      expect(await g.chain.operators!.enrolmentCode(ROLES.BANK)).to.equal(enrolmentCodeAddress(g.codes.bank));
      expect(await g.chain.operators!.enrolmentCode(ROLES.CREDIT_CENTER)).to.equal(enrolmentCodeAddress(g.codes.credit_center));
      expect(await g.chain.operators!.credentialCount()).to.equal(0n);
      const status = await get(g, "/v1/enrolment").expect(200);
      expect(status.body).to.deep.equal({ institutions: { bank: { credentials: 0, codeOpen: true }, credit_center: { credentials: 0, codeOpen: true } } });
    });

    it("enrols the first operator by code once, refusing a redemption for another key and a second redemption", async () => {
      const intended = await draftEnrolment(g, "bank", "first bank operator", passkeyFor("first-start:bank"));
      const other = await draftEnrolment(g, "bank", "intruder", passkeyFor("first-start:intruder"));
      // The code's signature binds the key it was made for: relayed for another key it is refused.
      const misused = await post(g, `/v1/enrolment/drafts/${other.draftId}/signatures`, { signature: codeSignature(g.codes.bank, intended.digest) });
      expectProblem(misused.body, 422, "enrolment.wrong_code");
      const done = await post(g, `/v1/enrolment/drafts/${intended.draftId}/signatures`, { signature: codeSignature(g.codes.bank, intended.digest) }).expect(200);
      expect(done.body).to.deep.equal({ status: "enrolled", credentialId: "1" });
      const again = await post(g, `/v1/enrolment/drafts/${other.draftId}/signatures`, { signature: codeSignature(g.codes.bank, other.digest) });
      expectProblem(again.body, 409, "enrolment.no_code");
      const status = await get(g, "/v1/enrolment").expect(200);
      expect(status.body.institutions.bank).to.deep.equal({ credentials: 1, codeOpen: false });
    });
  });

  describe("first credentials handed over as public keys", () => {
    let g: PasskeyGateway;
    const passkey = passkeyFor("handed-over:bank");
    before(async () => {
      g = await startPasskeyGateway({
        FIRST_OPERATORS: "public-keys",
        BANK_FIRST_CREDENTIAL: `${passkey.publicKey.qx},${passkey.publicKey.qy}`,
        CREDIT_CENTER_FIRST_CREDENTIAL: Wallet.createRandom().address,
      });
    });
    after(async () => g?.stop());

    it("registers them at deployment, prints no code, and the bank's passkey signs in", async () => {
      expect(g.printed).to.equal("");
      expect(fs.existsSync(g.gateway.enrolmentCodesFile)).to.equal(false);
      const status = await get(g, "/v1/enrolment").expect(200);
      expect(status.body).to.deep.equal({ institutions: { bank: { credentials: 1, codeOpen: false }, credit_center: { credentials: 1, codeOpen: false } } });
      const bank: EnrolledOperator = { institution: "bank", passkey, credentialId: "1", operatorId: FIRST_OPERATOR_IDS.bank };
      const me = await get(g, "/v1/operator-session", await signIn(g, bank)).expect(200);
      expect(me.body).to.deep.include({ credentialId: "1", institution: "bank", kind: "passkey" });
    });

    it("limits failed sign-ins per client: the eleventh failure in the window answers 429", async () => {
      const stranger: EnrolledOperator = { institution: "bank", passkey: passkeyFor("stranger"), credentialId: "1", operatorId: FIRST_OPERATOR_IDS.bank };
      const attempt = async () => {
        const options = await post(g, "/v1/operator-session/options", {}).expect(200);
        return post(g, "/v1/operator-session", { challengeId: options.body.challengeId, response: assertion(stranger, options.body.publicKey.challenge) });
      };
      for (let i = 0; i < 10; i++) expectProblem((await attempt()).body, 401, "session.assertion_refused");
      expectProblem((await attempt()).body, 429, "session.rate_limited");
    });
  });

  describe("the operator command line", () => {
    let g: PasskeyGateway;
    let dir: string;
    before(async () => {
      g = await startPasskeyGateway();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-operator-cli-"));
    });
    after(async () => {
      await g?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("enrols by code and by a sponsor, keeps the key 0600, proposes and lists through npm run operator", async () => {
      const options = { gateway: g.url, origin: ORIGIN, rpId: RP_ID };
      const first = PasskeyOperator.open(options, path.join(dir, "credit-1.key"));
      expect(await first.enrol("credit_center", "credit cli 1", { code: g.codes.credit_center })).to.include({ institution: "credit_center", credentialId: "1" });
      expect(fs.statSync(path.join(dir, "credit-1.key")).mode & 0o777).to.equal(0o600);
      const second = PasskeyOperator.open(options, path.join(dir, "credit-2.key"));
      expect(await second.enrol("credit_center", "credit cli 2", { sponsor: first })).to.include({ credentialId: "2" });

      // Asynchronously: the gateway answering the command runs in this process.
      const cli = async (...args: string[]) =>
        (
          await promisify(execFile)(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/operator.ts", ...args, "--key", path.join(dir, "credit-2.key"), "--gateway", g.url], {
            encoding: "utf8",
          })
        ).stdout;
      const args = JSON.stringify({ kind: "consumer", key: Wallet.createRandom().address, holder: { name: "Holder Cli", nationalId: "ID-CLI" } });
      const proposed = JSON.parse(await cli("propose", "--target", "registry", "--function", "issueCard", "--args", args)) as { result: { proposalId: string } };
      expect(proposed.result.proposalId).to.equal("1");
      const listed = JSON.parse(await cli("list", "--target", "registry")) as { proposals: { id: string; proposerCredential: string }[] };
      expect(listed.proposals).to.have.length(1);
      expect(listed.proposals[0]).to.include({ id: "1", proposerCredential: "2" });
    });
  });

  describe("with one enrolled operator per institution", () => {
    let g: PasskeyGateway;
    let bank: EnrolledOperator;
    let creditCenter: EnrolledOperator;
    before(async () => {
      g = await startPasskeyGateway();
      bank = await enrolByCode(g, "bank", "bank operator 1", passkeyFor("bank-1"));
      creditCenter = await enrolByCode(g, "credit_center", "credit operator 1", passkeyFor("credit-1"));
    });
    after(async () => g?.stop());

    /** Draft a decision as `operator`, sign it with their passkey and relay it. */
    async function decide(operator: EnrolledOperator, cookie: string, body: object) {
      const draft = await post(g, "/v1/decisions/drafts", body, cookie).expect(200);
      const submission = { draftId: draft.body.draftId as string, credentialId: operator.credentialId, assertion: assertion(operator, draft.body.challenge as string) };
      return { draft: draft.body, submission, res: await post(g, "/v1/decisions", submission, cookie) };
    }

    describe("sign-in", () => {
      it("signs in with a passkey and shows the operator", async () => {
        const cookie = await signIn(g, bank);
        const me = await get(g, "/v1/operator-session", cookie).expect(200);
        expect(me.body).to.deep.equal({ credentialId: bank.credentialId, institution: "bank", operatorId: bank.operatorId, kind: "passkey" });
        const list = await get(g, "/v1/operators", cookie).expect(200);
        expect(list.body.operators).to.deep.include({ credentialId: bank.credentialId, operatorId: bank.operatorId, kind: "passkey", status: "active" });
        expect(list.body.operators.map((o: { credentialId: string }) => o.credentialId)).to.not.include(creditCenter.credentialId);
      });

      it("refuses an assertion over another challenge, and a used challenge", async () => {
        const options = await post(g, "/v1/operator-session/options", {}).expect(200);
        const wrong = assertion(bank, Buffer.from(randomBytes(32)).toString("base64url"));
        const res = await post(g, "/v1/operator-session", { challengeId: options.body.challengeId, response: wrong });
        expectProblem(res.body, 401, "session.assertion_refused");
        const reused = await post(g, "/v1/operator-session", { challengeId: options.body.challengeId, response: assertion(bank, options.body.publicKey.challenge) });
        expectProblem(reused.body, 401, "session.challenge_unknown");
      });

      it("refuses an assertion without user verification", async () => {
        const options = await post(g, "/v1/operator-session/options", {}).expect(200);
        const res = await post(g, "/v1/operator-session", {
          challengeId: options.body.challengeId,
          response: assertion(bank, options.body.publicKey.challenge, { userVerified: false }),
        });
        expectProblem(res.body, 401, "session.assertion_refused");
      });

      it("ends the session at sign-out", async () => {
        const cookie = await signIn(g, creditCenter);
        await del(g, "/v1/operator-session", cookie).expect(204);
        expectProblem((await get(g, "/v1/operator-session", cookie)).body, 401, "session.ended");
      });

      it("refuses a state-changing request with the session cookie from another origin", async () => {
        const cookie = await signIn(g, bank);
        const res = await post(g, "/v1/decisions/drafts", { kind: "withdraw", target: "registry", proposalId: "1" }, cookie).set("origin", "https://elsewhere.example");
        expectProblem(res.body, 403, "session.origin_mismatch");
      });
    });

    describe("enrolment by operators", () => {
      it("refuses enrolment across institutions: options for the other institution, and the other institution's signature", async () => {
        const bankCookie = await signIn(g, bank);
        const options = await post(g, "/v1/enrolment/options", { institution: "credit_center", operatorLabel: "sneaky" }, bankCookie);
        expectProblem(options.body, 403, "enrolment.wrong_institution");
        const creditCookie = await signIn(g, creditCenter);
        const draft = await draftEnrolment(g, "credit_center", "credit operator 2", passkeyFor("credit-2"), creditCookie);
        expect(draft).to.deep.include({ method: "operators", signaturesNeeded: 1 });
        const res = await post(g, `/v1/enrolment/drafts/${draft.draftId}/signatures`, { credentialId: bank.credentialId, assertion: assertion(bank, draft.challenge) });
        expectProblem(res.body, 422, "operator_step.wrong_institution");
      });

      it("ends a credential's sessions at once when it is removed on chain, and refuses its sign-in", async () => {
        const bankCookie = await signIn(g, bank);
        const passkey = passkeyFor("bank-2");
        const draft = await draftEnrolment(g, "bank", "bank operator 2", passkey, bankCookie);
        const enrolled = await post(g, `/v1/enrolment/drafts/${draft.draftId}/signatures`, { credentialId: bank.credentialId, assertion: assertion(bank, draft.challenge) }).expect(200);
        const second: EnrolledOperator = { institution: "bank", passkey, credentialId: enrolled.body.credentialId, operatorId: draft.operatorId };
        const cookie = await signIn(g, second);
        await get(g, "/v1/operator-session", cookie).expect(200);

        // The operator retires the passkey: a Remove step signed by itself, relayed by anyone.
        const operators = g.chain.operators!.connect(g.funded);
        const step = removalStep(BigInt(second.credentialId), passkeyKey(passkey.publicKey.qx, passkey.publicKey.qy), hexlify(randomBytes(32)));
        const digest = stepDigest(operatorDomain(g.chain.chainId, await operators.getAddress()), step);
        const signature = encodePasskeySignature(toWebAuthnAuth(passkey.assert({ challenge: Buffer.from(digest.slice(2), "hex"), origin: ORIGIN })));
        await (await operators.remove(BigInt(second.credentialId), step.salt, step.notAfter, [{ credentialId: BigInt(second.credentialId), signature }])).wait();

        expectProblem((await get(g, "/v1/operator-session", cookie)).body, 401, "session.ended");
        const options = await post(g, "/v1/operator-session/options", {}).expect(200);
        const res = await post(g, "/v1/operator-session", { challengeId: options.body.challengeId, response: assertion(second, options.body.publicKey.challenge) });
        expectProblem(res.body, 401, "session.assertion_refused");
      });
    });

    describe("decisions", () => {
      it("issues a card proposed by a bank passkey and approved by a credit-center passkey, refusing the replayed signature", async () => {
        const bankCookie = await signIn(g, bank);
        const cardKey = Wallet.createRandom().address;
        const proposed = await decide(bank, bankCookie, {
          kind: "propose",
          target: "registry",
          function: "issueCard",
          args: { kind: "consumer", key: cardKey, holder: { name: "Holder Passkey", nationalId: "ID-PASSKEY" } },
        });
        expect(proposed.res.status, JSON.stringify(proposed.res.body)).to.equal(200);
        expect(proposed.draft.summary.function).to.equal("issueCard");
        expect(JSON.stringify(proposed.draft.summary)).to.not.contain("Holder Passkey").and.not.contain("ID-PASSKEY");
        const proposalId = proposed.res.body.proposalId as string;
        expect(proposed.res.body).to.include({ executed: false });

        const shown = await get(g, `/v1/proposals/registry/${proposalId}`, bankCookie).expect(200);
        expect(shown.body).to.deep.include({ proposerCredential: bank.credentialId, proposerInstitution: "bank", state: "pending" });
        expect(shown.body.summary.args.key).to.equal(cardKey);
        expect(Date.parse(shown.body.deadline)).to.be.greaterThan(Date.parse(shown.body.proposedAt));

        const creditCookie = await signIn(g, creditCenter);
        const approved = await decide(creditCenter, creditCookie, { kind: "approve", target: "registry", proposalId });
        expect(approved.res.status, JSON.stringify(approved.res.body)).to.equal(200);
        expect(approved.res.body).to.include({ executed: true });
        const card = await g.chain.registry.card(proposed.draft.summary.args.cardId as string);
        expect(card.key).to.equal(cardKey);

        const replayed = await post(g, "/v1/decisions", proposed.submission, bankCookie);
        expectProblem(replayed.body, 409, "operator_step.already_used");
      });

      it("refuses an approval signed by the proposer's own institution with its problem code", async () => {
        const bankCookie = await signIn(g, bank);
        const proposed = await decide(bank, bankCookie, {
          kind: "propose",
          target: "registry",
          function: "issueCard",
          args: { kind: "consumer", key: Wallet.createRandom().address, holder: { name: "Holder Two", nationalId: "ID-TWO" } },
        });
        expect(proposed.res.status).to.equal(200);
        const approved = await decide(bank, bankCookie, { kind: "approve", target: "registry", proposalId: proposed.res.body.proposalId });
        expectProblem(approved.res.body, 422, "proposal.approver_not_counterpart");
      });

      it("runs a bank act signed by a bank passkey, and refuses it signed by the credit center", async () => {
        const bankCookie = await signIn(g, bank);
        const acted = await decide(bank, bankCookie, { kind: "act", target: "registry", function: "setCreditPointRule", args: { rateBps: 150 } });
        expect(acted.res.status, JSON.stringify(acted.res.body)).to.equal(200);
        expect(acted.draft.summary).to.deep.equal({ function: "setCreditPointRule", args: { rateBps: "150" } });
        const creditCookie = await signIn(g, creditCenter);
        const refused = await decide(creditCenter, creditCookie, { kind: "act", target: "registry", function: "setCreditPointRule", args: { rateBps: 160 } });
        expectProblem(refused.res.body, 422, "operator_step.wrong_institution");
      });

      it("refuses drafting an act whose function would revert, with the function's own error", async () => {
        const res = await post(g, "/v1/decisions/drafts", { kind: "act", target: "registry", function: "freezeCard", args: { cardId: hexlify(randomBytes(32)) } }, await signIn(g, bank));
        expectProblem(res.body, 422, "contract.CardUnknown");
      });

      it("answers an act whose function reverts when relayed with the function's own error", async () => {
        const cookie = await signIn(g, bank);
        const pause = { kind: "act", target: "ledger", function: "pause", args: {} };
        const first = (await post(g, "/v1/decisions/drafts", pause, cookie).expect(200)).body as { draftId: string; challenge: string };
        const second = await decide(bank, cookie, pause);
        expect(second.res.status, JSON.stringify(second.res.body)).to.equal(200);
        const res = await post(g, "/v1/decisions", { draftId: first.draftId, credentialId: bank.credentialId, assertion: assertion(bank, first.challenge) }, cookie);
        expectProblem(res.body, 422, "contract.EnforcedPause");
        expect((await decide(bank, cookie, { kind: "act", target: "ledger", function: "unpause", args: {} })).res.status).to.equal(200);
      });

      it("requires a session to draft", async () => {
        const res = await post(g, "/v1/decisions/drafts", { kind: "withdraw", target: "registry", proposalId: "1" });
        expectProblem(res.body, 401, "session.required");
      });
    });
  });
});
