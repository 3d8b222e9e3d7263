/**
 * Turns a pruned dense model.safetensors into its compressed-tensors twin, tensor by tensor (one
 * tensor in memory at a time): a first pass counts what each pruned weight stores and sizes
 * every tensor both ways, a second writes the compressed file. The sizes also serve dense output,
 * whose report says what compression would save.
 *
 * @module
 */

import {
  compressWeight,
  countNonZero,
  countStored,
  sparseBytes,
  sparseEntries,
  type SparseFormat,
} from "../compressed.ts";
import {
  DTYPE_BYTES,
  type SafetensorsFile,
  SafetensorsWriter,
  type TensorEntry,
} from "../safetensors.ts";

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
 * import { SafetensorsFile, writeSafetensors } from "../safetensors.ts";
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
export async function planStorage(
  dense: SafetensorsFile,
  pruned: ReadonlySet<string>,
  format: SparseFormat,
): Promise<StoragePlan> {
  const tensors: TensorStorage[] = [];
  let zeros = 0;
  let parameters = 0;
  for (const name of dense.names) {
    const tensor = await dense.read(name);
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    const denseBytes = elements * DTYPE_BYTES[tensor.dtype];
    const nonZero = countNonZero(tensor);
    zeros += elements - nonZero;
    parameters += elements;
    if (!pruned.has(name)) {
      tensors.push({ name, denseBytes, compressedBytes: denseBytes });
      continue;
    }
    const stored = format === "sparse-24-bitmask" ? elements / 2 : countStored(tensor);
    tensors.push({
      name,
      denseBytes,
      compressedBytes: sparseBytes(tensor.dtype, tensor.shape, stored, format),
      stored,
    });
  }
  return { format, tensors, globalSparsity: parameters > 0 ? (100 * zeros) / parameters : 0 };
}

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
 * import { SafetensorsFile, writeSafetensors } from "../safetensors.ts";
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
export async function writeCompressedCheckpoint(
  dense: SafetensorsFile,
  masks: SafetensorsFile,
  plan: StoragePlan,
  path: string,
): Promise<void> {
  const entries: TensorEntry[] = plan.tensors.flatMap(({ name, stored }) => {
    const { dtype, shape } = dense.info(name);
    return stored === undefined
      ? [{ name, dtype, shape }]
      : sparseEntries(modulePath(name), dtype, shape, stored, plan.format);
  });
  const temporary = `${path}.tmp`;
  const writer = await SafetensorsWriter.create(temporary, entries, dense.header.metadata);
  try {
    for (const { name, stored } of plan.tensors) {
      const tensor = await dense.read(name);
      if (stored === undefined) {
        await writer.write(name, tensor.bytes);
        continue;
      }
      const mask = plan.format === "sparse-24-bitmask" ? (await masks.read(name)).bytes : undefined;
      const parts = compressWeight(tensor, plan.format, mask);
      for (const [suffix, part] of Object.entries(parts)) {
        await writer.write(`${modulePath(name)}.${suffix}`, part.bytes);
      }
    }
  } catch (error) {
    writer.closeUnfinished();
    throw error;
  }
  await writer.close();
  await Deno.rename(temporary, path);
}

/** `P` of `P.weight`: the name compressed-tensors gives the parts. */
function modulePath(name: string): string {
  return name.replace(/\.weight$/, "");
}
