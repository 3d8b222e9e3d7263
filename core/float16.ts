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
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    const sign = (b >>> 16) & 0x8000;
    const exponent = (b >>> 23) & 0xff;
    const fraction = b & 0x7fffff;
    if (exponent === 0xff) {
      out[i] = sign | (fraction ? 0x7e00 : 0x7c00);
      continue;
    }
    // Normal halves: exponent 113 … 142 of float32; rounding may carry into the exponent,
    // and from the largest normal into infinity, as it should.
    if (exponent > 112) {
      if (exponent > 142) {
        out[i] = sign | 0x7c00;
        continue;
      }
      let half = ((exponent - 112) << 10) | (fraction >>> 13);
      const rest = fraction & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
      out[i] = sign | Math.min(half, 0x7c00);
      continue;
    }
    // Subnormal halves: value / 2⁻²⁴ = significand · 2^(exponent − 126).
    const shift = 126 - exponent;
    if (exponent === 0 || shift > 24) {
      out[i] = sign;
      continue;
    }
    const significand = fraction | 0x800000;
    let half = significand >>> shift;
    const rest = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1))) half++;
    out[i] = sign | half;
  }
  return out;
}

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
export function float32ToBfloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(Float32Array.from(values).buffer);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    out[i] = (b & 0x7fffffff) > 0x7f800000
      ? (b >>> 16) | 0x40
      : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}
