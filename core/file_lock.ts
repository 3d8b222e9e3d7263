/**
 * Exclusive locks on a path, held by an operating-system file lock (flock) on a lock file: the
 * lock disappears with its process, even one killed with SIGKILL, so a lock that is found taken
 * belongs to a run that is still alive, and one that is free may be taken over.
 *
 * @module
 */

import { describeFsError, InputError } from "./errors.ts";

/** What a lock file holds, to name the run that holds it. */
interface LockHolder {
  readonly tool: "sparseswaps";
  readonly pid: number;
  readonly hostname: string;
  readonly started: string;
}

/** An exclusive lock; `release()` (or `using`) gives it back and removes the lock file. */
export class FileLock implements Disposable {
  private released = false;

  private constructor(private readonly file: Deno.FsFile, readonly path: string) {}

  /**
   * Takes the lock at `path` (creating the file), or fails at once when another process holds it.
   *
   * @param path The lock file.
   * @param what What the lock protects, for the message (e.g. `Output directory "out"`).
   * @returns The held lock.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const dir = await Deno.makeTempDir();
   * const lock = await FileLock.acquire(`${dir}/.out.lock`, "out");
   * lock.release();
   * assert.deepEqual([...Deno.readDirSync(dir)], []);
   * await Deno.remove(dir);
   * ```
   */
  static async acquire(path: string, what: string): Promise<FileLock> {
    // A run that finishes removes its lock file while holding the lock; a run that opened the
    // old file meanwhile finds, once it gets the lock, that the path names another file: retry.
    for (let attempt = 0; attempt < 5; attempt++) {
      let file: Deno.FsFile;
      try {
        file = await Deno.open(path, { read: true, write: true, create: true });
      } catch (error) {
        throw new InputError(`Cannot create lock file "${path}": ${describeFsError(error)}`);
      }
      if (!(await file.tryLock(true))) {
        const holder = await readHolder(file);
        file.close();
        const by = holder
          ? ` (pid ${holder.pid} on ${holder.hostname}, since ${holder.started})`
          : "";
        throw new InputError(
          `${what} is being written by another sparseswaps run${by}; wait for it to finish or stop it (lock "${path}")`,
        );
      }
      if (await sameFile(file, path)) {
        const holder: LockHolder = {
          tool: "sparseswaps",
          pid: Deno.pid,
          hostname: Deno.hostname(),
          started: new Date().toISOString(),
        };
        await file.truncate(0);
        await file.write(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
        return new FileLock(file, path);
      }
      file.close();
    }
    throw new InputError(`Cannot take the lock "${path}": it keeps being replaced`);
  }

  /** Removes the lock file and releases the lock. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      Deno.removeSync(this.path);
    } catch {
      // Already gone (or a platform that cannot remove open files): the lock still ends below.
    }
    this.file.close();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

async function readHolder(file: Deno.FsFile): Promise<LockHolder | undefined> {
  try {
    await file.seek(0, Deno.SeekMode.Start);
    const bytes = new Uint8Array(4096);
    const n = await file.read(bytes) ?? 0;
    const holder = JSON.parse(new TextDecoder().decode(bytes.subarray(0, n)));
    return typeof holder?.pid === "number" ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an open file is still the one at `path` (same device and inode where known). */
async function sameFile(file: Deno.FsFile, path: string): Promise<boolean> {
  const opened = await file.stat();
  const current = await Deno.stat(path).catch(() => undefined);
  if (!current) return false;
  if (opened.ino === null || current.ino === null) return true;
  return opened.ino === current.ino && opened.dev === current.dev;
}
