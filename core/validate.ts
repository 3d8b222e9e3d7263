/**
 * Checks on numeric inputs that would otherwise poison a run silently: non-finite values and
 * Gram matrices that are not symmetric or have negative diagonals.
 *
 * @module
 */

import { InputError } from "./errors.ts";
import { type Tensor, toFloat32 } from "./safetensors.ts";

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
export function checkFinite(
  values: ArrayLike<number>,
  shape: readonly number[],
  what: string,
): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) {
      throw new InputError(`${what} has a non-finite value (${v}) at [${unravel(i, shape)}]`);
    }
  }
}

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
export function checkTensorFinite(tensor: Tensor, what: string): void {
  const { dtype } = tensor;
  const bytes = tensor.bytes.byteOffset % 8 === 0 ? tensor.bytes : tensor.bytes.slice();
  let bad = -1;
  if (dtype === "F32" || dtype === "F64") {
    const values = dtype === "F32"
      ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
      : new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    for (let i = 0; i < values.length && bad < 0; i++) if (values[i] - values[i] !== 0) bad = i;
  } else if (dtype === "F16" || dtype === "BF16") {
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    const exponent = dtype === "F16" ? 0x7c00 : 0x7f80;
    for (let i = 0; i < halves.length && bad < 0; i++) {
      if ((halves[i] & exponent) === exponent) bad = i;
    }
  }
  if (bad >= 0) {
    const value = toFloat32({ dtype, bytes, shape: [bytes.byteLength / elementBytes(dtype)] })[bad];
    throw new InputError(
      `${what} has a non-finite value (${value}) at [${unravel(bad, tensor.shape)}]`,
    );
  }
}

function elementBytes(dtype: Tensor["dtype"]): number {
  return dtype === "F64" ? 8 : dtype === "F32" ? 4 : 2;
}

function unravel(index: number, shape: readonly number[]): string {
  const coordinates: number[] = [];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    coordinates.unshift(index % shape[axis]);
    index = Math.floor(index / shape[axis]);
  }
  return coordinates.join(", ");
}

/**
 * Relative asymmetry tolerated in G (relative to `sqrt(G_ii G_jj)`, which bounds |G_ij| for a
 * PSD matrix), and how far |G_ij| may exceed that bound: float32 accumulation of XᵀX in another
 * framework stays far below it.
 */
const GRAM_SYMMETRY_TOLERANCE = 1e-4;

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
export function checkGram(values: Float64Array, d: number, what: string): Float64Array {
  checkFinite(values, [d, d], what);
  for (let i = 0; i < d; i++) {
    if (values[i * d + i] < 0) {
      throw new InputError(
        `${what} is not a Gram matrix: diagonal entry [${i}, ${i}] is negative (${
          values[i * d + i]
        })`,
      );
    }
  }
  const symmetric = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const a = values[i * d + j];
      const b = values[j * d + i];
      const scale = Math.sqrt(values[i * d + i] * values[j * d + j]);
      if (Math.abs(a - b) > GRAM_SYMMETRY_TOLERANCE * scale + Number.MIN_VALUE) {
        throw new InputError(
          `${what} is not symmetric: [${i}, ${j}] = ${a} but [${j}, ${i}] = ${b}`,
        );
      }
      symmetric[i * d + j] = (a + b) / 2;
      // Every 2 × 2 principal minor of a PSD matrix is ≥ 0: |G_ij| ≤ √(G_ii G_jj).
      if (
        Math.abs(symmetric[i * d + j]) > (1 + GRAM_SYMMETRY_TOLERANCE) * scale + Number.MIN_VALUE
      ) {
        throw new InputError(
          `${what} is not a Gram matrix (not positive semidefinite): |G[${i}, ${j}]| = ${
            Math.abs(symmetric[i * d + j])
          } exceeds √(G[${i}, ${i}] · G[${j}, ${j}]) = ${scale}`,
        );
      }
    }
  }
  return symmetric;
}
