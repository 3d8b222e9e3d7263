/**
 * Safetensors reader and writer, to the format's specification
 * (github.com/huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
 * JSON header, then the data. The header maps each tensor name to `dtype`, `shape` and
 * `data_offsets` [begin, end) relative to the data; `__metadata__` maps strings to strings.
 * Every field is validated; the data must be covered exactly, without holes or overlaps.
 *
 * The reader reads the header on open and each tensor only when asked, so models larger than
 * memory can be read tensor by tensor.
 *
 * @module
 */
import type { ByteSource } from "./files.js";
/** The element types this package reads and writes. */
export type Dtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "U8" | "BOOL";
/** Bytes per element of each dtype. */
export declare const DTYPE_BYTES: Readonly<Record<Dtype, number>>;
/** Where a tensor lies in a file. */
export interface TensorInfo {
    /** Name in the header. */
    readonly name: string;
    /** Element type. */
    readonly dtype: Dtype;
    /** Dimensions. */
    readonly shape: readonly number[];
    /** Byte range [begin, end) within the data section. */
    readonly dataOffsets: readonly [number, number];
}
/** A parsed, validated header. */
export interface SafetensorsHeader {
    /** Tensors by name. */
    readonly tensors: ReadonlyMap<string, TensorInfo>;
    /** `__metadata__`, empty when absent. */
    readonly metadata: Readonly<Record<string, string>>;
    /** Byte offset of the data section in the file (8 + header length). */
    readonly dataStart: number;
}
/** A tensor's contents in its own dtype. */
export interface Tensor {
    /** Element type. */
    readonly dtype: Dtype;
    /** Dimensions. */
    readonly shape: readonly number[];
    /** Raw little-endian bytes, as in the file. */
    readonly bytes: Uint8Array;
}
/** A tensor to write. */
export interface TensorToWrite {
    /** Element type. */
    readonly dtype: Dtype;
    /** Dimensions. */
    readonly shape: readonly number[];
    /** The elements: raw bytes, or a typed array whose element size matches `dtype`. */
    readonly data: ArrayBufferView;
}
/**
 * Parses and validates a safetensors header.
 *
 * @param prefix The file's first bytes: at least 8 + the header length.
 * @param fileSize Total size of the file in bytes.
 * @param file Path, for error messages.
 * @returns The validated header.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = encodeSafetensors({ x: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } });
 * const header = parseSafetensorsHeader(bytes, bytes.length, "x.safetensors");
 * assert.deepEqual(header.tensors.get("x")?.shape, [2]);
 * assert.throws(() => parseSafetensorsHeader(bytes, 20, "x.safetensors"), /exceeds/);
 * ```
 */
export declare function parseSafetensorsHeader(prefix: Uint8Array, fileSize: number, file: string): SafetensorsHeader;
/**
 * An open safetensors file: the header is read and validated on open, tensors on demand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeSafetensors(`${dir}/t.safetensors`, { x: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } });
 * using file = await SafetensorsFile.open(`${dir}/t.safetensors`);
 * assert.deepEqual([...toFloat32(await file.read("x"))], [1, 2]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export declare class SafetensorsFile implements Disposable {
    /** Closes the file (for `using`). */
    [Symbol.dispose]: () => void;
    /** The validated header. */
    readonly header: SafetensorsHeader;
    private readonly source;
    private constructor();
    /**
     * Opens a local file and validates its header.
     *
     * @param path The file.
     * @returns The open file; close it with `close()` or `using`.
     */
    static open(path: string): Promise<SafetensorsFile>;
    /**
     * Reads and validates the header of a file from any source (a Blob in a page, bytes).
     *
     * @param source The file; closed when its header is invalid.
     * @returns The open file; closing it closes the source.
     * @example
     * ```ts
     * import assert from "node:assert/strict";
     * import { bytesSource } from "./files.js";
     * const bytes = encodeSafetensors({ x: { dtype: "F32", shape: [1], data: new Float32Array([3]) } });
     * using file = await SafetensorsFile.from(bytesSource("x.safetensors", bytes));
     * assert.deepEqual([...toFloat32(await file.read("x"))], [3]);
     * ```
     */
    static from(source: ByteSource): Promise<SafetensorsFile>;
    /** Where the file is. */
    get path(): string;
    /** Names of the tensors, in header order. */
    get names(): string[];
    /**
     * Looks a tensor up, failing with a message that names the file when it is missing.
     *
     * @param name Tensor name.
     * @returns Its dtype, shape and offsets.
     */
    info(name: string): TensorInfo;
    /**
     * Reads a tensor's bytes.
     *
     * @param name Tensor name.
     * @returns The tensor in its own dtype.
     */
    read(name: string): Promise<Tensor>;
    /**
     * Reads a byte range of a tensor's data (a part of a tensor too large to read at once).
     *
     * @param name Tensor name.
     * @param begin First byte, from the start of the tensor's data.
     * @param end Byte after the last.
     * @returns The bytes.
     */
    readRange(name: string, begin: number, end: number): Promise<Uint8Array>;
    /** Closes the file. */
    close(): void;
}
/**
 * Decodes a floating-point tensor (F64, F32, F16 or BF16) to float32.
 *
 * @param tensor The tensor.
 * @returns Its elements as float32 (F64 is rounded).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = new Uint8Array(new Uint16Array([0x3c00, 0x4000]).buffer);
 * assert.deepEqual([...toFloat32({ dtype: "F16", shape: [2], bytes })], [1, 2]);
 * ```
 */
export declare function toFloat32(tensor: Tensor): Float32Array;
/**
 * Encodes float32 values as a tensor of a floating-point dtype (F16 and BF16 rounded to nearest,
 * ties to even).
 *
 * @param values The elements.
 * @param dtype F32, F16 or BF16.
 * @param shape Its dimensions.
 * @returns The tensor.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const tensor = fromFloat32(new Float32Array([1, -3]), "BF16", [2]);
 * assert.deepEqual([...toFloat32(tensor)], [1, -3]);
 * assert.equal(tensor.bytes.length, 4);
 * ```
 */
export declare function fromFloat32(values: Float32Array, dtype: "F32" | "F16" | "BF16", shape: readonly number[]): Tensor;
/**
 * Decodes a floating-point tensor to float64 (exact for every supported dtype).
 *
 * @param tensor The tensor.
 * @returns Its elements as float64.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = new Uint8Array(new Float64Array([0.1]).buffer);
 * assert.deepEqual([...toFloat64({ dtype: "F64", shape: [1], bytes })], [0.1]);
 * ```
 */
export declare function toFloat64(tensor: Tensor): Float64Array;
/**
 * Serialises tensors and metadata to safetensors bytes (header padded with spaces to 8 bytes).
 *
 * @param tensors Tensors by name, written in this order.
 * @param metadata Optional `__metadata__` strings.
 * @returns The file's bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = encodeSafetensors({ m: { dtype: "U8", shape: [3], data: new Uint8Array([1, 0, 1]) } });
 * assert.equal(bytes.length % 8, 3); // 8-byte length + padded header + 3 data bytes
 * ```
 */
export declare function encodeSafetensors(tensors: Readonly<Record<string, TensorToWrite>>, metadata?: Readonly<Record<string, string>>): Uint8Array;
/**
 * Writes a safetensors file atomically (temporary file, then rename).
 *
 * @param path Target file.
 * @param tensors Tensors by name.
 * @param metadata Optional `__metadata__` strings.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await writeSafetensors(`${dir}/m.safetensors`, { m: { dtype: "U8", shape: [1], data: new Uint8Array([1]) } }, { note: "hi" });
 * using file = await SafetensorsFile.open(`${dir}/m.safetensors`);
 * assert.equal(file.header.metadata.note, "hi");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export declare function writeSafetensors(path: string, tensors: Readonly<Record<string, TensorToWrite>>, metadata?: Readonly<Record<string, string>>): Promise<void>;
/** A tensor's name, type and shape: what a header records. */
export interface TensorEntry {
    /** Name. */
    readonly name: string;
    /** Element type. */
    readonly dtype: Dtype;
    /** Dimensions. */
    readonly shape: readonly number[];
}
/**
 * Encodes a header (length prefix, JSON padded with spaces to 8 bytes) for tensors stored
 * back to back in the given order.
 *
 * @param entries The tensors, in data order.
 * @param metadata Optional `__metadata__` strings.
 * @returns The header's bytes and each tensor's [begin, end) within the data.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const { bytes, offsets } = encodeHeader([{ name: "a", dtype: "F32", shape: [2] }, { name: "b", dtype: "U8", shape: [3] }]);
 * assert.equal(bytes.length % 8, 0);
 * assert.deepEqual(offsets.get("b"), [8, 11]);
 * ```
 */
export declare function encodeHeader(entries: readonly TensorEntry[], metadata?: Readonly<Record<string, string>>): {
    bytes: Uint8Array;
    offsets: Map<string, [number, number]>;
};
/**
 * Writes a safetensors file whose tensors arrive one at a time, in any order: the header is
 * written first from the declared entries, each tensor at its place. Writes `path` directly;
 * callers that need atomicity write into a temporary directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const writer = await SafetensorsWriter.create(`${dir}/t.safetensors`, [
 *   { name: "a", dtype: "U8", shape: [1] }, { name: "b", dtype: "U8", shape: [2] },
 * ]);
 * await writer.write("b", new Uint8Array([5, 6]));
 * await writer.write("a", new Uint8Array([4]));
 * await writer.close();
 * using file = await SafetensorsFile.open(`${dir}/t.safetensors`);
 * assert.deepEqual([...(await file.read("b")).bytes], [5, 6]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export declare class SafetensorsWriter {
    private readonly file;
    private readonly path;
    private readonly dataStart;
    private readonly offsets;
    private readonly pending;
    private constructor();
    /**
     * Creates the file and writes its header.
     *
     * @param path Target file.
     * @param entries Every tensor it will hold, in data order.
     * @param metadata Optional `__metadata__` strings.
     * @returns The writer.
     */
    static create(path: string, entries: readonly TensorEntry[], metadata?: Readonly<Record<string, string>>): Promise<SafetensorsWriter>;
    /**
     * Reopens a file an interrupted writer left, to write the tensors it had not written yet. The
     * file must start with exactly the header `create` writes for the same entries and metadata.
     *
     * @param path The file.
     * @param entries Every tensor it holds, in data order (as given to `create`).
     * @param written The tensors already written (and synced) there.
     * @param metadata `__metadata__` as given to `create`.
     * @returns The writer, or undefined when the file is missing or its header differs.
     * @example
     * ```ts
     * import assert from "node:assert/strict";
     * const dir = await Deno.makeTempDir();
     * const entries = [{ name: "a", dtype: "U8", shape: [1] }, { name: "b", dtype: "U8", shape: [1] }] as const;
     * const first = await SafetensorsWriter.create(`${dir}/t.safetensors`, entries);
     * await first.write("a", new Uint8Array([4]));
     * await first.sync();
     * first.closeUnfinished();
     * const again = await SafetensorsWriter.reopen(`${dir}/t.safetensors`, entries, ["a"]);
     * await again!.write("b", new Uint8Array([5]));
     * await again!.close();
     * using file = await SafetensorsFile.open(`${dir}/t.safetensors`);
     * assert.deepEqual([...(await file.read("a")).bytes, ...(await file.read("b")).bytes], [4, 5]);
     * await Deno.remove(dir, { recursive: true });
     * ```
     */
    static reopen(path: string, entries: readonly TensorEntry[], written: Iterable<string>, metadata?: Readonly<Record<string, string>>): Promise<SafetensorsWriter | undefined>;
    /**
     * Writes one tensor's bytes at its place.
     *
     * @param name A declared tensor.
     * @param data Its bytes (or a typed array of the right element size).
     */
    write(name: string, data: ArrayBufferView): Promise<void>;
    /** Flushes what was written to the disk, so it survives a crash of the process or machine. */
    sync(): Promise<void>;
    /** Closes the file without checking it is complete (a run stopped part way). */
    closeUnfinished(): void;
    /** Checks every tensor was written, flushes and closes the file. */
    close(): Promise<void>;
}
