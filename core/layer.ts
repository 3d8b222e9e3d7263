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

import { refineDsnot } from "./dsnot.ts";
import type { PairSearch } from "./kernels.ts";
import type { SparsityPattern } from "./pattern.ts";
import {
  layerErrors,
  type RefineCounts,
  type RefineProgress,
  refineSparseSwaps,
} from "./sparseswaps.ts";
import {
  type LayerWarmStart,
  type UpdateMethod,
  updateWeights,
  type UpdatingWarmStart,
  warmStartLayer,
  type WarmStartLayerOptions,
} from "./update.ts";

/** How masks are improved after the warm start. */
export type Refiner = "sparseswaps" | "dsnot" | "none";

/** The refiners, for flag validation. */
export const REFINERS: readonly Refiner[] = ["sparseswaps", "dsnot", "none"];

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
 * import { createReferenceKernels } from "./backends/reference.ts";
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
export async function pruneLayer(options: PruneLayerOptions): Promise<PrunedLayer> {
  const { kernels, gram, weight, rows, d, pattern, refiner, update, label, signal } = options;
  const operands = { kernels, gram, weight, rows, d, label };
  const warm = options.warmStart instanceof Uint8Array
    ? { mask: options.warmStart }
    : await warmStartLayer({
      ...operands,
      gramDiagonal: options.gramDiagonal,
      pattern,
      method: options.warmStart,
      damping: update?.damping,
    });
  const warmSource = options.warmStart instanceof Uint8Array || !warm.updated
    ? "none"
    : options.warmStart as UpdatingWarmStart;
  const swap = (mask: Uint8Array, values: Float32Array | undefined, first: boolean) =>
    refineSparseSwaps({
      ...operands,
      mask,
      values,
      pattern,
      maxIters: options.maxIters,
      search: options.search,
      signal,
      onProgress: first ? options.onProgress : undefined,
    });

  let mask = warm.mask;
  // Kept weights moved by the warm start; undefined while they keep their dense values.
  let values = warm.updated?.weight;
  let source: PrunedLayer["weightSource"] = warmSource;
  let errorWarm: Float64Array;
  let errorRefined: Float64Array;
  let counts = {
    swaps: 0,
    iterations: 0,
    convergedRows: 0,
    stalledRows: 0,
    pairsEvaluated: 0,
    pairsBruteForce: 0,
  };
  if (refiner === "sparseswaps") {
    const result = await swap(mask, values, true);
    ({ mask, errorBefore: errorWarm, errorAfter: errorRefined } = result);
    if (values) values = result.weight;
    const { swaps, iterations, convergedRows, stalledRows, pairsEvaluated, pairsBruteForce } =
      result;
    counts = { swaps, iterations, convergedRows, stalledRows, pairsEvaluated, pairsBruteForce };
  } else {
    errorWarm = warm.updated?.errors ?? await layerErrors({ ...operands, mask });
    errorRefined = errorWarm;
    if (refiner === "dsnot") {
      if (!options.moments) throw new TypeError("DSnoT needs the inputs' moments");
      const result = refineDsnot({
        weight,
        rows,
        d,
        mask,
        pattern,
        inputMean: options.moments.mean,
        inputVariance: options.moments.variance,
        gramDiagonal: options.gramDiagonal,
      });
      counts.swaps = result.swaps;
      if (result.swaps > 0) {
        // DSnoT chooses masks for the dense weights: a warm start's update no longer applies.
        mask = result.mask;
        values = undefined;
        source = "none";
        errorRefined = await layerErrors({ ...operands, mask });
      }
    }
  }
  if (!update) {
    return {
      mask,
      weight: values,
      weightSource: source,
      errorWarm,
      errorRefined,
      ...counts,
      rounds: 0,
    };
  }

  let updated = await updateWeights({ ...operands, mask, ...update });
  let error = total(updated.errors);
  let rounds = 0;
  for (let round = 0; round < (update.alternate ?? 0); round++) {
    signal?.throwIfAborted();
    const swapped = await swap(mask, updated.weight, false);
    counts.swaps += swapped.swaps;
    counts.pairsEvaluated += swapped.pairsEvaluated;
    counts.pairsBruteForce += swapped.pairsBruteForce;
    if (swapped.swaps === 0) break;
    const next = await updateWeights({ ...operands, mask: swapped.mask, ...update });
    if (!(total(next.errors) < error)) break;
    mask = swapped.mask;
    updated = next;
    error = total(next.errors);
    rounds++;
  }
  return {
    mask,
    weight: updated.weight,
    weightSource: update.method,
    errorWarm,
    errorRefined,
    errorUpdated: updated.errors,
    ...counts,
    rounds,
  };
}

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
export function total(values: Float64Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum;
}
