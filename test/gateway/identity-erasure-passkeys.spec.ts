/**
 * Erasure decided by operators' passkeys (relayed decisions, ADR 0001 section 10): when the
 * relayed approval runs recordIdentityErasure, the gateway erases the record and destroys the
 * holder's data key at once, as it does for the operator API's approval.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import { passkeyFor } from "../helpers/operators";
import { assertion, enrolByCode, post, signIn, startPasskeyGateway, type EnrolledOperator, type PasskeyGateway } from "./helpers/passkey-gateway";

describe("identity erasure by relayed decisions", function () {
  this.timeout(120_000);
  let g: PasskeyGateway;
  let bank: EnrolledOperator;
  let creditCenter: EnrolledOperator;

  before(async function () {
    g = await startPasskeyGateway();
    bank = await enrolByCode(g, "bank", "bank erasure operator", passkeyFor("erasure-bank"));
    creditCenter = await enrolByCode(g, "credit_center", "credit erasure operator", passkeyFor("erasure-credit"));
  });

  after(async function () {
    await g?.stop();
  });

  async function decide(operator: EnrolledOperator, body: object) {
    const cookie = await signIn(g, operator);
    const draft = await post(g, "/v1/decisions/drafts", body, cookie).expect(200);
    const submission = { draftId: draft.body.draftId as string, credentialId: operator.credentialId, assertion: assertion(operator, draft.body.challenge as string) };
    const res = await post(g, "/v1/decisions", submission, cookie);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return { draft: draft.body as { summary: { args: Record<string, string> } }, result: res.body as { proposalId?: string; executed: boolean } };
  }

  it("erases the record and destroys its data key once the relayed approval runs", async function () {
    const holder = { name: "Liu Yang", nationalId: "220102199507070055" };
    const issued = await decide(bank, { kind: "propose", target: "registry", function: "issueCard", args: { kind: "consumer", key: Wallet.createRandom().address, holder } });
    const cardId = issued.draft.summary.args.cardId;
    await decide(creditCenter, { kind: "approve", target: "registry", proposalId: issued.result.proposalId });
    const keyFile = path.join(g.dataDir, "identity-keys", `${cardId.slice(2).toLowerCase()}.key`);
    expect(fs.existsSync(keyFile)).to.equal(true);

    const proposed = await decide(creditCenter, { kind: "propose", target: "registry", function: "recordIdentityErasure", args: { cardId } });
    expect(fs.existsSync(keyFile), "not before the other institution approves").to.equal(true);
    const approved = await decide(bank, { kind: "approve", target: "registry", proposalId: proposed.result.proposalId });
    expect(approved.result.executed).to.equal(true);

    expect(fs.existsSync(keyFile)).to.equal(false);
    const [row] = await g.gateway.db.query<{ ciphertext: Buffer | null; erased_at: Date | null }>("select ciphertext, erased_at from identities where card_id = $1", [cardId]);
    expect(row.ciphertext).to.equal(null);
    expect(row.erased_at).to.be.instanceOf(Date);
  });
});
