/**
 * Brute-force oracles: errors and swap gains computed from their definitions, with no shared
 * code with the kernels they check.
 *
 * @module
 */

/** qᵀ G q for one row, q = (1 − m) ⊙ w, straight from the definition. */
export function rowError(
  w: ArrayLike<number>,
  mask: ArrayLike<number>,
  gram: ArrayLike<number>,
  d: number,
): number {
  let error = 0;
  for (let i = 0; i < d; i++) {
    if (mask[i] !== 0) continue;
    for (let j = 0; j < d; j++) {
      if (mask[j] === 0) error += w[i] * gram[i * d + j] * w[j];
    }
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

/** Every feasible swap of a row (u kept, p pruned, same block), with ΔL by recomputation. */
export function allSwaps(
  w: ArrayLike<number>,
  mask: Uint8Array,
  gram: ArrayLike<number>,
  d: number,
  blockLength: number,
): BruteSwap[] {
  const before = rowError(w, mask, gram, d);
  const swaps: BruteSwap[] = [];
  for (let u = 0; u < d; u++) {
    if (mask[u] !== 1) continue;
    const start = u - (u % blockLength);
    for (let p = start; p < start + blockLength; p++) {
      if (mask[p] !== 0) continue;
      const swapped = mask.slice();
      swapped[u] = 0;
      swapped[p] = 1;
      swaps.push({ u, p, delta: rowError(w, swapped, gram, d) - before });
    }
  }
  return swaps;
}
