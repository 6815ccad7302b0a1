/**
 * A PostgreSQL server of the test's own: initdb in a temporary directory with the machine's
 * binaries (/usr/lib/postgresql/<version>/bin, the newest found), started with pg_ctl on a free
 * port of 127.0.0.1, so a test may kill it without touching the shared server. As root the server
 * runs as the `postgres` user (PostgreSQL refuses to run as root).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports";
import { tempDir } from "../../gateway/helpers/process";

const run = promisify(execFile);
const BINARIES_ROOT = "/usr/lib/postgresql";

/** The bin directory of the newest PostgreSQL installed with initdb and pg_ctl, if any. */
export function findPostgresBinaries(root = BINARIES_ROOT): string | undefined {
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)) : [];
  return versions
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(root, v, "bin"))
    .find((bin) => ["initdb", "pg_ctl", "postgres"].every((b) => fs.existsSync(path.join(bin, b))));
}

/** uid and gid of `name` from /etc/passwd. */
function account(name: string): { uid: number; gid: number } | undefined {
  const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/** Direct children of `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
    private readonly owner: { uid: number; gid: number } | undefined,
  ) {}

  /** The server's `postgres` database, trust authentication on 127.0.0.1. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get dataDir(): string {
    return path.join(this.dir, "data");
  }

  /** initdb in a new temporary directory and start the server on a free port. */
  static async create(bin: string): Promise<PrivatePostgres> {
    const dir = tempDir("pg");
    const owner = process.getuid?.() === 0 ? account("postgres") ?? account("nobody") : undefined;
    if (owner) fs.chownSync(dir, owner.uid, owner.gid);
    const server = new PrivatePostgres(bin, dir, await freePort(), owner);
    await server.tool("initdb", ["-D", server.dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
    await server.start();
    return server;
  }

  private tool(name: string, args: string[]) {
    return run(path.join(this.bin, name), args, { uid: this.owner?.uid, gid: this.owner?.gid, cwd: this.dir, timeout: 120_000 });
  }

  /** Starts the server (crash recovery included after a kill) and waits until it accepts connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c max_connections=50`;
    await this.tool("pg_ctl", ["-D", this.dataDir, "-l", path.join(this.dir, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
  }

  /** The postmaster's pid (first line of postmaster.pid), while it runs. */
  postmasterPid(): number | undefined {
    try {
      return Number(fs.readFileSync(path.join(this.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    } catch {
      return undefined;
    }
  }

  /**
   * kill -9 the postmaster and every process it started at once (a power cut of the server):
   * no shutdown checkpoint, the next start replays the WAL. Returns the number of processes killed.
   */
  async kill9(): Promise<number> {
    const pid = this.postmasterPid();
    if (!pid) throw new Error("the private PostgreSQL is not running");
    const pids = [pid, ...childrenOf(pid)];
    for (const p of pids) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    const deadline = Date.now() + 10_000;
    while (pids.some((p) => fs.existsSync(`/proc/${p}`) && !fs.readFileSync(`/proc/${p}/stat`, "utf8").includes(") Z "))) {
      if (Date.now() > deadline) throw new Error("the private PostgreSQL outlived kill -9");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return pids.length;
  }

  /** Stops the server (fast shutdown) and removes its directory. */
  async destroy(): Promise<void> {
    if (this.postmasterPid() !== undefined) await this.tool("pg_ctl", ["-D", this.dataDir, "-m", "immediate", "-w", "stop"]).catch(() => this.kill9().catch(() => 0));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The machine's PostgreSQL bin directory, or the suite skipped saying why when there is none
 * (failed instead with REQUIRE_POSTGRES=1). Call from a `before` hook.
 */
export function postgresBinariesOrSkip(suite: Mocha.Context, root = BINARIES_ROOT): string {
  const bin = findPostgresBinaries(root);
  if (!bin) {
    const problem = `no PostgreSQL binaries (initdb, pg_ctl, postgres) under ${root}/<version>/bin`;
    if (process.env.REQUIRE_POSTGRES === "1") throw new Error(`${problem}, and REQUIRE_POSTGRES=1 requires them`);
    console.warn(`      SKIPPED: ${problem}. Install PostgreSQL's server package, or set REQUIRE_POSTGRES=1 to fail instead.`);
    suite.skip();
  }
  return bin!;
}
