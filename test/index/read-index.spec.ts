/**
 * The read index (ADR 0008) on a real gateway and its real node: it takes movements from the
 * chain's logs whoever relayed them, catches up after losing the node, follows only blocks at
 * its confirmation depth, and feeds the operator lists.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Contract, Wallet, parseEther, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { openDb, type Db } from "../../src/store/db";
import { IpcJsonRpcProvider } from "../../src/chain/rpc-endpoint";
import { ReadIndex } from "../../src/index/indexer";
import { accountMovements, merchantDays } from "../../src/index/store";
import { ROLES } from "../../src/chain/roles";
import { ledgerDomain, settlementDigest, signDigest } from "../../src/domain/typed-data";
import { firstOperators, issueConsumer, keyFor, openMerchant, operatorRequest, startTempGateway, waitForFinal, type Consumer, type GatewayFixture, type Merchant } from "../gateway/helpers/gateway-fixture";
import type { Institution } from "../../src/sdk/operator-client";
import { PointsLedger__factory } from "../../typechain-types";
import { connectAdmin, createDatabase } from "../gateway/helpers/postgres-server";

const LINES = [{ description: "Rice 5kg", quantity: 2, unitPrice: "4590" }];

/** A provider to the fixture's node whose connection the test can cut, as a stopped node would. */
class CuttableProvider extends IpcJsonRpcProvider {
  cut = false;

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    if (this.cut) throw new Error("connect ECONNREFUSED (the node is stopped)");
    return super._send(payload);
  }
}

describe("the read index", function () {
  this.timeout(240_000);
  let f: GatewayFixture;
  let shop: Merchant;
  let orders = 0;
  const as = (institution: Institution | undefined, method: "get", url: string) => operatorRequest(f, institution, method, url);

  before(async function () {
    // Role grants at once, so a test can give a second relayer the GATEWAY role.
    const started = await startTempGateway({ ROLE_GRANT_DELAY_SECONDS: "0" }, { print: () => undefined });
    try {
      f = { url: started.gateway.url, gateway: started.gateway, dataDir: started.dataDir, chain: started.chain, operators: await firstOperators(started.gateway.url, started.dataDir), stop: started.stop };
    } catch (err) {
      await started.stop();
      throw err;
    }
    shop = await openMerchant(f, "index-shop");
  });

  after(async function () {
    await f?.stop();
  });

  /** A settlement at the shop (or at `merchant`), relayed by the gateway and confirmed; its points and block. */
  const settle = async (card: Consumer, merchant: Merchant = shop) => {
    const slip = merchant.terminal.slip({ orderNumber: `IDX-${++orders}`, cardId: card.cardId, currency: "CNY", category: 0, lines: LINES });
    const status = await waitForFinal(f, (await merchant.terminal.settle(slip, card.signer)).id);
    expect(status.status, String(status.reason)).to.equal("confirmed");
    return { points: status.points!, block: status.blockNumber!, orderId: status.orderId! };
  };

  /** A ReadIndex of the fixture's chain in a store of its own (a temporary PGlite), over a provider the test can cut. */
  const ownIndex = async (confirmations: number) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-index-"));
    const db: Db = await openDb({ dataDir: dir });
    const provider = new CuttableProvider(f.gateway.rpcEndpoint, undefined, { staticNetwork: true });
    const index = new ReadIndex({ db, provider, source: f.gateway.deployment, confirmations });
    const close = async () => {
      await index.stop();
      provider.destroy();
      await db.close();
    };
    return { db, provider, index, dir, close };
  };

  const accountOf = async (cardId: string) => (await f.chain.registry.card(cardId)).account.toString();

  describe("when the node stops answering", function () {
    it("keeps its checkpoint, and after the node returns catches up with what was settled meanwhile", async function () {
      const card = await issueConsumer(f, "node-stops");
      const first = await settle(card);
      const own = await ownIndex(0);
      try {
        const caughtUp = await own.index.catchUp();
        expect(caughtUp.indexedBlock).to.be.at.least(first.block);
        const source = await own.index.source();

        own.provider.cut = true;
        const second = await settle(card);
        let refused: Error | undefined;
        await own.index.catchUp().catch((err: Error) => (refused = err));
        expect(refused?.message).to.contain("ECONNREFUSED");
        expect(await own.index.indexedBlock(), "the checkpoint stays").to.equal(caughtUp.indexedBlock);
        expect((await accountMovements(own.db, source, await accountOf(card.cardId), { limit: 10 })).rows.map((m) => m.points)).to.deep.equal([first.points]);

        own.provider.cut = false;
        const after = await own.index.catchUp();
        expect(after.indexedBlock).to.be.at.least(second.block);
        const movements = (await accountMovements(own.db, source, await accountOf(card.cardId), { limit: 10 })).rows;
        expect(movements.map((m) => [m.movement, m.points, m.block])).to.deep.equal([
          ["earned", second.points, second.block],
          ["earned", first.points, first.block],
        ]);
      } finally {
        await own.close();
        fs.rmSync(own.dir, { recursive: true, force: true });
      }
    });

    it("resumes from its checkpoint after a restart, counting nothing twice", async function () {
      const card = await issueConsumer(f, "index-restart");
      await settle(card);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-index-restart-"));
      try {
        const openIndex = async () => {
          const db = await openDb({ dataDir: dir });
          const provider = new CuttableProvider(f.gateway.rpcEndpoint, undefined, { staticNetwork: true });
          return { db, provider, index: new ReadIndex({ db, provider, source: f.gateway.deployment, confirmations: 0 }) };
        };
        const before = await openIndex();
        await before.index.catchUp();
        await before.index.stop();
        before.provider.destroy();
        await before.db.close();

        await settle(card);
        const restarted = await openIndex();
        try {
          await restarted.index.catchUp();
          const source = await restarted.index.source();
          const days = await merchantDays(restarted.db, source, shop.merchantId, { days: 31 });
          const account = await accountOf(card.cardId);
          const movements = (await accountMovements(restarted.db, source, account, { limit: 10 })).rows;
          expect(movements).to.have.length(2);
          // Every settlement of the shop so far, each counted once.
          const earned = await f.chain.ledger.queryFilter(f.chain.ledger.filters.PointsEarned(undefined, shop.merchantId), f.gateway.deployment.deploymentBlock);
          expect(days.rows.reduce((sum, d) => sum + d.settlements, 0)).to.equal(earned.length);
        } finally {
          await restarted.index.stop();
          restarted.provider.destroy();
          await restarted.db.close();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("several gateways on one PostgreSQL", function () {
    it("count each movement once when their indexes catch up at the same time", async function () {
      const admin = await connectAdmin(this);
      const databases: string[] = [];
      const opened: { db: Db; provider: CuttableProvider; index: ReadIndex }[] = [];
      try {
        const databaseUrl = await createDatabase(admin, databases);
        for (let i = 0; i < 2; i++) {
          const db = await openDb({ dataDir: os.tmpdir(), databaseUrl });
          const provider = new CuttableProvider(f.gateway.rpcEndpoint, undefined, { staticNetwork: true });
          opened.push({ db, provider, index: new ReadIndex({ db, provider, source: f.gateway.deployment, confirmations: 0 }) });
        }
        const card = await issueConsumer(f, "shared-store");
        for (let round = 0; round < 3; round++) {
          await settle(card);
          await Promise.all(opened.map((o) => o.index.catchUp()));
        }
        const [a] = opened;
        const source = await a.index.source();
        expect(await opened[1].index.source()).to.equal(source);
        const earned = await f.chain.ledger.queryFilter(f.chain.ledger.filters.PointsEarned(undefined, shop.merchantId), f.gateway.deployment.deploymentBlock);
        const days = await merchantDays(a.db, source, shop.merchantId, { days: 31 });
        expect(days.rows.reduce((sum, d) => sum + d.settlements, 0)).to.equal(earned.length);
        const [{ count }] = await a.db.query<{ count: string }>("select count(*) from index_movements where source_id = $1 and movement = 'earned' and merchant_id = $2", [source, shop.merchantId]);
        expect(Number(count)).to.equal(earned.length);
        expect((await accountMovements(a.db, source, await accountOf(card.cardId), { limit: 10 })).rows).to.have.length(3);
      } finally {
        for (const o of opened) {
          o.provider.destroy();
          await o.db.close();
        }
        for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    });
  });

  describe("confirmation depth", function () {
    it("takes a block only once it is INDEX_CONFIRMATIONS blocks under the head", async function () {
      const own = await ownIndex(3);
      try {
        const card = await issueConsumer(f, "confirmations");
        const settled = await settle(card);
        const head = Number(await f.chain.provider.send("eth_blockNumber", []));
        const { indexedBlock } = await own.index.catchUp();
        expect(indexedBlock).to.equal(head - 3);
        const source = await own.index.source();
        const account = await accountOf(card.cardId);
        if (settled.block > head - 3) {
          expect((await accountMovements(own.db, source, account, { limit: 10 })).rows).to.deep.equal([]);
        }
        for (let i = 0; i < 3; i++) await f.chain.provider.send("evm_mine", []);
        expect((await own.index.catchUp()).indexedBlock).to.be.at.least(settled.block);
        expect((await accountMovements(own.db, source, account, { limit: 10 })).rows.map((m) => m.points)).to.deep.equal([settled.points]);
      } finally {
        await own.close();
        fs.rmSync(own.dir, { recursive: true, force: true });
      }
    });
  });

  describe("agreement versions", function () {
    it("gives each settlement the agreement version in force at its place in the chain, in one round or across rounds", async function () {
      const merchant = await openMerchant(f, "index-versions");
      const card = await issueConsumer(f, "index-versions");
      const history = async () => (await as("bank", "get", `/v1/cards/${card.cardId}/history`).expect(200)).body.entries.map((e: { agreementVersion: number }) => e.agreementVersion);
      await settle(card, merchant);
      // The gateway's index takes the first settlement before the new agreement: two rounds.
      expect(await history()).to.deep.equal([1]);
      await f.operators.bank.decide("PUT", `/v1/merchants/${merchant.merchantId}/agreement`, merchant.agreement);
      await settle(card, merchant);
      expect(await history()).to.deep.equal([2, 1]);
      // An index of its own takes the settlements and the AgreementSet between them in one round.
      const own = await ownIndex(0);
      try {
        await own.index.catchUp();
        const rows = (await accountMovements(own.db, await own.index.source(), await accountOf(card.cardId), { limit: 10 })).rows;
        expect(rows.map((m) => m.agreementVersion)).to.deep.equal([2, 1]);
      } finally {
        await own.close();
        fs.rmSync(own.dir, { recursive: true, force: true });
      }
    });
  });

  describe("movements no gateway relayed", function () {
    it("shows in the gateway's history a settlement another relayer sent to the ledger itself", async function () {
      const card = await issueConsumer(f, "other-relayer");
      // Another relayer with the GATEWAY role, granted by governance (no delay on this fixture).
      const keys = JSON.parse(fs.readFileSync(path.join(f.dataDir, "keys.json"), "utf8")) as { governanceKey: string };
      const governance = new Wallet(keys.governanceKey, f.chain.provider);
      const relayer = Wallet.createRandom().connect(f.chain.provider);
      const registry = f.chain.registry.connect(governance) as unknown as Contract;
      let nonce = await f.chain.provider.getTransactionCount(governance.address, "latest");
      await (await registry.scheduleRoleGrant(ROLES.GATEWAY, relayer.address, { nonce: nonce++ })).wait();
      await (await registry.grantRole(ROLES.GATEWAY, relayer.address, { nonce: nonce++ })).wait();
      await (await governance.sendTransaction({ to: relayer.address, value: parseEther("1"), nonce: nonce++ })).wait();

      const block = await f.chain.provider.getBlock("latest");
      const message = {
        orderId: "0x" + "7e".repeat(32),
        slipHash: "0x" + "5a".repeat(32),
        cardId: card.cardId,
        terminal: shop.terminalKey.address,
        nonce: 900_001n,
        amount: 20_000n,
        currency: "0x434e59",
        category: 0,
        time: BigInt(block!.timestamp),
      };
      const digest = settlementDigest(ledgerDomain(f.chain.chainId, f.gateway.deployment.ledger), message);
      const t = signDigest(shop.terminalKey.signingKey, digest);
      const c = signDigest(card.key.signingKey, digest);
      const ledger = PointsLedger__factory.connect(f.gateway.deployment.ledger, relayer);
      const receipt = await (await ledger.settle({ settlement: message, signatures: { terminalR: t.r, terminalVS: t.vs, cardR: c.r, cardVS: c.vs } })).wait();

      const history = await as("bank", "get", `/v1/cards/${card.cardId}/history`).expect(200);
      expect(history.body.indexedBlock).to.be.at.least(receipt!.blockNumber);
      // PointsEarned names the settlement by terminal and nonce: its order and amount come from the transaction's calldata.
      expect(history.body.entries.map((e: { movement: string; txHash: string; orderId: string; amount: string; agreementVersion: number }) => [e.movement, e.txHash, e.orderId, e.amount, e.agreementVersion])).to.deep.equal([
        ["earned", receipt!.hash, message.orderId, "20000", 1],
      ]);
    });
  });

  describe("operator lists", function () {
    it("lists cards by kind, status and merchant served, one page at a time", async function () {
      const customers = [await issueConsumer(f, "list-a"), await issueConsumer(f, "list-b"), await issueConsumer(f, "list-c")];
      const other = await openMerchant(f, "list-other-shop");
      for (const c of customers) await settle(c);
      await f.operators.bank.decide("POST", `/v1/cards/${customers[1].cardId}/status`, { action: "freeze" });

      const served = await as("credit_center", "get", `/v1/cards?merchant=${shop.merchantId}&limit=200`).expect(200);
      const servedIds = served.body.cards.map((c: { cardId: string }) => c.cardId);
      for (const c of customers) expect(servedIds).to.include(c.cardId.toLowerCase());
      expect((await as("credit_center", "get", `/v1/cards?merchant=${other.merchantId}`).expect(200)).body.cards).to.deep.equal([]);

      const frozen = await as("bank", "get", "/v1/cards?status=frozen&kind=consumer").expect(200);
      expect(frozen.body.cards.map((c: { cardId: string; status: string }) => [c.cardId, c.status])).to.deep.equal([[customers[1].cardId.toLowerCase(), "frozen"]]);

      const merchants = await as("bank", "get", "/v1/cards?kind=merchant").expect(200);
      expect(merchants.body.cards.find((c: { merchantId: number | null }) => c.merchantId === other.merchantId)).to.deep.include({ cardId: other.cardId.toLowerCase(), kind: "merchant", status: "active" });

      // Paging: every card once, in card ID order, two at a time.
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page = await as("bank", "get", `/v1/cards?limit=2${after ? `&after=${after}` : ""}`).expect(200);
        expect(page.body.cards.length).to.be.at.most(2);
        seen.push(...page.body.cards.map((c: { cardId: string }) => c.cardId));
        after = page.body.nextAfter as string | null;
      } while (after);
      expect(seen).to.deep.equal([...seen].sort());
      expect(new Set(seen).size).to.equal(seen.length);
      for (const c of customers) expect(seen).to.include(c.cardId.toLowerCase());
    });

    it("lists merchants and a merchant's terminals with their enabled state", async function () {
      const shopB = await openMerchant(f, "list-terminals");
      const second = keyFor("terminal:list-terminals:2");
      await f.operators.bank.decide("POST", "/v1/terminals", { terminal: second.address, merchantId: shopB.merchantId });
      await f.operators.bank.decide("PUT", `/v1/terminals/${shopB.terminalKey.address}/enabled`, { enabled: false });

      const all = await as("bank", "get", `/v1/merchants/${shopB.merchantId}/terminals`).expect(200);
      expect(all.body.terminals).to.have.deep.members([
        { terminal: shopB.terminalKey.address, enabled: false },
        { terminal: second.address, enabled: true },
      ]);
      const enabled = await as("bank", "get", `/v1/merchants/${shopB.merchantId}/terminals?enabled=true`).expect(200);
      expect(enabled.body.terminals).to.deep.equal([{ terminal: second.address, enabled: true }]);
      const firstPage = await as("bank", "get", `/v1/merchants/${shopB.merchantId}/terminals?limit=1`).expect(200);
      expect(firstPage.body.terminals).to.have.length(1);
      const nextPage = await as("bank", "get", `/v1/merchants/${shopB.merchantId}/terminals?limit=1&after=${firstPage.body.nextAfter}`).expect(200);
      expect([...firstPage.body.terminals, ...nextPage.body.terminals]).to.have.deep.members(all.body.terminals);
      expect(nextPage.body.nextAfter).to.equal(null);

      const merchants = await as("credit_center", "get", `/v1/merchants?after=${shopB.merchantId - 1}&limit=1`).expect(200);
      expect(merchants.body.merchants).to.deep.equal([{ merchantId: shopB.merchantId, cardId: shopB.cardId.toLowerCase(), active: true, terminals: 2 }]);
      await as("bank", "get", "/v1/merchants/999999/terminals").expect(404);
    });

    it("says whether the ledger is paused and how far the index has got", async function () {
      const res = await as("bank", "get", "/v1/ledger").expect(200);
      expect(res.body).to.deep.include({ paused: false, indexConfirmations: 0 });
      expect(res.body.indexedBlock).to.be.at.most(res.body.headBlock);
    });

    it("answers 401 without a session and 400 to a limit above 200", async function () {
      for (const url of ["/v1/cards", "/v1/merchants", `/v1/merchants/${shop.merchantId}/terminals`, "/v1/ledger"]) await as(undefined, "get", url).expect(401);
      await as("bank", "get", "/v1/cards?limit=201").expect(400);
      await as("bank", "get", "/v1/cards?status=lost").expect(400);
    });
  });
});
