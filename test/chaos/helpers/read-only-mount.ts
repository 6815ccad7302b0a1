/**
 * A directory made read-only and writable again while processes use it: a bind mount of the
 * directory onto itself, remounted read-only (chmod would not stop root). Needs the right to
 * mount (root with CAP_SYS_ADMIN); `canMount` says whether this machine has it.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { tempDir } from "../../gateway/helpers/process";

const run = promisify(execFile);

/** Whether a bind mount made read-only here refuses writes. */
export async function canMount(): Promise<boolean> {
  const dir = tempDir("ro-probe");
  try {
    await run("mount", ["--bind", dir, dir]);
    try {
      await run("mount", ["-o", "remount,ro,bind", dir]);
      try {
        fs.writeFileSync(path.join(dir, "probe"), "x");
        return false;
      } catch {
        return true;
      }
    } finally {
      await run("umount", [dir]);
    }
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export class ReadOnlySwitch {
  private mounted = false;

  constructor(readonly dir: string) {}

  async readOnly(): Promise<void> {
    if (this.mounted) return void (await run("mount", ["-o", "remount,ro,bind", this.dir]));
    // A file opened for writing through the new bind mount before it turns read-only makes the
    // remount fail ("mount point is busy"): undo the bind and try again.
    for (let attempt = 1; ; attempt++) {
      await run("mount", ["--bind", this.dir, this.dir]);
      this.mounted = true;
      try {
        return void (await run("mount", ["-o", "remount,ro,bind", this.dir]));
      } catch (err) {
        await this.release();
        if (attempt === 10) throw err;
      }
    }
  }

  async writable(): Promise<void> {
    if (this.mounted) await run("mount", ["-o", "remount,rw,bind", this.dir]);
  }

  /** Removes the bind mount (the directory is writable as before). */
  async release(): Promise<void> {
    if (this.mounted) await run("umount", ["-l", this.dir]);
    this.mounted = false;
  }
}
