/**
 * Output directories written atomically: everything goes into a sibling temporary directory,
 * which replaces the target only when complete. A target that exists is replaced only when it
 * is empty or an earlier sparseswaps output (it has a report.json), never an unrelated folder.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import { describeFsError } from "../atomic_write.ts";
import { InputError } from "../errors.ts";

/** The file that marks a directory as a sparseswaps output. */
const MARKER = "report.json";

async function replaceable(dir: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw new InputError(`Cannot use output directory "${dir}": ${describeFsError(error)}`);
  }
  if (!info.isDirectory) throw new InputError(`Output "${dir}" exists and is not a directory`);
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.length === 0 || names.includes(MARKER);
}

/**
 * Checks the target can be written and creates the temporary directory to write into.
 *
 * @param target The output directory the user asked for.
 * @returns The temporary directory.
 */
export async function startOutputDirectory(target: string): Promise<string> {
  const absolute = resolve(target);
  if (!(await replaceable(absolute))) {
    throw new InputError(
      `Output directory "${target}" exists and is not a sparseswaps output (no ${MARKER}); refusing to replace it`,
    );
  }
  const parent = dirname(absolute);
  try {
    return await Deno.makeTempDir({ dir: parent, prefix: `.${basename(absolute)}.partial-` });
  } catch (error) {
    throw new InputError(`Cannot write to "${parent}": ${describeFsError(error)}`);
  }
}

/**
 * Moves the finished temporary directory into place, replacing an earlier output.
 *
 * @param temporary The directory from startOutputDirectory, complete.
 * @param target The output directory.
 */
export async function commitOutputDirectory(temporary: string, target: string): Promise<void> {
  const absolute = resolve(target);
  if (!(await replaceable(absolute))) {
    throw new InputError(
      `Output directory "${target}" changed during the run; the result is in "${temporary}"`,
    );
  }
  // makeTempDir creates it private (0700); outputs get the usual permissions.
  if (Deno.build.os !== "windows") await Deno.chmod(temporary, 0o755);
  const old = join(
    dirname(absolute),
    `.${basename(absolute)}.old-${crypto.randomUUID().slice(0, 8)}`,
  );
  const existed = await Deno.stat(absolute).then(() => true, () => false);
  if (existed) await Deno.rename(absolute, old);
  await Deno.rename(temporary, absolute);
  if (existed) await Deno.remove(old, { recursive: true });
}

/**
 * Removes an unfinished temporary directory.
 *
 * @param temporary The directory from startOutputDirectory.
 */
export async function abandonOutputDirectory(temporary: string): Promise<void> {
  await Deno.remove(temporary, { recursive: true }).catch(() => {});
}
