/**
 * Output directories that never cost a user a file. Beside the target `NAME`:
 *
 *     .NAME.lock       locked (flock) by the run writing NAME: a second run fails at once, and
 *                      a run killed even by SIGKILL leaves it free for the next one
 *     .NAME.partial/   the run's work, renamed to NAME only when complete; an interrupted run
 *                      leaves it for the next run to resume (or to clear, with other settings)
 *     NAME/sparseswaps-output.json   the marker: the exact list of files the tool wrote
 *
 * An existing NAME is replaced only when it is empty or holds a marker and nothing but the files
 * the marker lists; replacing it removes those files and nothing else.
 *
 * @module
 */

import { basename, dirname, join, parse, resolve } from "node:path";
import { describeFsError, InputError } from "../errors.ts";
import { writeFileAtomic } from "../atomic_write.ts";
import { FileLock } from "../file_lock.ts";

/** The file that marks a directory as written by sparseswaps, listing what it wrote. */
export const OUTPUT_MARKER = "sparseswaps-output.json";

/** What the marker holds. */
interface OutputMarker {
  readonly tool: "sparseswaps";
  /** False while the directory is a run's unfinished work. */
  readonly complete: boolean;
  /** Every file the tool wrote there (the marker aside). */
  readonly files: readonly string[];
}

async function readMarker(dir: string): Promise<OutputMarker | undefined> {
  try {
    const marker = JSON.parse(await Deno.readTextFile(join(dir, OUTPUT_MARKER)));
    const valid = marker?.tool === "sparseswaps" && Array.isArray(marker.files) &&
      marker.files.every((f: unknown) => typeof f === "string" && f === basename(f));
    return valid ? marker : undefined;
  } catch {
    return undefined;
  }
}

async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/**
 * Why `dir` may not be replaced, or undefined when it may (missing, empty, or an earlier output
 * holding only the files its marker lists).
 */
async function refusal(dir: string, shown: string): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    return `Cannot use output directory "${shown}": ${describeFsError(error)}`;
  }
  if (!info.isDirectory) return `Output "${shown}" exists and is not a directory`;
  const names = await listNames(dir);
  if (names.length === 0) return undefined;
  const marker = await readMarker(dir);
  if (!marker) {
    return `Output directory "${shown}" exists and is not a sparseswaps output (no ${OUTPUT_MARKER}); refusing to replace it`;
  }
  const foreign = names.find((name) => name !== OUTPUT_MARKER && !marker.files.includes(name));
  if (foreign !== undefined) {
    return `Output directory "${shown}" holds "${foreign}", which sparseswaps did not write; refusing to replace it (move the file away or choose another --out)`;
  }
  return undefined;
}

/** Removes the files a marker lists, the marker, and then the directory if nothing else is left. */
async function removeOwnFiles(dir: string, marker: OutputMarker): Promise<string | undefined> {
  for (const name of [...marker.files, OUTPUT_MARKER]) {
    await Deno.remove(join(dir, name)).catch(() => {});
  }
  try {
    await Deno.remove(dir);
    return undefined;
  } catch {
    return (await listNames(dir).catch(() => []))[0];
  }
}

/** A locked output directory and the partial directory a run writes into. */
export class OutputDirectory implements Disposable {
  private constructor(
    /** The target as the user wrote it, for messages. */
    readonly shown: string,
    /** The target, absolute. */
    readonly target: string,
    /** The run's work directory, `.NAME.partial` beside the target. */
    readonly partial: string,
    private readonly lock: FileLock,
  ) {}

  /**
   * Checks the target can be replaced and locks it; fails at once when another run holds it.
   *
   * @param target The output directory the user asked for.
   * @returns The locked output directory; `release()` it when done.
   */
  static async open(target: string): Promise<OutputDirectory> {
    const absolute = resolve(target);
    if (absolute === parse(absolute).root) {
      throw new InputError(`Output directory "${target}" is a file-system root`);
    }
    const reason = await refusal(absolute, target);
    if (reason) throw new InputError(reason);
    const parent = dirname(absolute);
    const info = await Deno.stat(parent).catch((error) => {
      throw new InputError(`Cannot write to "${parent}": ${describeFsError(error)}`);
    });
    if (!info.isDirectory) throw new InputError(`Cannot write to "${parent}": not a directory`);
    const name = basename(absolute);
    const lock = await FileLock.acquire(
      join(parent, `.${name}.lock`),
      `Output directory "${target}"`,
    );
    return new OutputDirectory(target, absolute, join(parent, `.${name}.partial`), lock);
  }

  /** Whether an earlier run left its unfinished work in the partial directory. */
  async hasPartial(): Promise<boolean> {
    return await Deno.lstat(this.partial).then(() => true, () => false);
  }

  /** Whether the partial directory holds a finished output that a failed commit left there. */
  async hasFinishedPartial(): Promise<boolean> {
    return (await readMarker(this.partial))?.complete === true;
  }

  /** Clears any earlier partial directory and creates an empty one marked as this tool's. */
  async startFresh(): Promise<void> {
    await this.discard();
    try {
      await Deno.mkdir(this.partial, { mode: 0o700 });
    } catch (error) {
      throw new InputError(`Cannot create "${this.partial}": ${describeFsError(error)}`);
    }
    await this.writeMarker(this.partial, { tool: "sparseswaps", complete: false, files: [] });
  }

  /**
   * Removes the partial directory, which must be this tool's (it holds the marker).
   * Nothing happens when there is none.
   */
  async discard(): Promise<void> {
    const info = await Deno.lstat(this.partial).catch(() => undefined);
    if (!info) return;
    if (!info.isDirectory || !(await readMarker(this.partial))) {
      throw new InputError(
        `"${this.partial}" is in the way of the output and was not written by sparseswaps; move it away`,
      );
    }
    await Deno.remove(this.partial, { recursive: true });
  }

  /**
   * Moves the finished partial directory into place. The marker is written first, listing
   * `files`; an earlier output is moved aside and only the files its marker lists are removed.
   *
   * @param files Every file the run wrote into the partial directory (and nothing else).
   * @throws {InputError} When the target cannot be replaced; the result stays in the partial
   *   directory, which the caller must then keep.
   */
  async commit(files: readonly string[]): Promise<void> {
    const names = await listNames(this.partial);
    const unexpected = names.find((n) => n !== OUTPUT_MARKER && !files.includes(n));
    if (unexpected !== undefined) {
      throw new Error(`The output holds "${unexpected}", which the run did not report writing`);
    }
    await this.writeMarker(this.partial, { tool: "sparseswaps", complete: true, files });
    // The partial directory is private (0700) while written; outputs get the usual permissions.
    if (Deno.build.os !== "windows") await Deno.chmod(this.partial, 0o755);
    const reason = await refusal(this.target, this.shown);
    if (reason) {
      throw new InputError(
        `${reason}; it changed during the run. The result is in "${this.partial}"`,
      );
    }
    const earlier = await readMarker(this.target);
    const aside = `${this.partial.slice(0, -".partial".length)}.replaced`;
    try {
      if (earlier) {
        await this.removeAside(aside);
        await Deno.rename(this.target, aside);
      } else {
        await Deno.remove(this.target).catch(() => {}); // an empty directory, if any
      }
      await Deno.rename(this.partial, this.target);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(
        `Cannot move the finished output into "${this.shown}": ${
          describeFsError(error)
        }. The result is in "${this.partial}"`,
      );
    }
    if (earlier) {
      const left = await removeOwnFiles(aside, earlier);
      if (left !== undefined) {
        throw new InputError(
          `Wrote "${this.shown}", but "${left}" appeared in the earlier output during the run; it is kept in "${aside}"`,
        );
      }
    }
  }

  /** Gives back the lock. */
  release(): void {
    this.lock.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  /** Clears a `.NAME.replaced` left by a run killed while replacing an earlier output. */
  private async removeAside(aside: string): Promise<void> {
    const marker = await readMarker(aside);
    if (marker) await removeOwnFiles(aside, marker);
    if (await Deno.lstat(aside).then(() => true, () => false)) {
      throw new InputError(`"${aside}" is in the way of replacing the output; move it away`);
    }
  }

  private async writeMarker(dir: string, marker: OutputMarker): Promise<void> {
    await writeFileAtomic(join(dir, OUTPUT_MARKER), [
      new TextEncoder().encode(JSON.stringify(marker, null, 2) + "\n"),
    ]);
  }
}
