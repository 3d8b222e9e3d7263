/**
 * compressed-tensors sparse storage: the safetensors layout llm-compressor writes and vLLM and
 * Hugging Face transformers load, so a pruned model is smaller on disk than its dense twin.
 * Names, dtypes and bit order follow neuralmagic/compressed-tensors (`sparse_bitmask.py`,
 * `sparse_24_bitmask.py`, `utils/helpers.py`):
 *
 * - `sparse-bitmask` (any sparsity): a weight `P.weight` (rows, cols) becomes `P.shape` (I64
 *   [2]), `P.compressed` (the stored values in row-major order, the weight's dtype, 1-D),
 *   `P.bitmask` (U8 [rows, ceil(cols / 8)], bit j of byte b is column 8b + j: numpy's
 *   `packbits(bitorder="little")`) and `P.row_offsets` (I64 [rows], where each row starts in
 *   `compressed`).
 * - `sparse-24-bitmask` (2:4): `P.shape` (I64 [2, 1]), `P.compressed` (rows, cols / 2) and
 *   `P.bitmask` as above, with exactly two bits set in every group of four columns.
 *
 * compressed-tensors stores the values that are not zero (`tensor != 0`); this module stores
 * the elements whose bits are not zero, so a kept −0.0 comes back as −0.0 and decoding gives the
 * dense tensor bit for bit (decoders place a value wherever a bit is set, so the file is read
 * the same way). For 2:4 the bitmask is the mask itself: a kept weight that is exactly zero is
 * stored as a value, as the format's fixed width requires.
 *
 * Pure functions over raw tensor bytes; no file I/O.
 *
 * @module
 */

import { InputError } from "./errors.ts";
import type { SparsityPattern } from "./pattern.ts";
import { type Dtype, DTYPE_BYTES, type Tensor, type TensorEntry } from "./safetensors.ts";

/** The compressed-tensors sparsity formats this package writes and reads. */
export type SparseFormat = "sparse-bitmask" | "sparse-24-bitmask";

/** How `prune` and `refine` store pruned weights. */
export type StorageFormat = "dense" | "compressed";

/** The storage formats, for flag validation. */
export const STORAGE_FORMATS: readonly StorageFormat[] = ["dense", "compressed"];

/** The tensors a compressed weight `P.weight` is stored as, by suffix, in file order. */
export const SPARSE_PARTS: Readonly<Record<SparseFormat, readonly string[]>> = {
  "sparse-bitmask": ["shape", "compressed", "bitmask", "row_offsets"],
  "sparse-24-bitmask": ["shape", "compressed", "bitmask"],
};

/** Element types a compressed weight may hold. */
const VALUE_DTYPES: readonly Dtype[] = ["F32", "F16", "BF16"];

/** The parts of one compressed weight, by suffix (`shape`, `compressed`, …). */
export type SparseParts = Readonly<Record<string, Tensor>>;

/**
 * The format that stores a pattern: `sparse-24-bitmask` for 2:4 (the layout vLLM's 2:4 kernels
 * run), `sparse-bitmask` for everything else.
 *
 * @param pattern The sparsity pattern of the masks.
 * @returns The format.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(sparseFormatFor({ kind: "n:m", n: 2, m: 4 }), "sparse-24-bitmask");
 * assert.equal(sparseFormatFor({ kind: "n:m", n: 4, m: 8 }), "sparse-bitmask");
 * assert.equal(sparseFormatFor({ kind: "per-row", sparsity: 0.6 }), "sparse-bitmask");
 * ```
 */
export function sparseFormatFor(pattern: SparsityPattern): SparseFormat {
  return pattern.kind === "n:m" && pattern.n === 2 && pattern.m === 4
    ? "sparse-24-bitmask"
    : "sparse-bitmask";
}

/**
 * Zeroes the pruned elements of a tensor's raw bytes, in place (all-zero bits are +0 in every
 * float type).
 *
 * @param tensor The weight (rows · cols elements).
 * @param mask 1 = kept, 0 = pruned, one per element.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const tensor = { dtype: "F32", shape: [2], bytes: new Uint8Array(new Float32Array([-1, 2]).buffer) } as const;
 * zeroPruned(tensor, new Uint8Array([0, 1]));
 * assert.deepEqual([...new Float32Array(tensor.bytes.buffer)], [0, 2]);
 * assert.ok(Object.is(new Float32Array(tensor.bytes.buffer)[0], 0)); // +0, not −0
 * ```
 */
export function zeroPruned(tensor: Tensor, mask: Uint8Array): void {
  const size = DTYPE_BYTES[tensor.dtype];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) tensor.bytes.fill(0, i * size, (i + 1) * size);
  }
}

/**
 * Counts the elements of a tensor whose bits are not all zero: the values `sparse-bitmask`
 * stores.
 *
 * @param tensor A floating-point tensor.
 * @returns The count.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = new Uint8Array(new Float32Array([0, 1.5, -0, 2]).buffer);
 * assert.equal(countStored({ dtype: "F32", shape: [4], bytes }), 3); // −0.0 is kept
 * ```
 */
export function countStored(tensor: Tensor): number {
  return countWords(tensor, ~0);
}

/**
 * Counts the elements of a tensor that are not ±0: what llm-compressor's `global_sparsity`
 * counts as not sparse.
 *
 * @param tensor A floating-point tensor.
 * @returns The count.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = new Uint8Array(new Float32Array([0, 1.5, -0, 2]).buffer);
 * assert.equal(countNonZero({ dtype: "F32", shape: [4], bytes }), 2);
 * ```
 */
export function countNonZero(tensor: Tensor): number {
  return countWords(tensor, DTYPE_BYTES[tensor.dtype] === 2 ? 0x7fff : 0x7fffffff);
}

/** Elements whose bits under `bits` are not all zero. */
function countWords(tensor: Tensor, bits: number): number {
  const words = elementWords(tensor);
  let count = 0;
  for (let i = 0; i < words.length; i++) if ((words[i] & bits) !== 0) count++;
  return count;
}

/**
 * The header entries of a compressed weight: name, dtype and shape of each part.
 *
 * @param prefix The module path, e.g. `model.layers.0.mlp.up_proj` (no `.weight`).
 * @param dtype The weight's dtype.
 * @param shape The dense shape [rows, cols].
 * @param stored Values stored (see {@linkcode countStored}; rows · cols / 2 for 2:4).
 * @param format The format.
 * @returns One entry per part, in file order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const entries = sparseEntries("p", "BF16", [2, 10], 7, "sparse-bitmask");
 * assert.deepEqual(entries.map((e) => [e.name, e.dtype, e.shape]), [
 *   ["p.shape", "I64", [2]], ["p.compressed", "BF16", [7]], ["p.bitmask", "U8", [2, 2]],
 *   ["p.row_offsets", "I64", [2]],
 * ]);
 * ```
 */
export function sparseEntries(
  prefix: string,
  dtype: Dtype,
  shape: readonly number[],
  stored: number,
  format: SparseFormat,
): TensorEntry[] {
  const [rows, cols] = shape;
  const bitmask = {
    name: `${prefix}.bitmask`,
    dtype: "U8" as const,
    shape: [rows, bitmaskRow(cols)],
  };
  if (format === "sparse-24-bitmask") {
    return [
      { name: `${prefix}.shape`, dtype: "I64", shape: [2, 1] },
      { name: `${prefix}.compressed`, dtype, shape: [rows, cols / 2] },
      bitmask,
    ];
  }
  return [
    { name: `${prefix}.shape`, dtype: "I64", shape: [2] },
    { name: `${prefix}.compressed`, dtype, shape: [stored] },
    bitmask,
    { name: `${prefix}.row_offsets`, dtype: "I64", shape: [rows] },
  ];
}

/**
 * Bytes a compressed weight takes in a file's data section (the parts' elements; the header's
 * few lines per part excluded).
 *
 * @param dtype The weight's dtype.
 * @param shape The dense shape [rows, cols].
 * @param stored Values stored.
 * @param format The format.
 * @returns The byte count.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // 2:4 in BF16: half the values (2 bytes each) plus one bit per weight, plus the shape.
 * assert.equal(sparseBytes("BF16", [4096, 4096], 4096 * 2048, "sparse-24-bitmask"), 4096 * 2048 * 2 + 4096 * 512 + 16);
 * ```
 */
export function sparseBytes(
  dtype: Dtype,
  shape: readonly number[],
  stored: number,
  format: SparseFormat,
): number {
  return sparseEntries("", dtype, shape, stored, format).reduce(
    (sum, e) => sum + e.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[e.dtype],
    0,
  );
}

/**
 * Compresses a pruned weight.
 *
 * @param weight The dense weight (rows, cols), pruned elements all-zero bits.
 * @param format The format.
 * @param mask For `sparse-24-bitmask`: the 2:4 mask (rows · cols, 1 = kept), which is the
 *   bitmask; every pruned element of `weight` must be zero.
 * @returns The parts by suffix (see {@linkcode SPARSE_PARTS}).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = new Uint8Array(new Float32Array([0, 2, 0, 0, 0, 0, 0, 0, 3, 0]).buffer);
 * const parts = compressWeight({ dtype: "F32", shape: [1, 10], bytes }, "sparse-bitmask");
 * assert.deepEqual([...new Float32Array(parts.compressed.bytes.buffer)], [2, 3]);
 * assert.deepEqual([...parts.bitmask.bytes], [0b00000010, 0b00000001]);
 * assert.deepEqual([...new BigInt64Array(parts.row_offsets.bytes.buffer)], [0n]);
 * ```
 */
export function compressWeight(
  weight: Tensor,
  format: SparseFormat,
  mask?: Uint8Array,
): Record<string, Tensor> {
  const [rows, cols] = weight.shape;
  const words = elementWords(weight);
  const kept = format === "sparse-24-bitmask"
    ? checkedTwoFourMask(mask, words, rows, cols)
    : (i: number) => words[i] !== 0;
  const rowBytes = bitmaskRow(cols);
  const bitmask = new Uint8Array(rows * rowBytes);
  const rowOffsets = new BigInt64Array(rows);
  let stored = 0;
  for (let r = 0; r < rows; r++) {
    rowOffsets[r] = BigInt(stored);
    for (let c = 0; c < cols; c++) {
      if (kept(r * cols + c)) {
        bitmask[r * rowBytes + (c >> 3)] |= 1 << (c & 7);
        stored++;
      }
    }
  }
  const size = DTYPE_BYTES[weight.dtype];
  const values = new Uint8Array(stored * size);
  let at = 0;
  for (let i = 0; i < rows * cols; i++) {
    if (kept(i)) {
      values.set(weight.bytes.subarray(i * size, (i + 1) * size), at);
      at += size;
    }
  }
  const entries = sparseEntries("", weight.dtype, weight.shape, stored, format);
  const shape = new Uint8Array(new BigInt64Array([BigInt(rows), BigInt(cols)]).buffer);
  const data: Record<string, Uint8Array> = {
    shape,
    compressed: values,
    bitmask,
    row_offsets: new Uint8Array(rowOffsets.buffer),
  };
  return Object.fromEntries(
    entries.map((e) => {
      const suffix = e.name.slice(1);
      return [suffix, { dtype: e.dtype, shape: e.shape, bytes: data[suffix] }];
    }),
  );
}

/** The 2:4 mask as a predicate, after checking it and that the weight is zero outside it. */
function checkedTwoFourMask(
  mask: Uint8Array | undefined,
  words: Uint16Array | Uint32Array,
  rows: number,
  cols: number,
): (i: number) => boolean {
  if (!mask || mask.length !== rows * cols || cols % 4 !== 0) {
    throw new RangeError(`sparse-24-bitmask needs a 2:4 mask of ${rows} × ${cols} (cols % 4 = 0)`);
  }
  for (let group = 0; group < rows * cols; group += 4) {
    const n = mask[group] + mask[group + 1] + mask[group + 2] + mask[group + 3];
    if (n !== 2) throw new RangeError(`Mask group at element ${group} keeps ${n} of 4, not 2`);
    for (let i = group; i < group + 4; i++) {
      if (mask[i] === 0 && words[i] !== 0) {
        throw new RangeError(`Element ${i} is pruned by the mask but not zero`);
      }
    }
  }
  return (i) => mask[i] !== 0;
}

/** A part's dtype and shape, as a safetensors header records them. */
export type PartLayout = Pick<Tensor, "dtype" | "shape">;

/**
 * Checks the parts of a compressed weight from their headers alone: every part present, with
 * the dtype and shape the format and the dense shape imply.
 *
 * @param parts Dtype and shape of each part, by suffix.
 * @param format The checkpoint's format.
 * @param expected The dense shape [rows, cols] the config implies.
 * @param prefix The module path, for messages (`P` of `P.compressed`).
 * @param where The checkpoint, for messages.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const parts = { shape: { dtype: "I64", shape: [2] }, compressed: { dtype: "F32", shape: [3] },
 *   bitmask: { dtype: "U8", shape: [2, 1] } } as const;
 * assert.throws(() => checkSparseParts(parts, "sparse-bitmask", [2, 4], "p", "m"), /"p.row_offsets" of model "m" is missing/);
 * ```
 */
export function checkSparseParts(
  parts: Readonly<Record<string, PartLayout>>,
  format: SparseFormat,
  expected: readonly number[],
  prefix: string,
  where: string,
): void {
  const fail = failure(prefix, where);
  const missing = SPARSE_PARTS[format].find((suffix) => parts[suffix] === undefined);
  if (missing) {
    fail(missing, `is missing (a ${format} weight has ${SPARSE_PARTS[format].join(", ")})`);
  }
  const [rows, cols] = expected;
  const { shape, compressed, bitmask } = parts;
  const count = (p: PartLayout) => p.shape.reduce((a, b) => a * b, 1);
  if (!["I64", "I32"].includes(shape.dtype) || count(shape) !== 2) {
    fail("shape", `has dtype ${shape.dtype} and shape [${shape.shape}]; expected 2 integers`);
  }
  if (!VALUE_DTYPES.includes(compressed.dtype)) {
    fail("compressed", `has dtype ${compressed.dtype}; expected F32, F16 or BF16`);
  }
  const rowBytes = bitmaskRow(cols);
  if (
    bitmask.dtype !== "U8" || bitmask.shape.length !== 2 || bitmask.shape[0] !== rows ||
    bitmask.shape[1] !== rowBytes
  ) {
    fail(
      "bitmask",
      `has dtype ${bitmask.dtype} and shape [${bitmask.shape}]; expected U8 [${rows},${rowBytes}]`,
    );
  }
  if (format === "sparse-24-bitmask") {
    const [r, half] = compressed.shape;
    if (compressed.shape.length !== 2 || r !== rows || half * 2 !== cols) {
      fail(
        "compressed",
        `has shape [${compressed.shape}]; sparse-24-bitmask stores [${rows},${cols / 2}]`,
      );
    }
  } else {
    if (compressed.shape.length !== 1 || count(compressed) > rows * cols) {
      fail(
        "compressed",
        `has shape [${compressed.shape}]; sparse-bitmask stores at most ${
          rows * cols
        } values in 1-D`,
      );
    }
    const offsets = parts.row_offsets;
    if (
      !["I64", "I32"].includes(offsets.dtype) || offsets.shape.length !== 1 ||
      offsets.shape[0] !== rows
    ) {
      fail(
        "row_offsets",
        `has dtype ${offsets.dtype} and shape [${offsets.shape}]; expected I64 [${rows}]`,
      );
    }
  }
}

/**
 * Checks that a compressed weight's `P.shape` holds the dense shape the config implies.
 *
 * @param shape The `P.shape` tensor (I64 or I32, two elements).
 * @param expected The dense shape [rows, cols].
 * @param prefix The module path, for messages.
 * @param where The checkpoint, for messages.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const shape = { dtype: "I64", shape: [2], bytes: new Uint8Array(new BigInt64Array([4n, 8n]).buffer) } as const;
 * checkSparseShape(shape, [4, 8], "p", "m");
 * assert.throws(() => checkSparseShape(shape, [4, 16], "p", "m"), /says \[4,8\]; the config implies \[4,16\]/);
 * ```
 */
export function checkSparseShape(
  shape: Tensor,
  expected: readonly number[],
  prefix: string,
  where: string,
): void {
  const dims = integers(shape);
  if (dims[0] !== expected[0] || dims[1] !== expected[1]) {
    failure(prefix, where)("shape", `says [${dims}]; the config implies [${expected}]`);
  }
}

/**
 * Decodes a compressed weight to its dense tensor, checking that its parts agree with each other
 * and with the shape the model's config implies; nothing is read past the end of a part.
 *
 * @param parts The parts by suffix, as read from the file.
 * @param format The checkpoint's format.
 * @param expected The dense shape [rows, cols] the config implies.
 * @param prefix The module path, for messages (`P` of `P.compressed`).
 * @param where The checkpoint, for messages.
 * @returns The dense weight in the stored values' dtype.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = new Uint8Array(new Float32Array([0, 2, 0, -1, 5, 0, 0, 7]).buffer);
 * const parts = compressWeight({ dtype: "F32", shape: [2, 4], bytes }, "sparse-bitmask");
 * const dense = decompressWeight(parts, "sparse-bitmask", [2, 4], "p", "model");
 * assert.deepEqual(dense.bytes, bytes);
 * assert.throws(() => decompressWeight(parts, "sparse-bitmask", [2, 8], "p", "model"), /"p.shape" of model "model" says \[2,4\]/);
 * ```
 */
export function decompressWeight(
  parts: SparseParts,
  format: SparseFormat,
  expected: readonly number[],
  prefix: string,
  where: string,
): Tensor {
  checkSparseParts(parts, format, expected, prefix, where);
  checkSparseShape(parts.shape, expected, prefix, where);
  const fail = failure(prefix, where);
  const [rows, cols] = expected;
  const { compressed, bitmask } = parts;
  const rowBytes = bitmaskRow(cols);
  const stored = compressed.shape.reduce((a, b) => a * b, 1);
  const counts = rowCounts(bitmask.bytes, rows, cols);
  if (format === "sparse-24-bitmask") {
    const group = firstGroupNotTwoOfFour(bitmask.bytes, rows, cols);
    if (group !== undefined) {
      fail(
        "bitmask",
        `keeps ${group.kept} of 4 at row ${group.row}, columns ${group.col}–${
          group.col + 3
        }; sparse-24-bitmask keeps 2`,
      );
    }
  } else {
    const offsets = integers(parts.row_offsets);
    let start = 0;
    for (let r = 0; r < rows; r++) {
      if (offsets[r] !== start) {
        const why = r > 0 && offsets[r] < offsets[r - 1]
          ? "decreases"
          : offsets[r] < 0 || offsets[r] > stored
          ? "is out of range"
          : "disagrees with the bitmask";
        fail(
          "row_offsets",
          `${why} at row ${r}: ${offsets[r]}, where the bitmask puts the row at ${start}`,
        );
      }
      start += counts[r];
    }
  }
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== stored) {
    fail("compressed", `holds ${stored} values; "${prefix}.bitmask" sets ${total} bits`);
  }
  const size = DTYPE_BYTES[compressed.dtype];
  const dense = new Uint8Array(rows * cols * size);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (bitmask.bytes[r * rowBytes + (c >> 3)] & (1 << (c & 7))) {
        dense.set(compressed.bytes.subarray(at, at + size), (r * cols + c) * size);
        at += size;
      }
    }
  }
  return { dtype: compressed.dtype, shape: [rows, cols], bytes: dense };
}

/** Throws an InputError naming a part of a compressed weight. */
function failure(prefix: string, where: string): (suffix: string, detail: string) => never {
  return (suffix, detail) => {
    throw new InputError(`Tensor "${prefix}.${suffix}" of model "${where}" ${detail}`);
  };
}

/** Bytes per bitmask row. */
function bitmaskRow(cols: number): number {
  return Math.ceil(cols / 8);
}

/** Set bits of each bitmask row within its `cols` columns (padding bits are ignored). */
function rowCounts(bitmask: Uint8Array, rows: number, cols: number): number[] {
  const rowBytes = bitmaskRow(cols);
  const counts = new Array<number>(rows).fill(0);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < rowBytes; b++) {
      let byte = bitmask[r * rowBytes + b];
      const valid = Math.min(8, cols - 8 * b);
      if (valid < 8) byte &= (1 << valid) - 1;
      for (; byte !== 0; byte &= byte - 1) counts[r]++;
    }
  }
  return counts;
}

function firstGroupNotTwoOfFour(
  bitmask: Uint8Array,
  rows: number,
  cols: number,
): { row: number; col: number; kept: number } | undefined {
  const rowBytes = bitmaskRow(cols);
  for (let r = 0; r < rows; r++) {
    for (let col = 0; col < cols; col += 4) {
      const nibble = (bitmask[r * rowBytes + (col >> 3)] >> (col & 7)) & 0xf;
      const kept = (nibble & 1) + ((nibble >> 1) & 1) + ((nibble >> 2) & 1) + (nibble >> 3);
      if (kept !== 2) return { row: r, col, kept };
    }
  }
  return undefined;
}

/** An integer tensor (I64 or I32) as numbers. */
function integers(tensor: Tensor): number[] {
  const buffer = tensor.bytes.slice().buffer;
  return tensor.dtype === "I64"
    ? Array.from(new BigInt64Array(buffer), Number)
    : Array.from(new Int32Array(buffer));
}

/** The elements of a 2- or 4-byte tensor as unsigned words, to test them for all-zero bits. */
function elementWords(tensor: Tensor): Uint16Array | Uint32Array {
  const { bytes } = tensor;
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return DTYPE_BYTES[tensor.dtype] === 2
    ? new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2)
    : new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
}

/** What config.json's `quantization_config` says about a checkpoint's weights. */
export type CheckpointStorage =
  | { readonly kind: "dense" }
  | { readonly kind: "sparse"; readonly format: SparseFormat };

/**
 * Reads the storage of a Hugging Face checkpoint from its config: dense without a
 * `quantization_config` or with compressed-tensors' `dense` sparsity format, else one of the
 * sparse formats; quantized checkpoints and unknown formats are refused.
 *
 * @param config The parsed config.json.
 * @param file Its path, for messages.
 * @returns The storage.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(checkpointStorage({}, "config.json"), { kind: "dense" });
 * const sparse = { quantization_config: { quant_method: "compressed-tensors", sparsity_config: { format: "sparse-bitmask" } } };
 * assert.deepEqual(checkpointStorage(sparse, "config.json"), { kind: "sparse", format: "sparse-bitmask" });
 * assert.throws(() => checkpointStorage({ quantization_config: { quant_method: "gptq" } }, "config.json"), /quant_method "gptq"/);
 * ```
 */
export function checkpointStorage(config: unknown, file: string): CheckpointStorage {
  const q = (config as { quantization_config?: unknown })?.quantization_config;
  if (q === undefined || q === null) return { kind: "dense" };
  const fail = (detail: string): never => {
    throw new InputError(`"${file}": quantization_config ${detail}`);
  };
  if (typeof q !== "object") fail("is not an object");
  const { quant_method: method, sparsity_config: sparsity, config_groups: groups } = q as Record<
    string,
    unknown
  >;
  if (method !== "compressed-tensors") {
    fail(`has quant_method ${JSON.stringify(method)}: quantized checkpoints are not supported`);
  }
  if (groups !== undefined && groups !== null && Object.keys(groups as object).length > 0) {
    fail("has config_groups: quantized checkpoints are not supported, only sparse ones");
  }
  if (sparsity === undefined || sparsity === null || Object.keys(sparsity as object).length === 0) {
    return { kind: "dense" };
  }
  const format = (sparsity as { format?: unknown }).format;
  if (format === "dense") return { kind: "dense" };
  if (format === "sparse-bitmask" || format === "sparse-24-bitmask") {
    return { kind: "sparse", format };
  }
  return fail(
    `has sparsity_config.format ${
      JSON.stringify(format)
    }; supported: "dense", "sparse-bitmask", "sparse-24-bitmask"`,
  );
}

/**
 * The `quantization_config` entry of config.json for a sparsity-only compressed-tensors model,
 * as compressed-tensors' `ModelCompressor.update_config` writes it (its `version` field is left
 * out: this package is not compressed-tensors). Targets are every `Linear`; the embeddings and
 * the head are not pruned, so they are ignored.
 *
 * @param format The format.
 * @param globalSparsity Percentage of all parameters that are zero (llm-compressor's
 *   `params_sparse_percent`).
 * @param structure `"2:4"` for 2:4 masks, else `"unstructured"` (llm-compressor's inference).
 * @returns The JSON object.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const q = compressionConfig("sparse-24-bitmask", 45.1, "2:4");
 * assert.equal(q.quant_method, "compressed-tensors");
 * assert.deepEqual(checkpointStorage({ quantization_config: q }, "c"), { kind: "sparse", format: "sparse-24-bitmask" });
 * ```
 */
export function compressionConfig(
  format: SparseFormat,
  globalSparsity: number,
  structure: "2:4" | "unstructured",
): Record<string, unknown> {
  return {
    quant_method: "compressed-tensors",
    sparsity_config: {
      format,
      global_sparsity: globalSparsity,
      sparsity_structure: structure,
      targets: ["Linear"],
      ignore: ["model.embed_tokens", "lm_head"],
    },
  };
}
