/**
 * "Report my card lost" through the portal (POST /v1/portal/accounts/:account/lost, ADR 0010),
 * against a real gateway over a real node: the signed-in consumer freezes their own card at once
 * through the gateway's CARD_FREEZER key; nobody else's card, no session, no other origin; a
 * repeat answers as frozen; the next settlement is refused; only the bank unfreezes it.
 */
import { expect } from "chai";
import fs from "node:fs";
import request from "supertest";
import { ROLES } from "../../src/chain/roles";
import { cardFreezerKey } from "../../src/chain/card-freezer-key";
import { GatewayError } from "../../src/sdk/http";
import { Wallet } from "ethers";
import { expectProblem } from "../gateway/helpers/gateway-fixture";
import {
  cookieOf,
  decide,
  get,
  issueConsumer,
  openMerchant,
  post,
  settle,
  startPortalGateway,
  trySettle,
  type ConsumerCard,
  type PortalGateway,
  type PortalMerchant,
} from "./helpers/portal-gateway";
import { CardStatus } from "../../packages/terminal-sdk/src/constants";

const PASSWORD = "correct horse battery";

describe("portal: report my card lost", function () {
  this.timeout(300_000);
  let g: PortalGateway;
  let alice: ConsumerCard;
  let bob: ConsumerCard;
  let shop: PortalMerchant;
  let aliceCookie: string;
  let bobCookie: string;
  let shopCookie: string;

  const signedIn = async (account: string, code: string) => {
    await post(g, "/v1/portal/activation", { account, code, password: PASSWORD }).expect(200);
    return cookieOf(await post(g, "/v1/portal/session", { account, password: PASSWORD }).expect(200), "credence_portal");
  };
  const consumerCookie = async (card: ConsumerCard) => signedIn(card.account, (await post(g, `/v1/cards/${card.cardId}/activation-code`, {}, g.bank.cookie).expect(200)).body.code as string);
  const lostUrl = (card: ConsumerCard) => `/v1/portal/accounts/${card.account.slice(2)}/lost`;
  const statusOf = async (card: ConsumerCard) => (await g.chain.registry.card(card.cardId)).status;

  before(async () => {
    g = await startPortalGateway();
    shop = await openMerchant(g, "Tea House");
    alice = await issueConsumer(g, "Alice");
    bob = await issueConsumer(g, "Bob");
    await settle(shop, alice, "2500");
    aliceCookie = await consumerCookie(alice);
    bobCookie = await consumerCookie(bob);
    shopCookie = await signedIn(`m-${shop.merchantId}`, (await post(g, `/v1/merchants/${shop.merchantId}/activation-code`, {}, g.bank.cookie).expect(200)).body.code as string);
  });
  after(async () => g?.stop());

  const keyFile = () => JSON.parse(fs.readFileSync(`${g.dataDir}/keys.json`, "utf8")) as { gatewayKey: string; governanceKey: string };

  it("deploys with the gateway's card-freezer key holding CARD_FREEZER, and the GATEWAY key without it", async () => {
    const keys = keyFile();
    const freezer = new Wallet(cardFreezerKey(keys.gatewayKey)).address;
    const gatewayAddress = new Wallet(keys.gatewayKey).address;
    expect(await g.chain.registry.hasRole(ROLES.CARD_FREEZER, freezer)).to.equal(true);
    expect(await g.chain.registry.hasRole(ROLES.GATEWAY, freezer)).to.equal(false);
    expect(await g.chain.registry.hasRole(ROLES.CARD_FREEZER, gatewayAddress)).to.equal(false);
  });

  it("refuses a report without a session", async () => {
    expectProblem((await post(g, lostUrl(alice)).expect(401)).body, 401, "portal.session_required");
    expect(await statusOf(alice)).to.equal(CardStatus.Active);
  });

  it("refuses a report from another origin, or with no Origin, even with the holder's cookie (CSRF)", async () => {
    const foreign = await request(g.url).post(lostUrl(alice)).set("origin", "https://evil.example").set("cookie", aliceCookie).send({});
    expectProblem(foreign.body, 403, "session.origin_mismatch");
    const none = await request(g.url).post(lostUrl(alice)).set("cookie", aliceCookie).send({});
    expectProblem(none.body, 403, "session.origin_mismatch");
    expect(await statusOf(alice)).to.equal(CardStatus.Active);
  });

  it("refuses to report another account's card: a consumer's or a merchant's session sees nothing of it", async () => {
    for (const cookie of [bobCookie, shopCookie]) expectProblem((await post(g, lostUrl(alice), {}, cookie).expect(404)).body, 404, "portal.not_found");
    expectProblem((await post(g, "/v1/portal/accounts/999999/lost", {}, bobCookie).expect(404)).body, 404, "portal.not_found");
    expect(await statusOf(alice)).to.equal(CardStatus.Active);
    expect(await statusOf(bob)).to.equal(CardStatus.Active);
  });

  it("freezes the holder's own card once mined, shows it frozen, and answers a repeat as frozen without sending again", async () => {
    const res = await post(g, lostUrl(alice), {}, aliceCookie).expect(200);
    expect(res.body).to.deep.include({ reported: true, card: { masked: `•••• ${alice.cardId.slice(-4).toUpperCase()}`, status: "frozen" } });
    const receipt = await g.chain.provider.getTransactionReceipt(res.body.txHash as string);
    expect(receipt?.status, "mined before the answer").to.equal(1);
    const [event] = await g.chain.registry.queryFilter(g.chain.registry.filters.CardReportedLost(alice.cardId));
    expect(event.args.account).to.equal(BigInt(alice.account.slice(2)));
    expect(await statusOf(alice)).to.equal(CardStatus.Frozen);
    expect((await get(g, `/v1/portal/accounts/${alice.account.slice(2)}`, aliceCookie).expect(200)).body.card.status).to.equal("frozen");

    const again = await post(g, lostUrl(alice), {}, aliceCookie).expect(200);
    expect(again.body).to.deep.include({ reported: false, txHash: null, card: res.body.card });
    expect(await g.chain.registry.queryFilter(g.chain.registry.filters.CardReportedLost(alice.cardId))).to.have.length(1);
    expect(await statusOf(bob)).to.equal(CardStatus.Active);
  });

  it("refuses the next settlement on the card with card.not_active", async () => {
    const refused = await trySettle(shop, alice, "1000").then(
      (status) => status,
      (err: unknown) => err,
    );
    expect(refused).to.be.instanceOf(GatewayError);
    expect((refused as GatewayError).code).to.equal("card.not_active");
  });

  it("leaves unfreezing to the bank: after the bank's unfreeze the card settles again", async () => {
    await decide(g, g.bank, { kind: "act", target: "registry", function: "unfreezeCard", args: { cardId: alice.cardId } });
    expect(await statusOf(alice)).to.equal(CardStatus.Active);
    await settle(shop, alice, "1000");
  });

  it("answers 503 portal.lost_report_unavailable, freezing nothing, once governance revokes CARD_FREEZER", async () => {
    const keys = keyFile();
    const governance = new Wallet(keys.governanceKey, g.chain.provider);
    await (await g.chain.registry.connect(governance).revokeRole(ROLES.CARD_FREEZER, new Wallet(cardFreezerKey(keys.gatewayKey)).address)).wait();
    expectProblem((await post(g, lostUrl(bob), {}, bobCookie).expect(503)).body, 503, "portal.lost_report_unavailable");
    expect(await statusOf(bob)).to.equal(CardStatus.Active);
  });
});
