/**
 * Local files through Deno: the {@linkcode ByteSource} and {@linkcode FileSet} of files.ts for
 * a path on disk. Only the command line and Deno users need this module; the library's readers
 * take the interfaces.
 *
 * @module
 */
import { type ByteSource, type FileSet } from "./files.js";
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
export declare function openLocalFile(path: string): Promise<ByteSource>;
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
export declare function localDirectory(dir: string): FileSet;
