/**
 * Local files through Deno: the {@linkcode ByteSource} and {@linkcode FileSet} of files.ts for
 * a path on disk. Only the command line and Deno users need this module; the library's readers
 * take the interfaces.
 *
 * @module
 */

import { describeFsError, InputError } from "./errors.ts";
import { type ByteSource, checkByteRange, type FileSet } from "./files.ts";

/**
 * Opens a local file for range reads.
 *
 * @param path The file.
 * @returns The open file; close it with `close()` or `using`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/x.bin`, new Uint8Array([5, 6, 7]));
 * using file = await openLocalFile(`${dir}/x.bin`);
 * assert.deepEqual([...await file.read(1, 2)], [6, 7]);
 * await assert.rejects(openLocalFile(dir), /not a regular file/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openLocalFile(path: string): Promise<ByteSource> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new InputError(`Cannot read "${path}": ${describeFsError(error)}`, { cause: error });
  }
  let size: number;
  try {
    const info = await file.stat();
    if (!info.isFile) throw new InputError(`Cannot read "${path}": not a regular file`);
    size = info.size;
  } catch (error) {
    file.close();
    throw error;
  }
  // Reads seek the one handle, so they take turns, whatever the caller awaits.
  let reads: Promise<unknown> = Promise.resolve();
  const read = (offset: number, length: number): Promise<Uint8Array> => {
    const next = reads.then(() => readAt(file, path, size, offset, length));
    reads = next.catch(() => {});
    return next;
  };
  const close = () => file.close();
  return { path, size, read, close, [Symbol.dispose]: close };
}

/**
 * A local directory as a file set.
 *
 * @param dir The directory.
 * @returns The set: `open(name)` is undefined when `dir/name` does not exist.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "hi");
 * const set = localDirectory(dir);
 * assert.equal((await set.open("a.txt"))?.size, 2);
 * assert.equal(await set.open("b.txt"), undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function localDirectory(dir: string): FileSet {
  return {
    path: dir,
    open: async (name) => {
      const path = dir.endsWith("/") ? dir + name : `${dir}/${name}`;
      try {
        await Deno.stat(path);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw new InputError(`Cannot read "${path}": ${describeFsError(error)}`);
      }
      return await openLocalFile(path);
    },
  };
}

async function readAt(
  file: Deno.FsFile,
  path: string,
  size: number,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  checkByteRange(path, size, offset, length);
  const bytes = new Uint8Array(length);
  await file.seek(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(bytes.subarray(filled));
    if (n === null) throw new InputError(`"${path}" ended at byte ${offset + filled}`);
    filled += n;
  }
  return bytes;
}
