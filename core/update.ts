/**
 * Weight updates after the mask: the kept weights of each row move to the least-squares optimum
 * for the fixed mask, so the pruned layer's output WX stays as close as possible to the dense
 * one. Per row, with K the kept and P the pruned inputs, the exact update ("rebuild") is
 *
 *     w'_K = w_K + (G_KK + Λ)⁻¹ G_KP w_P,   w'_P = 0,
 *
 * the minimiser of (w − w')ᵀ (G + Λ) (w − w') over w' with w'_P = 0, where Λ = α · diag(G) + ε · I
 * damps it: α (`damping`, relative to each input's energy G_jj, as ADMM's G + α·diag(G)) pulls
 * the solution towards the original weights where calibration data says little, and the tiny
 * ε = ABSOLUTE_DAMPING · mean(diag G) keeps G_KK + Λ positive definite when inputs are dead
 * (G_jj = 0: their weights stay as they are) or duplicated. Errors are reported on the undamped
 * G, ‖(W − W')X‖² = Σ_rows qᵀGq with q = w − w'.
 *
 * The float64 solver here (Cholesky per row) is what every backend runs for now: the reference
 * and WebGPU backends (WGSL has no float64) call it on a float64 copy of G; wasm threads can take
 * it over behind {@linkcode Kernels.rebuildRows}. One factorisation costs |K|³/3 multiply-adds per
 * row: seconds for stories15M, far too much for 4096-wide layers (ADMM's one factorisation per
 * layer is the way there).
 *
 * @module
 */

import { InputError } from "./errors.ts";
import type { GramHandle, Kernels, RebuildResult } from "./kernels.ts";

/** How kept weights are updated after the mask. */
export type UpdateMethod = "none" | "rebuild";

/** The update methods, for flag validation. */
export const UPDATE_METHODS: readonly UpdateMethod[] = ["none", "rebuild"];

/** Default α of Λ = α · diag(G) + ε · I (ADMM's damping; measured in the README). */
export const DEFAULT_DAMPING = 0.1;

/** ε of Λ, relative to the mean of diag(G): far below any data, above float64 rounding. */
export const ABSOLUTE_DAMPING = 1e-10;

/** Options of {@linkcode rebuildRowsFloat64}. */
export interface RebuildRowsOptions {
  /** G (d, d) row-major, float64. */
  readonly gram: Float64Array;
  /** W (rows, d): the dense weights the update approximates. */
  readonly weight: Float32Array;
  /** Mask (rows, d), 1 = kept. */
  readonly mask: Uint8Array;
  /** Rows of W. */
  readonly rows: number;
  /** Columns of W. */
  readonly d: number;
  /** α of Λ = α · diag(G) + ε · I, ≥ 0. */
  readonly damping: number;
  /** Names the layer in error messages. */
  readonly label?: string;
}

/**
 * The exact update of every row, in float64 (Cholesky of G_KK + Λ per row).
 *
 * @param options G, W, mask and damping.
 * @returns W' and its errors.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // Inputs 0 and 1 are identical: pruning input 1 and adding its weight to input 0 is exact.
 * const gram = new Float64Array([1, 1, 0, 1, 1, 0, 0, 0, 1]);
 * const result = rebuildRowsFloat64({
 *   gram, weight: new Float32Array([1, 2, 3]), mask: new Uint8Array([1, 0, 1]),
 *   rows: 1, d: 3, damping: 0,
 * });
 * assert.deepEqual([...result.weight].map((w) => Math.round(w * 1e6) / 1e6), [3, 0, 3]);
 * assert.ok(result.errors[0] < 1e-9);
 * ```
 */
export function rebuildRowsFloat64(options: RebuildRowsOptions): RebuildResult {
  const { gram, weight, mask, rows, d, damping } = options;
  if (!(damping >= 0 && Number.isFinite(damping))) {
    throw new RangeError(`Damping must be a finite number ≥ 0: got ${damping}`);
  }
  let trace = 0;
  for (let j = 0; j < d; j++) trace += gram[j * d + j];
  const epsilon = ABSOLUTE_DAMPING * Math.max(trace / d, Number.MIN_VALUE);
  const updated = new Float32Array(rows * d);
  const errors = new Float64Array(rows);
  const kept = new Int32Array(d);
  const pruned = new Int32Array(d);
  const q = new Float64Array(d);
  let factor = new Float64Array(0);
  let solution = new Float64Array(0);
  for (let r = 0; r < rows; r++) {
    const w = weight.subarray(r * d, (r + 1) * d);
    const m = mask.subarray(r * d, (r + 1) * d);
    let k = 0;
    let p = 0;
    for (let j = 0; j < d; j++) {
      if (m[j]) kept[k++] = j;
      else pruned[p++] = j;
    }
    if (factor.length < k * k) {
      factor = new Float64Array(k * k);
      solution = new Float64Array(k);
    }
    // A = G_KK + Λ (lower triangle), b = G_KP w_P.
    for (let a = 0; a < k; a++) {
      const row = kept[a] * d;
      for (let b = 0; b <= a; b++) factor[a * k + b] = gram[row + kept[b]];
      factor[a * k + a] += damping * gram[row + kept[a]] + epsilon;
      let s = 0;
      for (let i = 0; i < p; i++) s += gram[row + pruned[i]] * w[pruned[i]];
      solution[a] = s;
    }
    choleskySolve(factor, solution, k, r, options.label);
    for (let a = 0; a < k; a++) updated[r * d + kept[a]] = w[kept[a]] + solution[a];
    // q = w − w' as stored in float32; error = qᵀGq on the undamped G.
    for (let j = 0; j < d; j++) q[j] = w[j] - updated[r * d + j];
    errors[r] = quadraticForm(gram, q, d);
  }
  return { weight: updated, errors };
}

/**
 * Solves A x = b in place for a symmetric positive definite A given by its lower triangle
 * (row-major, k × k): A = L Lᵀ overwrites the lower triangle, x overwrites b.
 */
function choleskySolve(
  a: Float64Array,
  b: Float64Array,
  k: number,
  row: number,
  label: string | undefined,
): void {
  for (let j = 0; j < k; j++) {
    let pivot = a[j * k + j];
    for (let t = 0; t < j; t++) pivot -= a[j * k + t] * a[j * k + t];
    if (!(pivot > 0)) {
      throw new InputError(
        `${
          label ?? "Layer"
        }: row ${row}: the kept inputs' Gram block is not positive definite even with damping (pivot ${pivot}); G is not positive semidefinite`,
      );
    }
    const diagonal = Math.sqrt(pivot);
    a[j * k + j] = diagonal;
    for (let i = j + 1; i < k; i++) {
      let s = a[i * k + j];
      for (let t = 0; t < j; t++) s -= a[i * k + t] * a[j * k + t];
      a[i * k + j] = s / diagonal;
    }
  }
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let t = 0; t < i; t++) s -= a[i * k + t] * b[t];
    b[i] = s / a[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i];
    for (let t = i + 1; t < k; t++) s -= a[t * k + i] * b[t];
    b[i] = s / a[i * k + i];
  }
}

/** qᵀGq in float64. */
function quadraticForm(gram: Float64Array, q: Float64Array, d: number): number {
  let total = 0;
  for (let i = 0; i < d; i++) {
    if (q[i] === 0) continue;
    let s = 0;
    for (let j = 0; j < d; j++) s += gram[i * d + j] * q[j];
    total += q[i] * s;
  }
  return total;
}

/** Options of {@linkcode updateWeights}. */
export interface UpdateOptions {
  /** The backend holding G. */
  readonly kernels: Kernels;
  /** G (d, d). */
  readonly gram: GramHandle;
  /** W (rows, d). */
  readonly weight: Float32Array;
  /** Mask (rows, d), 1 = kept. */
  readonly mask: Uint8Array;
  /** Rows of W. */
  readonly rows: number;
  /** Columns of W. */
  readonly d: number;
  /** The update. */
  readonly method: Exclude<UpdateMethod, "none">;
  /** α of the damping (default {@linkcode DEFAULT_DAMPING}). */
  readonly damping?: number;
  /** Names the layer in error messages. */
  readonly label?: string;
}

/**
 * Updates the kept weights of a layer for a fixed mask.
 *
 * @param options Backend, G, W, mask and method.
 * @returns W' (zero where the mask is 0) and its per-row errors on the undamped G.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.ts";
 * const kernels = createReferenceKernels();
 * const gram = await kernels.createGram({ d: 2, values: new Float64Array([2, 1, 1, 2]) });
 * const result = await updateWeights({
 *   kernels, gram, weight: new Float32Array([1, 1]), mask: new Uint8Array([1, 0]), rows: 1, d: 2,
 *   method: "rebuild", damping: 0,
 * });
 * // Kept input 0 absorbs what input 1 did, as far as G allows: w'₀ = 1 + G₀₁/G₀₀ = 1.5.
 * assert.ok(Math.abs(result.weight[0] - 1.5) < 1e-6 && result.weight[1] === 0);
 * assert.ok(Math.abs(result.errors[0] - 1.5) < 1e-6); // 2·1 − 1²/2 (error 2 without the update)
 * ```
 */
export async function updateWeights(options: UpdateOptions): Promise<RebuildResult> {
  const { kernels, gram, weight, mask, rows, d, label } = options;
  const damping = options.damping ?? DEFAULT_DAMPING;
  return await kernels.rebuildRows({ gram, weight, mask, rows, d, damping, label });
}
