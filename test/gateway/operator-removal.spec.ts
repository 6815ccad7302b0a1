/**
 * Removing operator credentials through the gateway (ADR 0001, section 4), against a real gateway
 * over a real node: the gateway drafts the Remove step, operators of the removed credential's
 * institution sign it with their passkeys, the role-less relayer relays it once the contract's
 * quorum is met, and the removed credential's session ends at once.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { PasskeyOperator } from "../../scripts/lib/passkey-operator";
import { passkeyFor } from "../helpers/operators";
import { expectProblem } from "./helpers/gateway-fixture";
import { ORIGIN, RP_ID, assertion, draftEnrolment, enrolByCode, get, post, signIn, startPasskeyGateway, type EnrolledOperator, type PasskeyGateway } from "./helpers/passkey-gateway";
import { CredentialStatus } from "../../src/domain/operator-steps";

interface RemovalDraft {
  draftId: string;
  credentialId: string;
  operatorId: string;
  challenge: string;
  othersNeeded: number;
}

describe("removing operator credentials through the gateway", function () {
  this.timeout(180_000);

  let g: PasskeyGateway;
  let bank1: EnrolledOperator;
  let creditCenter: EnrolledOperator;
  let bankCookie: string;
  let creditCookie: string;
  /** The bank's active operators (one credential each), in enrolment order. */
  let bankActive: EnrolledOperator[] = [];
  let enrolled = 1;

  /** Enrol a further bank operator, signed by as many bank operators as the contract asks (two once there are two). */
  async function enrolBank(): Promise<EnrolledOperator> {
    const label = `bank operator ${++enrolled}`;
    const passkey = passkeyFor(`removal-${label}`);
    const draft = await draftEnrolment(g, "bank", label, passkey, bankCookie);
    let res;
    for (const sponsor of bankActive.slice(0, bankActive.length >= 2 ? 2 : 1)) {
      res = await post(g, `/v1/enrolment/drafts/${draft.draftId}/signatures`, { credentialId: sponsor.credentialId, assertion: assertion(sponsor, draft.challenge) }).expect(200);
    }
    expect(res!.body).to.have.property("status", "enrolled");
    const operator: EnrolledOperator = { institution: "bank", passkey, credentialId: res!.body.credentialId as string, operatorId: draft.operatorId };
    bankActive.push(operator);
    return operator;
  }

  const removed = (operator: EnrolledOperator) => {
    bankActive = bankActive.filter((o) => o !== operator);
  };
  const draftRemoval = (cookie: string, credentialId: string) => post(g, `/v1/operators/${credentialId}/removal`, {}, cookie);
  const sign = (cookie: string, draft: RemovalDraft, signer: EnrolledOperator, challenge = draft.challenge) =>
    post(g, `/v1/operators/removals/${draft.draftId}/signatures`, { credentialId: signer.credentialId, assertion: assertion(signer, challenge) }, cookie);
  const statusOf = async (credentialId: string) => Number((await g.chain.operators!.credential(BigInt(credentialId))).status);

  before(async () => {
    g = await startPasskeyGateway();
    bank1 = await enrolByCode(g, "bank", "bank operator 1", passkeyFor("removal-bank-1"));
    creditCenter = await enrolByCode(g, "credit_center", "credit operator 1", passkeyFor("removal-credit-1"));
    bankActive = [bank1];
    bankCookie = await signIn(g, bank1);
    creditCookie = await signIn(g, creditCenter);
  });
  after(async () => g?.stop());

  it("refuses to remove an institution's last credential with 409 removal.last_credential", async () => {
    expectProblem((await draftRemoval(bankCookie, bank1.credentialId)).body, 409, "removal.last_credential");
    expect(await statusOf(bank1.credentialId)).to.equal(CredentialStatus.Active);
  });

  it("answers 404 removal.credential_unknown for a credential never enrolled, and for an ID beyond uint64", async () => {
    expectProblem((await draftRemoval(bankCookie, "999")).body, 404, "removal.credential_unknown");
    expectProblem((await draftRemoval(bankCookie, "99999999999999999999")).body, 404, "removal.credential_unknown");
  });

  it("removes a credential signed by the only other operator, ends its session at once, and refuses a second use of the signature", async () => {
    const bank2 = await enrolBank();
    const cookie2 = await signIn(g, bank2);
    await get(g, "/v1/operator-session", cookie2).expect(200);

    const draft = (await draftRemoval(bankCookie, bank2.credentialId).expect(200)).body as RemovalDraft;
    expect(draft).to.deep.include({ credentialId: bank2.credentialId, operatorId: bank2.operatorId, othersNeeded: 1 });
    const res = await sign(bankCookie, draft, bank1).expect(200);
    expect(res.body).to.deep.include({ status: "removed", credentialId: bank2.credentialId });
    removed(bank2);
    expect(await statusOf(bank2.credentialId)).to.equal(CredentialStatus.Removed);

    expectProblem((await get(g, "/v1/operator-session", cookie2)).body, 401, "session.ended");
    expectProblem((await sign(bankCookie, draft, bank1)).body, 409, "removal.credential_not_active");
    const list = (await get(g, "/v1/operators", bankCookie).expect(200)).body as { operators: { credentialId: string; status: string }[] };
    expect(list.operators.find((o) => o.credentialId === bank2.credentialId)).to.have.property("status", "removed");
  });

  it("refuses a signature made for another removal with 422 operator_step.wrong_challenge", async () => {
    const target = await enrolBank();
    const first = (await draftRemoval(bankCookie, target.credentialId).expect(200)).body as RemovalDraft;
    const second = (await draftRemoval(bankCookie, target.credentialId).expect(200)).body as RemovalDraft;
    expectProblem((await sign(bankCookie, second, bank1, first.challenge)).body, 422, "operator_step.wrong_challenge");
    expect(await statusOf(target.credentialId)).to.equal(CredentialStatus.Active);
  });

  it("needs two other operators once the institution has three, or the removed credential's own operator alone", async () => {
    while (bankActive.length < 3) await enrolBank();
    const target = bankActive[bankActive.length - 1];
    const draft = (await draftRemoval(bankCookie, target.credentialId).expect(200)).body as RemovalDraft;
    expect(draft.othersNeeded).to.equal(2);
    expect((await sign(bankCookie, draft, bankActive[0]).expect(200)).body).to.deep.include({ status: "awaiting_signatures" });
    expect(await statusOf(target.credentialId)).to.equal(CredentialStatus.Active);
    const shown = (await get(g, `/v1/operators/removals/${draft.draftId}`, bankCookie).expect(200)).body as RemovalDraft & { signedBy: string[] };
    expect(shown).to.deep.include({ challenge: draft.challenge, signedBy: [bankActive[0].credentialId] });
    expectProblem((await get(g, `/v1/operators/removals/${draft.draftId}`, creditCookie)).body, 404, "removal.draft_unknown");
    expect((await sign(bankCookie, shown, bankActive[1]).expect(200)).body).to.deep.include({ status: "removed" });
    removed(target);
    expect(await statusOf(target.credentialId)).to.equal(CredentialStatus.Removed);

    const retiring = bankActive[bankActive.length - 1];
    const own = (await draftRemoval(bankCookie, retiring.credentialId).expect(200)).body as RemovalDraft;
    expect((await sign(bankCookie, own, retiring).expect(200)).body).to.deep.include({ status: "removed" });
    removed(retiring);
    expect(await statusOf(retiring.credentialId)).to.equal(CredentialStatus.Removed);
  });

  it("refuses another institution's operator: its draft and signature with 403 removal.wrong_institution, its passkey's signature with 422 operator_step.wrong_institution", async () => {
    const target = await enrolBank();
    expectProblem((await draftRemoval(creditCookie, target.credentialId)).body, 403, "removal.wrong_institution");
    const draft = (await draftRemoval(bankCookie, target.credentialId).expect(200)).body as RemovalDraft;
    expectProblem((await sign(creditCookie, draft, creditCenter)).body, 403, "removal.wrong_institution");
    expectProblem((await sign(bankCookie, draft, creditCenter)).body, 422, "operator_step.wrong_institution");
    expect(await statusOf(target.credentialId)).to.equal(CredentialStatus.Active);
  });
  it("removes a credential through npm run operator -- remove, after which its own key is refused", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-operator-removal-"));
    try {
      const options = { gateway: g.url, origin: ORIGIN, rpId: RP_ID };
      const firstKey = path.join(dir, "credit-1.key");
      creditCenter.passkey.save(firstKey);
      const identity = { institution: "credit_center", credentialId: creditCenter.credentialId, operatorId: creditCenter.operatorId };
      fs.writeFileSync(`${firstKey}.operator.json`, JSON.stringify(identity), { mode: 0o600 });
      const secondKey = path.join(dir, "credit-2.key");
      const second = await PasskeyOperator.open(options, secondKey).enrol("credit_center", "credit cli 2", { sponsor: PasskeyOperator.open(options, firstKey) });

      const cli = (key: string, ...args: string[]) =>
        promisify(execFile)(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/operator.ts", "remove", ...args, "--key", key, "--gateway", g.url], { encoding: "utf8" });
      const out = JSON.parse((await cli(firstKey, "--credential", second.credentialId)).stdout) as { status: string; credentialId: string };
      expect(out).to.deep.include({ status: "removed", credentialId: second.credentialId });
      expect(await statusOf(second.credentialId)).to.equal(CredentialStatus.Removed);
      const refused = await cli(secondKey, "--credential", second.credentialId).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(refused?.code).to.equal(1);
      expect(refused?.stderr).to.match(/refused \(401 session\./);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
