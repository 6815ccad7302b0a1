/**
 * The operator API against a real gateway: the passkey-session guard on every secured route,
 * dual control (card issuance, replacement, corrections), personal data kept encrypted and
 * erasable, merchants, terminals, agreements, the credit-point rule, card status, the emergency
 * pause, and the reads operators use (cards, history, merchants, proposals). Every decision goes
 * the one way there is: the endpoint drafts it, the operator's passkey signs it, POST
 * /v1/decisions relays it.
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { Wallet } from "ethers";
import request from "supertest";
import { eventOf, issueCardJointly, type Institution } from "../../src/sdk/operator-client";
import { settlementPoints } from "../../src/domain/points";
import {
  DEFAULT_AGREEMENT,
  decide as decideIn,
  decided as decidedIn,
  operatorRequest,
  type Method,
  domainAgreement,
  expectProblem,
  issueConsumer,
  keyFor,
  openMerchant,
  readCard,
  startGatewayFixture,
  waitForFinal,
  type Consumer,
  type GatewayFixture,
  type Merchant,
} from "./helpers/gateway-fixture";

const OPERATORS: readonly Institution[] = ["bank", "credit_center"];
const BANK: readonly Institution[] = ["bank"];
const ALL_INSTITUTIONS: readonly Institution[] = OPERATORS;

const SOME_CARD = "0x" + "ab".repeat(32);
const ZERO_ORDER = "0x" + "00".repeat(32);
const SOME_TERMINAL = "0x" + "12".repeat(20);

/** Every secured route, as documented (OpenAPI template) and with sample parameters, and whose operators may call it. */
const SECURED_ROUTES: { method: Method; template: string; path: string; roles: readonly Institution[] }[] = [
  { method: "post", template: "/v1/cards", path: "/v1/cards", roles: OPERATORS },
  { method: "post", template: "/v1/cards/{cardId}/replacement", path: `/v1/cards/${SOME_CARD}/replacement`, roles: OPERATORS },
  { method: "post", template: "/v1/cards/{cardId}/status", path: `/v1/cards/${SOME_CARD}/status`, roles: BANK },
  { method: "delete", template: "/v1/cards/{cardId}/identity", path: `/v1/cards/${SOME_CARD}/identity`, roles: OPERATORS },
  { method: "post", template: "/v1/cards/{cardId}/corrections", path: `/v1/cards/${SOME_CARD}/corrections`, roles: OPERATORS },
  { method: "get", template: "/v1/proposals/{target}", path: "/v1/proposals/registry", roles: OPERATORS },
  { method: "get", template: "/v1/proposals/{target}/{id}", path: "/v1/proposals/registry/1", roles: OPERATORS },
  { method: "post", template: "/v1/proposals/{target}/{id}/approval", path: "/v1/proposals/registry/1/approval", roles: OPERATORS },
  { method: "post", template: "/v1/proposals/{target}/{id}/cancellation", path: "/v1/proposals/registry/1/cancellation", roles: OPERATORS },
  { method: "post", template: "/v1/merchants", path: "/v1/merchants", roles: BANK },
  { method: "put", template: "/v1/merchants/{merchantId}/active", path: "/v1/merchants/1/active", roles: BANK },
  { method: "put", template: "/v1/merchants/{merchantId}/agreement", path: "/v1/merchants/1/agreement", roles: BANK },
  { method: "post", template: "/v1/terminals", path: "/v1/terminals", roles: BANK },
  { method: "put", template: "/v1/terminals/{terminal}/enabled", path: `/v1/terminals/${SOME_TERMINAL}/enabled`, roles: BANK },
  { method: "put", template: "/v1/credit-point-rule", path: "/v1/credit-point-rule", roles: BANK },
  { method: "put", template: "/v1/ledger/paused", path: "/v1/ledger/paused", roles: BANK },
  { method: "get", template: "/v1/cards/{cardId}", path: `/v1/cards/${SOME_CARD}`, roles: OPERATORS },
  { method: "get", template: "/v1/cards/{cardId}/history", path: `/v1/cards/${SOME_CARD}/history`, roles: OPERATORS },
  { method: "get", template: "/v1/merchants/{merchantId}", path: "/v1/merchants/1", roles: OPERATORS },
  { method: "get", template: "/v1/cards", path: "/v1/cards", roles: OPERATORS },
  { method: "get", template: "/v1/merchants", path: "/v1/merchants", roles: OPERATORS },
  { method: "get", template: "/v1/merchants/{merchantId}/terminals", path: "/v1/merchants/1/terminals", roles: OPERATORS },
  { method: "get", template: "/v1/ledger", path: "/v1/ledger", roles: OPERATORS },
  { method: "get", template: "/v1/gateways", path: "/v1/gateways", roles: OPERATORS },
  { method: "get", template: "/v1/credit/cards/{cardId}", path: `/v1/credit/cards/${SOME_CARD}`, roles: OPERATORS },
  { method: "get", template: "/v1/credit/scores", path: "/v1/credit/scores", roles: OPERATORS },
  { method: "get", template: "/v1/credit/policy", path: "/v1/credit/policy", roles: OPERATORS },
  { method: "put", template: "/v1/credit/policy/{kind}", path: "/v1/credit/policy/consumer", roles: OPERATORS },
  { method: "post", template: "/v1/credit/cards/{cardId}/proposals", path: `/v1/credit/cards/${SOME_CARD}/proposals`, roles: OPERATORS },
  { method: "post", template: "/v1/credit/cards/{cardId}/freeze", path: `/v1/credit/cards/${SOME_CARD}/freeze`, roles: OPERATORS },
  { method: "post", template: "/v1/credit/cards/{cardId}/freeze/confirmation", path: `/v1/credit/cards/${SOME_CARD}/freeze/confirmation`, roles: OPERATORS },
  { method: "post", template: "/v1/decisions/drafts", path: "/v1/decisions/drafts", roles: OPERATORS },
  { method: "post", template: "/v1/decisions", path: "/v1/decisions", roles: OPERATORS },
  { method: "get", template: "/v1/operator-session", path: "/v1/operator-session", roles: OPERATORS },
  { method: "get", template: "/v1/operators", path: "/v1/operators", roles: OPERATORS },
  { method: "post", template: "/v1/operators/{credentialId}/removal", path: "/v1/operators/1/removal", roles: OPERATORS },
  { method: "get", template: "/v1/operators/removals/{draftId}", path: "/v1/operators/removals/x", roles: OPERATORS },
  { method: "post", template: "/v1/operators/removals/{draftId}/signatures", path: "/v1/operators/removals/x/signatures", roles: OPERATORS },
];

const GROCERIES = [{ description: "Rice 5kg", quantity: 2, unitPrice: "4590" }];

interface HistoryEntry {
  movement: "earned" | "reversed_refund" | "reversed_correction" | "redeemed";
  block: number;
  txHash: string;
  merchantId: number;
  orderId: string;
  points: string;
  amount?: string;
  agreementVersion?: number;
  reasonCode?: number;
}

interface ProposalView {
  target: string;
  id: string;
  state: "pending" | "executed" | "cancelled";
  proposer: string;
  proposerInstitution: Institution | null;
  call: { function: string; args: Record<string, unknown> } | null;
}

describe("gateway API: operators", function () {
  let f: GatewayFixture;
  let store: Merchant;
  let orders = 0;

  const as = (institution: Institution | undefined, method: Method, path: string, body?: object) => operatorRequest(f, institution, method, path, body);
  const decide = (institution: Institution, method: Method, path: string, body?: object) => decideIn(f, institution, method, path, body);
  const decided = (institution: Institution, method: Method, path: string, body?: object) => decidedIn(f, institution, method, path, body);

  /** A proposal as GET /v1/proposals/:target/:id shows it. */
  const proposalOf = async (target: string, id: string) => (await as("bank", "get", `/v1/proposals/${target}/${id}`).expect(200)).body as ProposalView;

  /** A consumer card that earned points at the store; returns the points. */
  const earn = async (card: Consumer): Promise<bigint> => (await earnOrder(card)).points;

  /** A consumer card that earned points at the store on one order; returns the points and the order's ID. */
  const earnOrder = async (card: Consumer): Promise<{ points: bigint; orderId: string }> => {
    const slip = store.terminal.slip({ orderNumber: `O-${++orders}`, cardId: card.cardId, currency: "CNY", category: 0, lines: GROCERIES });
    const status = await waitForFinal(f, (await store.terminal.settle(slip, card.signer)).id);
    expect(status.status, String(status.reason)).to.equal("confirmed");
    return { points: BigInt(status.points!), orderId: status.orderId! };
  };

  /** `institution` proposes issuing a card: its ID, the proposal's and the identity commitment. */
  const propose = async (institution: Institution, label: string) => {
    const { draft, result } = await decided(institution, "post", "/v1/cards", {
      kind: "consumer",
      key: keyFor(`proposed:${label}`).address,
      holder: { name: `Holder ${label}`, nationalId: `ID-${label}` },
    });
    return { cardId: draft.summary.args.cardId, proposalId: result.proposalId!, commitment: draft.summary.args.identityCommitment };
  };

  before(async function () {
    f = await startGatewayFixture();
    store = await openMerchant(f, "store");
  });

  after(async function () {
    await f?.stop();
  });

  describe("removed password sign-in", function () {
    it("has no POST /v1/auth/login any more: 404 route.not_found", async function () {
      const res = await request(f.url).post("/v1/auth/login").send({ username: "bank", password: "anything" }).expect(404);
      expectProblem(res.body, 404, "route.not_found");
    });

    it("treats a bearer token as no session: 401 session.required", async function () {
      const res = await request(f.url).get("/v1/proposals/registry").set("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x").expect(401);
      expectProblem(res.body, 401, "session.required");
    });
  });

  describe("the session guard", function () {
    it("covers every secured route of the OpenAPI document", async function () {
      const doc = (await request(f.url).get("/openapi.json").expect(200)).body as {
        paths: Record<string, Record<string, { security?: unknown[] }>>;
      };
      const secured = Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => op.security !== undefined)
          .map(([method]) => `${method} ${p}`),
      );
      expect(secured.sort()).to.deep.equal(SECURED_ROUTES.map((r) => `${r.method} ${r.template}`).sort());
    });

    it("refuses a session cookie that the gateway did not issue with 401 session.ended", async function () {
      const res = await request(f.url).get("/v1/proposals/registry").set("cookie", `credence_operator=${"A".repeat(43)}`).expect(401);
      expectProblem(res.body, 401, "session.ended");
    });

    for (const route of SECURED_ROUTES) {
      describe(`${route.method.toUpperCase()} ${route.template}`, function () {
        it("refuses a request without a session with 401 session.required", async function () {
          const res = await as(undefined, route.method, route.path, {}).expect(401);
          expectProblem(res.body, 401, "session.required");
        });

        for (const institution of ALL_INSTITUTIONS.filter((r) => !route.roles.includes(r))) {
          it(`refuses an operator of the ${institution} with 403 session.wrong_institution`, async function () {
            const res = await as(institution, route.method, route.path, {}).expect(403);
            expectProblem(res.body, 403, "session.wrong_institution");
          });
        }
      });
    }
  });

  describe("card issuance under dual control", function () {
    it("drafts a card's proposal for the operator to sign, and issues it only when the credit center approves", async function () {
      const key = keyFor("issued-by-bank").address;
      const { draft, result } = await decided("bank", "post", "/v1/cards", { kind: "consumer", key, holder: { name: "Li Wei", nationalId: "110101199003071234" } });
      expect(draft).to.deep.include({ kind: "propose", target: "registry" });
      expect(draft.summary.function).to.equal("issueCard");
      const { cardId, identityCommitment: commitment } = draft.summary.args;
      const proposalId = result.proposalId!;
      expect(cardId).to.match(/^0x[0-9a-f]{64}$/);
      expectProblem((await as("bank", "get", `/v1/cards/${cardId}`).expect(404)).body, 404, "card.not_found");
      const pending = (await as("credit_center", "get", `/v1/proposals/registry/${proposalId}`).expect(200)).body as ProposalView;
      expect(pending).to.deep.include({ target: "registry", id: proposalId, state: "pending" });
      expect(pending.call).to.deep.equal({ function: "issueCard", args: { cardId, kind: "0", key, identityCommitment: commitment } });

      const approved = await decided("credit_center", "post", `/v1/proposals/registry/${proposalId}/approval`);
      expect(approved.draft).to.deep.include({ kind: "approve", subject: proposalId });
      expect(approved.result.executed).to.equal(true);
      expect(await proposalOf("registry", proposalId)).to.deep.include({ id: proposalId, state: "executed" });
      expect(await readCard(f, cardId)).to.deep.include({ cardId, kind: "consumer", status: "active", key, replacedBy: null, merchantId: null });
      expect(await f.chain.registry.identityCommitmentOf(cardId)).to.equal(commitment);
    });

    it("issues a card proposed by the credit center when the bank approves", async function () {
      const { cardId, proposalId } = await propose("credit_center", "by-credit-center");
      await decided("bank", "post", `/v1/proposals/registry/${proposalId}/approval`);
      expect((await readCard(f, cardId)).status).to.equal("active");
    });

    it("refuses an approval signed by the proposer's own institution with 422 proposal.approver_not_counterpart", async function () {
      const { cardId, proposalId } = await propose("bank", "self-approved");
      const { res } = await decide("bank", "post", `/v1/proposals/registry/${proposalId}/approval`);
      expectProblem(res.body, 422, "proposal.approver_not_counterpart");
      expect((await as("bank", "get", `/v1/proposals/registry/${proposalId}`).expect(200)).body.state).to.equal("pending");
      await as("bank", "get", `/v1/cards/${cardId}`).expect(404);
    });

    it("names the refused proposal and the approver's credential in the detail of a contract refusal", async function () {
      const { proposalId } = await propose("bank", "self-approved-detail");
      const { res } = await decide("bank", "post", `/v1/proposals/registry/${proposalId}/approval`);
      expect(res.status).to.equal(422);
      expect(res.body.detail).to.equal(`DualControlApproverNotCounterpart(${proposalId}, ${f.operators.bank.identity.credentialId})`);
    });

    it("refuses approving a proposal that already ran with 409 proposal.not_pending", async function () {
      const { proposalId } = await propose("bank", "approved-twice");
      await decided("credit_center", "post", `/v1/proposals/registry/${proposalId}/approval`);
      const res = await as("credit_center", "post", `/v1/proposals/registry/${proposalId}/approval`).expect(409);
      expectProblem(res.body, 409, "proposal.not_pending");
    });

    it("drafts a withdrawal for the proposer's institution on cancellation, so it can no longer be approved", async function () {
      const { cardId, proposalId } = await propose("bank", "withdrawn");
      const { draft } = await decided("bank", "post", `/v1/proposals/registry/${proposalId}/cancellation`);
      expect(draft.kind).to.equal("withdraw");
      expect(await proposalOf("registry", proposalId)).to.deep.include({ id: proposalId, state: "cancelled" });
      await as("credit_center", "post", `/v1/proposals/registry/${proposalId}/approval`).expect(409);
      await as("bank", "get", `/v1/cards/${cardId}`).expect(404);
    });

    it("answers 404 proposal.not_found for a proposal that does not exist", async function () {
      const res = await as("bank", "get", "/v1/proposals/ledger/999999").expect(404);
      expectProblem(res.body, 404, "proposal.not_found");
    });

    it("lists registry proposals newest first with their decoded calls", async function () {
      const { proposalId } = await propose("bank", "listed");
      const res = await as("credit_center", "get", "/v1/proposals/registry").expect(200);
      const proposals = res.body.proposals as ProposalView[];
      expect(proposals[0]).to.deep.include({ id: proposalId, state: "pending" });
      expect(proposals[0].call?.function).to.equal("issueCard");
      const ids = proposals.map((p) => Number(p.id));
      expect(ids).to.deep.equal([...ids].sort((a, b) => b - a));
      expect(ids.length).to.equal(Math.min(50, Number(proposalId)));
    });
  });

  describe("personal data", function () {
    const holder = { name: "Zhang Xiaoming", nationalId: "440301198812120011" };

    it("stores the holder's identity encrypted: the row holds neither the name nor the national ID", async function () {
      const { draft } = await decided("bank", "post", "/v1/cards", { kind: "consumer", key: keyFor("encrypted").address, holder });
      const [row] = await f.gateway.db.query<{ ciphertext: Buffer; salt: Buffer; commitment: string; erased_at: Date | null }>(
        "select ciphertext, salt, commitment, erased_at from identities where card_id = $1",
        [draft.summary.args.cardId],
      );
      expect(row.ciphertext).to.be.instanceOf(Buffer);
      expect(row.ciphertext.length).to.be.greaterThan(holder.name.length + holder.nationalId.length);
      for (const secret of [holder.name, holder.nationalId]) {
        expect(row.ciphertext.includes(Buffer.from(secret, "utf8"))).to.equal(false);
        expect(JSON.stringify(row)).not.to.contain(secret);
      }
      expect(row).to.deep.include({ commitment: draft.summary.args.identityCommitment, erased_at: null });
    });

    it("erases the identity stored for a card whose issuance proposal the other institution rejects", async function () {
      const { draft, result } = await decided("bank", "post", "/v1/cards", { kind: "consumer", key: keyFor("never-issued").address, holder: { ...holder, nationalId: "440301198812120012" } });
      const rejected = await decided("credit_center", "post", `/v1/proposals/registry/${result.proposalId}/cancellation`);
      expect(rejected.draft.kind).to.equal("reject");
      const [row] = await f.gateway.db.query<{ ciphertext: Buffer | null; salt: Buffer | null; erased_at: Date | null }>(
        "select ciphertext, salt, erased_at from identities where card_id = $1",
        [draft.summary.args.cardId],
      );
      expect(row).to.deep.include({ ciphertext: null, salt: null });
      expect(row.erased_at).to.be.instanceOf(Date);
    });

    it("erases the identity only once the other institution approves its erasure, then answers 404 identity.not_found", async function () {
      const cardId = await issueCardJointly(f.operators.bank, f.operators.creditCenter, { kind: "consumer", key: keyFor("erased").address, holder: { ...holder, nationalId: "440301198812120013" } });
      const identityRow = async () =>
        (
          await f.gateway.db.query<{ ciphertext: Buffer | null; salt: Buffer | null; erased_at: Date | null }>(
            "select ciphertext, salt, erased_at from identities where card_id = $1",
            [cardId],
          )
        )[0];
      const proposed = await decided("credit_center", "delete", `/v1/cards/${cardId}/identity`);
      const proposalId = proposed.result.proposalId!;
      expect((await identityRow()).erased_at, "erased before approval").to.equal(null);
      const own = await decide("credit_center", "post", `/v1/proposals/registry/${proposalId}/approval`);
      expectProblem(own.res.body, 422, "proposal.approver_not_counterpart");
      expect((await identityRow()).erased_at, "erased by one institution").to.equal(null);

      await decided("bank", "post", `/v1/proposals/registry/${proposalId}/approval`);
      expect(await proposalOf("registry", proposalId)).to.deep.include({ state: "executed", call: { function: "recordIdentityErasure", args: { cardId } } });
      const row = await identityRow();
      expect(row).to.deep.include({ ciphertext: null, salt: null });
      expect(row.erased_at).to.be.instanceOf(Date);
      const events = await f.chain.registry.queryFilter(f.chain.registry.filters.IdentityErasureApproved(cardId));
      expect(events).to.have.length(1);
      expectProblem((await as("bank", "delete", `/v1/cards/${cardId}/identity`).expect(404)).body, 404, "identity.not_found");
    });
  });

  describe("one active consumer card per person", function () {
    /** `institution`'s issuance proposal for a consumer with this national ID, as it is answered. */
    const proposeFor = (institution: Institution, label: string, nationalId: string) =>
      decide(institution, "post", "/v1/cards", { kind: "consumer", key: keyFor(`person:${label}`).address, holder: { name: `Holder ${label}`, nationalId } });

    it("refuses a second issuance proposal while the first is pending with 409 card.holder_has_card", async function () {
      await decided("bank", "post", "/v1/cards", { kind: "consumer", key: keyFor("person:first").address, holder: { name: "Wu Gang", nationalId: "370102199001010011" } });
      const { res } = await proposeFor("credit_center", "second", "370102 19900101 0011");
      expectProblem(res.body, 409, "card.holder_has_card");
      expect(res.body.detail).to.contain("pending");
    });

    it("refuses an issuance for a holder whose card is active, and whose replacement card is active", async function () {
      const nationalId = "370102199001010022";
      const cardId = await issueCardJointly(f.operators.bank, f.operators.creditCenter, { kind: "consumer", key: keyFor("person:active").address, holder: { name: "Ma Li", nationalId } });
      expectProblem((await proposeFor("bank", "again", nationalId)).res.body, 409, "card.holder_has_card");
      const replaced = await decided("credit_center", "post", `/v1/cards/${cardId}/replacement`, { newKey: keyFor("person:replaced").address });
      await decided("bank", "post", `/v1/proposals/registry/${replaced.result.proposalId}/approval`);
      expectProblem((await proposeFor("bank", "after-replacement", nationalId)).res.body, 409, "card.holder_has_card");
    });

    it("allows a new issuance once the holder's card is closed", async function () {
      const nationalId = "370102199001010033";
      const cardId = await issueCardJointly(f.operators.bank, f.operators.creditCenter, { kind: "consumer", key: keyFor("person:closed").address, holder: { name: "He Jun", nationalId } });
      await decided("bank", "post", `/v1/cards/${cardId}/status`, { action: "close" });
      const { res } = await proposeFor("bank", "after-close", nationalId);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    });

    it("allows a new issuance once the pending one was rejected", async function () {
      const nationalId = "370102199001010044";
      const first = await decided("bank", "post", "/v1/cards", { kind: "consumer", key: keyFor("person:rejected").address, holder: { name: "Lin Tao", nationalId } });
      await decided("credit_center", "post", `/v1/proposals/registry/${first.result.proposalId}/cancellation`);
      const { res } = await proposeFor("bank", "after-rejection", nationalId);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    });

    it("keeps a keyed hash of the national ID beside the record, not the ID, and erases it with the record", async function () {
      const nationalId = "370102199001010055";
      const cardId = await issueCardJointly(f.operators.bank, f.operators.creditCenter, { kind: "consumer", key: keyFor("person:hashed").address, holder: { name: "Qian Yu", nationalId } });
      const personKey = async () => (await f.gateway.db.query<{ person_key: string | null }>("select person_key from identities where card_id = $1", [cardId]))[0].person_key;
      const key = await personKey();
      expect(key).to.match(/^[0-9a-f]{64}$/);
      expect(key).not.to.contain(nationalId);
      expect(key).not.to.equal(createHash("sha256").update(nationalId).digest("hex"));
      const proposed = await decided("bank", "delete", `/v1/cards/${cardId}/identity`);
      await decided("credit_center", "post", `/v1/proposals/registry/${proposed.result.proposalId}/approval`);
      expect(await personKey()).to.equal(null);
    });

    it("does not count merchant cards: a merchant's card and its owner's consumer card coexist", async function () {
      const nationalId = "370102199001010066";
      await decided("bank", "post", "/v1/cards", { kind: "merchant", key: keyFor("person:merchant").address, holder: { name: "Shop of Fu", nationalId } });
      const { res } = await proposeFor("bank", "owner", nationalId);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
    });
  });

  describe("merchants, terminals and agreements", function () {
    it("registers a merchant bound to its merchant card and shows it", async function () {
      const cardId = await issueCardJointly(f.operators.bank, f.operators.creditCenter, {
        kind: "merchant",
        key: keyFor("tea-house").address,
        holder: { name: "Tea House", nationalId: "LIC-1" },
      });
      const { result } = await decided("bank", "post", "/v1/merchants", { cardId });
      const merchantId = Number(eventOf(result, "MerchantRegistered").merchantId);
      expect(merchantId).to.be.a("number").and.greaterThan(store.merchantId);
      const view = await as("credit_center", "get", `/v1/merchants/${merchantId}`).expect(200);
      expect(view.body).to.deep.include({ merchantId, cardId, active: true, agreementVersion: 0, agreement: null });
      expect(view.body.stats).to.deep.include({ pointsGranted: "0", creditPoints: "0", consumersServed: 0 });
      expect((await readCard(f, cardId)).merchantId).to.equal(merchantId);
    });

    it("refuses to register a merchant on a consumer card with 422 contract.MerchantCardNotEligible", async function () {
      const card = await issueConsumer(f, "not-a-merchant");
      const { res } = await decide("bank", "post", "/v1/merchants", { cardId: card.cardId });
      expectProblem(res.body, 422, "contract.MerchantCardNotEligible");
    });

    it("answers 404 merchant.unknown for a merchant that does not exist", async function () {
      expectProblem((await as("bank", "get", "/v1/merchants/999999").expect(404)).body, 404, "merchant.unknown");
    });

    it("suspends and resumes a merchant", async function () {
      const m = await openMerchant(f, "seasonal");
      await decided("bank", "put", `/v1/merchants/${m.merchantId}/active`, { active: false });
      expect((await as("bank", "get", `/v1/merchants/${m.merchantId}`).expect(200)).body.active).to.equal(false);
      await decided("bank", "put", `/v1/merchants/${m.merchantId}/active`, { active: true });
      expect((await as("bank", "get", `/v1/merchants/${m.merchantId}`).expect(200)).body.active).to.equal(true);
    });

    it("numbers agreement versions 1, 2, ... and shows the newest", async function () {
      const m = await openMerchant(f, "versioned");
      const second = { ...DEFAULT_AGREEMENT, baseRateBps: 800, minAmount: "500", categoryMultipliers: [150, ...Array<number>(15).fill(100)] };
      const { result } = await decided("bank", "put", `/v1/merchants/${m.merchantId}/agreement`, second);
      expect(eventOf(result, "AgreementSet").version).to.equal("2");
      const view = await as("bank", "get", `/v1/merchants/${m.merchantId}`).expect(200);
      expect(view.body.agreementVersion).to.equal(2);
      expect(view.body.agreement).to.deep.equal({
        baseRateBps: 800,
        maxPointsPerSettlement: String(DEFAULT_AGREEMENT.maxPointsPerSettlement),
        minAmount: "500",
        validFrom: DEFAULT_AGREEMENT.validFrom,
        validUntil: DEFAULT_AGREEMENT.validUntil,
        currency: "CNY",
        categoryMultipliers: second.categoryMultipliers,
      });
      const third = await decided("bank", "put", `/v1/merchants/${m.merchantId}/agreement`, DEFAULT_AGREEMENT);
      expect(eventOf(third.result, "AgreementSet").version).to.equal("3");
    });

    it("refuses an agreement whose validity ends before it starts with 400 agreement.invalid_validity", async function () {
      const res = await as("bank", "put", `/v1/merchants/${store.merchantId}/agreement`, { ...DEFAULT_AGREEMENT, validFrom: 2_000, validUntil: 1_000 }).expect(400);
      expectProblem(res.body, 400, "agreement.invalid_validity");
    });

    it("refuses a category multiplier above 1,000 (10x) with 400 request.invalid", async function () {
      const multipliers = [100, 1_001, ...Array<number>(14).fill(100)];
      const res = await as("bank", "put", `/v1/merchants/${store.merchantId}/agreement`, { ...DEFAULT_AGREEMENT, baseRateBps: 1, categoryMultipliers: multipliers }).expect(400);
      expectProblem(res.body, 400, "request.invalid");
    });

    it("refuses an agreement whose category rate passes 100,000 bps with 400 agreement.rate_above_maximum", async function () {
      const multipliers = [100, 201, ...Array<number>(14).fill(100)];
      const res = await as("bank", "put", `/v1/merchants/${store.merchantId}/agreement`, { ...DEFAULT_AGREEMENT, baseRateBps: 50_000, categoryMultipliers: multipliers }).expect(400);
      expectProblem(res.body, 400, "agreement.rate_above_maximum");
    });

    it("registers a terminal and disables it", async function () {
      const terminal = Wallet.createRandom().address;
      const { draft } = await decided("bank", "post", "/v1/terminals", { terminal, merchantId: store.merchantId });
      expect(draft.summary).to.deep.equal({ function: "registerTerminal", args: { terminalKey: terminal, merchantId: String(store.merchantId) } });
      expect(await f.chain.registry.terminal(terminal)).to.deep.equal([BigInt(store.merchantId), true]);
      await decided("bank", "put", `/v1/terminals/${terminal}/enabled`, { enabled: false });
      expect(await f.chain.registry.terminal(terminal)).to.deep.equal([BigInt(store.merchantId), false]);
    });

    it("refuses to register a terminal key twice with 422 contract.TerminalAlreadyRegistered", async function () {
      const { res } = await decide("bank", "post", "/v1/terminals", { terminal: store.terminalKey.address, merchantId: store.merchantId });
      expectProblem(res.body, 422, "contract.TerminalAlreadyRegistered");
    });

    it("sets a new version of the credit-point rule on each change", async function () {
      const versionOf = async (rateBps: number) => Number(eventOf((await decided("bank", "put", "/v1/credit-point-rule", { rateBps })).result, "CreditPointRuleSet").version);
      const first = await versionOf(1_500);
      const second = await versionOf(2_000);
      expect(second).to.equal(first + 1);
      expect(await f.chain.registry.creditPointRule()).to.deep.equal([BigInt(second), 2_000n]);
    });

    it("refuses a credit-point rate above 100 % with 400 request.invalid", async function () {
      expectProblem((await as("bank", "put", "/v1/credit-point-rule", { rateBps: 10_001 }).expect(400)).body, 400, "request.invalid");
    });
  });

  describe("card status", function () {
    it("freezes, unfreezes and closes a card", async function () {
      const card = await issueConsumer(f, "status");
      for (const [action, status] of [
        ["freeze", "frozen"],
        ["unfreeze", "active"],
        ["close", "closed"],
      ] as const) {
        await decided("bank", "post", `/v1/cards/${card.cardId}/status`, { action });
        expect((await readCard(f, card.cardId)).status).to.equal(status);
      }
    });

    it("refuses to unfreeze an active card with 422 contract.CardStatusForbids", async function () {
      const card = await issueConsumer(f, "not-frozen");
      const { res } = await decide("bank", "post", `/v1/cards/${card.cardId}/status`, { action: "unfreeze" });
      expectProblem(res.body, 422, "contract.CardStatusForbids");
    });

    it("answers 404 card.not_found for a card that does not exist", async function () {
      expectProblem((await as("bank", "post", `/v1/cards/${SOME_CARD}/status`, { action: "freeze" }).expect(404)).body, 404, "card.not_found");
    });
  });

  describe("replacement and corrections under dual control", function () {
    it("replaces a lost card when the other role approves: the new card keeps the balance", async function () {
      const card = await issueConsumer(f, "lost");
      const points = await earn(card);
      const newKey = keyFor("replacement").address;
      const proposed = await decided("credit_center", "post", `/v1/cards/${card.cardId}/replacement`, { newKey });
      const { newCardId } = proposed.draft.summary.args;
      expect((await readCard(f, card.cardId)).status).to.equal("active");
      await decided("bank", "post", `/v1/proposals/registry/${proposed.result.proposalId}/approval`);

      const replacement = await readCard(f, newCardId);
      const old = await readCard(f, card.cardId);
      expect(replacement).to.deep.include({ status: "active", key: newKey, account: old.account });
      expect(replacement.points).to.deep.include({ balance: points.toString(), earned: points.toString() });
      expect(old).to.deep.include({ status: "closed", replacedBy: newCardId });
    });

    it("shows the account's earlier cards' movements in a replacement card's history", async function () {
      const card = await issueConsumer(f, "replaced-history");
      const points = await earn(card);
      const proposed = await decided("bank", "post", `/v1/cards/${card.cardId}/replacement`, { newKey: keyFor("replaced-history-new").address });
      const { newCardId } = proposed.draft.summary.args;
      await decided("credit_center", "post", `/v1/proposals/registry/${proposed.result.proposalId}/approval`);

      for (const asked of [newCardId, card.cardId]) {
        const history = await as("credit_center", "get", `/v1/cards/${asked}/history`).expect(200);
        expect(history.body.entries.map((e: HistoryEntry & { cardId: string }) => [e.movement, e.points, e.cardId])).to.deep.equal([["earned", points.toString(), card.cardId.toLowerCase()]]);
      }
    });

    it("answers 404 card.not_found to a replacement of a card that does not exist", async function () {
      const res = await as("bank", "post", `/v1/cards/${SOME_CARD}/replacement`, { newKey: keyFor("nobody").address }).expect(404);
      expectProblem(res.body, 404, "card.not_found");
    });

    it("voids points when the other role approves a correction", async function () {
      const card = await issueConsumer(f, "corrected");
      const { points, orderId } = await earnOrder(card);
      expect(points).to.equal(settlementPoints(9_180n, domainAgreement(store.agreement), 0));
      const proposed = await decided("bank", "post", `/v1/cards/${card.cardId}/corrections`, {
        merchantId: store.merchantId,
        points: "10",
        creditPoints: "0",
        reasonCode: 7,
        orderId,
      });
      const proposalId = proposed.result.proposalId!;
      expect(proposed.result).to.deep.include({ target: "ledger" });
      const pending = (await as("credit_center", "get", `/v1/proposals/ledger/${proposalId}`).expect(200)).body as ProposalView;
      expect(pending).to.deep.include({ target: "ledger", id: proposalId, proposerInstitution: "bank" });
      expect(pending.call?.function).to.equal("voidPoints");
      expect(pending.call?.args).to.deep.include({ cardId: card.cardId, merchantId: String(store.merchantId), points: "10", creditPoints: "0", reasonCode: "7" });
      expect(proposed.draft.summary.args.orderId).to.equal(orderId);
      await decided("credit_center", "post", `/v1/proposals/ledger/${proposalId}/approval`);

      expect((await readCard(f, card.cardId)).points).to.deep.include({ balance: (points - 10n).toString(), reversed: "10" });
    });

    it("shows a correction in the card's history as soon as it is approved", async function () {
      const card = await issueConsumer(f, "corrected-history");
      const { points, orderId } = await earnOrder(card);
      const proposed = await decided("bank", "post", `/v1/cards/${card.cardId}/corrections`, {
        merchantId: store.merchantId,
        points: "10",
        creditPoints: "0",
        reasonCode: 7,
        orderId,
      });
      await decided("credit_center", "post", `/v1/proposals/ledger/${proposed.result.proposalId}/approval`);
      const history = await as("credit_center", "get", `/v1/cards/${card.cardId}/history`).expect(200);
      expect(history.body.entries.map((e: HistoryEntry) => [e.movement, e.points])).to.deep.equal([
        ["reversed_correction", "-10"],
        ["earned", points.toString()],
      ]);
      expect(history.body.entries[0]).to.deep.include({ merchantId: store.merchantId, orderId, reasonCode: 7, reason: "other" });
    });

    it("takes only the documented correction reason codes, which GET /v1/info names", async function () {
      const info = (await request(f.url).get("/v1/info").expect(200)).body as { correctionReasons: { code: number; name: string; description: string }[] };
      expect(info.correctionReasons.map((r) => [r.code, r.name])).to.deep.equal([
        [1, "duplicate_settlement"],
        [2, "wrong_terms"],
        [3, "fraud"],
        [4, "refund_outside_terminal"],
        [5, "merchant_request"],
        [6, "dispute_upheld"],
        [7, "other"],
      ]);
      const card = await issueConsumer(f, "unknown-reason");
      for (const reasonCode of [0, 8, 999]) {
        const res = await as("bank", "post", `/v1/cards/${card.cardId}/corrections`, { merchantId: store.merchantId, points: "1", creditPoints: "0", reasonCode, orderId: "0x" + "2d".repeat(32) }).expect(400);
        expectProblem(res.body, 400, "request.invalid");
      }
      const drafted = await as("bank", "post", "/v1/decisions/drafts", {
        kind: "propose",
        target: "ledger",
        function: "voidPoints",
        args: { cardId: card.cardId, merchantId: store.merchantId, points: "1", creditPoints: "0", reasonCode: 8, orderId: "0x" + "2d".repeat(32) },
      }).expect(400);
      expectProblem(drafted.body, 400, "decision.invalid_args");
    });

    it("fails the approval with 422 proposal.action_failed when corrections approved since leave too few points", async function () {
      const card = await issueConsumer(f, "twice-corrected");
      const points = await earn(card);
      const correction = { merchantId: store.merchantId, points: points.toString(), creditPoints: "0", reasonCode: 1, orderId: ZERO_ORDER };
      const first = await decided("bank", "post", `/v1/cards/${card.cardId}/corrections`, correction);
      const second = await decided("bank", "post", `/v1/cards/${card.cardId}/corrections`, correction);
      await decided("credit_center", "post", `/v1/proposals/ledger/${first.result.proposalId}/approval`);
      const { res } = await decide("credit_center", "post", `/v1/proposals/ledger/${second.result.proposalId}/approval`);
      expectProblem(res.body, 422, "proposal.action_failed");
      expect(res.body.detail).to.match(/: LedgerCorrectionInvalid\(\)$/);
      expect((await readCard(f, card.cardId)).points.balance).to.equal("0");
    });

    it("refuses an act the contract would refuse when it is drafted: unpausing a running ledger, 422 contract.ExpectedPause", async function () {
      const { res, draft } = await decide("bank", "put", "/v1/ledger/paused", { paused: false });
      expect(draft).to.equal(undefined);
      expectProblem(res.body, 422, "contract.ExpectedPause");
    });

    it("answers 422 correction.invalid at draft time to a correction voiding more points than the card holds there", async function () {
      const card = await issueConsumer(f, "over-corrected");
      const points = await earn(card);
      const res = await as("bank", "post", `/v1/cards/${card.cardId}/corrections`, {
        merchantId: store.merchantId,
        points: (points + 1n).toString(),
        creditPoints: "0",
        reasonCode: 1,
        orderId: ZERO_ORDER,
      });
      expectProblem(res.body, 422, "correction.invalid");
      expect((await readCard(f, card.cardId)).points.balance).to.equal(points.toString());
    });

    describe("when the correction names an order", function () {
      /** A card that earned on two orders at the store: its holding there is more than either. */
      const twoOrders = async (label: string) => {
        const card = await issueConsumer(f, label);
        const first = await earnOrder(card);
        await earnOrder(card);
        return { card, ...first };
      };
      const correction = (orderId: string, points: bigint) => ({ merchantId: store.merchantId, points: points.toString(), creditPoints: "0", reasonCode: 7, orderId });

      it("answers 422 correction.exceeds_order at draft time once earlier corrections of the order used it up", async function () {
        const { card, points, orderId } = await twoOrders("order-bound");
        const first = await decided("bank", "post", `/v1/cards/${card.cardId}/corrections`, correction(orderId, points - 3n));
        await decided("credit_center", "post", `/v1/proposals/ledger/${first.result.proposalId}/approval`);
        const res = await as("bank", "post", `/v1/cards/${card.cardId}/corrections`, correction(orderId, 4n));
        expectProblem(res.body, 422, "correction.exceeds_order");
        expect(res.body.detail).to.contain("3 points");
        await decided("bank", "post", `/v1/cards/${card.cardId}/corrections`, correction(orderId, 3n));
      });

      it("answers 422 correction.exceeds_order at draft time for more than the order earned", async function () {
        const { card, points, orderId } = await twoOrders("order-bound-once");
        const res = await as("bank", "post", `/v1/cards/${card.cardId}/corrections`, correction(orderId, points + 1n));
        expectProblem(res.body, 422, "correction.exceeds_order");
      });

      it("answers 422 correction.order_unknown for an order the store never settled", async function () {
        const card = await issueConsumer(f, "order-unknown");
        await earn(card);
        const res = await as("bank", "post", `/v1/cards/${card.cardId}/corrections`, correction("0x" + "0d".repeat(32), 1n));
        expectProblem(res.body, 422, "correction.order_unknown");
      });
    });
  });

  describe("GET /v1/cards/:cardId/history", function () {
    it("lists a card's points movements newest first: earned, reversed by a refund, redeemed", async function () {
      const card = await issueConsumer(f, "history");
      const orderNumber = `O-${++orders}`;
      const slip = store.terminal.slip({ orderNumber, cardId: card.cardId, currency: "CNY", category: 0, lines: GROCERIES });
      const settled = await waitForFinal(f, (await store.terminal.settle(slip, card.signer)).id);
      const refunded = await waitForFinal(f, (await store.terminal.refund(settled, 918n)).id);
      const redeemed = await waitForFinal(f, (await store.terminal.redeem(card.cardId, 100n, `R-${orders}`, card.signer)).id);
      expect([settled.status, refunded.status, redeemed.status]).to.deep.equal(["confirmed", "confirmed", "confirmed"]);

      const res = await as("credit_center", "get", `/v1/cards/${card.cardId}/history`).expect(200);
      const entries = res.body.entries as HistoryEntry[];
      expect(entries.map((e) => [e.movement, e.points, e.txHash])).to.deep.equal([
        ["redeemed", "-100", redeemed.txHash],
        ["reversed_refund", "-45", refunded.txHash],
        ["earned", settled.points, settled.txHash],
      ]);
      expect(entries[2]).to.deep.include({ merchantId: store.merchantId, amount: "9180", agreementVersion: 1, block: settled.blockNumber });
      expect(entries[1]).to.deep.include({ amount: "918" });
      expect(res.body).to.deep.include({ cardId: card.cardId, nextBefore: null });
    });
  });

  describe("emergency pause", function () {
    it("keeps settlements queued while the ledger is paused and confirms them after it resumes", async function () {
      const card = await issueConsumer(f, "paused");
      await decided("bank", "put", "/v1/ledger/paused", { paused: true });
      try {
        expect(await f.chain.ledger.paused()).to.equal(true);
        const slip = store.terminal.slip({ orderNumber: `O-${++orders}`, cardId: card.cardId, currency: "CNY", category: 0, lines: GROCERIES });
        const accepted = await store.terminal.settle(slip, card.signer);
        expect(accepted.duplicate).to.equal(false);
        // The submitter tries, the ledger refuses the whole batch, the settlement goes back to the queue.
        const deadline = Date.now() + 15_000;
        let status = await store.terminal.status(accepted.id);
        while (status.reason !== "ledger.paused" && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          status = await store.terminal.status(accepted.id);
        }
        expect(status).to.deep.include({ status: "queued", reason: "ledger.paused", points: null });
        expect((await readCard(f, card.cardId)).points.balance).to.equal("0");

        await decided("bank", "put", "/v1/ledger/paused", { paused: false });
        const final = await waitForFinal(f, accepted.id);
        expect(final).to.deep.include({ status: "confirmed", reason: null });
        expect((await readCard(f, card.cardId)).points.balance).to.equal(final.points);
      } finally {
        if (await f.chain.ledger.paused()) await decided("bank", "put", "/v1/ledger/paused", { paused: false });
      }
    });
  });
});
