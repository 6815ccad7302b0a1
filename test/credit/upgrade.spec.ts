/**
 * An existing DATA_DIR whose deployment record predates the credit center keeps working: on
 * start the gateway deploys CreditScores and CreditGrants beside the existing registry and
 * ledger, records them, and serves the credit API; later starts reuse them.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { loadConfig } from "../../src/config";
import { startGateway, type RunningGateway } from "../../src/gateway";
import { readDeployment } from "../../src/chain/deployment";
import { firstOperators } from "../gateway/helpers/gateway-fixture";

describe("gateway start: credit contracts for an older deployment record", function () {
  let dataDir: string;
  let gateway: RunningGateway | undefined;

  beforeEach(function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "credence-upgrade-"));
  });

  afterEach(async function () {
    await gateway?.stop();
    gateway = undefined;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("deploys and records the credit contracts beside the existing ledger, once", async function () {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent" });
    gateway = await startGateway(config);
    const original = gateway.deployment;
    expect(original.creditScores).to.match(/^0x[0-9a-fA-F]{40}$/);
    await gateway.stop();

    // The record as the gateway wrote it before the credit center existed.
    const { creditScores: _s, creditGrants: _g, ...older } = original;
    fs.writeFileSync(config.deploymentFile, JSON.stringify(older, null, 2) + "\n");

    gateway = await startGateway(config);
    const upgraded = readDeployment(config.deploymentFile)!;
    expect(upgraded).to.deep.include(older);
    expect(upgraded.creditScores).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(upgraded.creditGrants).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(upgraded.creditGrants).not.to.equal(original.creditGrants);
    expect(gateway.deployment).to.deep.equal(upgraded);

    const operators = await firstOperators(gateway.url, dataDir);
    const policy = await request(gateway.url).get("/v1/credit/policy").set("cookie", operators.creditCenter.cookie).expect(200);
    expect(policy.body).to.deep.equal({ version: 0, scoreVersion: 1, consumer: [], merchant: [] });
    await gateway.stop();

    gateway = await startGateway(config);
    expect(readDeployment(config.deploymentFile)).to.deep.equal(upgraded);
  });
});
