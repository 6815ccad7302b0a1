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
import fs from "node:fs";
import path from "node:path";
import { ConfigError } from "./config";
import { processCommand, readPidFile } from "./pid-file";

export const LOCK_FILE = "gateway.pid";

/** The live gateway holding `file`, if any: its pid, when that process is still a node process. */
function holder(file: string): number | undefined {
  const pid = readPidFile(file);
  if (pid === undefined) return undefined;
  if (pid === process.pid) return pid; // a second gateway in this very process
  const command = processCommand(pid);
  return command !== undefined && /(^|[/\s\0])node(js)?(\s|\0|$)/.test(command) ? pid : undefined;
}

/**
 * Takes `dataDir` for this process; returns the function that gives it back. Throws a
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
