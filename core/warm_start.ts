/**
 * Warm starts: row-balanced masks from a per-weight score, kept where the score is largest in
 * each row (per-row sparsity) or each block of M columns (N:M).
 *
 * - magnitude: `|W_ij|`
 * - Wanda (Sun et al. 2023): `|W_ij| · ‖X_j‖₂`, with `‖X_j‖₂² = G_jj`
 * - RIA (Zhang et al. 2024): `(|W_ij| / Σ_i |W_ij| + |W_ij| / Σ_j |W_ij|) · ‖X_j‖₂^a`, a = 0.5
 *
 * Ties prune the lower column index first, as Wanda's stable ascending sort does.
 *
 * @module
 */

import { type SparsityPattern, swapBlocks } from "./pattern.ts";

/** The warm-start scores this package implements. */
export type WarmStartMethod = "magnitude" | "wanda" | "ria";

/** The warm-start methods, for flag validation and help texts. */
export const WARM_START_METHODS: readonly WarmStartMethod[] = ["magnitude", "wanda", "ria"];

/**
 * diag(G): the squared input norms ‖X_j‖₂² that Wanda and RIA scale weights by.
 *
 * @param gram G (d, d) row-major.
 * @param d Side.
 * @returns (d,) the diagonal.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([...gramDiagonal(new Float64Array([4, 1, 1, 9]), 2)], [4, 9]);
 * ```
 */
export function gramDiagonal(gram: ArrayLike<number>, d: number): Float64Array {
  return Float64Array.from({ length: d }, (_, j) => gram[j * d + j]);
}

/** RIA's exponent on the input norm, as in the RIA paper. */
const RIA_NORM_EXPONENT = 0.5;

/** Options of {@linkcode warmStartMask}. */
export interface WarmStartOptions {
  /** The score to rank weights by. */
  readonly method: WarmStartMethod;
  /** W (rows, d) row-major. */
  readonly weight: Float32Array;
  /** Rows of W. */
  readonly rows: number;
  /** Columns of W (input features). */
  readonly d: number;
  /** diag(G) (d,): squared input norms `‖X_j‖₂²`; needed by wanda and ria. */
  readonly gramDiagonal?: Float64Array | Float32Array;
  /** The pattern the mask must satisfy. */
  readonly pattern: SparsityPattern;
}

/**
 * Builds a warm-start mask (rows, d), 1 = kept, satisfying the pattern exactly.
 *
 * @param options Method, weights, input norms and pattern.
 * @returns The mask.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const weight = new Float32Array([0.1, -3, 2, 0.5]);
 * const mask = warmStartMask({
 *   method: "magnitude", weight, rows: 1, d: 4, pattern: { kind: "per-row", sparsity: 0.5 },
 * });
 * assert.deepEqual([...mask], [0, 1, 1, 0]);
 * ```
 */
export function warmStartMask(options: WarmStartOptions): Uint8Array {
  const { rows, d, pattern } = options;
  const score = rowScorer(options);
  const { length, kept } = swapBlocks(pattern, d);
  const mask = new Uint8Array(rows * d);
  const scores = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    score(r, scores);
    for (let start = 0; start < d; start += length) {
      keepLargest(scores.subarray(start, start + length), kept, mask.subarray(r * d + start));
    }
  }
  return mask;
}

/** Returns a function that writes the scores of row r into `out` (d,). */
function rowScorer(
  options: WarmStartOptions,
): (r: number, out: Float64Array) => void {
  const { method, weight, rows, d } = options;
  if (method === "magnitude") {
    return (r, out) => {
      for (let j = 0; j < d; j++) out[j] = Math.abs(weight[r * d + j]);
    };
  }
  const diagonal = options.gramDiagonal;
  if (!diagonal) throw new TypeError(`Warm start ${method} needs the Gram diagonal`);
  const norm = Float64Array.from(diagonal, (g) => Math.sqrt(Math.max(g, 0)));
  if (method === "wanda") {
    return (r, out) => {
      for (let j = 0; j < d; j++) out[j] = Math.abs(weight[r * d + j]) * norm[j];
    };
  }
  const columnSum = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) columnSum[j] += Math.abs(weight[r * d + j]);
  }
  const ratio = (value: number, sum: number) => (sum > 0 ? value / sum : 0);
  return (r, out) => {
    let rowSum = 0;
    for (let j = 0; j < d; j++) rowSum += Math.abs(weight[r * d + j]);
    for (let j = 0; j < d; j++) {
      const a = Math.abs(weight[r * d + j]);
      out[j] = (ratio(a, columnSum[j]) + ratio(a, rowSum)) * norm[j] ** RIA_NORM_EXPONENT;
    }
  };
}

/**
 * Sets `mask[j] = 1` for the `kept` largest scores, 0 elsewhere; among equal scores the lower
 * index is pruned first.
 */
function keepLargest(scores: Float64Array, kept: number, mask: Uint8Array): void {
  const length = scores.length;
  const pruned = length - kept;
  mask.fill(1, 0, length);
  if (pruned === 0) return;
  // The largest pruned score; everything below it is pruned, ties at it go by index.
  const threshold = Float64Array.from(scores).sort()[pruned - 1];
  let remaining = pruned;
  for (let j = 0; j < length; j++) {
    if (scores[j] < threshold) {
      mask[j] = 0;
      remaining--;
    }
  }
  for (let j = 0; j < length && remaining > 0; j++) {
    if (scores[j] === threshold) {
      mask[j] = 0;
      remaining--;
    }
  }
}
