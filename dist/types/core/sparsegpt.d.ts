/**
 * SparseGPT (Frantar & Alistarh 2023): one pass over the columns of W in blocks, pruning each
 * column by the Optimal Brain Surgeon saliency w² / [H⁻¹]_jj and moving its error onto the
 * columns not yet visited, with H = G + λI (λ = 1% of mean diag G, the paper's damping) and the
 * upper Cholesky factor of H⁻¹ giving every step's inverse at once. As the authors' code
 * (`fasterprune`, block size 128), in float64. The mask, by default, is row-balanced, as every
 * warm start here: each row prunes ⌊i₂·s⌋ − ⌊i₁·s⌋ weights of block [i₁, i₂) (⌊d·s⌋ in all);
 * `rowBalanced: false` chooses it as published, per block over all rows at once (the
 * ⌊rows·(i₂ − i₁)·s⌋ smallest saliencies of the block; rows end up 11–97% sparse, so the mask
 * breaks the per-row pattern and only the layer's sparsity is exact). N:M picks the N of each
 * group by the same saliency when the group is reached (their `prunen` branch), either way.
 * Pure.
 *
 * @module
 */
import type { RebuildResult } from "./kernels.js";
import type { SparsityPattern } from "./pattern.js";
/** λ of H = G + λI, relative to the mean of diag G (the paper's 0.01). */
export declare const SPARSEGPT_DAMPING = 0.01;
/** Columns per block (the paper's 128). */
export declare const SPARSEGPT_BLOCK = 128;
/** Options of {@linkcode sparseGpt}. */
export interface SparseGptOptions {
    /** G (d, d) row-major, float64. */
    readonly gram: Float64Array;
    /** W (rows, d). */
    readonly weight: Float32Array;
    /** Rows of W. */
    readonly rows: number;
    /** Columns of W. */
    readonly d: number;
    /** The mask's pattern. */
    readonly pattern: SparsityPattern;
    /**
     * Per-row sparsity: prune the same count in every row (default true), or choose each block's
     * mask over all rows at once as the paper does (false).
     */
    readonly rowBalanced?: boolean;
    /** λ relative to mean diag G (default {@linkcode SPARSEGPT_DAMPING}). */
    readonly damping?: number;
    /** Names the layer in error messages. */
    readonly label?: string;
}
/**
 * Prunes a layer with SparseGPT.
 *
 * @param options G, W and pattern.
 * @returns The mask, the updated weights (zero where pruned) and their errors ‖(w − w')X‖².
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // Inputs 0 and 1 correlate: pruning 0 moves its weight onto 1.
 * const gram = new Float64Array([1, 0.9, 0, 0.9, 1, 0, 0, 0, 1]);
 * const result = sparseGpt({
 *   gram, weight: new Float32Array([1, 0.5, 2]), rows: 1, d: 3,
 *   pattern: { kind: "per-row", sparsity: 0.34 },
 * });
 * assert.deepEqual([...result.mask], [0, 1, 1]);
 * assert.ok(result.weight[0] === 0 && result.weight[1] > 1.3 && result.weight[2] === 2);
 * ```
 */
export declare function sparseGpt(options: SparseGptOptions): RebuildResult & {
    readonly mask: Uint8Array;
};
