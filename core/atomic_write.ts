/**
 * Atomic file output: data goes to a temporary file beside the target, which is renamed over
 * the target only once everything is written and flushed. An interrupted run leaves the old
 * file (or none) in place, never half of a new one.
 *
 * @module
 */

import { describeFsError, InputError } from "./errors.ts";

/**
 * Writes chunks to `path` atomically.
 *
 * @param path Target file.
 * @param chunks The file's bytes, in order (made as they are written, when asynchronous).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/out.bin`, [new Uint8Array([1, 2]), new Uint8Array([3])]);
 * assert.deepEqual([...await Deno.readFile(`${dir}/out.bin`)], [1, 2, 3]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<void> {
  // Beside the target, so that the rename stays on one file system.
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const temporary = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${Deno.pid}.${
    crypto.randomUUID().slice(0, 8)
  }.tmp`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(temporary, { write: true, createNew: true });
  } catch (error) {
    throw new InputError(`Cannot write "${path}": ${describeFsError(error)}`, { cause: error });
  }
  try {
    for await (const chunk of chunks) {
      let written = 0;
      while (written < chunk.length) written += await file.write(chunk.subarray(written));
    }
    await file.sync();
    file.close();
    await Deno.rename(temporary, path);
  } catch (error) {
    try {
      file.close();
    } catch { /* already closed */ }
    await Deno.remove(temporary).catch(() => {});
    throw new InputError(`Cannot write "${path}": ${describeFsError(error)}`, { cause: error });
  }
}
