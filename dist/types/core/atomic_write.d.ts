/**
 * Atomic file output: data goes to a temporary file beside the target, which is renamed over
 * the target only once everything is written and flushed. An interrupted run leaves the old
 * file (or none) in place, never half of a new one.
 *
 * @module
 */
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
export declare function writeFileAtomic(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void>;
