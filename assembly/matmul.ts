// Dense products for the forward pass: y = x · wᵀ (a linear layer), w in float32 or in bfloat16
// (a BF16 checkpoint's weights kept in half the memory; widening bfloat16 to float32 is exact, so
// both give the same bits for the same weights).
//
// Every output y[i, o] is computed the same way whichever loop produces it: four float32 lane
// sums over j ≡ lane (mod 4), then (l0 + l1) + (l2 + l3), then the scalar tail in order. So the
// register-blocked and the plain paths agree bit for bit, and results do not depend on how rows
// are split between threads.
//
// `bf16` is a constant at every exported entry point; the helpers are inlined into them, so each
// entry point compiles to one weight format's loads.

import { horizontalSum } from "./vector";

/** Where row o of w (rows of k weights) starts. */
@inline
function weightRow(w: usize, o: i32, k: i32, bf16: bool): usize {
  return w + ((<usize>o * <usize>k) << (bf16 ? 1 : 2));
}

/** Weights j..j+3 of a row, as float32 lanes (bfloat16: the 16 bits above 16 zero bits). */
@inline
function loadWeights(w: usize, j: i32, bf16: bool): v128 {
  if (bf16) {
    return i32x4.shl(i32x4.extend_low_i16x8_u(v128.load64_zero(w + (<usize>j << 1))), 16);
  }
  return v128.load(w + (<usize>j << 2));
}

/** Weight j of a row. */
@inline
function loadWeight(w: usize, j: i32, bf16: bool): f32 {
  if (bf16) return reinterpret<f32>(<u32>load<u16>(w + (<usize>j << 1)) << 16);
  return load<f32>(w + (<usize>j << 2));
}

/** One output y[i, o] = Σ_j x[i, j] w[o, j]. */
@inline
export function dot(x: usize, w: usize, k: i32, bf16: bool): f32 {
  const vectorEnd = k & ~3;
  let lanes = f32x4.splat(0);
  let j = 0;
  for (; j < vectorEnd; j += 4) {
    lanes = f32x4.add(lanes, f32x4.mul(v128.load(x + (<usize>j << 2)), loadWeights(w, j, bf16)));
  }
  return finish(lanes, x, w, j, k, bf16);
}

/** Lane sum plus the scalar tail j ∈ [from, k). */
@inline
function finish(lanes: v128, x: usize, w: usize, from: i32, k: i32, bf16: bool): f32 {
  let sum = horizontalSum(lanes);
  for (let j = from; j < k; j++) sum += load<f32>(x + (<usize>j << 2)) * loadWeight(w, j, bf16);
  return sum;
}

/**
 * Outputs y[i..i+4, o..o+2] at once: each loaded vector of x is used twice and each of w four
 * times, so the loop does 8 multiply-adds per 6 loads instead of 1 per 2 (bench/cpu.ts, matmul).
 */
@inline
function block4x2(
  x: usize,
  w: usize,
  y: usize,
  k: i32,
  m: i32,
  i: i32,
  o: i32,
  bf16: bool,
): void {
  const rowBytes = <usize>k << 2;
  const x0 = x + <usize>i * rowBytes;
  const x1 = x0 + rowBytes;
  const x2 = x1 + rowBytes;
  const x3 = x2 + rowBytes;
  const w0 = weightRow(w, o, k, bf16);
  const w1 = weightRow(w, o + 1, k, bf16);
  let a00 = f32x4.splat(0);
  let a01 = a00;
  let a10 = a00;
  let a11 = a00;
  let a20 = a00;
  let a21 = a00;
  let a30 = a00;
  let a31 = a00;
  const vectorEnd = k & ~3;
  let j = 0;
  for (; j < vectorEnd; j += 4) {
    const offset = <usize>j << 2;
    const v0 = loadWeights(w0, j, bf16);
    const v1 = loadWeights(w1, j, bf16);
    let u = v128.load(x0 + offset);
    a00 = f32x4.add(a00, f32x4.mul(u, v0));
    a01 = f32x4.add(a01, f32x4.mul(u, v1));
    u = v128.load(x1 + offset);
    a10 = f32x4.add(a10, f32x4.mul(u, v0));
    a11 = f32x4.add(a11, f32x4.mul(u, v1));
    u = v128.load(x2 + offset);
    a20 = f32x4.add(a20, f32x4.mul(u, v0));
    a21 = f32x4.add(a21, f32x4.mul(u, v1));
    u = v128.load(x3 + offset);
    a30 = f32x4.add(a30, f32x4.mul(u, v0));
    a31 = f32x4.add(a31, f32x4.mul(u, v1));
  }
  const yRow = <usize>m << 2;
  const y0 = y + ((<usize>i * <usize>m + <usize>o) << 2);
  store<f32>(y0, finish(a00, x0, w0, j, k, bf16));
  store<f32>(y0 + 4, finish(a01, x0, w1, j, k, bf16));
  store<f32>(y0 + yRow, finish(a10, x1, w0, j, k, bf16));
  store<f32>(y0 + yRow + 4, finish(a11, x1, w1, j, k, bf16));
  store<f32>(y0 + 2 * yRow, finish(a20, x2, w0, j, k, bf16));
  store<f32>(y0 + 2 * yRow + 4, finish(a21, x2, w1, j, k, bf16));
  store<f32>(y0 + 3 * yRow, finish(a30, x3, w0, j, k, bf16));
  store<f32>(y0 + 3 * yRow + 4, finish(a31, x3, w1, j, k, bf16));
}

/**
 * Rows of x computed together: their 16 · k floats stay in cache while every weights row passes
 * over them, so w is read from memory once per 16 rows of x, not once per row.
 */
const ROW_TILE = 16;

/** y (n, m) rows [first, end) = x (n, k) · wᵀ with w (m, k), row-major. */
@inline
export function productRows(
  x: usize,
  w: usize,
  y: usize,
  k: i32,
  m: i32,
  first: i32,
  end: i32,
  bf16: bool,
): void {
  const rowBytes = <usize>k << 2;
  for (let i0 = first; i0 < end; i0 += ROW_TILE) {
    const i1 = min(end, i0 + ROW_TILE);
    let o = 0;
    for (; o + 2 <= m; o += 2) {
      let i = i0;
      for (; i + 4 <= i1; i += 4) block4x2(x, w, y, k, m, i, o, bf16);
      for (; i < i1; i++) {
        const xi = x + <usize>i * rowBytes;
        store<f32>(y + ((<usize>i * <usize>m + o) << 2), dot(xi, weightRow(w, o, k, bf16), k, bf16));
        store<f32>(y + ((<usize>i * <usize>m + o + 1) << 2), dot(xi, weightRow(w, o + 1, k, bf16), k, bf16));
      }
    }
    for (; o < m; o++) {
      for (let i = i0; i < i1; i++) {
        store<f32>(y + ((<usize>i * <usize>m + o) << 2), dot(x + <usize>i * rowBytes, weightRow(w, o, k, bf16), k, bf16));
      }
    }
  }
}

/** y (n, m) columns [first, end) = x (n, k) · wᵀ, row-major. */
@inline
function productColumns(
  x: usize,
  w: usize,
  y: usize,
  n: i32,
  k: i32,
  m: i32,
  first: i32,
  end: i32,
  bf16: bool,
): void {
  const rowBytes = <usize>k << 2;
  for (let o = first; o < end; o++) {
    const wRow = weightRow(w, o, k, bf16);
    for (let i = 0; i < n; i++) {
      store<f32>(y + ((<usize>i * <usize>m + o) << 2), dot(x + <usize>i * rowBytes, wRow, k, bf16));
    }
  }
}

/** y (n, m) rows [first, end) = x (n, k) · wᵀ with w (m, k), all float32 row-major. */
export function matmul(x: usize, w: usize, y: usize, k: i32, m: i32, first: i32, end: i32): void {
  productRows(x, w, y, k, m, first, end, false);
}

/** matmul with w in bfloat16. */
export function matmulBf16(x: usize, w: usize, y: usize, k: i32, m: i32, first: i32, end: i32): void {
  productRows(x, w, y, k, m, first, end, true);
}

/**
 * y (n, m) columns [first, end) = x (n, k) · wᵀ: for few rows of x (token-by-token generation),
 * where splitting the outputs is the only way to share the work; x's rows stay in cache.
 */
export function matmulColumns(
  x: usize,
  w: usize,
  y: usize,
  n: i32,
  k: i32,
  m: i32,
  first: i32,
  end: i32,
): void {
  productColumns(x, w, y, n, k, m, first, end, false);
}

/** matmulColumns with w in bfloat16. */
export function matmulColumnsBf16(
  x: usize,
  w: usize,
  y: usize,
  n: i32,
  k: i32,
  m: i32,
  first: i32,
  end: i32,
): void {
  productColumns(x, w, y, n, k, m, first, end, true);
}
