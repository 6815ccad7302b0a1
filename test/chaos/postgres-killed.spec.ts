/**
 * PostgreSQL killed mid-load: the gateway runs (child process, embedded chain) on a PostgreSQL
 * server the test started itself (never the shared one), terminals stream signed settlements at
 * it, and the server is killed -9 with all its processes, left down a few seconds, and started
 * again (crash recovery from its WAL). Requests meanwhile get 5xx and are re-sent unchanged.
 * Afterwards every settlement that got 2xx is confirmed on chain exactly once, nothing is
 * duplicated, and the auditor (with the gateway's slip archive) reports a clean ledger.
 *
 * Needs PostgreSQL's server binaries (/usr/lib/postgresql/<version>/bin): without them the test
 * skips saying so, with REQUIRE_POSTGRES=1 it fails. Run by `npm run test:chaos`.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { Client } from "pg";
import { openPostgres, type Db } from "../../src/store/db";
import { databaseSlips } from "../../src/audit/slips";
import {
  cleanUp,
  loginOperators,
  setUpDemo,
  startGatewayProcess,
  tempDir,
  type Demo,
  type GatewayProcess,
} from "../gateway/helpers/process";
import { postgresBinariesOrSkip, PrivatePostgres } from "./helpers/private-postgres";
import { expectConfirmedOnceAndAudited, FAULT_LOAD, loadThroughFault } from "./helpers/load";

describe("PostgreSQL killed -9 mid-load (private server, embedded chain)", function () {
  this.timeout(300_000);
  let server: PrivatePostgres | undefined;
  let databaseUrl: string;
  let dataDir: string;
  let gateway: GatewayProcess;
  let demo: Demo;
  const started: GatewayProcess[] = [];

  before(async function () {
    this.timeout(180_000);
    const binaries = postgresBinariesOrSkip(this);
    server = await PrivatePostgres.create(binaries);
    const admin = new Client({ connectionString: server.url });
    await admin.connect();
    await admin.query("create database credence");
    await admin.end();
    databaseUrl = server.url.replace(/\/postgres$/, "/credence");
    dataDir = tempDir("chaos-pg");
    gateway = await startGatewayProcess({ dataDir, env: { DATABASE_URL: databaseUrl, IDENTITY_KEY: `0x${randomBytes(32).toString("hex")}` } });
    started.push(gateway);
    demo = await setUpDemo(await loginOperators(gateway.url, dataDir), { terminals: 4, cards: 8, tag: "chaos-pg" });
  });

  after(async function () {
    this.timeout(60_000);
    await cleanUp(started, dataDir ? [dataDir] : []);
    await server?.destroy();
  });

  it("confirms every accepted settlement exactly once, and the auditor finds a clean ledger, after the server is killed and restarted", async () => {
    let killed = 0;
    const run = await loadThroughFault(gateway, demo, "pgkill", {
      inject: async () => void (killed = await server!.kill9()),
      recover: () => server!.start(),
    });
    const { stream, load } = run;
    // Counted once the load is done: a round's unanswered requests are added when the round ends.
    expect(load.unanswered, "requests the gateway could not answer while PostgreSQL was down, re-sent").to.be.greaterThan(0);

    let db: Db | undefined;
    const { confirmed, audit } = await expectConfirmedOnceAndAudited({
      gateway,
      started,
      demo,
      stream,
      planned: run.planned.length,
      runKeys: run.runKeys,
      deploymentFile: path.join(dataDir, "deployment.json"),
      slips: () => databaseSlips((db = openPostgres(databaseUrl))),
    }).finally(() => db?.close());
    console.log(
      `      injected: kill -9 of PostgreSQL (${killed} processes) after ${run.acceptedAtFault} accepted, down ${FAULT_LOAD.downMs} ms, restarted; ` +
        `counted: ${load.unanswered} requests unanswered and re-sent over ${load.rounds} rounds, ${stream.duplicates} answered as duplicates; ` +
        `${stream.accepted.size} accepted, ${confirmed} confirmed on chain once each; auditor: ${audit.counts.settlements} settlements, ` +
        `${audit.counts.slipsMatched} slips matched, ${audit.discrepancies.length} discrepancies`,
    );
  });
});
