/**
 * One gateway per DATA_DIR: a second one on the same folder is refused before it touches the
 * first one's node or store; a lock left by a gateway that is gone (kill -9) is taken over.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ConfigError } from "../../src/config";
import { LOCK_FILE, lockDataDir } from "../../src/data-dir-lock";
import { cleanUp, startGatewayProcess, tempDir, type GatewayProcess } from "./helpers/process";

/** A node process that stays alive until killed, and its pid. */
function idleNodeProcess() {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  return { pid: child.pid!, stop: () => new Promise<void>((resolve) => (child.once("exit", () => resolve()), child.kill("SIGKILL"))) };
}

describe("DATA_DIR lock", function () {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir("lock");
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("refuses a DATA_DIR that a live node process holds, naming its pid, and leaves its lock alone", async () => {
    const d = dir();
    const holder = idleNodeProcess();
    try {
      fs.writeFileSync(path.join(d, LOCK_FILE), `${holder.pid}\n`);
      expect(() => lockDataDir(d))
        .to.throw(ConfigError)
        .with.property("message")
        .that.matches(new RegExp(`DATA_DIR ${d} is in use by another gateway \\(pid ${holder.pid}\\)`));
      expect(fs.readFileSync(path.join(d, LOCK_FILE), "utf8").trim()).to.equal(String(holder.pid));
    } finally {
      await holder.stop();
    }
  });

  it("takes over a lock whose process is gone, and gives it back on release", async () => {
    const d = dir();
    const gone = idleNodeProcess();
    await gone.stop();
    fs.writeFileSync(path.join(d, LOCK_FILE), `${gone.pid}\n`);
    const release = lockDataDir(d);
    expect(fs.readFileSync(path.join(d, LOCK_FILE), "utf8").trim()).to.equal(String(process.pid));
    expect(() => lockDataDir(d), "a second gateway in the same process").to.throw(ConfigError, /in use by another gateway/);
    release();
    expect(fs.existsSync(path.join(d, LOCK_FILE))).to.equal(false);
    lockDataDir(d)();
  });

  describe("two gateway processes on one DATA_DIR", function () {
    this.timeout(120_000);
    const gateways: GatewayProcess[] = [];
    after(async function () {
      this.timeout(60_000);
      await cleanUp(gateways, []);
    });

    it("stops the second at start with the reason, while the first goes on serving", async () => {
      const d = dir();
      const first = await startGatewayProcess({ dataDir: d });
      gateways.push(first);
      const second = startGatewayProcess({ dataDir: d, env: { PORT: "0" } });
      const failure = await second.then(
        (g) => (gateways.push(g), undefined),
        (err: Error) => err,
      );
      expect(failure?.message).to.match(/exited during start \(code 1/);
      expect(failure?.message).to.include(`is in use by another gateway (pid ${first.pid})`);
      expect(first.running()).to.equal(true);
      expect((await fetch(`${first.url}/healthz`)).status).to.equal(200);
    });
  });
});
