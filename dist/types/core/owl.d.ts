/**
 * OWL layer-wise sparsity (Yin et al. 2023, "Outlier Weighed Layerwise Sparsity"): blocks with
 * more outlier weights keep more of them. A block's outlier ratio is the share of its linear
 * layers' Wanda scores |W_ij|·‖X_j‖ above M times their mean (all seven layers together); the
 * ratios are scaled to a spread of 2λ, centred so that the mean sparsity stays the target, and the
 * block with the most outliers is pruned least. Defaults from the paper and its code: M = 5,
 * λ = 0.08. Pure functions.
 *
 * @module
 */
/** M: a score is an outlier above M times the block's mean score. */
export declare const OWL_OUTLIER_MULTIPLE = 5;
/** λ: block sparsities spread over target ± λ. */
export declare const OWL_SPREAD = 0.08;
/** A linear layer as OWL scores it. */
export interface ScoredLayer {
    /** W (rows, d). */
    readonly weight: Float32Array;
    /** d. */
    readonly d: number;
    /** ‖X_j‖² per input channel (d,): diag(G), or anything proportional to it. */
    readonly inputEnergy: ArrayLike<number>;
}
/**
 * A block's outlier ratio: the percentage of its Wanda scores |W_ij|·‖X_j‖ (over all its layers)
 * above `multiple` times their mean.
 *
 * @param layers The block's linear layers.
 * @param multiple M (default {@linkcode OWL_OUTLIER_MULTIPLE}).
 * @returns The ratio in percent.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // Scores 1, 1, 1, 1, 1, 1, 1, 1, 1, 21: mean 3, one above 5 × 3 = 15.
 * const weight = new Float32Array([1, 1, 1, 1, 1, 1, 1, 1, 1, 21]);
 * assert.equal(outlierRatio([{ weight, d: 10, inputEnergy: new Array(10).fill(1) }]), 10);
 * ```
 */
export declare function outlierRatio(layers: readonly ScoredLayer[], multiple?: number): number;
/**
 * Block sparsities from outlier ratios, as OWL's code computes them: ratios scaled linearly to
 * [0, 2λ], shifted so that their mean is the target density (1 − target), and each block's
 * sparsity is one minus its density. Equal ratios give the target everywhere.
 *
 * @param ratios Outlier ratio per block.
 * @param target The mean sparsity.
 * @param spread λ (default {@linkcode OWL_SPREAD}).
 * @returns Sparsity per block, mean `target`, within target ± λ.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = owlSparsities([1, 2, 3], 0.6);
 * assert.deepEqual(s.map((x) => Math.round(x * 1e6) / 1e6), [0.68, 0.6, 0.52]);
 * ```
 */
export declare function owlSparsities(ratios: readonly number[], target: number, spread?: number): number[];
