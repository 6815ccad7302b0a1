import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { openDb, type Db } from "../../src/store/db";
import { storeSlip } from "../../src/api/slips/service";
import { databaseSlips, directorySlips, exportSlips } from "../../src/audit/slips";
import { settleRecorded } from "../helpers/ledger-ops";
import { audit, codes, deployAuditedLedger, slipSettlements } from "./helpers/audit-fixture";

async function settledWithSlips() {
  const f = await deployAuditedLedger();
  const { items, slips } = await slipSettlements(f.ledger, f.shop.terminals[0], f.consumers, 4, 0n, "stored");
  await settleRecorded(f, items);
  return { ...f, slips };
}

describe("auditor: the gateway's slip store", function () {
  let dir: string;
  let db: Db;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-audit-store-"));
    db = await openDb({ dataDir: dir });
  });

  after(async function () {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("hashes each stored slip body itself, never trusting the stored hash, and exports the same archive", async function () {
    const f = await loadFixture(settledWithSlips);
    for (const slip of f.slips) await storeSlip(db, Number(f.shop.id), slip);
    expect((await audit(f.deployment, { slips: databaseSlips(db, 3) })).discrepancies).to.deep.equal([]);

    // Alter one body in place; its slip_hash column still holds the original hash.
    await db.query("update slips set body = jsonb_set(body, '{lines,0,description}', '\"Forged\"') where order_id = (select order_id from slips order by id limit 1)");
    const fromDb = await audit(f.deployment, { slips: databaseSlips(db, 3) });
    expect(codes(fromDb)).to.deep.equal(["slip.altered"]);
    expect(fromDb.counts.slipsRead).to.equal(4);

    const exported = path.join(dir, "export");
    expect(await exportSlips(db, exported)).to.equal(4);
    const fromFiles = await audit(f.deployment, { slips: directorySlips(exported) });
    expect(fromFiles.discrepancies.map((d) => d.tx)).to.deep.equal(fromDb.discrepancies.map((d) => d.tx));
  });
});
