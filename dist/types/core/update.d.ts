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
import { type SparsityPattern } from "./pattern.js";
import { type WarmStartMethod } from "./warm_start.js";
import type { GramHandle, Kernels, RebuildResult } from "./kernels.js";
/** How kept weights are updated after the mask. */
export type UpdateMethod = "none" | "rebuild" | "admm";
/** The update methods, for flag validation. */
export declare const UPDATE_METHODS: readonly UpdateMethod[];
/** ADMM iterations (Boža's code: `iters=20`). */
export declare const DEFAULT_ADMM_ITERATIONS = 20;
/** ADMM's penalty ρ on the normalised Gram matrix (Boža's code: `rho = 1`). */
export declare const ADMM_RHO = 1;
/** Default α of Λ = α · diag(G) + ε · I (ADMM's damping; measured in the README). */
export declare const DEFAULT_DAMPING = 0.1;
/** ε of Λ, relative to the mean of diag(G): far below any data, above float64 rounding. */
export declare const ABSOLUTE_DAMPING = 1e-10;
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
export declare function absoluteDamping(diagonal: ArrayLike<number>, damping: number): number;
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
export declare function rebuildRowsFloat64(options: RebuildRowsOptions): RebuildResult;
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
 * import { createReferenceKernels } from "./backends/reference.js";
 * const kernels = createReferenceKernels();
 * const gram = await kernels.createGram({ d: 2, values: new Float64Array([2, 1, 1, 2]) });
 * const options = { kernels, gram, weight: new Float32Array([1, 1]), mask: new Uint8Array([1, 0]), rows: 1, d: 2, damping: 0 };
 * const result = await admmUpdate({ ...options, iterations: 200 });
 * assert.ok(Math.abs(result.weight[0] - 1.5) < 1e-4 && result.weight[1] === 0); // rebuild's 1.5
 * ```
 */
export declare function admmUpdate(options: AdmmOptions): Promise<RebuildResult>;
/** ADMM-Grad's gradual schedule (Boža's code: `iterative_prune=15`). */
export declare const ADMM_GRAD_GRADUAL_ITERATIONS = 15;
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
 * import { createReferenceKernels } from "./backends/reference.js";
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
export declare function admmGrad(options: AdmmGradOptions): Promise<RebuildResult & {
    readonly mask: Uint8Array;
}>;
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
 * import { createReferenceKernels } from "./backends/reference.js";
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
export declare function updateWeights(options: UpdateOptions): Promise<RebuildResult>;
/**
 * A layer's warm start: a score (magnitude, Wanda, RIA), or a method that also updates the
 * weights (SparseGPT, row-balanced or as published; ADMM-Grad).
 */
export type LayerWarmStart = WarmStartMethod | UpdatingWarmStart;
/** The warm starts that also update the kept weights. */
export type UpdatingWarmStart = "sparsegpt" | "sparsegpt-unbalanced" | "admm-grad";
/** The layer warm starts, for flag validation. */
export declare const LAYER_WARM_STARTS: readonly LayerWarmStart[];
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
export declare function keepsRowBalance(method: LayerWarmStart, pattern: SparsityPattern): boolean;
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
 * import { createReferenceKernels } from "./backends/reference.js";
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
export declare function warmStartLayer(options: WarmStartLayerOptions): Promise<{
    readonly mask: Uint8Array;
    readonly updated?: RebuildResult;
}>;
