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
 * The float64 solver here (Cholesky per row) is the definition: the reference and WebGPU backends
 * (WGSL has no float64) run it on a float64 copy of G; the wasm backend runs the same algorithm in
 * AssemblyScript (assembly/update.ts) on its threads, behind {@linkcode Kernels.rebuildRows}. One
 * factorisation costs |K|³/3 multiply-adds per row: seconds for stories15M, far too much for
 * 4096-wide layers (ADMM's one factorisation per layer is the way there).
 *
 * Also here: Boža's ADMM update (`admmUpdate`, converging to the same damped optimum), ADMM-Grad
 * (`admmGrad`, ADMM that chooses its own mask gradually) and `warmStartLayer`, which makes a
 * layer's warm start, a score or ADMM-Grad with its updated weights.
 *
 * @module
 */

import {
  choleskyFactor,
  choleskySubstitute,
  invertPositiveDefinite,
  updateErrors,
} from "./linear_algebra.ts";
import { sparseGpt } from "./sparsegpt.ts";
import { perRowPattern, type SparsityPattern } from "./pattern.ts";
import { WARM_START_METHODS, warmStartMask, type WarmStartMethod } from "./warm_start.ts";
import type { GramHandle, Kernels, RebuildResult } from "./kernels.ts";

/** How kept weights are updated after the mask. */
export type UpdateMethod = "none" | "rebuild" | "admm";

/** The update methods, for flag validation. */
export const UPDATE_METHODS: readonly UpdateMethod[] = ["none", "rebuild", "admm"];

/** ADMM iterations (Boža's code: `iters=20`). */
export const DEFAULT_ADMM_ITERATIONS = 20;

/** ADMM's penalty ρ on the normalised Gram matrix (Boža's code: `rho = 1`). */
export const ADMM_RHO = 1;

/** Default α of Λ = α · diag(G) + ε · I (ADMM's damping; measured in the README). */
export const DEFAULT_DAMPING = 0.1;

/** ε of Λ, relative to the mean of diag(G): far below any data, above float64 rounding. */
export const ABSOLUTE_DAMPING = 1e-10;

/**
 * ε of Λ = α · diag(G) + ε · I for a Gram matrix with this diagonal (and a check of α).
 *
 * @param diagonal diag(G).
 * @param damping α, which must be finite and ≥ 0.
 * @returns ε.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(absoluteDamping([2, 4], 0.1), 3e-10);
 * assert.throws(() => absoluteDamping([1], -1), /Damping must be a finite number ≥ 0/);
 * ```
 */
export function absoluteDamping(diagonal: ArrayLike<number>, damping: number): number {
  if (!(damping >= 0 && Number.isFinite(damping))) {
    throw new RangeError(`Damping must be a finite number ≥ 0: got ${damping}`);
  }
  let trace = 0;
  for (let j = 0; j < diagonal.length; j++) trace += diagonal[j];
  return ABSOLUTE_DAMPING * Math.max(trace / diagonal.length, Number.MIN_VALUE);
}

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
  const epsilon = absoluteDamping(
    Float64Array.from({ length: d }, (_, j) => gram[j * d + j]),
    damping,
  );
  const updated = new Float32Array(rows * d);
  const kept = new Int32Array(d);
  const pruned = new Int32Array(d);
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
    choleskySolve(
      factor,
      solution,
      k,
      `${options.label ?? "Layer"}: row ${r}: the kept inputs' Gram block`,
    );
    for (let a = 0; a < k; a++) updated[r * d + kept[a]] = w[kept[a]] + solution[a];
  }
  // q = w − w' as stored in float32; errors on the undamped G.
  return { weight: updated, errors: updateErrors(gram, weight, updated, rows, d) };
}

/**
 * Solves A x = b in place for a symmetric positive definite A given by its lower triangle
 * (row-major, k × k): A = L Lᵀ overwrites the lower triangle, x overwrites b.
 */
function choleskySolve(a: Float64Array, b: Float64Array, k: number, what: string): void {
  choleskyFactor(a, k, what);
  choleskySubstitute(a, b, k);
}

/** Options of {@linkcode admmUpdate}. */
export interface AdmmOptions {
  /** The backend: G lives there and the iterations' products run there. */
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
  /** α of the damping G + α · diag(G). */
  readonly damping: number;
  /** Iterations (default {@linkcode DEFAULT_ADMM_ITERATIONS}). */
  readonly iterations?: number;
  /** Names the layer in error messages. */
  readonly label?: string;
}

/**
 * Boža's fixed-mask ADMM update ("Fast and Effective Weight Update for Pruned Large Language
 * Models", TMLR 2024; fmfi-compbio/admm-pruning `lib/admm.py` with the mask given): on G
 * normalised to unit diagonal (Ĝ = N⁻¹GN⁻¹, N = diag(√G_jj + 1e-8), Ŵ = WN) and damped
 * (Ĝ + α·diag(Ĝ), which is G + α·diag(G) in the original coordinates), one inverse
 * A⁻¹ = (Ĝ + ρI)⁻¹ per layer in float64, then per iteration
 *
 *     Z = (Ŵ' + U) ⊙ M,  U ← U + Ŵ' − Z,  Ŵ' = (ŴĜ + ρ(Z − U)) A⁻¹
 *
 * whose products run on the backend (float32 matmul). The result Z N⁻¹ converges to the
 * damped exact update (`rebuild`) as the iterations grow; 20 is the authors' default, a good
 * part of the way at a fraction of rebuild's cost on wide layers. Errors on the undamped G.
 *
 * @param options Backend, G, W, mask, damping and iterations.
 * @returns W' (zero where the mask is 0) and its per-row errors.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.ts";
 * const kernels = createReferenceKernels();
 * const gram = await kernels.createGram({ d: 2, values: new Float64Array([2, 1, 1, 2]) });
 * const options = { kernels, gram, weight: new Float32Array([1, 1]), mask: new Uint8Array([1, 0]), rows: 1, d: 2, damping: 0 };
 * const result = await admmUpdate({ ...options, iterations: 200 });
 * assert.ok(Math.abs(result.weight[0] - 1.5) < 1e-4 && result.weight[1] === 0); // rebuild's 1.5
 * ```
 */
export async function admmUpdate(options: AdmmOptions): Promise<RebuildResult> {
  const { weight, errors } = await admm(options, () => options.mask);
  return { weight, errors };
}

/** ADMM-Grad's gradual schedule (Boža's code: `iterative_prune=15`). */
export const ADMM_GRAD_GRADUAL_ITERATIONS = 15;

/** Options of {@linkcode admmGrad}. */
export interface AdmmGradOptions extends Omit<AdmmOptions, "mask"> {
  /** The pattern of the final mask. */
  readonly pattern: SparsityPattern;
  /** Iterations over which the mask grows to its sparsity (default 15, the authors'). */
  readonly gradualIterations?: number;
}

/**
 * ADMM-Grad (Boža 2024): ADMM whose mask is chosen anew during the first iterations from
 * |Ŵ' + U| (in the normalised coordinates, so a Wanda-like score), at a sparsity that grows on a
 * cubic schedule s_t = s − s·(1 − (t+1)/T)³ to the target at iteration T, then fixed. Row-balanced
 * as the authors' `per_out` option: each row prunes ⌊d·s_t⌋; for N:M, each block's N largest are
 * always kept and the rest of the row fills up to the schedule, which ends exactly at N:M (the
 * authors' 2:4 branch, per row instead of per layer).
 *
 * @param options Backend, G, W, pattern, damping and iterations.
 * @returns The mask, W' (zero where it is 0) and the per-row errors on the undamped G.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.ts";
 * const kernels = createReferenceKernels();
 * const gram = await kernels.createGram({ d: 4, values: new Float64Array([4, 2, 0, 0, 2, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]) });
 * const result = await admmGrad({
 *   kernels, gram, weight: new Float32Array([1, 1, 0.1, 2]), rows: 1, d: 4, damping: 0.1,
 *   pattern: { kind: "per-row", sparsity: 0.5 },
 * });
 * assert.equal(result.mask.reduce((a, b) => a + b, 0), 2); // 50% of the row
 * result.mask.forEach((m, j) => assert.ok(m === 1 || Object.is(result.weight[j], 0)));
 * ```
 */
export async function admmGrad(
  options: AdmmGradOptions,
): Promise<RebuildResult & { readonly mask: Uint8Array }> {
  const { rows, d, pattern } = options;
  // The mask reaches the pattern by the last iteration at the latest.
  const gradual = Math.min(
    options.gradualIterations ?? ADMM_GRAD_GRADUAL_ITERATIONS,
    options.iterations ?? DEFAULT_ADMM_ITERATIONS,
  );
  const target = pattern.kind === "per-row" ? pattern.sparsity : 1 - pattern.n / pattern.m;
  const magnitude = (score: Float32Array, p: SparsityPattern): Uint8Array =>
    warmStartMask({ method: "magnitude", weight: score, rows, d, pattern: p });
  const scheduled = (score: Float32Array, sparsity: number): Uint8Array => {
    if (pattern.kind === "per-row") return magnitude(score, perRowPattern(sparsity));
    // The N largest of each block stay whatever the schedule; the others fill the row.
    const blocks = magnitude(score, pattern);
    return magnitude(score.map((v, i) => (blocks[i] ? Infinity : v)), perRowPattern(sparsity));
  };
  let final: Uint8Array | undefined;
  return await admm(options, (t, score) => {
    if (t < gradual - 1) return scheduled(score, target - target * (1 - (t + 1) / gradual) ** 3);
    final ??= magnitude(score, pattern);
    return final;
  });
}

/**
 * The ADMM iterations of {@linkcode admmUpdate} and {@linkcode admmGrad}; `maskAt` gives the mask
 * of iteration t from |Ŵ' + U| (normalised coordinates).
 */
async function admm(
  options: Omit<AdmmOptions, "mask">,
  maskAt: (t: number, score: Float32Array) => Uint8Array,
): Promise<RebuildResult & { readonly mask: Uint8Array }> {
  const { kernels, weight, rows, d, damping } = options;
  const iterations = options.iterations ?? DEFAULT_ADMM_ITERATIONS;
  const gram = await kernels.readGram(options.gram);
  const norm = new Float64Array(d);
  for (let j = 0; j < d; j++) norm[j] = Math.sqrt(Math.max(0, gram[j * d + j])) + 1e-8;
  const damped = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) damped[i * d + j] = gram[i * d + j] / (norm[i] * norm[j]);
    damped[i * d + i] *= 1 + damping;
  }
  const system = damped.slice();
  for (let j = 0; j < d; j++) system[j * d + j] += ADMM_RHO;
  const inverse = await kernels.createMatrix({
    values: Float32Array.from(
      invertPositiveDefinite(system, d, `${options.label ?? "Layer"}: ADMM's damped Gram matrix`),
    ),
    rows: d,
    cols: d,
  });
  const dampedMatrix = await kernels.createMatrix({
    values: Float32Array.from(damped),
    rows: d,
    cols: d,
  });
  try {
    const scaled = new Float32Array(rows * d);
    for (let i = 0; i < rows * d; i++) scaled[i] = weight[i] * norm[i % d];
    // Both matrices are symmetric, so x · Mᵀ (matmul) is x · M.
    const target = await kernels.matmul({ x: scaled, w: dampedMatrix, n: rows, k: d, m: d });
    let w: Float32Array = scaled;
    const u = new Float32Array(rows * d);
    const z = new Float32Array(rows * d);
    const score = new Float32Array(rows * d);
    const right = new Float32Array(rows * d);
    let mask: Uint8Array = new Uint8Array(0);
    for (let t = 0; t < iterations; t++) {
      for (let i = 0; i < rows * d; i++) score[i] = Math.abs(w[i] + u[i]);
      mask = maskAt(t, score);
      for (let i = 0; i < rows * d; i++) {
        z[i] = mask[i] ? w[i] + u[i] : 0;
        u[i] += w[i] - z[i];
        right[i] = target[i] + ADMM_RHO * (z[i] - u[i]);
      }
      w = await kernels.matmul({ x: right, w: inverse, n: rows, k: d, m: d });
    }
    const updated = new Float32Array(rows * d);
    for (let i = 0; i < rows * d; i++) updated[i] = mask[i] ? (w[i] + u[i]) / norm[i % d] : 0;
    return { mask, weight: updated, errors: updateErrors(gram, weight, updated, rows, d) };
  } finally {
    kernels.release(inverse);
    kernels.release(dampedMatrix);
  }
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
  /** ADMM iterations (default {@linkcode DEFAULT_ADMM_ITERATIONS}). */
  readonly iterations?: number;
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
  if (options.method === "admm") return await admmUpdate({ ...options, damping });
  return await kernels.rebuildRows({ gram, weight, mask, rows, d, damping, label });
}

/**
 * A layer's warm start: a score (magnitude, Wanda, RIA), or a method that also updates the
 * weights (SparseGPT, row-balanced or as published; ADMM-Grad).
 */
export type LayerWarmStart = WarmStartMethod | UpdatingWarmStart;

/** The warm starts that also update the kept weights. */
export type UpdatingWarmStart = "sparsegpt" | "sparsegpt-unbalanced" | "admm-grad";

/** The layer warm starts, for flag validation. */
export const LAYER_WARM_STARTS: readonly LayerWarmStart[] = [
  ...WARM_START_METHODS,
  "sparsegpt",
  "sparsegpt-unbalanced",
  "admm-grad",
];

/**
 * Whether a warm start's masks keep the per-row pattern: all but SparseGPT as published, whose
 * per-row masks are balanced over each block of all rows, not per row (N:M masks always are).
 *
 * @param method The warm start.
 * @param pattern The pattern.
 * @returns False where masks may break the pattern's per-row counts.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(keepsRowBalance("sparsegpt-unbalanced", { kind: "per-row", sparsity: 0.5 }), false);
 * assert.equal(keepsRowBalance("sparsegpt-unbalanced", { kind: "n:m", n: 2, m: 4 }), true);
 * ```
 */
export function keepsRowBalance(method: LayerWarmStart, pattern: SparsityPattern): boolean {
  return method !== "sparsegpt-unbalanced" || pattern.kind === "n:m";
}

/** Options of {@linkcode warmStartLayer}. */
export interface WarmStartLayerOptions {
  /** The backend holding G. */
  readonly kernels: Kernels;
  /** G (d, d). */
  readonly gram: GramHandle;
  /** diag(G) (d,). */
  readonly gramDiagonal: Float64Array;
  /** W (rows, d). */
  readonly weight: Float32Array;
  /** Rows of W. */
  readonly rows: number;
  /** Columns of W. */
  readonly d: number;
  /** The mask's pattern. */
  readonly pattern: SparsityPattern;
  /** The warm start. */
  readonly method: LayerWarmStart;
  /** α of ADMM-Grad's damping (default {@linkcode DEFAULT_DAMPING}). */
  readonly damping?: number;
  /** Names the layer in error messages. */
  readonly label?: string;
}

/**
 * A layer's warm-start mask; SparseGPT and ADMM-Grad also return their updated weights for it
 * (SparseGPT with its own damping, 1% of mean diag G; ADMM-Grad with `damping`).
 *
 * @param options Layer, G, pattern and method.
 * @returns The mask, and the updated weights when the method makes them.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.ts";
 * const kernels = createReferenceKernels();
 * const gram = await kernels.createGram({ d: 2, values: new Float64Array([1, 0, 0, 4]) });
 * const options = {
 *   kernels, gram, gramDiagonal: new Float64Array([1, 4]), weight: new Float32Array([2, 1.5]),
 *   rows: 1, d: 2, pattern: { kind: "per-row", sparsity: 0.5 },
 * } as const;
 * assert.deepEqual([...(await warmStartLayer({ ...options, method: "wanda" })).mask], [0, 1]);
 * assert.ok((await warmStartLayer({ ...options, method: "admm-grad" })).updated !== undefined);
 * ```
 */
export async function warmStartLayer(
  options: WarmStartLayerOptions,
): Promise<{ readonly mask: Uint8Array; readonly updated?: RebuildResult }> {
  const { method } = options;
  if (method === "sparsegpt" || method === "sparsegpt-unbalanced") {
    const gram = await options.kernels.readGram(options.gram);
    const { mask, weight, errors } = sparseGpt({
      ...options,
      gram,
      damping: undefined,
      rowBalanced: method === "sparsegpt",
    });
    return { mask, updated: { weight, errors } };
  }
  if (method !== "admm-grad") return { mask: warmStartMask({ ...options, method }) };
  const { mask, weight, errors } = await admmGrad({
    ...options,
    damping: options.damping ?? DEFAULT_DAMPING,
  });
  return { mask, updated: { weight, errors } };
}
