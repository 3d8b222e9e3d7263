/**
 * Brute-force oracles: errors and swap gains computed from their definitions, with no shared
 * code with the kernels they check.
 *
 * @module
 */

/**
 * qᵀ G q for one row, q = w − m ⊙ v (v: the kept weights' values, default w), straight from
 * the definition.
 */
export function rowError(
  w: ArrayLike<number>,
  mask: ArrayLike<number>,
  gram: ArrayLike<number>,
  d: number,
  values: ArrayLike<number> = w,
): number {
  const q = Array.from({ length: d }, (_, j) => (mask[j] !== 0 ? w[j] - values[j] : w[j]));
  let error = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) error += q[i] * gram[i * d + j] * q[j];
  }
  return error;
}

/** Per-row errors of a whole layer. */
export function layerRowErrors(
  weight: Float32Array,
  mask: Uint8Array,
  gram: ArrayLike<number>,
  rows: number,
  d: number,
): Float64Array {
  return Float64Array.from(
    { length: rows },
    (_, r) =>
      rowError(weight.subarray(r * d, (r + 1) * d), mask.subarray(r * d, (r + 1) * d), gram, d),
  );
}

/** One feasible swap and its true change of error. */
export interface BruteSwap {
  readonly u: number;
  readonly p: number;
  readonly delta: number;
}

/**
 * Every feasible swap of a row (u kept, p pruned, same block), with ΔL by recomputation: u's
 * value leaves the row, p comes back at its dense weight w_p.
 */
export function allSwaps(
  w: ArrayLike<number>,
  mask: Uint8Array,
  gram: ArrayLike<number>,
  d: number,
  blockLength: number,
  values: ArrayLike<number> = w,
): BruteSwap[] {
  const before = rowError(w, mask, gram, d, values);
  const swaps: BruteSwap[] = [];
  for (let u = 0; u < d; u++) {
    if (mask[u] !== 1) continue;
    const start = u - (u % blockLength);
    for (let p = start; p < start + blockLength; p++) {
      if (mask[p] !== 0) continue;
      const swapped = mask.slice();
      swapped[u] = 0;
      swapped[p] = 1;
      const moved = Array.from(values);
      moved[p] = w[p];
      swaps.push({ u, p, delta: rowError(w, swapped, gram, d, moved) - before });
    }
  }
  return swaps;
}
