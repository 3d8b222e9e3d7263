/**
 * One linear layer's pruning, the method that `prune` runs on every layer and `refine` on one:
 *
 *     warm start (a score; or SparseGPT / ADMM-Grad, which also update the kept weights)
 *     → refine the mask: SparseSwaps (on the updated weights when the warm start made them),
 *       DSnoT or none
 *     → optionally update the kept weights for the final mask (rebuild or ADMM, core/update.ts)
 *     → optionally `alternate` more rounds of SparseSwaps on the updated weights → update
 *
 * Alternating rounds never raise the layer's error: a round whose swaps and update do not end
 * below the error it started from is dropped, and the rounds stop there. (The first update is
 * always applied, as asked: its damping can trade a little calibration error for weights that
 * generalise better.)
 *
 * Pure numerics on the backend's kernels: no I/O, no logging.
 *
 * @module
 */
import type { PairSearch } from "./kernels.js";
import type { SparsityPattern } from "./pattern.js";
import { type RefineCounts, type RefineProgress } from "./sparseswaps.js";
import { type LayerWarmStart, type UpdateMethod, type UpdatingWarmStart, type WarmStartLayerOptions } from "./update.js";
/** How masks are improved after the warm start. */
export type Refiner = "sparseswaps" | "dsnot" | "none";
/** The refiners, for flag validation. */
export declare const REFINERS: readonly Refiner[];
/** How kept weights are updated once a layer's mask is final. */
export interface WeightUpdate {
    /** The method. */
    readonly method: Exclude<UpdateMethod, "none">;
    /** α of the damping (see core/update.ts). */
    readonly damping: number;
    /** ADMM iterations (admm only). */
    readonly iterations?: number;
    /**
     * Further rounds of SparseSwaps on the updated weights followed by the update (default 0);
     * they stop early once a round no longer lowers the error.
     */
    readonly alternate?: number;
}
/** How each layer is pruned: what `refine` runs on one layer and `prune` on every one. */
export interface LayerMethod {
    /** Sparsity pattern. */
    readonly pattern: SparsityPattern;
    /** Warm start. */
    readonly warmStart: LayerWarmStart;
    /** SparseSwaps swaps per row (Infinity: until converged). */
    readonly maxIters: number;
    /** Update of the kept weights (none when absent). */
    readonly update?: WeightUpdate;
}
/** Per-channel moments of the layer's inputs, which DSnoT needs. */
export interface InputMoments {
    /** Mean of each input channel over the calibration tokens. */
    readonly mean: Float64Array;
    /** Variance of each input channel. */
    readonly variance: Float64Array;
}
/** Options of {@linkcode pruneLayer}. */
export interface PruneLayerOptions extends Omit<WarmStartLayerOptions, "method" | "damping"> {
    /** The warm start, or a given mask (rows, d), 1 = kept. */
    readonly warmStart: LayerWarmStart | Uint8Array;
    /** The refiner. */
    readonly refiner: Refiner;
    /** SparseSwaps' iteration budget (per round). */
    readonly maxIters: number;
    /** Update of the kept weights after the mask (default none). */
    readonly update?: WeightUpdate;
    /** The inputs' moments (required by DSnoT). */
    readonly moments?: InputMoments;
    /** How SparseSwaps searches pairs (default bounded). */
    readonly search?: PairSearch;
    /** Names the layer in error messages. */
    readonly label?: string;
    /** Progress of SparseSwaps' first round. */
    readonly onProgress?: (progress: RefineProgress) => void;
    /** Stops the work between SparseSwaps iterations. */
    readonly signal?: AbortSignal;
}
/**
 * What {@linkcode pruneLayer} did. The counts: swaps and pair evaluations over all rounds, the
 * others of the first round.
 */
export interface PrunedLayer extends RefineCounts {
    /** Final mask (rows, d), 1 = kept. */
    readonly mask: Uint8Array;
    /**
     * W' (rows, d), exactly 0 where the mask is 0, when kept weights moved (an update, or a
     * SparseGPT / ADMM-Grad warm start); absent when they keep their dense values.
     */
    readonly weight?: Float32Array;
    /** Where W' comes from: the update, the warm start's own, or none. */
    readonly weightSource: UpdateMethod | UpdatingWarmStart;
    /** (rows,) ‖(W − W_warm)X‖² of the warm start (with its own updated weights). */
    readonly errorWarm: Float64Array;
    /** (rows,) the error after the refiner's first round. */
    readonly errorRefined: Float64Array;
    /** (rows,) the final error ‖(W − W')X‖², when an update ran. */
    readonly errorUpdated?: Float64Array;
    /** Alternating rounds kept (each lowered the error). */
    readonly rounds: number;
}
/**
 * Prunes one linear layer: warm start, refinement, update and alternating rounds (see the module
 * documentation).
 *
 * @param options Layer, G, pattern and method.
 * @returns The mask, the updated weights if any, per-row errors and counts.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.js";
 * const kernels = createReferenceKernels();
 * const values = new Float64Array([4, 3, 0, 0, 3, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
 * const gram = await kernels.createGram({ d: 4, values });
 * const pruned = await pruneLayer({
 *   kernels, gram, gramDiagonal: new Float64Array([4, 4, 1, 1]),
 *   weight: new Float32Array([1, -1, 1.5, 0.2]), rows: 1, d: 4,
 *   pattern: { kind: "per-row", sparsity: 0.5 }, warmStart: "wanda", refiner: "sparseswaps",
 *   maxIters: 100, update: { method: "rebuild", damping: 0, alternate: 2 },
 * });
 * assert.ok(pruned.errorUpdated![0] <= pruned.errorRefined[0]);
 * assert.equal(pruned.weightSource, "rebuild");
 * ```
 */
export declare function pruneLayer(options: PruneLayerOptions): Promise<PrunedLayer>;
/**
 * Σ of per-row values in float64.
 *
 * @param values Per-row values.
 * @returns Their sum.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(total(new Float64Array([1, 2.5])), 3.5);
 * ```
 */
export declare function total(values: Float64Array): number;
