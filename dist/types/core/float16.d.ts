/**
 * Half-precision conversions (IEEE 754 binary16 and bfloat16) to and from float32, for reading
 * F16 and BF16 tensors and writing updated weights in them. Written by hand because Float16Array
 * is missing from Node 20.
 *
 * @module
 */
/**
 * Converts IEEE binary16 bit patterns to float32 values (exact: every half is a float).
 *
 * @param bits (n,) binary16 bit patterns.
 * @returns (n,) the values.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // 0x3c00 = 1, 0xc000 = −2, 0x0001 = 2⁻²⁴ (smallest subnormal), 0x7c00 = +∞
 * const values = float16ToFloat32(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00]));
 * assert.deepEqual([...values], [1, -2, 2 ** -24, Infinity]);
 * ```
 */
export declare function float16ToFloat32(bits: Uint16Array): Float32Array;
/**
 * Converts bfloat16 bit patterns (the top half of a float32) to float32 values.
 *
 * @param bits (n,) bfloat16 bit patterns.
 * @returns (n,) the values.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([...bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc040]))], [1, -3]);
 * ```
 */
export declare function bfloat16ToFloat32(bits: Uint16Array): Float32Array;
/**
 * Rounds float32 values to IEEE binary16 bit patterns, to nearest with ties to even (as
 * Float16Array does); values beyond the range become ±∞, NaN stays NaN.
 *
 * @param values (n,) float32 values.
 * @returns (n,) binary16 bit patterns.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // 1 + 2⁻¹¹ is halfway between 1 and 1 + 2⁻¹⁰: ties to even gives 1.
 * const bits = float32ToFloat16(new Float32Array([1, 1 + 2 ** -11, -2, 2 ** -24, 1e6]));
 * assert.deepEqual([...bits], [0x3c00, 0x3c00, 0xc000, 0x0001, 0x7c00]);
 * ```
 */
export declare function float32ToFloat16(values: Float32Array): Uint16Array;
/**
 * Rounds float32 values to bfloat16 bit patterns, to nearest with ties to even; NaN stays NaN.
 *
 * @param values (n,) float32 values.
 * @returns (n,) bfloat16 bit patterns.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷: ties to even gives 1.
 * assert.deepEqual([...float32ToBfloat16(new Float32Array([1, 1 + 2 ** -8, -3]))], [0x3f80, 0x3f80, 0xc040]);
 * ```
 */
export declare function float32ToBfloat16(values: Float32Array): Uint16Array;
