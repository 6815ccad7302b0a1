/**
 * One gateway per DATA_DIR. The embedded store (PGlite) and the local node's state file are
 * each written by a single process; a second gateway started on the same folder would otherwise
 * take over the first one's node and open its store alongside it.
 *
 * The lock is DATA_DIR/gateway.pid, created exclusively. A pid file whose process is gone, or is
 * no longer a node process, is stale and taken over at once: a gateway killed with -9 restarts
 * without waiting (an mtime-based lock such as proper-lockfile's would make it wait out the
 * staleness period after every crash).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ConfigError } from "./config";

export const LOCK_FILE = "gateway.pid";

/** The command line of process `pid`, or undefined when there is no such process. */
export function processCommand(pid: number): string | undefined {
  try {
    return fs.existsSync(`/proc/${pid}/cmdline`)
      ? fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")
      : execFileSync("ps", ["-p", String(pid), "-o", "command="], { encoding: "utf8" });
  } catch {
    return undefined;
  }
}

/** The live gateway holding `file`, if any: its pid, when that process is still a node process. */
function holder(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, "utf8").trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  if (pid === process.pid) return pid; // a second gateway in this very process
  const command = processCommand(pid);
  return command !== undefined && /(^|[/\s\0])node(js)?(\s|\0|$)/.test(command) ? pid : undefined;
}

/**
 * Takes `dataDir` for this process; resolves with the function that gives it back. Throws a
 * ConfigError naming the holder when another live gateway has it.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
    }
    const pid = holder(file);
    if (pid !== undefined) {
      throw new ConfigError([{ variable: "DATA_DIR", message: `${dataDir} is in use by another gateway (pid ${pid}): stop it, or give this one its own DATA_DIR` }]);
    }
    fs.rmSync(file, { force: true }); // stale: its gateway is gone
  }
  return () => {
    try {
      if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}
