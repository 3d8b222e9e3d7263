/**
 * Checks on numeric inputs that would otherwise poison a run silently: non-finite values and
 * Gram matrices that are not symmetric or have negative diagonals.
 *
 * @module
 */
import { type Tensor } from "./safetensors.js";
/**
 * Fails when any value is NaN or ±Infinity, naming the first bad element's index.
 *
 * @param values The elements, row-major.
 * @param shape Their shape, to print the index.
 * @param what Names the tensor and file in the message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * checkFinite(new Float32Array([1, 2]), [2], 'Tensor "w"');
 * assert.throws(
 *   () => checkFinite(new Float32Array([1, 2, NaN, 4]), [2, 2], 'Tensor "w"'),
 *   /Tensor "w" has a non-finite value \(NaN\) at \[1, 0\]/,
 * );
 * ```
 */
export declare function checkFinite(values: ArrayLike<number>, shape: readonly number[], what: string): void;
/**
 * Fails when a float tensor holds NaN or ±Infinity, naming the first bad element's index. Reads
 * the raw bits (an all-ones exponent), so 16-bit tensors need no conversion.
 *
 * @param tensor A tensor in its own dtype; integer dtypes always pass.
 * @param what Names the tensor and file in the message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bf16 = { dtype: "BF16" as const, shape: [1, 2], bytes: new Uint8Array([0x80, 0x3f, 0xc0, 0x7f]) };
 * assert.throws(() => checkTensorFinite(bf16, 'Tensor "w"'), /non-finite value \(NaN\) at \[0, 1\]/);
 * ```
 */
export declare function checkTensorFinite(tensor: Tensor, what: string): void;
/**
 * Checks that G (d, d) is a plausible Gram matrix (finite, non-negative diagonal, symmetric and
 * |G_ij| ≤ √(G_ii G_jj) up to rounding: the O(d²) necessary conditions of positive
 * semidefiniteness) and returns its exactly symmetric part `(G + Gᵀ) / 2`, which the swap
 * algebra assumes. The refiner detects the rest: a negative row error proves G is not PSD.
 *
 * @param values G (d, d) row-major.
 * @param d Side.
 * @param what Names the tensor and file in the message.
 * @returns The symmetrised matrix (a new array).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const g = checkGram(new Float64Array([2, 1, 1, 2]), 2, 'Tensor "gram"');
 * assert.deepEqual([...g], [2, 1, 1, 2]);
 * assert.throws(() => checkGram(new Float64Array([1, 0, 5, 1]), 2, 'Tensor "gram"'), /not symmetric/);
 * ```
 */
export declare function checkGram(values: Float64Array, d: number, what: string): Float64Array;
