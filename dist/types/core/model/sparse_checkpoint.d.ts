/**
 * Turns a pruned dense model.safetensors into its compressed-tensors twin, tensor by tensor (one
 * tensor in memory at a time): a first pass counts what each pruned weight stores and sizes
 * every tensor both ways, a second writes the compressed file. The sizes also serve dense output,
 * whose report says what compression would save.
 *
 * @module
 */
import { type SparseFormat } from "../compressed.js";
import { type SafetensorsFile } from "../safetensors.js";
/** One tensor's size in a dense and in a compressed checkpoint. */
export interface TensorStorage {
    /** Name in the dense checkpoint. */
    readonly name: string;
    /** Bytes of its data stored densely. */
    readonly denseBytes: number;
    /** Bytes of its data in the compressed checkpoint (equal for tensors that are not pruned). */
    readonly compressedBytes: number;
    /** Values a compressed pruned weight stores; undefined for tensors stored as they are. */
    readonly stored?: number;
}
/** What the first pass learns: every tensor's sizes, and the model's share of zeros. */
export interface StoragePlan {
    /** The compressed layout. */
    readonly format: SparseFormat;
    /** Every tensor of the dense file, in its order. */
    readonly tensors: readonly TensorStorage[];
    /** Percentage of all parameters that are zero (compressed-tensors' `global_sparsity`). */
    readonly globalSparsity: number;
}
/**
 * Sizes every tensor of a pruned dense checkpoint both ways.
 *
 * @param dense The pruned model.safetensors.
 * @param pruned Names of the pruned weights (those in masks.safetensors).
 * @param format The compressed layout.
 * @returns The plan.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SafetensorsFile, writeSafetensors } from "../safetensors.js";
 * const dir = await Deno.makeTempDir();
 * await writeSafetensors(`${dir}/m.safetensors`, {
 *   "p.weight": { dtype: "F32", shape: [1, 8], data: new Float32Array([0, 1, 0, 2, 0, 0, 3, 0]) },
 *   "norm.weight": { dtype: "F32", shape: [2], data: new Float32Array([1, 1]) },
 * });
 * using dense = await SafetensorsFile.open(`${dir}/m.safetensors`);
 * const plan = await planStorage(dense, new Set(["p.weight"]), "sparse-bitmask");
 * assert.equal(plan.tensors[0].stored, 3);
 * assert.equal(plan.globalSparsity, 50); // 5 zeros of 10 parameters
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export declare function planStorage(dense: SafetensorsFile, pruned: ReadonlySet<string>, format: SparseFormat): Promise<StoragePlan>;
/**
 * Writes the compressed checkpoint of a plan: pruned weights as compressed-tensors parts named
 * after their module (`P.weight` → `P.shape`, `P.compressed`, …), every other tensor as it is.
 * Written to a temporary file renamed over `path` at the end.
 *
 * @param dense The pruned model.safetensors.
 * @param masks masks.safetensors (the 2:4 layout's bitmask is the mask).
 * @param plan From {@linkcode planStorage} on the same files.
 * @param path The compressed file to write.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SafetensorsFile, writeSafetensors } from "../safetensors.js";
 * const dir = await Deno.makeTempDir();
 * const weight = new Float32Array([0, 1, 0, 2, 3, 0, 4, 0]);
 * await writeSafetensors(`${dir}/m.safetensors`, {
 *   "p.weight": { dtype: "F32", shape: [2, 4], data: weight },
 * });
 * await writeSafetensors(`${dir}/masks.safetensors`, {
 *   "p.weight": { dtype: "U8", shape: [2, 4], data: Uint8Array.from(weight, (w) => w ? 1 : 0) },
 * });
 * using dense = await SafetensorsFile.open(`${dir}/m.safetensors`);
 * using masks = await SafetensorsFile.open(`${dir}/masks.safetensors`);
 * const plan = await planStorage(dense, new Set(["p.weight"]), "sparse-24-bitmask");
 * await writeCompressedCheckpoint(dense, masks, plan, `${dir}/c.safetensors`);
 * using compressed = await SafetensorsFile.open(`${dir}/c.safetensors`);
 * assert.deepEqual(compressed.names, ["p.shape", "p.compressed", "p.bitmask"]);
 * assert.deepEqual([...new Float32Array((await compressed.read("p.compressed")).bytes.buffer)], [1, 2, 3, 4]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export declare function writeCompressedCheckpoint(dense: SafetensorsFile, masks: SafetensorsFile, plan: StoragePlan, path: string): Promise<void>;
