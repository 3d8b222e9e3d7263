/**
 * DSnoT (Zhang et al. 2024, "Dynamic Sparse No Training"), the training-free refiner that
 * SparseSwaps is compared against. Pure: no I/O.
 *
 * DSnoT never looks at G. Per row it tracks the signed mean shift the pruned weights cause,
 * `e = Σ_{j pruned} w_j μ_j` (μ = per-channel input mean), and repeats, for at most
 * `maxCycles` cycles:
 *
 * - stop when `|e| ≤ updateThreshold`;
 * - regrow the pruned weight that reduces `e` most relative to its channel's variance: the
 *   largest `w_j μ_j / σ²_j` when e > 0, the smallest when e < 0 (it must have e's sign);
 * - prune the lowest-Wanda kept weight whose `w_j μ_j` has the opposite sign of e (so it
 *   pushes e towards 0 too), for N:M within the regrown weight's block;
 * - stop (no progress) when no candidate is left or the swap would flip the sign of e.
 *
 * Candidate orders are computed once from the warm start; a weight moves at most once. This
 * follows the authors' code (github.com/zyxxmu/DSnoT, `prune_DSnoT`) without its quirks: it
 * never "regrows" a kept weight and never prunes one twice, so the pattern always holds.
 *
 * @module
 */
import { type SparsityPattern } from "./pattern.js";
/** DSnoT's defaults, from the authors' code: 50 cycles, stop at |e| ≤ 0.1. */
export declare const DSNOT_DEFAULTS: {
    readonly maxCycles: 50;
    readonly updateThreshold: 0.1;
};
/** Options of {@linkcode refineDsnot}. */
export interface DsnotOptions {
    /** W (rows, d) row-major. */
    readonly weight: Float32Array;
    /** Rows of W. */
    readonly rows: number;
    /** Columns of W. */
    readonly d: number;
    /** Warm-start mask (rows, d), 1 = kept; must satisfy `pattern`. Not modified. */
    readonly mask: Uint8Array;
    /** The pattern to preserve. */
    readonly pattern: SparsityPattern;
    /** μ (d,): mean of each input channel over the calibration tokens. */
    readonly inputMean: Float64Array | Float32Array;
    /** σ² (d,): variance of each input channel over the calibration tokens. */
    readonly inputVariance: Float64Array | Float32Array;
    /** ‖X_j‖₂² (d,) (= diag G), which ranks kept weights by Wanda score for pruning. */
    readonly gramDiagonal: Float64Array | Float32Array;
    /** Most swaps per row; default 50. */
    readonly maxCycles?: number;
    /** Stop a row once |e| is at most this; default 0.1. */
    readonly updateThreshold?: number;
}
/** What {@linkcode refineDsnot} returns. */
export interface DsnotResult {
    /** Refined mask (rows, d), 1 = kept. */
    readonly mask: Uint8Array;
    /** Swaps over all rows. */
    readonly swaps: number;
    /** (rows,) mean shift e of the warm start. */
    readonly shiftBefore: Float64Array;
    /** (rows,) mean shift e after refinement. */
    readonly shiftAfter: Float64Array;
}
/**
 * Refines a warm-start mask with DSnoT.
 *
 * @param options Layer, warm start, pattern and input statistics.
 * @returns The refined mask and the mean shift before and after.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // Pruning w_1 and w_3 shifts the output mean by 0.5 + 0.5 = 1.
 * const result = refineDsnot({
 *   weight: new Float32Array([1, 0.5, -0.25, 0.5]), rows: 1, d: 4,
 *   mask: new Uint8Array([1, 0, 1, 0]), pattern: { kind: "per-row", sparsity: 0.5 },
 *   inputMean: new Float64Array([0, 1, 1, 1]), inputVariance: new Float64Array([1, 1, 1, 1]),
 *   gramDiagonal: new Float64Array([1, 1, 1, 1]),
 * });
 * // Regrow w_3, prune w_2 (the only kept weight with a negative shift): e = 1 − 0.25 − 0.5.
 * assert.deepEqual([...result.mask], [1, 0, 0, 1]);
 * assert.equal(result.shiftBefore[0], 1);
 * assert.equal(result.shiftAfter[0], 0.25);
 * ```
 */
export declare function refineDsnot(options: DsnotOptions): DsnotResult;
/** Per-channel input statistics, as DSnoT needs them. */
export interface ChannelStatistics {
    /** μ (d,): mean of each channel. */
    readonly mean: Float64Array;
    /** σ² (d,): population variance of each channel. */
    readonly variance: Float64Array;
}
/**
 * Mean and population variance of each channel of X (tokens, d), in float64.
 *
 * @param x X (tokens, d) row-major.
 * @param tokens Number of tokens.
 * @param d Channels.
 * @returns μ and σ² per channel.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const stats = channelStatistics(new Float32Array([1, 0, 3, 2]), 2, 2);
 * assert.deepEqual([...stats.mean], [2, 1]);
 * assert.deepEqual([...stats.variance], [1, 1]);
 * ```
 */
export declare function channelStatistics(x: Float32Array, tokens: number, d: number): ChannelStatistics;
