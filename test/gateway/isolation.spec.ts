/**
 * The embedded node is reachable by the gateway alone: with the gateway running as operators run
 * it (a child process, embedded default), anvil lives in a network namespace of its own, none of
 * its TCP ports answers from outside that namespace, and its IPC socket sits in a directory only
 * the gateway's user may enter; the gateway itself settles as before. /metrics answers only the
 * clients METRICS_ALLOW lists.
 */
import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { NAMESPACE_PORT, SOCKET_FILE } from "../../src/chain/node";
import { readDeployment } from "../../src/chain/deployment";
import {
  anvilPid,
  cleanUp,
  loginOperators,
  planSettlements,
  readLedger,
  setUpDemo,
  startGatewayProcess,
  submit,
  tempDir,
  terminalClients,
  waitAllFinal,
  type GatewayProcess,
} from "./helpers/process";

/** TCP sockets listening in the network namespace whose /proc/<pid>/net/tcp{,6} is read: port and inode. */
function listeningSockets(pid: number | "self"): { port: number; inode: string }[] {
  const LISTEN = "0A";
  return ["tcp", "tcp6"].flatMap((file) =>
    fs
      .readFileSync(`/proc/${pid}/net/${file}`, "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === LISTEN)
      .map((fields) => ({ port: parseInt(fields[1].split(":").at(-1)!, 16), inode: fields[9] })),
  );
}

/** What a JSON-RPC POST to 127.0.0.1:`port` from this process (outside anvil's namespace) yields. */
function probeJsonRpc(port: number, method: string, params: unknown[]): Promise<{ answered: false } | { answered: true; body: string }> {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
  return new Promise((resolve) => {
    const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/", headers: { "content-type": "application/json" }, timeout: 2_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ answered: true, body: text }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ answered: false }));
    req.end(body);
  });
}

/** GET /metrics from the gateway with the client's socket bound to `localAddress`. */
function getMetrics(url: string, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/metrics`, { localAddress }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", reject);
  });
}

describe("the embedded node, reachable by the gateway alone (child process)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let gateway: GatewayProcess;
  let anvil: number;

  before(async function () {
    dataDir = tempDir("isolation");
    // Metrics for 127.0.0.2 alone: this test's ordinary requests come from 127.0.0.1.
    gateway = await startGatewayProcess({ dataDir, env: { METRICS_ALLOW: "127.0.0.2/32" } });
    anvil = anvilPid(dataDir)!;
    expect(anvil, "anvil's pid file").to.be.a("number");
  });

  after(async () => cleanUp([gateway], [dataDir]));

  it("runs anvil in a network namespace other than the gateway's and this process's", function () {
    const netns = (pid: number | "self") => fs.readlinkSync(`/proc/${pid}/ns/net`);
    expect(netns(anvil)).to.not.equal(netns("self"));
    expect(netns(anvil)).to.not.equal(netns(gateway.pid));
  });

  it("leaves no TCP port of anvil answering from outside its namespace", async function () {
    const inside = listeningSockets(anvil);
    expect(inside.map((s) => s.port), "anvil listens inside its namespace").to.include(NAMESPACE_PORT);
    const outsideInodes = new Set(listeningSockets("self").map((s) => s.inode));
    expect(inside.filter((s) => outsideInodes.has(s.inode)), "anvil's listening sockets seen from outside").to.deep.equal([]);
    // The ports anvil uses inside: from out here nothing there serves the gateway's chain, let
    // alone its test methods.
    const { ledger } = readDeployment(path.join(dataDir, "deployment.json"))!;
    for (const { port } of inside) {
      const probe = await probeJsonRpc(port, "eth_getCode", [ledger, "latest"]);
      if (probe.answered) expect(probe.body, `127.0.0.1:${port} outside the namespace`).to.not.match(/"result":"0x[0-9a-f]{2,}"/);
      const write = await probeJsonRpc(port, "anvil_setStorageAt", [ledger, "0x0", "0x" + "11".repeat(32)]);
      if (write.answered) expect(write.body, `127.0.0.1:${port} outside the namespace`).to.not.match(/"result":true/);
    }
  });

  it("serves JSON-RPC on a socket in a directory only the gateway's user may enter", function () {
    expect(gateway.rpcEndpoint).to.equal(path.join(dataDir, "chain", SOCKET_FILE));
    const dir = fs.statSync(path.dirname(gateway.rpcEndpoint));
    expect(dir.mode & 0o777).to.equal(0o700);
    expect(dir.uid).to.equal(process.getuid!());
    expect(fs.lstatSync(gateway.rpcEndpoint).isSocket()).to.equal(true);
  });

  it("settles through the isolated node", async function () {
    const operators = await loginOperators(gateway.url, dataDir);
    const demo = await setUpDemo(operators, { terminals: 1, cards: 1, tag: "iso" });
    const [planned] = planSettlements(demo, 1, "iso");
    const clients = await terminalClients(gateway.url, demo);
    const { id } = await submit(clients, planned);
    const statuses = await waitAllFinal(clients[0], [id], 60_000);
    expect(statuses.get(id)?.status).to.equal("confirmed");
    const chain = await readLedger(gateway.rpcEndpoint, path.join(dataDir, "deployment.json"), [planned.card.cardId]);
    expect(chain.earned.map((e) => e.key)).to.include(planned.key);
  });

  it("serves /metrics to the clients METRICS_ALLOW lists, and 404 to any other", async function () {
    expect(await getMetrics(gateway.url, "127.0.0.2")).to.equal(200);
    expect(await getMetrics(gateway.url, "127.0.0.1")).to.equal(404);
  });

  it("refuses to start where the node cannot be isolated, naming the cause and the remedy", async function () {
    const elsewhere = tempDir("isolation-refused");
    try {
      // No unshare on this PATH: as on a machine without util-linux.
      const error = await startGatewayProcess({ dataDir: elsewhere, env: { PATH: "/nonexistent" } }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.match(/the gateway exited during start \(code 1/);
      expect(error?.message).to.match(/the local node cannot be isolated: unshare was not found/);
      expect(error?.message).to.match(/allow unprivileged user namespaces/).and.match(/LOCAL_NODE_ISOLATION=none/);
      expect(anvilPid(elsewhere), "no node was started").to.equal(undefined);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
