/**
 * Half-precision conversions (IEEE 754 binary16 and bfloat16) to float32, for reading F16 and
 * BF16 tensors. Written by hand because Float16Array is missing from Node 20.
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
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) out[i] = sign * fraction * 2 ** -24;
    else if (exponent === 0x1f) out[i] = fraction ? NaN : sign * Infinity;
    else out[i] = sign * (1024 + fraction) * 2 ** (exponent - 25);
  }
  return out;
}

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
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const wide = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) wide[i] = bits[i] << 16;
  return new Float32Array(wide.buffer);
}
