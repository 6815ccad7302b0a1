/**
 * A directory on a disk that fills up and frees space again while processes use it: a small
 * tmpfs mounted over it, filled to the last block by one file, which is removed to give the
 * space back. Writes then fail with ENOSPC as on a full disk, through files already
 * open too. Needs the right to mount, as read-only-mount.ts does (`canMount`).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const FILLER = ".disk-filler";

export class FullDisk {
  private mounted = false;

  constructor(
    readonly dir: string,
    private readonly sizeMb: number,
  ) {}

  /** Mounts the empty tmpfs over `dir` (before anything is written there). */
  async mount(): Promise<void> {
    await run("mount", ["-t", "tmpfs", "-o", `size=${this.sizeMb}m,mode=0700`, "tmpfs", this.dir]);
    this.mounted = true;
  }

  /** Takes every free block (written, so no block is left however the gateway writes meanwhile); returns the bytes taken. */
  async fill(): Promise<number> {
    const fd = fs.openSync(path.join(this.dir, FILLER), "a");
    let taken = 0;
    try {
      // Megabytes while they fit, then single blocks, each until the disk refuses.
      for (const size of [2 ** 20, fs.statfsSync(this.dir).bsize]) {
        const chunk = Buffer.alloc(size);
        try {
          for (;;) taken += fs.writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    return taken;
  }

  /** Gives the space back. */
  async free(): Promise<void> {
    fs.rmSync(path.join(this.dir, FILLER), { force: true });
  }

  /** Unmounts the tmpfs (its files go with it). */
  async release(): Promise<void> {
    if (this.mounted) await run("umount", ["-l", this.dir]);
    this.mounted = false;
  }
}
