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

import { writeFileAtomic } from "./atomic_write.ts";
import { describeFsError, InputError, SafetensorsError } from "./errors.ts";
import type { ByteSource } from "./files.ts";
import { openLocalFile } from "./local_files.ts";
import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from "./float16.ts";

/** The element types this package reads and writes. */
export type Dtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "U8" | "BOOL";

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<Dtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  U8: 1,
  BOOL: 1,
};

/** Headers above this size are refused, as the reference implementation does. */
const MAX_HEADER_BYTES = 100_000_000;

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
export function parseSafetensorsHeader(
  prefix: Uint8Array,
  fileSize: number,
  file: string,
): SafetensorsHeader {
  const fail = (detail: string): never => {
    throw new SafetensorsError(file, detail);
  };
  if (fileSize < 8 || prefix.length < 8) {
    fail(`file is ${fileSize} bytes, too short for the 8-byte header length`);
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(fileSize - 8)) {
    fail(`header length ${length} exceeds file size ${fileSize}`);
  }
  if (length > BigInt(MAX_HEADER_BYTES)) fail(`header length ${length} is over 100 MB`);
  const headerBytes = Number(length);
  const dataStart = 8 + headerBytes;
  if (prefix.length < dataStart) throw new RangeError("Prefix shorter than the header");
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(prefix.subarray(8, dataStart)),
    );
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(parsed)) return fail("header is not a JSON object");
  const dataSize = fileSize - dataStart;
  let metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  for (const [name, entry] of Object.entries(parsed)) {
    if (name === "__metadata__") {
      if (!isPlainObject(entry) || !Object.values(entry).every((v) => typeof v === "string")) {
        fail("__metadata__ must map strings to strings");
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    tensors.set(name, parseTensorEntry(name, entry, dataSize, fail));
  }
  checkCoverage([...tensors.values()], dataSize, fail);
  return { tensors, metadata, dataStart };
}

function parseTensorEntry(
  name: string,
  entry: unknown,
  dataSize: number,
  fail: (detail: string) => never,
): TensorInfo {
  if (!isPlainObject(entry)) fail(`tensor "${name}" is not a JSON object`);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
    fail(
      `tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)} (supported: ${
        Object.keys(DTYPE_BYTES).join(", ")
      })`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataSize) {
    fail(
      `tensor "${name}" data_offsets [${begin}, ${end}] are out of range (data is ${dataSize} bytes)`,
    );
  }
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  const needed = elements * DTYPE_BYTES[dtype as Dtype];
  if (end - begin !== needed) {
    fail(
      `tensor "${name}" data_offsets span ${
        end - begin
      } bytes but shape [${shape}] of ${dtype} needs ${needed}`,
    );
  }
  return { name, dtype: dtype as Dtype, shape: shape as number[], dataOffsets: [begin, end] };
}

/** The spec requires the tensors to cover the data exactly: no overlaps, holes or tail. */
function checkCoverage(
  tensors: TensorInfo[],
  dataSize: number,
  fail: (detail: string) => never,
): void {
  const sorted = tensors.slice().sort((a, b) =>
    a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]
  );
  let covered = 0;
  let previous: TensorInfo | undefined;
  for (const tensor of sorted) {
    const [begin, end] = tensor.dataOffsets;
    if (begin < covered) {
      fail(`tensors "${previous?.name}" and "${tensor.name}" overlap`);
    }
    if (begin > covered) fail(`data bytes [${covered}, ${begin}) belong to no tensor`);
    covered = end;
    previous = tensor;
  }
  if (covered !== dataSize) {
    fail(`data bytes [${covered}, ${dataSize}) after the last tensor belong to no tensor`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

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
export class SafetensorsFile implements Disposable {
  private constructor(
    /** The validated header. */
    readonly header: SafetensorsHeader,
    private readonly source: ByteSource,
  ) {}

  /**
   * Opens a local file and validates its header.
   *
   * @param path The file.
   * @returns The open file; close it with `close()` or `using`.
   */
  static async open(path: string): Promise<SafetensorsFile> {
    return await SafetensorsFile.from(await openLocalFile(path));
  }

  /**
   * Reads and validates the header of a file from any source (a Blob in a page, bytes).
   *
   * @param source The file; closed when its header is invalid.
   * @returns The open file; closing it closes the source.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { bytesSource } from "./files.ts";
   * const bytes = encodeSafetensors({ x: { dtype: "F32", shape: [1], data: new Float32Array([3]) } });
   * using file = await SafetensorsFile.from(bytesSource("x.safetensors", bytes));
   * assert.deepEqual([...toFloat32(await file.read("x"))], [3]);
   * ```
   */
  static async from(source: ByteSource): Promise<SafetensorsFile> {
    try {
      const { size, path } = source;
      const lengthBytes = await source.read(0, Math.min(8, size));
      let prefix = lengthBytes;
      if (size >= 8) {
        const length = new DataView(lengthBytes.buffer).getBigUint64(0, true);
        if (length <= BigInt(Math.min(size - 8, MAX_HEADER_BYTES))) {
          prefix = await source.read(0, 8 + Number(length));
        }
      }
      return new SafetensorsFile(parseSafetensorsHeader(prefix, size, path), source);
    } catch (error) {
      source.close();
      throw error;
    }
  }

  /** Where the file is. */
  get path(): string {
    return this.source.path;
  }

  /** Names of the tensors, in header order. */
  get names(): string[] {
    return [...this.header.tensors.keys()];
  }

  /**
   * Looks a tensor up, failing with a message that names the file when it is missing.
   *
   * @param name Tensor name.
   * @returns Its dtype, shape and offsets.
   */
  info(name: string): TensorInfo {
    const info = this.header.tensors.get(name);
    if (!info) {
      const present = this.names.slice(0, 8).map((n) => `"${n}"`).join(", ");
      throw new InputError(
        `Tensor "${name}" not found in "${this.path}" (it has: ${present || "no tensors"})`,
      );
    }
    return info;
  }

  /**
   * Reads a tensor's bytes.
   *
   * @param name Tensor name.
   * @returns The tensor in its own dtype.
   */
  async read(name: string): Promise<Tensor> {
    const { dtype, shape, dataOffsets: [begin, end] } = this.info(name);
    const bytes = await this.source.read(this.header.dataStart + begin, end - begin);
    return { dtype, shape, bytes };
  }

  /**
   * Reads a byte range of a tensor's data (a part of a tensor too large to read at once).
   *
   * @param name Tensor name.
   * @param begin First byte, from the start of the tensor's data.
   * @param end Byte after the last.
   * @returns The bytes.
   */
  async readRange(name: string, begin: number, end: number): Promise<Uint8Array> {
    const { dataOffsets: [start, stop] } = this.info(name);
    if (begin < 0 || end < begin || start + end > stop) {
      throw new RangeError(`Bytes ${begin}–${end} of tensor "${name}" of ${stop - start} bytes`);
    }
    return await this.source.read(this.header.dataStart + start + begin, end - begin);
  }

  /** Closes the file. */
  close(): void {
    this.source.close();
  }

  /** Closes the file (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
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
export function toFloat32(tensor: Tensor): Float32Array {
  const { dtype, bytes } = tensor;
  const buffer = alignedCopy(bytes);
  switch (dtype) {
    case "F32":
      return new Float32Array(buffer);
    case "F64":
      return Float32Array.from(new Float64Array(buffer));
    case "F16":
      return float16ToFloat32(new Uint16Array(buffer));
    case "BF16":
      return bfloat16ToFloat32(new Uint16Array(buffer));
    default:
      throw new TypeError(`Not a floating-point dtype: ${dtype}`);
  }
}

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
export function fromFloat32(
  values: Float32Array,
  dtype: "F32" | "F16" | "BF16",
  shape: readonly number[],
): Tensor {
  const data = dtype === "F32"
    ? Float32Array.from(values)
    : dtype === "F16"
    ? float32ToFloat16(values)
    : float32ToBfloat16(values);
  return { dtype, shape, bytes: new Uint8Array(data.buffer) };
}

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
export function toFloat64(tensor: Tensor): Float64Array {
  return tensor.dtype === "F64"
    ? new Float64Array(alignedCopy(tensor.bytes))
    : Float64Array.from(toFloat32(tensor));
}

function alignedCopy(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

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
export function encodeSafetensors(
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const parts = encodeParts(tensors, metadata);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

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
export async function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  await writeFileAtomic(path, encodeParts(tensors, metadata));
}

function encodeParts(
  tensors: Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array[] {
  const entries = Object.entries(tensors).map(([name, tensor]) => ({ name, ...tensor }));
  const data = entries.map(({ name, dtype, shape, data }) => {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.length !== tensorBytes(dtype, shape)) {
      throw new TypeError(
        `Tensor "${name}": ${bytes.length} bytes do not match shape [${shape}] of ${dtype}`,
      );
    }
    return bytes;
  });
  return [encodeHeader(entries, metadata).bytes, ...data];
}

function tensorBytes(dtype: Dtype, shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
}

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
export function encodeHeader(
  entries: readonly TensorEntry[],
  metadata?: Readonly<Record<string, string>>,
): { bytes: Uint8Array; offsets: Map<string, [number, number]> } {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const offsets = new Map<string, [number, number]>();
  let offset = 0;
  for (const { name, dtype, shape } of entries) {
    const end = offset + tensorBytes(dtype, shape);
    header[name] = { dtype, shape, data_offsets: [offset, end] };
    offsets.set(name, [offset, end]);
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return { bytes, offsets };
}

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
export class SafetensorsWriter {
  private readonly pending: Set<string>;

  private constructor(
    private readonly file: Deno.FsFile,
    private readonly path: string,
    private readonly dataStart: number,
    private readonly offsets: Map<string, [number, number]>,
  ) {
    this.pending = new Set(offsets.keys());
  }

  /**
   * Creates the file and writes its header.
   *
   * @param path Target file.
   * @param entries Every tensor it will hold, in data order.
   * @param metadata Optional `__metadata__` strings.
   * @returns The writer.
   */
  static async create(
    path: string,
    entries: readonly TensorEntry[],
    metadata?: Readonly<Record<string, string>>,
  ): Promise<SafetensorsWriter> {
    const { bytes, offsets } = encodeHeader(entries, metadata);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { write: true, create: true, truncate: true });
    } catch (error) {
      throw new InputError(`Cannot write "${path}": ${describeFsError(error)}`, { cause: error });
    }
    await writeAll(file, bytes);
    return new SafetensorsWriter(file, path, bytes.length, offsets);
  }

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
  static async reopen(
    path: string,
    entries: readonly TensorEntry[],
    written: Iterable<string>,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<SafetensorsWriter | undefined> {
    const { bytes, offsets } = encodeHeader(entries, metadata);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true });
    } catch {
      return undefined;
    }
    const found = new Uint8Array(bytes.length);
    let filled = 0;
    while (filled < found.length) {
      const n = await file.read(found.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    if (filled !== bytes.length || found.some((b, i) => b !== bytes[i])) {
      file.close();
      return undefined;
    }
    const writer = new SafetensorsWriter(file, path, bytes.length, offsets);
    for (const name of written) writer.pending.delete(name);
    return writer;
  }

  /**
   * Writes one tensor's bytes at its place.
   *
   * @param name A declared tensor.
   * @param data Its bytes (or a typed array of the right element size).
   */
  async write(name: string, data: ArrayBufferView): Promise<void> {
    const place = this.offsets.get(name);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (!place || place[1] - place[0] !== bytes.length) {
      throw new TypeError(
        `Tensor "${name}" is not declared in "${this.path}" with ${bytes.length} bytes`,
      );
    }
    await this.file.seek(this.dataStart + place[0], Deno.SeekMode.Start);
    await writeAll(this.file, bytes);
    this.pending.delete(name);
  }

  /** Flushes what was written to the disk, so it survives a crash of the process or machine. */
  async sync(): Promise<void> {
    await this.file.sync();
  }

  /** Closes the file without checking it is complete (a run stopped part way). */
  closeUnfinished(): void {
    try {
      this.file.close();
    } catch {
      // Already closed.
    }
  }

  /** Checks every tensor was written, flushes and closes the file. */
  async close(): Promise<void> {
    try {
      if (this.pending.size > 0) {
        throw new Error(
          `"${this.path}" is missing tensors: ${[...this.pending].slice(0, 5).join(", ")}`,
        );
      }
      await this.file.sync();
    } finally {
      this.file.close();
    }
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await file.write(bytes.subarray(written));
  }
}
