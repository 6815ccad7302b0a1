/**
 * The command lines that act for operators, run as a user runs them against a real gateway
 * process (FIRST_OPERATORS=enrolment-codes, a port the system chose): `npm run simulate` sets up
 * its demo with software-authenticator operators enrolled by code and signed decisions, and
 * `npm run credit -- export` signs in with a credit-center operator's passkey. Neither is told
 * where the gateway is: both find it from DATA_DIR (issue 21, item 6).
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { GATEWAY_URL_FILE, resolveGatewayUrl } from "../../src/gateway-address";
import { startGatewayProcess, tempDir, REPO_ROOT, type GatewayProcess } from "./helpers/process";
import { PasskeyOperator } from "../../scripts/lib/passkey-operator";

const run = promisify(execFile);

/** Runs a script as `npm run` does (ts-node, transpile only), with DATA_DIR and nothing that names the gateway. */
function script(file: string, args: string[], dataDir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  for (const name of ["PORT", "HOST", "CREDENCE_GATEWAY", "CREDENCE_OPERATOR_KEY", "PUBLIC_ORIGIN", "RP_ID"]) delete env[name];
  return run(process.execPath, ["-r", "ts-node/register/transpile-only", file, ...args], { cwd: REPO_ROOT, env, maxBuffer: 16 * 1024 * 1024 });
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("the command succeeded");
    },
    (err: { code: number; stderr: string }) => err,
  );

describe("operator command lines against a gateway on another port", function () {
  this.timeout(600_000);
  let dataDir: string;
  let gateway: GatewayProcess;

  before(async () => {
    dataDir = tempDir("command-lines");
    gateway = await startGatewayProcess({ dataDir, env: { FIRST_OPERATORS: "enrolment-codes" }, startTimeoutMs: 180_000 });
  });
  after(async () => {
    await gateway?.kill("SIGTERM");
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("the gateway writes where it listens to DATA_DIR, which the command lines read", () => {
    expect(gateway.url).to.not.match(/:8080$/);
    expect(fs.readFileSync(path.join(dataDir, GATEWAY_URL_FILE), "utf8").trim()).to.equal(gateway.url);
    expect(resolveGatewayUrl(undefined, { DATA_DIR: dataDir, PORT: "9" })).to.deep.equal({ url: gateway.url, source: path.join(dataDir, GATEWAY_URL_FILE) });
    expect(resolveGatewayUrl("http://10.0.0.5:8080", { DATA_DIR: dataDir, CREDENCE_GATEWAY: "http://x:1" }).url).to.equal("http://10.0.0.5:8080");
    expect(resolveGatewayUrl(undefined, { DATA_DIR: dataDir, CREDENCE_GATEWAY: "http://x:1" }).url).to.equal("http://x:1");
    expect(resolveGatewayUrl(undefined, { DATA_DIR: path.join(dataDir, "none"), PORT: "9090" })).to.deep.equal({ url: "http://127.0.0.1:9090", source: "PORT" });
  });

  it("npm run simulate enrols demo operators with the codes, sets up by signed decisions and settles", async () => {
    const { stdout, stderr } = await script("scripts/simulate.ts", ["--terminals", "2", "--settlements", "20", "--cards", "2"], dataDir);
    expect(stderr).to.contain(`enrolled a demo bank operator with its enrolment code: ${path.join(dataDir, "demo-operators", "bank.key")}`);
    expect(stderr).to.contain("enrolled a demo credit_center operator with its enrolment code");
    expect(stdout.trim().split("\n").at(-1)).to.match(/^simulate: accepted=20 confirmed=20 rejected=0 /);
    for (const file of ["bank.key", "credit_center.key"]) expect(fs.statSync(path.join(dataDir, "demo-operators", file)).mode & 0o777).to.equal(0o600);
    // A second run uses the demo state and operators as they are.
    const again = await script("scripts/simulate.ts", ["--terminals", "2", "--settlements", "10", "--cards", "2"], dataDir);
    expect(again.stderr).to.not.contain("enrolled");
    expect(again.stdout.trim().split("\n").at(-1)).to.match(/^simulate: accepted=10 confirmed=10 rejected=0 /);
  });

  it("npm run simulate says which key file to give once the codes are used", async () => {
    const failed = await failure(script("scripts/simulate.ts", ["--terminals", "3", "--settlements", "1", "--cards", "2", "--bank-key", path.join(dataDir, "other.key")], dataDir));
    expect(failed.code).to.equal(2);
    expect(failed.stderr).to.contain("is not an enrolled bank operator and the bank enrolment code is used: pass --bank-key");
  });

  it("npm run credit -- export signs in with a credit-center operator's passkey and writes every account", async () => {
    const out = path.join(dataDir, "scores.csv");
    const key = path.join(dataDir, "demo-operators", "credit_center.key");
    const { stdout, stderr } = await script("scripts/credit.ts", ["export", "--format", "csv", "--key", key, "--out", out], dataDir);
    expect(stdout).to.equal("");
    expect(stderr).to.contain(`exported 4 records as csv to ${out} (credential 2 of credit_center, gateway ${gateway.url} from ${path.join(dataDir, GATEWAY_URL_FILE)})`);
    const lines = fs.readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines).to.have.length(5);
    expect(lines.slice(1).map((l) => l.split(",")[2]).sort()).to.deep.equal(["consumer", "consumer", "merchant", "merchant"]);
    const json = await script("scripts/credit.ts", ["export", "--key", key], dataDir);
    expect((JSON.parse(json.stdout) as unknown[]).length).to.equal(4);
  });

  it("npm run credit -- export refuses a bank operator's key, an unenrolled key and no key, saying why", async () => {
    const bank = await failure(script("scripts/credit.ts", ["export", "--key", path.join(dataDir, "demo-operators", "bank.key")], dataDir));
    expect(bank.code).to.equal(1);
    expect(bank.stderr).to.match(/^credit: .*bank\.key is a bank operator's: the export is the credit center's/);
    const missing = await failure(script("scripts/credit.ts", ["export", "--key", path.join(dataDir, "nobody.key")], dataDir));
    expect(missing.stderr).to.match(/^credit: .*nobody\.key does not exist: enrol a credit-center operator first/);
    const none = await failure(script("scripts/credit.ts", ["export"], dataDir));
    expect(none.stderr).to.match(/^credit: no operator key: give --key FILE/);
  });

  it("npm run operator -- act freezes a card with the bank operator's passkey", async () => {
    const demo = JSON.parse(fs.readFileSync(path.join(dataDir, "demo.json"), "utf8")) as { cards: { cardId: string }[] };
    const cardId = demo.cards[0].cardId;
    const key = path.join(dataDir, "demo-operators", "bank.key");
    const { stdout } = await script("scripts/operator.ts", ["act", "--key", key, "--target", "registry", "--function", "freezeCard", "--args", JSON.stringify({ cardId })], dataDir);
    const printed = JSON.parse(stdout) as { draft: { kind: string; summary: { function: string } }; result: { executed: boolean } };
    expect(printed.draft).to.include({ kind: "act" });
    expect(printed.draft.summary.function).to.equal("freezeCard");
    const bank = PasskeyOperator.open({ gateway: gateway.url, origin: "http://localhost:8080", rpId: "localhost" }, key);
    expect(await bank.request("GET", `/v1/cards/${cardId}`)).to.include({ status: "frozen" });
    // The credit center's operator may not: the registry's acts are the bank's.
    const refused = await failure(
      script("scripts/operator.ts", ["act", "--key", path.join(dataDir, "demo-operators", "credit_center.key"), "--target", "registry", "--function", "unfreezeCard", "--args", JSON.stringify({ cardId })], dataDir),
    );
    expect(refused.stderr).to.match(/^operator: refused \(422 operator_step\.wrong_institution/);
    expect(await bank.request("GET", `/v1/cards/${cardId}`)).to.include({ status: "frozen" });
  });

  it("the gateway forgets its address when it stops", async () => {
    await gateway.kill("SIGTERM");
    expect(fs.existsSync(path.join(dataDir, GATEWAY_URL_FILE))).to.equal(false);
  });
});
