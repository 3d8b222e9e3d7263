/**
 * Dense float64 algebra on symmetric positive definite matrices, row-major: the Cholesky
 * factorisation, solves and inverses the weight updates (core/update.ts) and SparseGPT
 * (core/sparsegpt.ts) are built on, and the error qᵀGq they report. Pure.
 *
 * @module
 */

import { InputError } from "./errors.ts";

/**
 * The error for a Gram block that is not positive definite even with damping: G is not PSD.
 *
 * @param what What was factorised, e.g. `Layer L: row 3: the kept inputs' Gram block`.
 * @param pivot The pivot that was not positive, when known.
 * @returns The error to throw.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.match(notPositiveDefinite("Row 0", -1).message, /Row 0 is not positive definite/);
 * ```
 */
export function notPositiveDefinite(what: string, pivot?: number): InputError {
  return new InputError(
    `${what} is not positive definite even with damping${
      pivot === undefined ? "" : ` (pivot ${pivot})`
    }; G is not positive semidefinite`,
  );
}

/**
 * A = L Lᵀ in place: the lower triangle of `a` (k × k) becomes L; the upper triangle is not read.
 *
 * @param a The matrix, row-major.
 * @param k Its side.
 * @param what Names it in the error when a pivot is not positive.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = new Float64Array([4, 0, 2, 2]);
 * choleskyFactor(a, 2, "A");
 * assert.deepEqual([a[0], a[2], a[3]], [2, 1, 1]);
 * ```
 */
export function choleskyFactor(a: Float64Array, k: number, what: string): void {
  for (let j = 0; j < k; j++) {
    let pivot = a[j * k + j];
    for (let t = 0; t < j; t++) pivot -= a[j * k + t] * a[j * k + t];
    if (!(pivot > 0)) throw notPositiveDefinite(what, pivot);
    const diagonal = Math.sqrt(pivot);
    a[j * k + j] = diagonal;
    for (let i = j + 1; i < k; i++) {
      let s = a[i * k + j];
      for (let t = 0; t < j; t++) s -= a[i * k + t] * a[j * k + t];
      a[i * k + j] = s / diagonal;
    }
  }
}

/**
 * b ← (L Lᵀ)⁻¹ b by forward and back substitution, with L from {@linkcode choleskyFactor}.
 *
 * @param l The factor (lower triangle, row-major k × k).
 * @param b The right-hand side, overwritten by the solution.
 * @param k The side.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const b = new Float64Array([2, 3]);
 * choleskySubstitute(new Float64Array([2, 0, 1, 1]), b, 2); // L Lᵀ = [[4, 2], [2, 2]]
 * assert.deepEqual([...b], [-0.5, 2]);
 * ```
 */
export function choleskySubstitute(l: Float64Array, b: Float64Array, k: number): void {
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let t = 0; t < i; t++) s -= l[i * k + t] * b[t];
    b[i] = s / l[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i];
    for (let t = i + 1; t < k; t++) s -= l[t * k + i] * b[t];
    b[i] = s / l[i * k + i];
  }
}

/**
 * A⁻¹ of a symmetric positive definite A (d × d) by Cholesky, column by column.
 *
 * @param a The matrix, row-major (its lower triangle is read).
 * @param d Its side.
 * @param what Names it in the error when it is not positive definite.
 * @returns The inverse, row-major.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const inverse = invertPositiveDefinite(new Float64Array([4, 2, 2, 2]), 2, "A");
 * assert.deepEqual([...inverse], [0.5, -0.5, -0.5, 1]);
 * ```
 */
export function invertPositiveDefinite(a: Float64Array, d: number, what: string): Float64Array {
  const factor = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) factor[i * d + j] = a[i * d + j];
  choleskyFactor(factor, d, what);
  // Lᵀ row-major: the back substitution then reads rows, not columns of L (d times for the d
  // columns of the inverse). The same products in the same order as choleskySubstitute's, so
  // the same bits.
  const upper = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let t = 0; t <= i; t++) upper[t * d + i] = factor[i * d + t];
  const inverse = new Float64Array(d * d);
  const b = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    b.fill(0);
    b[c] = 1;
    // b[t] = 0 for t < c stays 0 in the forward pass, and subtracting its products changes
    // nothing (s is +0 or nonzero there), so that pass starts at c.
    for (let i = c; i < d; i++) {
      let s = b[i];
      for (let t = c; t < i; t++) s -= factor[i * d + t] * b[t];
      b[i] = s / factor[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = b[i];
      for (let t = i + 1; t < d; t++) s -= upper[i * d + t] * b[t];
      b[i] = s / upper[i * d + i];
    }
    for (let r = 0; r < d; r++) inverse[r * d + c] = b[r];
  }
  return inverse;
}

/**
 * Per-row errors of updated weights, ‖(w − w')X‖² = qᵀGq with q = w − w', in float64.
 *
 * @param gram G (d, d) row-major.
 * @param weight W (rows, d), the dense weights.
 * @param updated W' (rows, d).
 * @param rows Rows.
 * @param d Columns.
 * @returns (rows,) the errors.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const gram = new Float64Array([2, 1, 1, 2]);
 * const errors = updateErrors(gram, new Float32Array([1, 1]), new Float32Array([1.5, 0]), 1, 2);
 * assert.equal(errors[0], 1.5); // q = (−0.5, 1): 2·0.25 − 2·0.5 + 2
 * ```
 */
export function updateErrors(
  gram: Float64Array,
  weight: Float32Array,
  updated: Float32Array,
  rows: number,
  d: number,
): Float64Array {
  const errors = new Float64Array(rows);
  const q = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) q[j] = weight[r * d + j] - updated[r * d + j];
    let total = 0;
    for (let i = 0; i < d; i++) {
      if (q[i] === 0) continue;
      let s = 0;
      for (let j = 0; j < d; j++) s += gram[i * d + j] * q[j];
      total += q[i] * s;
    }
    errors[r] = total;
  }
  return errors;
}
