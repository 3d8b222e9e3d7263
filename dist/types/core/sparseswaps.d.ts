/**
 * SparseSwaps (Zimmer et al. 2025, arXiv 2512.10922): exact best-improvement 1-swap refinement
 * of a pruning mask. Pure: no I/O, no logging; the heavy work goes through {@linkcode Kernels}.
 *
 * Per row (rows are independent, processed in batches to bound memory):
 *
 *     c = G q,  L = qᵀ c                                   (kernels.correlate)
 *     repeat up to maxIters times:
 *         (u*, p*) = argmin over feasible pairs ΔL(u, p)  (kernels.bestSwaps)
 *         stop the row unless ΔL < −tolerance · L          (1-swap local optimum)
 *         swap u*, p*; c += v_u G[:,u] − v_p G[:,p]       (kernels.applySwaps)
 *         L += ΔL; every kernels.recomputeEvery iterations c and L are recomputed from
 *         scratch, and a row whose recomputed L did not fall since the last time stops
 *
 * A row that stops is *converged* when its best gain is not below −CONVERGED_TOLERANCE · L (no
 * improving swap, up to float64 rounding), and *stalled* otherwise: its best swap was smaller
 * than the backend's accept guard (float32 gains on WebGPU), or it stopped falling.
 *
 * The kept weights may carry updated values v (a warm start or update that moved them, see
 * core/kernels.ts): the swaps then refine that layer, and a weight a swap restores comes back at
 * its dense value.
 *
 * Numeric guards: with s_j = √G_jj, every row error qᵀGq of a PSD G lies in [0, S] with
 * S = (Σ_j x_j s_j)², x_j = max(|w_j|, |v_j|, |w_j − v_j|), which bounds every q and gain term. A row with S beyond MAX_ERROR_SCALE would overflow float32 pair searches
 * and is refused; a non-finite error is refused; an error below −NEGATIVE_ERROR_TOLERANCE · S
 * (10⁴ times any rounding of qᵀGq) proves that G is not positive semidefinite and is refused.
 *
 * @module
 */
import type { GramHandle, Kernels, PairSearch } from "./kernels.js";
import { type SparsityPattern } from "./pattern.js";
/** Best gains at or above −CONVERGED_TOLERANCE · L mean "no improving swap" (float64 noise). */
export declare const CONVERGED_TOLERANCE = 1e-10;
/**
 * Largest row error scale S = (Σ_j |w_j| √G_jj)² accepted: pair searches rank gains (a few S
 * at most) in float32, whose range ends at 3.4e38. Any positive multiple of G gives the same
 * masks, so a larger G can be scaled down.
 */
export declare const MAX_ERROR_SCALE = 1e+36;
/**
 * Row errors below −NEGATIVE_ERROR_TOLERANCE · S prove G is not positive semidefinite: rounding
 * moves a computed qᵀGq by at most about d · 2⁻²⁴ · S in float32 (1e-4 · S only past d = 1700,
 * and the float32 backend sums with compensation), far less in float64.
 */
export declare const NEGATIVE_ERROR_TOLERANCE = 0.0001;
/** A layer and its Gram matrix, as every refiner and error function takes them. */
export interface LayerOperands {
    /** The backend doing the heavy work. */
    readonly kernels: Kernels;
    /** G (d, d), made by the same backend. */
    readonly gram: GramHandle;
    /** W (rows, d) row-major. */
    readonly weight: Float32Array;
    /** Rows of W (output features). */
    readonly rows: number;
    /** Columns of W (input features). */
    readonly d: number;
    /**
     * V (rows, d): the kept weights' current values, when an update moved them; default W. Only
     * entries the mask keeps are read.
     */
    readonly values?: Float32Array;
    /** Rows per batch; default: as many as fit in 64 MiB of float64 row state. */
    readonly batchRows?: number;
    /** Names the layer in error messages (e.g. `Tensor "gram" in "G.safetensors"`). */
    readonly label?: string;
}
/** Progress of a refinement, reported after each batch. */
export interface RefineProgress {
    /** Rows finished so far. */
    readonly rowsDone: number;
    /** Rows in the layer. */
    readonly rows: number;
    /** Swaps accepted so far. */
    readonly swaps: number;
}
/** Options of {@linkcode refineSparseSwaps}. */
export interface SparseSwapsOptions extends LayerOperands {
    /** Warm-start mask (rows, d), 1 = kept; must satisfy `pattern`. Not modified. */
    readonly mask: Uint8Array;
    /** The sparsity pattern swaps must preserve. */
    readonly pattern: SparsityPattern;
    /** Most swaps per row; `Infinity` runs until no row has an improving swap. */
    readonly maxIters: number;
    /** Called after each batch of rows. */
    readonly onProgress?: (progress: RefineProgress) => void;
    /** Stops the refinement between iterations, throwing the signal's reason. */
    readonly signal?: AbortSignal;
    /** How pairs are searched (default bounded; brute force is the oracle, same results). */
    readonly search?: PairSearch;
}
/** What a refinement did, counted over a layer's rows (0 where a refiner does not count it). */
export interface RefineCounts {
    /** Swaps accepted over all rows. */
    readonly swaps: number;
    /** Iterations run: the most swaps any row accepted (SparseSwaps). */
    readonly iterations: number;
    /** Rows that stopped because no improving 1-swap was left (up to float64 rounding). */
    readonly convergedRows: number;
    /**
     * Rows that stopped with an improving swap the backend could not resolve (smaller than its
     * accept guard), or because their error stopped falling: not proven converged.
     */
    readonly stalledRows: number;
    /** Pair gains the searches evaluated (bookkeeping included). */
    readonly pairsEvaluated: number;
    /** Pair gains a brute-force search of the same rows and iterations would have evaluated. */
    readonly pairsBruteForce: number;
}
/** What {@linkcode refineSparseSwaps} returns. */
export interface SparseSwapsResult extends RefineCounts {
    /** Refined mask (rows, d), 1 = kept. */
    readonly mask: Uint8Array;
    /**
     * W' (rows, d): the refined layer, exactly 0 where the mask is 0; the kept weights at their
     * values (V, or W for a weight a swap restored).
     */
    readonly weight: Float32Array;
    /** (rows,) error qᵀGq of the warm start, float64. */
    readonly errorBefore: Float64Array;
    /**
     * (rows,) error qᵀGq of the refined mask, float64: qᵀc with the c the swaps updated (c was
     * computed from scratch at the start and every kernels.recomputeEvery iterations).
     */
    readonly errorAfter: Float64Array;
}
/**
 * Refines a warm-start mask with exact best-improvement 1-swaps.
 *
 * @param options Layer, Gram matrix, warm start, pattern and iteration budget.
 * @returns The refined mask, per-row errors before and after, and counts.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.js";
 * const kernels = createReferenceKernels();
 * // Inputs 0 and 1 are strongly correlated, so pruning the pair (0, 1) cancels out.
 * const gram = await kernels.createGram({ d: 3, values: new Float64Array([1, 0.9, 0, 0.9, 1, 0, 0, 0, 1]) });
 * const weight = new Float32Array([1, -1, 1.2]);
 * const mask = new Uint8Array([0, 1, 0]); // keeps -1: error 1² + 1.2² = 2.44
 * const result = await refineSparseSwaps({
 *   kernels, gram, weight, rows: 1, d: 3, mask,
 *   pattern: { kind: "per-row", sparsity: 0.67 }, maxIters: Infinity,
 * });
 * assert.deepEqual([...result.mask], [0, 0, 1]); // keeps 1.2: error 1 + 1 − 2 · 0.9 = 0.2
 * assert.ok(Math.abs(result.errorAfter[0] - 0.2) < 1e-6);
 * ```
 */
export declare function refineSparseSwaps(options: SparseSwapsOptions): Promise<SparseSwapsResult>;
/**
 * Per-row pruning error `qᵀ G q` of a mask, in float64 (the layer's reconstruction error
 * `‖(W − M⊙V) X‖²` row by row, V = W unless values are given).
 *
 * @param options Layer, Gram matrix, the mask to score and optionally the kept values.
 * @returns (rows,) errors.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.js";
 * const kernels = createReferenceKernels();
 * const gram = await kernels.createGram({ d: 2, values: new Float64Array([2, 0, 0, 3]) });
 * const errors = await layerErrors({
 *   kernels, gram, weight: new Float32Array([1, 2]), rows: 1, d: 2, mask: new Uint8Array([1, 0]),
 * });
 * assert.deepEqual([...errors], [12]); // q = (0, 2): 2 · 3 · 2
 * ```
 */
export declare function layerErrors(options: LayerOperands & {
    readonly mask: Uint8Array;
}): Promise<Float64Array>;
/**
 * Throws when a mask breaks the pattern, naming the first offending rows.
 *
 * @param mask Mask (rows, d), 1 = kept.
 * @param rows Rows.
 * @param d Row length.
 * @param pattern The pattern.
 * @param what Names the mask in the message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.throws(
 *   () => checkMaskFits(new Uint8Array([1, 1, 1, 0]), 1, 4, { kind: "n:m", n: 2, m: 4 }),
 *   /breaks pattern 2:4 in 1 row: 0/,
 * );
 * ```
 */
export declare function checkMaskFits(mask: Uint8Array, rows: number, d: number, pattern: SparsityPattern, what?: string): void;
