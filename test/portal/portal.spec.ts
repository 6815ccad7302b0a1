/**
 * The consumers' and merchants' portal's API (ADR 0006) against a real gateway over a real node:
 * activation codes asked for by a bank passkey session, activation with a password of the policy,
 * sign-in with cookie sessions, reads scoped to the signed-in account, the origin check on every
 * state change, growing delays per account and per client address, reset by a new code, sign-out.
 */
import { expect } from "chai";
import request from "supertest";
import { Wallet, hexlify, randomBytes } from "ethers";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { SoftwareAuthenticator } from "../../src/auth/software-authenticator";
import { expectProblem } from "../gateway/helpers/gateway-fixture";
import {
  cookieOf,
  decide,
  get,
  issueConsumer,
  openMerchant,
  post,
  setConsumerTiers,
  settle,
  startPortalGateway,
  type ConsumerCard,
  type PortalGateway,
  type PortalMerchant,
} from "./helpers/portal-gateway";

const PASSWORD = "correct horse battery";

describe("portal", function () {
  this.timeout(300_000);
  let g: PortalGateway;
  let alice: ConsumerCard;
  let bob: ConsumerCard;
  let shop: PortalMerchant;
  let clients = 0;
  /** A client address of its own for each use (TRUST_PROXY=loopback believes X-Forwarded-For). */
  const client = () => `198.51.100.${++clients}`;

  before(async () => {
    g = await startPortalGateway();
    shop = await openMerchant(g, "Tea House");
    alice = await issueConsumer(g, "Alice");
    bob = await issueConsumer(g, "Bob");
    await settle(shop, alice, "2500");
    await setConsumerTiers(g);
  });
  after(async () => g?.stop());

  const codeFor = async (card: ConsumerCard) => (await post(g, `/v1/cards/${card.cardId}/activation-code`, {}, g.bank.cookie).expect(200)).body as { account: string; code: string; expiresAt: string };
  const activate = (account: string, code: string, password = PASSWORD, from = client()) => post(g, "/v1/portal/activation", { account, code, password }).set("x-forwarded-for", from);
  const signIn = (account: string, password = PASSWORD, from = client()) => post(g, "/v1/portal/session", { account, password }).set("x-forwarded-for", from);
  const activated = async (card: ConsumerCard) => {
    await activate(card.account, (await codeFor(card)).code).expect(200);
    return cookieOf(await signIn(card.account).expect(200), "credence_portal");
  };

  describe("activation codes", () => {
    it("gives the bank a code once, for the card's account, expiring, and stores only its hash", async () => {
      const issued = await codeFor(alice);
      expect(issued.account).to.equal(alice.account);
      expect(issued.code).to.match(/^([0-9a-f]{4}-){7}[0-9a-f]{4}$/);
      const days = (Date.parse(issued.expiresAt) - Date.now()) / 86_400_000;
      expect(days).to.be.within(6.9, 7.01);
      const rows = await g.gateway.db.query("select * from portal_accounts");
      expect(JSON.stringify(rows)).not.to.contain(issued.code).and.not.to.contain(issued.code.replace(/-/g, ""));
    });

    it("refuses a request without a bank session, and one of the credit center", async () => {
      expectProblem((await post(g, `/v1/cards/${alice.cardId}/activation-code`).expect(401)).body, 401, "session.required");
      expectProblem((await post(g, `/v1/cards/${alice.cardId}/activation-code`, {}, g.creditCenter.cookie).expect(403)).body, 403, "auth.forbidden");
    });

    it("refuses a merchant's card and an unknown card, and gives a merchant's code by merchant", async () => {
      expectProblem((await post(g, `/v1/cards/${shop.cardId}/activation-code`, {}, g.bank.cookie).expect(422)).body, 422, "portal.merchant_card");
      expectProblem((await post(g, `/v1/cards/0x${"ab".repeat(32)}/activation-code`, {}, g.bank.cookie).expect(404)).body, 404, "card.not_found");
      const res = await post(g, `/v1/merchants/${shop.merchantId}/activation-code`, {}, g.bank.cookie).expect(200);
      expect(res.body.account).to.equal(`m-${shop.merchantId}`);
    });
  });

  describe("activation", () => {
    it("refuses a short password, a common one and a wrong code, then activates once with the right code", async () => {
      const { code } = await codeFor(bob);
      expectProblem((await activate(bob.account, code, "short").expect(422)).body, 422, "portal.password_too_short");
      expectProblem((await activate(bob.account, code, "Password123").expect(422)).body, 422, "portal.password_common");
      expectProblem((await activate(bob.account, "0000-0000-0000-0000-0000-0000-0000-0000").expect(401)).body, 401, "portal.code_refused");
      expect((await activate(bob.account, code.toUpperCase()).expect(200)).body).to.deep.equal({ account: bob.account });
      expectProblem((await activate(bob.account, code).expect(401)).body, 401, "portal.code_refused");
    });

    it("makes an earlier code useless once a new one is asked for", async () => {
      const first = await codeFor(bob);
      const second = await codeFor(bob);
      expectProblem((await activate(bob.account, first.code).expect(401)).body, 401, "portal.code_refused");
      await activate(bob.account, second.code).expect(200);
    });
  });

  describe("sessions", () => {
    it("signs in with an HttpOnly, SameSite=Strict cookie (not Secure over http) and shows the account", async () => {
      await activate(alice.account, (await codeFor(alice)).code).expect(200);
      const res = await signIn(alice.account).expect(200);
      const set = ((res.headers["set-cookie"] ?? []) as unknown as string[]).find((c) => c.startsWith("credence_portal="))!;
      expect(set).to.match(/; HttpOnly/).and.to.match(/; SameSite=Strict/).and.to.match(/; Path=\//).and.not.to.match(/Secure/);
      expect(res.body).to.deep.equal({ account: alice.account, kind: "consumer", subject: alice.account.slice(2) });
      const session = await get(g, "/v1/portal/session", cookieOf(res, "credence_portal")).expect(200);
      expect(session.body.account).to.equal(alice.account);
    });

    it("refuses a wrong password and an unknown account alike", async () => {
      expectProblem((await signIn(alice.account, "not the password").expect(401)).body, 401, "portal.invalid_credentials");
      expectProblem((await signIn("c-999999", PASSWORD).expect(401)).body, 401, "portal.invalid_credentials");
    });

    it("refuses a sign-in without the public origin, and a state change with the cookie from another origin", async () => {
      const cookie = await activated(alice);
      const noOrigin = await request(g.url).post("/v1/portal/session").send({ account: alice.account, password: PASSWORD });
      expectProblem(noOrigin.body, 403, "session.origin_mismatch");
      const foreign = await request(g.url).delete("/v1/portal/session").set("origin", "https://evil.example").set("cookie", cookie);
      expectProblem(foreign.body, 403, "session.origin_mismatch");
      await get(g, "/v1/portal/session", cookie).expect(200);
    });

    it("answers a forged or malformed cookie as no session, never with a server error", async () => {
      for (const cookie of ["credence_portal=%E0%A4%A", "credence_portal=not-a-session", "credence_portal="]) {
        const res = await get(g, "/v1/portal/session", cookie);
        expect(res.status, cookie).to.equal(401);
        await request(g.url).delete("/v1/portal/session").set("origin", g.origin).set("cookie", cookie).expect(204);
      }
    });

    it("ends the session at sign-out", async () => {
      const cookie = await activated(alice);
      await request(g.url).delete("/v1/portal/session").set("origin", g.origin).set("cookie", cookie).expect(204);
      expectProblem((await get(g, "/v1/portal/session", cookie).expect(401)).body, 401, "portal.session_ended");
    });

    it("ends every session and the old password when a new code is used (the reset)", async () => {
      const cookie = await activated(bob);
      await activate(bob.account, (await codeFor(bob)).code, "a brand new passphrase").expect(200);
      await get(g, "/v1/portal/session", cookie).expect(401);
      await signIn(bob.account).expect(401);
      await signIn(bob.account, "a brand new passphrase").expect(200);
      await activated(bob);
    });
  });

  describe("lockout", () => {
    it("locks an account after its third wrong password, even for the right one, without locking another account", async () => {
      await activated(alice);
      await activated(bob);
      const from = client();
      for (let i = 0; i < 2; i++) await signIn(alice.account, "wrong password", from).expect(401);
      await signIn(alice.account, "wrong password", from).expect(401);
      const locked = await signIn(alice.account, PASSWORD, from).expect(429);
      expectProblem(locked.body, 429, "portal.account_locked");
      expect(Number(locked.headers["retry-after"])).to.be.within(1, 30);
      await signIn(alice.account, PASSWORD, client()).expect(429);
      await signIn(bob.account, PASSWORD, from).expect(200);
    });

    it("slows a client after ten failures across accounts, and no other client", async () => {
      const from = client();
      for (let i = 0; i < 10; i++) await signIn(`c-${900_000 + i}`, "wrong password", from).expect(401);
      const slowed = await signIn(bob.account, PASSWORD, from).expect(429);
      expectProblem(slowed.body, 429, "portal.client_locked");
      expect(Number(slowed.headers["retry-after"])).to.be.within(1, 30);
      await signIn(bob.account, PASSWORD, client()).expect(200);
    });
  });

  describe("reads", () => {
    it("shows a consumer the masked card, the balance the settlement made, the credit score's parts and the history with the merchant's name", async () => {
      await activate(alice.account, (await codeFor(alice)).code, "another long passphrase").expect(200);
      const aliceCookie = cookieOf(await signIn(alice.account, "another long passphrase").expect(200), "credence_portal");
      const n = alice.account.slice(2);
      const view = await get(g, `/v1/portal/accounts/${n}`, aliceCookie).expect(200);
      const balance = (await g.chain.ledger.balanceOf(alice.cardId)).toString();
      expect(balance).to.equal("125");
      expect(view.body.points.balance).to.equal(balance);
      expect(view.body.card).to.deep.equal({ masked: `•••• ${alice.cardId.slice(-4).toUpperCase()}`, status: "active" });
      expect(JSON.stringify(view.body)).not.to.contain(alice.cardId.slice(2, 50));
      expect(view.body.credit.score).to.be.a("number");
      expect(Object.keys(view.body.credit.parts)).to.deep.equal(["volume", "breadth", "tenure", "recency", "use"]);
      expect(view.body.credit.parts.volume).to.be.greaterThan(0);
      expect(view.body.credit.partsMax).to.deep.equal({ volume: 400, breadth: 200, tenure: 200, recency: 100, use: 100 });
      const sum = Object.values(view.body.credit.parts as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(view.body.credit.score, "no reversals: the score is the parts' sum").to.equal(sum);
      expect(view.body.credit).to.deep.include({ points: "125", eligibleLimit: "1000", nextTier: { limit: "5000", minScore: 300, minPoints: "1000" }, grant: null });

      const history = await get(g, `/v1/portal/accounts/${n}/history`, aliceCookie).expect(200);
      expect(history.body.entries).to.have.length(1);
      expect(history.body.entries[0]).to.include({ movement: "earned", merchantId: shop.merchantId, merchantName: "Tea House", points: "125", amount: "2500" });
      expect(history.body.entries[0].time).to.be.within(Math.floor(Date.now() / 1000) - 600, Math.floor(Date.now() / 1000) + 60);
      const earned = await get(g, `/v1/portal/accounts/${n}/history?movement=earned`, aliceCookie).expect(200);
      expect(earned.body.entries.map((e: { movement: string }) => e.movement)).to.deep.equal(["earned"]);
      const redeemed = await get(g, `/v1/portal/accounts/${n}/history?movement=redeemed`, aliceCookie).expect(200);
      expect(redeemed.body.entries).to.deep.equal([]);
      await get(g, `/v1/portal/accounts/${n}/history?movement=stolen`, aliceCookie).expect(400);
    });

    it("shows nothing of anyone else: another account's number, a merchant's page, or no session", async () => {
      const cookie = await activated(bob);
      const alices = alice.account.slice(2);
      for (const url of [`/v1/portal/accounts/${alices}`, `/v1/portal/accounts/${alices}/history`, `/v1/portal/merchants/${shop.merchantId}`, "/v1/portal/accounts/999999"]) {
        const res = await get(g, url, cookie).expect(404);
        expectProblem(res.body, 404, "portal.not_found");
        expect(JSON.stringify(res.body)).not.to.contain("125");
      }
      expectProblem((await get(g, `/v1/portal/accounts/${alices}`).expect(401)).body, 401, "portal.session_required");
    });

    it("shows a merchant its agreement, points granted and credit points, and no consumer's account", async () => {
      const { code } = (await post(g, `/v1/merchants/${shop.merchantId}/activation-code`, {}, g.bank.cookie).expect(200)).body as { code: string };
      await activate(`m-${shop.merchantId}`, code).expect(200);
      const cookie = cookieOf(await signIn(`m-${shop.merchantId}`).expect(200), "credence_portal");
      const view = await get(g, `/v1/portal/merchants/${shop.merchantId}`, cookie).expect(200);
      const stats = await g.chain.ledger.merchantStats(shop.merchantId);
      expect(view.body).to.deep.include({ merchantId: shop.merchantId, name: "Tea House", active: true, agreementVersion: 1 });
      expect(view.body.stats.pointsGranted).to.equal(stats.pointsGranted.toString()).and.to.equal("125");
      expect(view.body.stats.creditPoints).to.equal(stats.creditPoints.toString());
      expect(view.body.agreement).to.include({ baseRateBps: 500, currency: "CNY" });
      expect(Object.keys(view.body.credit.parts)).to.deep.equal(["volume", "reach", "tenure", "recency"]);
      expect(view.body.agreementHistory).to.have.length(1);
      expect(view.body.agreementHistory[0]).to.deep.include({ version: 1, baseRateBps: 500, currency: "CNY" });
      expect(view.body.terminals).to.deep.equal([{ terminal: shop.terminalAddress, enabled: true }]);
      await get(g, `/v1/portal/accounts/${alice.account.slice(2)}`, cookie).expect(404);

      const today = new Date().toISOString().slice(0, 10);
      const days = await get(g, `/v1/portal/merchants/${shop.merchantId}/days`, cookie).expect(200);
      expect(days.body.days).to.have.length(1);
      expect(days.body.days[0]).to.deep.include({ terminal: shop.terminalAddress, settlements: 1, amount: "2500", points: "125", refunds: 0, redemptions: 0 });
      expect(days.body.days[0].day).to.be.oneOf([today, new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)]);
      const csv = await get(g, `/v1/portal/merchants/${shop.merchantId}/days.csv`, cookie).expect(200);
      expect(csv.headers["content-type"]).to.equal("text/csv; charset=utf-8");
      expect(csv.headers["content-disposition"]).to.equal(`attachment; filename="merchant-${shop.merchantId}-days.csv"`);
      const lines = csv.text.trimEnd().split("\r\n");
      expect(lines[0]).to.equal("day,terminal,settlements,amount,points,creditPoints,refunds,refundAmount,pointsReversed,redemptions,pointsRedeemed");
      expect(lines.slice(1)).to.deep.equal([`${days.body.days[0].day},${shop.terminalAddress},1,2500,125,${days.body.days[0].creditPoints},0,0,0,0,0`]);
    });

    it("shows a consumer no merchant's figures, by page or by CSV", async () => {
      const cookie = await activated(bob);
      for (const url of [`/v1/portal/merchants/${shop.merchantId}/days`, `/v1/portal/merchants/${shop.merchantId}/days.csv`]) {
        expectProblem((await get(g, url, cookie).expect(404)).body, 404, "portal.not_found");
      }
    });
  });

  describe("replacement", () => {
    it("follows the points account to a replacement card, with its balance and its predecessor's history", async () => {
      const cookie = await activated(alice);
      const newCardId = hexlify(randomBytes(32));
      const proposed = await decide(g, g.bank, { kind: "propose", target: "registry", function: "replaceCard", args: { oldCardId: alice.cardId, newCardId, newKey: Wallet.createRandom().address } });
      await decide(g, g.creditCenter, { kind: "approve", target: "registry", proposalId: proposed.result.proposalId });
      const n = alice.account.slice(2);
      const view = await get(g, `/v1/portal/accounts/${n}`, cookie).expect(200);
      expect(view.body.card).to.deep.equal({ masked: `•••• ${newCardId.slice(-4).toUpperCase()}`, status: "active" });
      expect(view.body.points.balance).to.equal("125");
      const history = await get(g, `/v1/portal/accounts/${n}/history`, cookie).expect(200);
      expect(history.body.entries.map((e: { merchantName: string; points: string }) => [e.merchantName, e.points])).to.deep.equal([["Tea House", "125"]]);
    });
  });

  describe("passkeys", () => {
    /** Create `passkey` for the account signed in with `cookie`. */
    const addPasskey = async (cookie: string, passkey: SoftwareAuthenticator) => {
      const options = await post(g, "/v1/portal/passkeys/options", {}, cookie).expect(200);
      const response = passkey.registrationResponse({ challenge: options.body.publicKey.challenge as string, origin: g.origin, rpId: "localhost" });
      return post(g, "/v1/portal/passkeys", { challengeId: options.body.challengeId, response }, cookie);
    };
    /** An assertion by `passkey` over a fresh sign-in challenge. */
    const passkeySignIn = async (passkey: SoftwareAuthenticator, account: string) => {
      const options = await post(g, "/v1/portal/passkey-session/options").expect(200);
      const response = passkey.authenticationResponse({ challenge: isoBase64URL.toBuffer(options.body.publicKey.challenge as string), origin: g.origin, rpId: "localhost", userHandle: new TextEncoder().encode(account) });
      const body = { challengeId: options.body.challengeId as string, response };
      return { body, res: await post(g, "/v1/portal/passkey-session", body).set("x-forwarded-for", client()) };
    };

    it("adds a passkey to the signed-in account and signs in with it, once per challenge", async () => {
      const passkey = SoftwareAuthenticator.generate();
      expect((await addPasskey(await activated(bob), passkey)).status).to.equal(200);
      const { body, res } = await passkeySignIn(passkey, bob.account);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.deep.include({ account: bob.account, kind: "consumer" });
      await get(g, `/v1/portal/accounts/${bob.account.slice(2)}`, cookieOf(res, "credence_portal")).expect(200);
      const replayed = await post(g, "/v1/portal/passkey-session", body).set("x-forwarded-for", client());
      expectProblem(replayed.body, 401, "portal.challenge_unknown");
    });

    it("refuses a passkey never added, a passkey added without a session, and one from before a reset", async () => {
      const stranger = SoftwareAuthenticator.generate();
      expectProblem((await passkeySignIn(stranger, bob.account)).res.body, 401, "portal.passkey_refused");
      expectProblem((await post(g, "/v1/portal/passkeys/options").expect(401)).body, 401, "portal.session_required");

      const passkey = SoftwareAuthenticator.generate();
      await addPasskey(await activated(bob), passkey).then((r) => expect(r.status).to.equal(200));
      expect((await addPasskey(await activated(bob), passkey)).status, "a reset removed the passkey, so it can be added again").to.equal(200);
      await activate(bob.account, (await codeFor(bob)).code).expect(200);
      expectProblem((await passkeySignIn(passkey, bob.account)).res.body, 401, "portal.passkey_refused");
    });
  });

  describe("behind TLS, without a trusted proxy", () => {
    let tls: PortalGateway;
    let carol: ConsumerCard;
    before(async () => {
      tls = await startPortalGateway({ origin: "https://localhost:8443", trustProxy: "none" });
      carol = await issueConsumer(tls, "Carol");
      const { code } = (await post(tls, `/v1/cards/${carol.cardId}/activation-code`, {}, tls.bank.cookie).expect(200)).body as { code: string };
      await post(tls, "/v1/portal/activation", { account: carol.account, code, password: PASSWORD }).expect(200);
    });
    after(async () => tls?.stop());

    it("sets the session cookie Secure", async () => {
      const res = await post(tls, "/v1/portal/session", { account: carol.account, password: PASSWORD }).expect(200);
      const set = ((res.headers["set-cookie"] ?? []) as unknown as string[]).find((c) => c.startsWith("credence_portal="))!;
      expect(set).to.match(/; Secure/).and.to.match(/; HttpOnly/).and.to.match(/; SameSite=Strict/);
    });

    it("ignores X-Forwarded-For: a client cannot escape its count by naming other addresses", async () => {
      for (let i = 0; i < 10; i++) {
        await post(tls, "/v1/portal/session", { account: `c-${800_000 + i}`, password: "wrong password" }).set("x-forwarded-for", `192.0.2.${i}`).expect(401);
      }
      const slowed = await post(tls, "/v1/portal/session", { account: carol.account, password: PASSWORD }).set("x-forwarded-for", "192.0.2.200");
      expectProblem(slowed.body, 429, "portal.client_locked");
    });
  });
});
