// Small SIMD helpers shared by the kernels. Every helper has a scalar tail, so lengths need
// not be multiples of the lane count.

/**
 * y[i] += a · x[i] for i < n, in float64: f64x2 lanes round exactly like scalar f64; with relaxed
 * SIMD the multiply-add may be fused (one rounding instead of two), the same in every lane and
 * call, so results still do not depend on threads or blocking. Four elements per step.
 */
@inline
export function axpyF64(y: usize, x: usize, a: f64, n: i32): void {
  const av = f64x2.splat(a);
  const vectorEnd = n & ~3;
  let i = 0;
  for (; i < vectorEnd; i += 4) {
    const offset = <usize>i << 3;
    v128.store(y + offset, multiplyAdd(av, v128.load(x + offset), v128.load(y + offset)));
    v128.store(y + offset, multiplyAdd(av, v128.load(x + offset, 16), v128.load(y + offset, 16)), 16);
  }
  if (i + 2 <= n) {
    const offset = <usize>i << 3;
    v128.store(y + offset, multiplyAdd(av, v128.load(x + offset), v128.load(y + offset)));
    i += 2;
  }
  for (; i < n; i++) {
    const offset = <usize>i << 3;
    store<f64>(y + offset, load<f64>(y + offset) + a * load<f64>(x + offset));
  }
}

/** a · x + y in f64x2 lanes, fused where relaxed SIMD allows (see axpyF64). */
@inline
function multiplyAdd(a: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, x, y);
  return f64x2.add(y, f64x2.mul(a, x));
}

/** y[i] += a · x[i] for i < n, in float32. */
@inline
export function axpyF32(y: usize, x: usize, a: f32, n: i32): void {
  const av = f32x4.splat(a);
  const vectorEnd = n & ~3;
  let i = 0;
  for (; i < vectorEnd; i += 4) {
    const offset = <usize>i << 2;
    v128.store(y + offset, f32x4.add(v128.load(y + offset), f32x4.mul(av, v128.load(x + offset))));
  }
  for (; i < n; i++) {
    const offset = <usize>i << 2;
    store<f32>(y + offset, load<f32>(y + offset) + a * load<f32>(x + offset));
  }
}

/** Smallest of the four lanes. */
@inline
export function horizontalMin(v: v128): f32 {
  return min(
    min(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    min(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
  );
}

/** Sum of the four lanes, as (l0 + l1) + (l2 + l3). */
@inline
export function horizontalSum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * The smaller of a and b (b < a ? b : a), in one SIMD lane: V8 compiles a scalar f64 select on
 * data it cannot predict to a branch, and f64.min (which must order NaN and ±0) to several;
 * f64x2.pmin is one instruction. The bounded search's loops use these (a development
 * measurement, not one bench/cpu.ts repeats, found them much faster than the scalar forms).
 */
@inline
export function lower(a: f64, b: f64): f64 {
  return f64x2.extract_lane(f64x2.pmin(f64x2.splat(a), f64x2.splat(b)), 0);
}

/** The larger of a and b (a < b ? b : a), as `lower`. */
@inline
export function higher(a: f64, b: f64): f64 {
  return f64x2.extract_lane(f64x2.pmax(f64x2.splat(a), f64x2.splat(b)), 0);
}

/** `condition ? yes : no` without a branch (see `lower`). */
@inline
export function pick(yes: f64, no: f64, condition: bool): f64 {
  const lanes = i64x2.splat(-(<i64>condition));
  return f64x2.extract_lane(v128.bitselect(f64x2.splat(yes), f64x2.splat(no), lanes), 0);
}

/** `condition ? yes : no` for float32 without a branch. */
@inline
export function pick32(yes: f32, no: f32, condition: bool): f32 {
  const lanes = i32x4.splat(-(<i32>condition));
  return f32x4.extract_lane(v128.bitselect(f32x4.splat(yes), f32x4.splat(no), lanes), 0);
}

/**
 * Σ x[i] · y[i] for i < n in float64: two f64x2 accumulators, then the scalar tail, always in
 * the same order (so results do not depend on threads or blocking).
 */
@inline
export function dotF64(x: usize, y: usize, n: i32): f64 {
  let a = f64x2.splat(0);
  let b = f64x2.splat(0);
  const vectorEnd = n & ~3;
  let i = 0;
  for (; i < vectorEnd; i += 4) {
    const offset = <usize>i << 3;
    a = multiplyAdd(v128.load(x + offset), v128.load(y + offset), a);
    b = multiplyAdd(v128.load(x + offset, 16), v128.load(y + offset, 16), b);
  }
  const sum = f64x2.add(a, b);
  let total = f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
  for (; i < n; i++) {
    const offset = <usize>i << 3;
    total += load<f64>(x + offset) * load<f64>(y + offset);
  }
  return total;
}
