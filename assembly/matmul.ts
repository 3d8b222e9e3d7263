// Dense products for the calibration forward pass: y = x · wᵀ (a linear layer).

import { horizontalSum } from "./vector";

/** One output y[i, o] = Σ_j x[i, j] w[o, j]: four float32 lane sums, then their sum. */
@inline
function dot(x: usize, w: usize, k: i32): f32 {
  const vectorEnd = k & ~3;
  let lanes = f32x4.splat(0);
  let j = 0;
  for (; j < vectorEnd; j += 4) {
    const offset = <usize>j << 2;
    lanes = f32x4.add(lanes, f32x4.mul(v128.load(x + offset), v128.load(w + offset)));
  }
  let sum = horizontalSum(lanes);
  for (; j < k; j++) sum += load<f32>(x + (<usize>j << 2)) * load<f32>(w + (<usize>j << 2));
  return sum;
}

/**
 * Rows of x computed together: their 16 · k floats stay in cache while every weights row passes
 * over them, so w is read from memory once per 16 rows of x, not once per row.
 */
const ROW_TILE = 16;

/** y (n, m) rows [first, end) = x (n, k) · wᵀ with w (m, k), all float32 row-major. */
export function matmul(x: usize, w: usize, y: usize, k: i32, m: i32, first: i32, end: i32): void {
  const rowBytes = <usize>k << 2;
  for (let i0 = first; i0 < end; i0 += ROW_TILE) {
    const i1 = min(end, i0 + ROW_TILE);
    for (let o = 0; o < m; o++) {
      const wRow = w + <usize>o * rowBytes;
      for (let i = i0; i < i1; i++) {
        store<f32>(y + ((<usize>i * <usize>m + o) << 2), dot(x + <usize>i * rowBytes, wRow, k));
      }
    }
  }
}
