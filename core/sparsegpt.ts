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

import { choleskyFactor, invertPositiveDefinite, updateErrors } from "./linear_algebra.ts";
import type { RebuildResult } from "./kernels.ts";
import type { SparsityPattern } from "./pattern.ts";

/** λ of H = G + λI, relative to the mean of diag G (the paper's 0.01). */
export const SPARSEGPT_DAMPING = 0.01;

/** Columns per block (the paper's 128). */
export const SPARSEGPT_BLOCK = 128;

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
export function sparseGpt(
  options: SparseGptOptions,
): RebuildResult & { readonly mask: Uint8Array } {
  const { gram, weight, rows, d, pattern } = options;
  const upper = inverseFactor(gram, d, options.damping ?? SPARSEGPT_DAMPING, options.label);
  const groups = pattern.kind === "n:m" ? pattern.m : 1;
  const blockSize = Math.max(groups, SPARSEGPT_BLOCK - (SPARSEGPT_BLOCK % groups));
  const w = Float64Array.from(weight);
  const mask = new Uint8Array(rows * d).fill(1);
  const saliency = (r: number, j: number) => (w[r * d + j] / upper[j * d + j]) ** 2;
  // Smallest saliency first; ties prune the lower row, then the lower column first.
  const pruneSmallest = (first: number, last: number, from: number, to: number, count: number) => {
    const order: number[] = [];
    for (let r = first; r < last; r++) for (let j = from; j < to; j++) order.push(r * d + j);
    const at = (i: number) => saliency(Math.floor(i / d), i % d);
    order.sort((a, b) => at(a) - at(b) || a - b);
    for (const i of order.slice(0, count)) mask[i] = 0;
  };
  for (let start = 0; start < d; start += blockSize) {
    const end = Math.min(start + blockSize, d);
    if (pattern.kind === "per-row" && options.rowBalanced === false) {
      pruneSmallest(0, rows, start, end, Math.floor(rows * (end - start) * pattern.sparsity));
    } else if (pattern.kind === "per-row") {
      const count = Math.floor(end * pattern.sparsity) - Math.floor(start * pattern.sparsity);
      for (let r = 0; r < rows; r++) pruneSmallest(r, r + 1, start, end, count);
    }
    for (let j = start; j < end; j++) {
      if (pattern.kind === "n:m" && (j - start) % pattern.m === 0) {
        for (let r = 0; r < rows; r++) {
          pruneSmallest(r, r + 1, j, j + pattern.m, pattern.m - pattern.n);
        }
      }
      // Column j is final: its error, scaled by the inverse, moves onto every later column.
      const pivot = upper[j * d + j];
      for (let r = 0; r < rows; r++) {
        if (mask[r * d + j]) continue;
        const error = w[r * d + j] / pivot;
        w[r * d + j] = 0;
        for (let k = j + 1; k < d; k++) w[r * d + k] -= error * upper[j * d + k];
      }
    }
  }
  const updated = Float32Array.from(w, (v, i) => (mask[i] ? v : 0));
  const errors = updateErrors(gram, weight, updated, rows, d);
  return { mask, weight: updated, errors };
}

/**
 * The upper Cholesky factor U of (G + λI)⁻¹ (so (G + λI)⁻¹ = UᵀU), row-major d × d, with dead
 * inputs (G_jj = 0) given a unit diagonal as the authors' code does.
 */
function inverseFactor(
  gram: Float64Array,
  d: number,
  damping: number,
  label: string | undefined,
): Float64Array {
  let trace = 0;
  for (let j = 0; j < d; j++) trace += gram[j * d + j];
  const lambda = damping * (trace / d);
  const h = Float64Array.from(gram);
  for (let j = 0; j < d; j++) {
    if (h[j * d + j] === 0) h[j * d + j] = 1;
    h[j * d + j] += lambda;
  }
  const what = `${label ?? "Layer"}: SparseGPT's damped Gram matrix`;
  // (G + λI)⁻¹ = L'L'ᵀ = UᵀU: after the first j steps of the factorisation, row j of U is what
  // the Optimal Brain Surgeon needs for column j, with the columns before it eliminated.
  const l = invertPositiveDefinite(h, d, what);
  choleskyFactor(l, d, what);
  const upper = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) upper[i * d + j] = l[j * d + i];
  return upper;
}
