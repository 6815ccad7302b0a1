/**
 * Pid files and the processes they name: the local node's anvil.pid and the gateway's DATA_DIR
 * lock. A pid file can outlive its process and the pid be reused by anything, so callers check
 * what the process is (its command line) before they trust or signal it.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";

/** The pid a pid file holds, or undefined when it is missing or holds no plausible pid. */
export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

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
