/**
 * Files as the library reads them, on any platform: a {@linkcode ByteSource} reads byte ranges
 * of one file, a {@linkcode FileSet} opens files by name (a model directory). The readers of
 * checkpoints, safetensors and tokenizers take these, so one code path serves a local file
 * (local_files.ts, Deno), a file picked in a web page or a Blob from `fetch` ({@linkcode blobSource}),
 * a Node file (`fs.openAsBlob`) and bytes in memory ({@linkcode bytesSource}).
 *
 * @module
 */
/** One file's bytes, read by range. */
export interface ByteSource extends Disposable {
    /** Where it came from (a path, a picked file's name): messages name it. */
    readonly path: string;
    /** Its length in bytes. */
    readonly size: number;
    /**
     * Reads exactly `length` bytes at `offset`.
     *
     * @param offset First byte.
     * @param length Bytes to read; the range must lie inside the file.
     * @returns The bytes (a new array the caller may keep).
     */
    read(offset: number, length: number): Promise<Uint8Array>;
    /** Releases the file. */
    close(): void;
}
/** Files by name: a model directory, a folder of picked files. */
export interface FileSet {
    /** Where they are (a directory path, or a description): messages name it. */
    readonly path: string;
    /**
     * Opens one file of the set.
     *
     * @param name The file's name in the set, e.g. `config.json`.
     * @returns The file, or undefined when the set has no such file.
     */
    open(name: string): Promise<ByteSource | undefined>;
}
/**
 * A source over a Blob (a `File` picked in a page, a `fetch` response's blob, Node's
 * `fs.openAsBlob`): ranges are sliced, so a large file is never read whole.
 *
 * @param path What to call it in messages.
 * @param blob The bytes.
 * @returns The source.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const source = blobSource("x.bin", new Blob([new Uint8Array([1, 2, 3, 4])]));
 * assert.deepEqual([...await source.read(1, 2)], [2, 3]);
 * ```
 */
export declare function blobSource(path: string, blob: Blob): ByteSource;
/**
 * A source over bytes in memory.
 *
 * @param path What to call it in messages.
 * @param bytes The bytes (not copied; reads return copies).
 * @returns The source.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const source = bytesSource("x.bin", new Uint8Array([1, 2, 3]));
 * assert.equal(source.size, 3);
 * assert.deepEqual([...await source.read(2, 1)], [3]);
 * ```
 */
export declare function bytesSource(path: string, bytes: Uint8Array): ByteSource;
/**
 * A file set over files in memory or Blobs (files picked in a page, keyed by their names).
 *
 * @param path What to call the set in messages.
 * @param files The files by name.
 * @returns The set.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const set = memoryFileSet("picked files", new Map([["config.json", new Blob(["{}"])]]));
 * assert.equal((await set.open("config.json"))?.size, 2);
 * assert.equal(await set.open("model.safetensors"), undefined);
 * ```
 */
export declare function memoryFileSet(path: string, files: ReadonlyMap<string, Blob | Uint8Array>): FileSet;
/**
 * Reads a whole file.
 *
 * @param source The file.
 * @returns Its bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([...await readAll(bytesSource("x", new Uint8Array([7, 8])))], [7, 8]);
 * ```
 */
export declare function readAll(source: ByteSource): Promise<Uint8Array>;
/**
 * Reads a file of a set as JSON, or undefined when the set has no such file.
 *
 * @param files The set.
 * @param name The file's name.
 * @returns The parsed value and the raw bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const set = memoryFileSet("dir", new Map([["a.json", new TextEncoder().encode('{"x":1}')]]));
 * assert.deepEqual((await readJsonFile(set, "a.json"))?.value, { x: 1 });
 * await assert.rejects(readJsonFile(memoryFileSet("dir", new Map([["b.json", new Uint8Array([123])]])), "b.json"), /"dir\/b.json" is not valid JSON/);
 * ```
 */
export declare function readJsonFile(files: FileSet, name: string): Promise<{
    value: unknown;
    bytes: Uint8Array;
} | undefined>;
/**
 * Fails unless `length` bytes at `offset` lie inside a file of `size` bytes.
 *
 * @param path The file, for the message.
 * @param size Its length.
 * @param offset First byte.
 * @param length Bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(() => checkByteRange("x.bin", 4, 2, 3), /bytes 2–5 of "x.bin": it has 4 bytes/);
 * ```
 */
export declare function checkByteRange(path: string, size: number, offset: number, length: number): void;
