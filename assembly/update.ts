// The exact weight update for a fixed mask (core/update.ts defines it): per row, the kept
// weights move by (G_KK + Λ)⁻¹ G_KP w_P, Λ = damping · diag(G) + epsilon · I, in float64 by a
// Cholesky factorisation whose inner products run in f64x2 lanes.

import { dotF64 } from "./vector";

/**
 * Updates rows [first, end) of W (rows, d) f32 into out (rows, d) f32: kept weights updated,
 * pruned ones 0. G (d, d) f64 row-major. status (rows) i32 gets 1 for a row whose kept block is
 * not positive definite even with damping (its out row is left at 0), else 0. scratch: one
 * thread's 8·c² + 8·c + 8·d bytes, c ≥ the kept count of every row (the k × k factor, k values,
 * the kept and pruned column lists).
 */
export function rebuildRows(
  g: usize,
  d: i32,
  weight: usize,
  mask: usize,
  damping: f64,
  epsilon: f64,
  out: usize,
  status: usize,
  scratch: usize,
  capacity: i32,
  first: i32,
  end: i32,
): void {
  const factor = scratch;
  const solution = factor + (<usize>capacity * <usize>capacity << 3);
  const kept = solution + (<usize>capacity << 3);
  const pruned = kept + (<usize>d << 2);
  for (let r = first; r < end; r++) {
    const w = weight + ((<usize>r * <usize>d) << 2);
    const m = mask + <usize>r * <usize>d;
    const o = out + ((<usize>r * <usize>d) << 2);
    let k = 0;
    let p = 0;
    for (let j = 0; j < d; j++) {
      store<f32>(o + (<usize>j << 2), 0);
      if (load<u8>(m + j) != 0) {
        store<i32>(kept + (<usize>k << 2), j);
        k++;
      } else {
        store<i32>(pruned + (<usize>p << 2), j);
        p++;
      }
    }
    // A = G_KK + Λ (lower triangle, row stride k), b = G_KP w_P.
    for (let a = 0; a < k; a++) {
      const row = g + ((<usize>load<i32>(kept + (<usize>a << 2)) * <usize>d) << 3);
      const aRow = factor + ((<usize>a * <usize>k) << 3);
      for (let b = 0; b <= a; b++) {
        store<f64>(aRow + (<usize>b << 3), load<f64>(row + (<usize>load<i32>(kept + (<usize>b << 2)) << 3)));
      }
      const diagonal = load<f64>(aRow + (<usize>a << 3));
      store<f64>(aRow + (<usize>a << 3), diagonal + (damping * diagonal + epsilon));
      let s: f64 = 0;
      for (let i = 0; i < p; i++) {
        const column = load<i32>(pruned + (<usize>i << 2));
        s += load<f64>(row + (<usize>column << 3)) * <f64>load<f32>(w + (<usize>column << 2));
      }
      store<f64>(solution + (<usize>a << 3), s);
    }
    // Cholesky A = L Lᵀ, row-oriented: every update is an inner product of two row prefixes.
    let positive = true;
    for (let j = 0; j < k && positive; j++) {
      const jRow = factor + ((<usize>j * <usize>k) << 3);
      const pivot = load<f64>(jRow + (<usize>j << 3)) - dotF64(jRow, jRow, j);
      if (!(pivot > 0)) {
        positive = false;
        break;
      }
      const root = Math.sqrt(pivot);
      store<f64>(jRow + (<usize>j << 3), root);
      for (let i = j + 1; i < k; i++) {
        const iRow = factor + ((<usize>i * <usize>k) << 3);
        const value = load<f64>(iRow + (<usize>j << 3)) - dotF64(iRow, jRow, j);
        store<f64>(iRow + (<usize>j << 3), value / root);
      }
    }
    if (!positive) {
      store<i32>(status + (<usize>r << 2), 1);
      continue;
    }
    store<i32>(status + (<usize>r << 2), 0);
    // L y = b, then Lᵀ x = y.
    for (let i = 0; i < k; i++) {
      const iRow = factor + ((<usize>i * <usize>k) << 3);
      const y = (load<f64>(solution + (<usize>i << 3)) - dotF64(iRow, solution, i)) /
        load<f64>(iRow + (<usize>i << 3));
      store<f64>(solution + (<usize>i << 3), y);
    }
    for (let i = k - 1; i >= 0; i--) {
      let s = load<f64>(solution + (<usize>i << 3));
      for (let t = i + 1; t < k; t++) {
        s -= load<f64>(factor + ((<usize>t * <usize>k + <usize>i) << 3)) *
          load<f64>(solution + (<usize>t << 3));
      }
      store<f64>(solution + (<usize>i << 3), s / load<f64>(factor + ((<usize>i * <usize>k + <usize>i) << 3)));
    }
    for (let a = 0; a < k; a++) {
      const column = <usize>load<i32>(kept + (<usize>a << 2));
      const value = <f64>load<f32>(w + (column << 2)) + load<f64>(solution + (<usize>a << 3));
      store<f32>(o + (column << 2), <f32>value);
    }
  }
}
