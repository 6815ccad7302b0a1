/**
 * A gateway whose key loses the GATEWAY role (governance revoked it, or has not granted it yet)
 * keeps what it accepted: settlements, refunds and redemptions stay queued with the reason
 * `gateway.unauthorized`, nothing more is sent, and all go out once governance grants the role again.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { NonceManager, Wallet } from "ethers";
import { ROLES } from "../../src/chain/roles";
import type { SubmissionStatus } from "../../packages/terminal-sdk/src";
import { issueConsumer, openMerchant, startGatewayFixture, waitForFinal, type Consumer, type GatewayFixture, type Merchant } from "./helpers/gateway-fixture";

const GROCERIES = [{ description: "Rice 5kg", quantity: 2, unitPrice: "4590" }];

describe("gateway: its key without the GATEWAY role", function () {
  let f: GatewayFixture;
  let shop: Merchant;
  let card: Consumer;

  before(async function () {
    f = await startGatewayFixture();
    shop = await openMerchant(f, "role-revoked");
    card = await issueConsumer(f, "role-revoked");
  });

  after(async () => f?.stop());

  /** The registry as governance, and the gateway's address, from the keys in DATA_DIR. */
  function governed() {
    const keys = JSON.parse(fs.readFileSync(path.join(f.dataDir, "keys.json"), "utf8")) as { governanceKey: string; gatewayKey: string };
    // Nonces counted here: the provider's pending count can lag the node's behind a mined transaction.
    return { registry: f.chain.registry.connect(new NonceManager(new Wallet(keys.governanceKey, f.chain.provider))), gateway: new Wallet(keys.gatewayKey).address };
  }

  async function statusOnceReasoned(id: string, reason: string): Promise<SubmissionStatus> {
    const deadline = Date.now() + 20_000;
    let status = await shop.terminal.status(id);
    while (status.reason !== reason && status.status !== "rejected" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = await shop.terminal.status(id);
    }
    return status;
  }

  it("keeps a settlement and a redemption queued while the role is revoked, and confirms both once it is granted again", async function () {
    const first = await shop.terminal.settle(shop.terminal.slip({ orderNumber: "R-1", cardId: card.cardId, currency: "CNY", category: 0, lines: GROCERIES }), card.signer);
    const earned = await waitForFinal(f, first.id);
    expect(earned.status).to.equal("confirmed");

    const { registry, gateway } = governed();
    await (await registry.revokeRole(ROLES.GATEWAY, gateway)).wait();
    const settlement = await shop.terminal.settle(shop.terminal.slip({ orderNumber: "R-2", cardId: card.cardId, currency: "CNY", category: 0, lines: GROCERIES }), card.signer);
    const redemption = await shop.terminal.redeem(card.cardId, 1n, "R-3", card.signer);
    for (const id of [settlement.id, redemption.id]) {
      expect(await statusOnceReasoned(id, "gateway.unauthorized"), id).to.deep.include({ status: "queued", reason: "gateway.unauthorized" });
    }
    // Held, not sent again and again: at most the one transaction that met the refusal, over 6 s
    // in which a batch retried every 2 s would have been sent three more times.
    const sentBefore = await f.chain.provider.getTransactionCount(gateway, "latest");
    await new Promise((r) => setTimeout(r, 6_000));
    expect(await f.chain.provider.getTransactionCount(gateway, "latest")).to.equal(sentBefore);

    await (await registry.scheduleRoleGrant(ROLES.GATEWAY, gateway)).wait();
    await f.chain.provider.send("evm_increaseTime", [Number(await registry.roleGrantDelay()) + 1]);
    await (await registry.grantRole(ROLES.GATEWAY, gateway)).wait();
    expect(await waitForFinal(f, settlement.id)).to.deep.include({ status: "confirmed", reason: null });
    expect(await waitForFinal(f, redemption.id)).to.deep.include({ status: "confirmed", reason: null });
  });
});
