/**
 * Dense float64 algebra on symmetric positive definite matrices, row-major: the Cholesky
 * factorisation, solves and inverses the weight updates (core/update.ts) and SparseGPT
 * (core/sparsegpt.ts) are built on, and the error qᵀGq they report. Pure.
 *
 * @module
 */
import { InputError } from "./errors.js";
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
export declare function notPositiveDefinite(what: string, pivot?: number): InputError;
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
export declare function choleskyFactor(a: Float64Array, k: number, what: string): void;
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
export declare function choleskySubstitute(l: Float64Array, b: Float64Array, k: number): void;
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
export declare function invertPositiveDefinite(a: Float64Array, d: number, what: string): Float64Array;
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
export declare function updateErrors(gram: Float64Array, weight: Float32Array, updated: Float32Array, rows: number, d: number): Float64Array;
