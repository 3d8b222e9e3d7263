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
import type { SparsityPattern } from "./pattern.js";
import { type Dtype, type Tensor, type TensorEntry } from "./safetensors.js";
/** The compressed-tensors sparsity formats this package writes and reads. */
export type SparseFormat = "sparse-bitmask" | "sparse-24-bitmask";
/** How `prune` and `refine` store pruned weights. */
export type StorageFormat = "dense" | "compressed";
/** The storage formats, for flag validation. */
export declare const STORAGE_FORMATS: readonly StorageFormat[];
/** The tensors a compressed weight `P.weight` is stored as, by suffix, in file order. */
export declare const SPARSE_PARTS: Readonly<Record<SparseFormat, readonly string[]>>;
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
export declare function sparseFormatFor(pattern: SparsityPattern): SparseFormat;
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
export declare function zeroPruned(tensor: Tensor, mask: Uint8Array): void;
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
export declare function countStored(tensor: Tensor): number;
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
export declare function countNonZero(tensor: Tensor): number;
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
export declare function sparseEntries(prefix: string, dtype: Dtype, shape: readonly number[], stored: number, format: SparseFormat): TensorEntry[];
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
export declare function sparseBytes(dtype: Dtype, shape: readonly number[], stored: number, format: SparseFormat): number;
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
export declare function compressWeight(weight: Tensor, format: SparseFormat, mask?: Uint8Array): Record<string, Tensor>;
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
export declare function checkSparseParts(parts: Readonly<Record<string, PartLayout>>, format: SparseFormat, expected: readonly number[], prefix: string, where: string): void;
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
export declare function checkSparseShape(shape: Tensor, expected: readonly number[], prefix: string, where: string): void;
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
export declare function decompressWeight(parts: SparseParts, format: SparseFormat, expected: readonly number[], prefix: string, where: string): Tensor;
/** What config.json's `quantization_config` says about a checkpoint's weights. */
export type CheckpointStorage = {
    readonly kind: "dense";
} | {
    readonly kind: "sparse";
    readonly format: SparseFormat;
};
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
export declare function checkpointStorage(config: unknown, file: string): CheckpointStorage;
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
export declare function compressionConfig(format: SparseFormat, globalSparsity: number, structure: "2:4" | "unstructured"): Record<string, unknown>;
