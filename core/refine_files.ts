/**
 * One layer's refinement from safetensors files on any platform: what `refine` runs between its
 * flags and its output path, and what the web page's refine panel runs on dropped files.
 *
 * @module
 */

import {
  compressWeight,
  countStored,
  sparseBytes,
  type SparseFormat,
  sparseFormatFor,
  type StorageFormat,
  zeroPruned,
} from "./compressed.ts";
import { InputError } from "./errors.ts";
import type { ByteSource } from "./files.ts";
import type { Kernels } from "./kernels.ts";
import { type LayerMethod, pruneLayer, total } from "./layer.ts";
import { checkPatternFits, patternLabel, type SparsityPattern } from "./pattern.ts";
import {
  type Dtype,
  encodeSafetensors,
  fromFloat32,
  SafetensorsFile,
  type Tensor,
  type TensorToWrite,
  toFloat32,
  toFloat64,
} from "./safetensors.ts";
import { checkMaskFits } from "./sparseswaps.ts";
import type { UpdateMethod, UpdatingWarmStart } from "./update.ts";
import { checkFinite, checkGram } from "./validate.ts";
import { gramDiagonal } from "./warm_start.ts";

/** What `refine` reports, in the JSON output and the mask file's metadata. */
export interface RefineSummary {
  /** Σ over rows of qᵀGq for the warm start, float64. */
  readonly error_before: number;
  /** Σ over rows of qᵀGq after SparseSwaps' first round, float64. */
  readonly error_after: number;
  /** 1 − error_after / error_before (0 when the warm start is exact). */
  readonly relative_reduction: number;
  /** Swaps accepted. */
  readonly swaps: number;
  /** Iterations run (the most swaps of any row). */
  readonly iterations: number;
  /** Rows of the layer. */
  readonly rows: number;
  /** Input features. */
  readonly d: number;
  /** Rows left without an improving 1-swap (up to float64 rounding). */
  readonly converged_rows: number;
  /**
   * Rows stopped with an improving swap too small for the backend's arithmetic to resolve, or
   * whose error stopped falling: not proven converged.
   */
  readonly stalled_rows: number;
  /** Pair gains the bounded searches evaluated (bookkeeping included). */
  readonly pairs_evaluated: number;
  /** Pair gains brute-force searches of the same rows and iterations would have evaluated. */
  readonly pairs_brute_force: number;
  /** Backend that ran the kernels. */
  readonly backend: string;
  /** The backend in words (threads, SIMD variant, GPU adapter). */
  readonly backend_description: string;
  /** Backends `auto` passed over, "name: reason; …" (absent when none). */
  readonly backend_skipped?: string;
  /** The pattern, e.g. "60%" or "2:4". */
  readonly pattern: string;
  /** Warm-start method, or "mask" for a given mask. */
  readonly warm_start: string;
  /** Iteration budget ("inf" for unlimited). */
  readonly max_iters: number | "inf";
  /** Wall time of warm start, refinement and weight update, in seconds. */
  readonly seconds: number;
  /** Where the written weight comes from: the update, the warm start's own, or none (mask only). */
  readonly update: UpdateMethod | UpdatingWarmStart;
  /** α of --update's damping (with --update). */
  readonly damping?: number;
  /** ADMM iterations (with --update admm). */
  readonly admm_iters?: number;
  /** Σ over rows of ‖(w − w')X‖² = qᵀGq after the update (and rounds), float64 (with --update). */
  readonly error_updated?: number;
  /** Alternating rounds asked for (with --alternate). */
  readonly alternate?: number;
  /** Alternating rounds kept, each lowering the error (with --alternate). */
  readonly rounds?: number;
  /** What the output holds besides the mask: "dense" (nothing) or the sparse layout written. */
  readonly format: "dense" | SparseFormat;
  /** Bytes of the pruned weight stored densely. */
  readonly dense_bytes: number;
  /** Bytes of the pruned weight in the sparse layout (the one `--format compressed` writes). */
  readonly compressed_bytes: number;
}

/**
 * The layer's files: W (tensor "weight"), G (tensor "gram") and an optional mask (tensor
 * "mask"); each is closed once read.
 */
export interface RefineFiles {
  /** W (rows, d), F32, F16 or BF16, as tensor "weight". */
  readonly weight: ByteSource;
  /** G (d, d), F32 or F64, as tensor "gram". */
  readonly gram: ByteSource;
  /** The warm-start mask (rows, d), U8 or BOOL, as tensor "mask"; `warmStart` otherwise. */
  readonly mask?: ByteSource;
}

/** Options of {@linkcode refineLayerFiles}. */
export interface RefineOptions extends LayerMethod {
  /** The layer (its mask, when given, replaces the warm start). */
  readonly input: RefineInput;
  /** Backend. */
  readonly kernels: Kernels;
  /** Backends `auto` passed over, "name: reason" (for the summary). */
  readonly skipped?: readonly string[];
  /** dense: the mask (and updated weight); compressed: also the pruned weight's sparse parts. */
  readonly format: StorageFormat;
  /** Rows refined so far, of all rows. */
  readonly onProgress?: (rowsDone: number, rows: number) => void;
  /** Stops the refinement between iterations. */
  readonly signal?: AbortSignal;
}

/** A refined layer. */
export interface RefinedLayer {
  /** What happened (also the output's `__metadata__`). */
  readonly summary: RefineSummary;
  /** The output safetensors file. */
  readonly bytes: Uint8Array;
}

/**
 * Refines one layer read by {@linkcode readRefineInput}: warm start, SparseSwaps, the optional
 * update, and the output file's bytes (the mask, the updated weight, the compressed weight with
 * `format: "compressed"`, the summary in `__metadata__`). What `refine` does between its flags
 * and its output path.
 *
 * @param options The layer, method and backend.
 * @returns The summary and the output file.
 */
export async function refineLayerInput(options: RefineOptions): Promise<RefinedLayer> {
  const { kernels, skipped = [], input: layer, ...settings } = options;
  const { rows, d, weight, label } = layer;
  const pattern = settings.pattern;
  const gram = await kernels.createGram({ d, values: layer.gram });
  const started = performance.now();
  const result = await pruneLayer({
    kernels,
    gram,
    gramDiagonal: gramDiagonal(layer.gram, d),
    weight,
    rows,
    d,
    pattern,
    warmStart: layer.mask ?? settings.warmStart,
    refiner: "sparseswaps",
    maxIters: settings.maxIters,
    update: settings.update,
    label,
    onProgress: ({ rowsDone }) => settings.onProgress?.(rowsDone, rows),
    signal: settings.signal,
  });
  kernels.release(gram);
  // The final weight in W's dtype: updated, or W with the pruned entries zeroed.
  const dtype = layer.weightTensor.dtype as "F32" | "F16" | "BF16";
  const pruned = result.weight
    ? fromFloat32(result.weight, dtype, [rows, d])
    : { ...layer.weightTensor, bytes: layer.weightTensor.bytes.slice() };
  zeroPruned(pruned, result.mask);
  const format = sparseFormatFor(pattern);
  const stored = format === "sparse-24-bitmask" ? rows * d / 2 : countStored(pruned);
  const errorBefore = total(result.errorWarm);
  const errorAfter = total(result.errorRefined);
  const summary: RefineSummary = {
    error_before: errorBefore,
    error_after: errorAfter,
    relative_reduction: errorBefore > 0 ? 1 - errorAfter / errorBefore : 0,
    swaps: result.swaps,
    iterations: result.iterations,
    rows,
    d,
    converged_rows: result.convergedRows,
    stalled_rows: result.stalledRows,
    pairs_evaluated: result.pairsEvaluated,
    pairs_brute_force: result.pairsBruteForce,
    backend: kernels.name,
    backend_description: kernels.description,
    ...(skipped.length > 0 ? { backend_skipped: skipped.join("; ") } : {}),
    pattern: patternLabel(pattern),
    warm_start: layer.mask ? "mask" : settings.warmStart,
    max_iters: Number.isFinite(settings.maxIters) ? settings.maxIters : "inf",
    seconds: (performance.now() - started) / 1000,
    update: result.weightSource,
    ...(settings.update ? { damping: settings.update.damping } : {}),
    ...(result.errorUpdated ? { error_updated: total(result.errorUpdated) } : {}),
    ...(settings.update?.iterations ? { admm_iters: settings.update.iterations } : {}),
    ...(settings.update?.alternate
      ? { alternate: settings.update.alternate, rounds: result.rounds }
      : {}),
    format: settings.format === "compressed" ? format : "dense",
    dense_bytes: pruned.bytes.length,
    compressed_bytes: sparseBytes(pruned.dtype, [rows, d], stored, format),
  };
  const written: Record<string, TensorToWrite> = {
    mask: { dtype: "U8", shape: [rows, d], data: result.mask },
  };
  if (result.weight) written.weight = { dtype: "F32", shape: [rows, d], data: result.weight };
  if (settings.format === "compressed") {
    for (const [suffix, part] of Object.entries(compressWeight(pruned, format, result.mask))) {
      written[suffix] = { dtype: part.dtype, shape: part.shape, data: part.bytes };
    }
  }
  const bytes = encodeSafetensors(
    written,
    Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, String(v)])),
  );
  return { summary, bytes };
}

/** A layer read from its files and validated. */
export interface RefineInput {
  /** W (rows, d) as float32. */
  readonly weight: Float32Array;
  /** The weight as read, in its own dtype. */
  readonly weightTensor: Tensor;
  /** Output features. */
  readonly rows: number;
  /** Input features. */
  readonly d: number;
  /** G (d, d), symmetrised. */
  readonly gram: Float64Array;
  /** The given warm-start mask. */
  readonly mask?: Uint8Array;
  /** Names W's and G's files in messages. */
  readonly label: string;
}

/**
 * Reads and validates a layer's files (before any backend starts): dtypes, shapes, finite
 * values, a symmetric G, a mask of 0/1 that fits the pattern.
 *
 * @param settings The files and the pattern they must fit.
 * @returns The layer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesSource } from "./files.ts";
 * import { encodeSafetensors } from "./safetensors.ts";
 * const weight = bytesSource("W.safetensors", encodeSafetensors({ weight: { dtype: "F32", shape: [1, 2], data: new Float32Array([1, 2]) } }));
 * const gram = bytesSource("G.safetensors", encodeSafetensors({ gram: { dtype: "F64", shape: [3, 3], data: new Float64Array(9) } }));
 * await assert.rejects(
 *   readRefineInput({ weight, gram, pattern: { kind: "per-row", sparsity: 0.5 } }),
 *   /Tensor "gram" in "G.safetensors" has shape \[3,3\] but tensor "weight" in "W.safetensors" has 2 columns/,
 * );
 * ```
 */
export async function readRefineInput(
  settings: RefineFiles & { readonly pattern: SparsityPattern },
): Promise<RefineInput> {
  const label = `Weights "${settings.weight.path}" with Gram matrix "${settings.gram.path}"`;
  const weightTensor = await readTensor(settings.weight, "weight", ["F32", "F16", "BF16"], 2);
  const [rows, d] = weightTensor.shape;
  const weight = toFloat32(weightTensor);
  checkFinite(weight, weightTensor.shape, describe(settings.weight, "weight"));
  checkPatternFits(settings.pattern, d, `tensor "weight" in "${settings.weight.path}"`);

  const gramTensor = await readTensor(settings.gram, "gram", ["F32", "F64"], 2);
  const gramWhat = describe(settings.gram, "gram");
  if (gramTensor.shape[0] !== gramTensor.shape[1]) {
    throw new InputError(`${gramWhat} is not square: shape [${gramTensor.shape}]`);
  }
  if (gramTensor.shape[0] !== d) {
    throw new InputError(
      `${gramWhat} has shape [${gramTensor.shape}] but tensor "weight" in "${settings.weight.path}" has ${d} columns`,
    );
  }
  const gram = checkGram(toFloat64(gramTensor), d, gramWhat);

  if (settings.mask === undefined) return { weight, weightTensor, rows, d, gram, label };
  const maskTensor = await readTensor(settings.mask, "mask", ["U8", "BOOL"], 2);
  const maskWhat = describe(settings.mask, "mask");
  if (maskTensor.shape[0] !== rows || maskTensor.shape[1] !== d) {
    throw new InputError(
      `${maskWhat} has shape [${maskTensor.shape}] but tensor "weight" in "${settings.weight.path}" has shape [${rows},${d}]`,
    );
  }
  const mask = maskTensor.bytes;
  const bad = mask.findIndex((v) => v > 1);
  if (bad >= 0) {
    throw new InputError(
      `${maskWhat} holds ${mask[bad]} at [${Math.floor(bad / d)}, ${bad % d}]; masks hold 0 or 1`,
    );
  }
  checkMaskFits(mask, rows, d, settings.pattern, maskWhat);
  return { weight, weightTensor, rows, d, gram, mask, label };
}

function describe(file: ByteSource, tensor: string): string {
  return `Tensor "${tensor}" in "${file.path}"`;
}

/** Reads a named tensor, checking its dtype and rank. */
async function readTensor(
  source: ByteSource,
  name: string,
  dtypes: readonly Dtype[],
  rank: number,
): Promise<Tensor> {
  using file = await SafetensorsFile.from(source);
  const info = file.info(name);
  if (!dtypes.includes(info.dtype)) {
    throw new InputError(
      `${describe(source, name)} has dtype ${info.dtype}; expected ${dtypes.join(" or ")}`,
    );
  }
  if (info.shape.length !== rank || info.shape.some((n) => n === 0)) {
    throw new InputError(
      `${describe(source, name)} has shape [${info.shape}]; expected ${rank} non-zero dimensions`,
    );
  }
  return await file.read(name);
}
