// Gram accumulation G += Xᵀ X. Only the upper triangle (j ≥ i) is accumulated; gramMirror
// copies it to the lower triangle and makes the float32 copy the pair search reads.

import { axpyF32 } from "./vector";

/**
 * Tokens summed in float32 before each flush into the float64 G. Short float32 sums keep the
 * relative error near 64 · 2⁻²⁴ ≈ 4e-6 in the worst case (≈ 5e-7 typical), while the long sum
 * over all tokens runs in float64. The tile of X (64 · d floats) stays in L2 for d ≤ 4096.
 */
const TOKEN_TILE = 64;

/**
 * G (d, d) f64, upper triangle, rows [first, end) += Σ_t x_t x_tᵀ over X (tokens, d) f32.
 * scratch: d floats.
 */
export function gramAccumulate(
  g64: usize,
  x: usize,
  tokens: i32,
  d: i32,
  scratch: usize,
  first: i32,
  end: i32,
): void {
  const rowBytes = <usize>d << 2;
  for (let t0 = 0; t0 < tokens; t0 += TOKEN_TILE) {
    const t1 = min(tokens, t0 + TOKEN_TILE);
    for (let i = first; i < end; i++) {
      const width = d - i;
      const accumulator = scratch + (<usize>i << 2);
      memory.fill(accumulator, 0, <usize>width << 2);
      for (let t = t0; t < t1; t++) {
        const xRow = x + <usize>t * rowBytes;
        const xi = load<f32>(xRow + (<usize>i << 2));
        if (xi != 0) axpyF32(accumulator, xRow + (<usize>i << 2), xi, width);
      }
      const gRow = g64 + ((<usize>i * <usize>d + <usize>i) << 3);
      for (let j = 0; j < width; j++) {
        const offset = <usize>j << 3;
        store<f64>(gRow + offset, load<f64>(gRow + offset) + <f64>load<f32>(accumulator + (<usize>j << 2)));
      }
    }
  }
}

/**
 * For rows [first, end): G[i, j] = G[j, i] for j < i (from the upper triangle), and
 * g32[i, :] = float32(G[i, :]).
 */
export function gramMirror(g64: usize, g32: usize, d: i32, first: i32, end: i32): void {
  for (let i = first; i < end; i++) {
    const row = <usize>i * <usize>d;
    for (let j = 0; j < i; j++) {
      store<f64>(g64 + ((row + j) << 3), load<f64>(g64 + ((<usize>j * <usize>d + i) << 3)));
    }
    for (let j = 0; j < d; j++) {
      store<f32>(g32 + ((row + j) << 2), <f32>load<f64>(g64 + ((row + j) << 3)));
    }
  }
}
