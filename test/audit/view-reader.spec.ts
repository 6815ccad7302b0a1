import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { JsonRpc } from "../../src/chain/json-rpc";
import { ViewReader } from "../../src/audit/view-reader";
import { PointsLedger__factory } from "../../typechain-types";
import { anvilLedger, type AnvilLedger } from "./helpers/anvil-ledger";

describe("auditor: contract views in JSON-RPC batches", function () {
  this.timeout(120_000);
  let dir: string;
  let chain: AnvilLedger;
  let block: number;
  const ledgerInterface = PointsLedger__factory.createInterface();

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-views-"));
    chain = await anvilLedger(dir, { merchants: 1, terminalsPerMerchant: 1, cards: 3 });
    await chain.settle(6, 3);
    block = Number(await chain.provider.send("eth_blockNumber", []));
  });

  after(async function () {
    await chain.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads structs, tuples and signed values as ethers' contract calls decode them", async function () {
    const reader = new ViewReader(new JsonRpc(chain.node.ipcPath), block);
    const ledger = PointsLedger__factory.connect(chain.deployment.ledger, chain.provider);
    const card = chain.cards[0].cardId;
    const [stats, balance, totals] = await Promise.all([
      reader.view(ledgerInterface, "accountStats")(chain.deployment.ledger, [card]),
      reader.view(ledgerInterface, "balanceOf")(chain.deployment.ledger, [card]),
      reader.view(ledgerInterface, "totals")(chain.deployment.ledger, []),
    ]);
    const expected = await ledger.accountStats(card, { blockTag: block });
    for (const field of ["earned", "reversed", "redeemed", "merchantCount", "firstActivity", "lastActivity"] as const) {
      expect(stats[field], field).to.equal(expected[field]);
    }
    expect(stats.earned).to.be.greaterThan(0n);
    expect(balance[0]).to.equal(await ledger.balanceOf(card, { blockTag: block }));
    expect(totals.earned).to.be.greaterThan(0n);
    expect(totals.earned).to.equal((await ledger.totals({ blockTag: block }))[0]);
  });

  it("reads at the block it was given, not at the latest", async function () {
    const before = new ViewReader(new JsonRpc(chain.node.ipcPath), block);
    await chain.settle(3, 3);
    const now = new ViewReader(new JsonRpc(chain.node.ipcPath), Number(await chain.provider.send("eth_blockNumber", [])));
    const batchCount = (r: ViewReader) => r.view(ledgerInterface, "batchCount")(chain.deployment.ledger, []);
    expect((await batchCount(now))[0]).to.equal((await batchCount(before))[0] + 1n);
  });

  it("fails only the call that reverts in a batch, with the node's reason", async function () {
    const reader = new ViewReader(new JsonRpc(chain.node.ipcPath), block);
    const stats = reader.view(ledgerInterface, "accountStats");
    const results = await Promise.allSettled([stats(chain.deployment.ledger, [chain.cards[1].cardId]), stats(chain.deployment.ledger, ["0x" + "ab".repeat(32)])]);
    expect(results[0].status).to.equal("fulfilled");
    expect(results[1].status).to.equal("rejected");
    expect(String((results[1] as PromiseRejectedResult).reason.message)).to.match(/eth_call/);
  });

  it("refuses an argument that is not the view's type before sending anything", function () {
    const reader = new ViewReader(new JsonRpc(chain.node.ipcPath), block);
    expect(() => reader.view(ledgerInterface, "accountStats")(chain.deployment.ledger, ["0x1234"])).to.throw(/not a bytes32/);
    expect(() => reader.view(ledgerInterface, "holding")(chain.deployment.ledger, [chain.cards[0].cardId])).to.throw(/takes 2 arguments/);
  });
});
