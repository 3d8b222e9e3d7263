// Exact lower bounds for the pair search; core/bounds.ts has the math and the float64 definition
// (the reference backend) these kernels follow: neighbour lists per channel (once per G), each
// row's channels ordered by β_j = |w_j| √G_jj (once per batch), and the lower envelope of the
// pruned weights' lines f(x) = min_p (b_p − 2 x β_p) (once per row and search).
//
// All arithmetic here is float64.

import { lower } from "./vector";

@inline
function f64At(base: usize, index: i32): f64 {
  return load<f64>(base + (<usize>index << 3));
}

/**
 * For channels u in [first, end): the k channels v ≠ u with the largest C_uv (index (d, k) i32,
 * u itself where fewer; value (d, k) f64 = G_uv), ρ_u, the next largest C (rho (d,) f64, 0 when
 * none), and coupling_u = max(1, largest C_uv) (d,) f64, which bounds |G_uv| / (s_u s_v) for every
 * v and so scales the rounding margins. inverseRoot: 1 / s (d,) f64 (+∞ for s = 0), so that C is
 * |G_uv| · (1/s_u) · (1/s_v) (within an ulp or two of the reference's quotient, far inside the
 * searches' margins). scratch: (k + 1) · 12 bytes.
 *
 * Two channels per f64x2 step; only a step with a correlation above the (k+1)-th so far goes
 * to the (scalar) insertion, which after the first few hundred channels is rare.
 */
export function gramNeighbours(
  g64: usize,
  d: i32,
  k: i32,
  inverseRoot: usize,
  index: usize,
  value: usize,
  rho: usize,
  coupling: usize,
  scratch: usize,
  first: i32,
  end: i32,
): void {
  const top = k + 1;
  const topC = scratch;
  const topV = scratch + (<usize>top << 3);
  const zero = f64x2.splat(0);
  for (let u = first; u < end; u++) {
    const gRow = g64 + ((<usize>u * <usize>d) << 3);
    const inverseU = f64x2.splat(f64At(inverseRoot, u));
    let count = 0;
    let floor = f64x2.splat(-Infinity);
    const pairsEnd = d & ~1;
    for (let v0 = 0; v0 < d; v0 += 2) {
      let c2: v128;
      let lanes = 2;
      if (v0 < pairsEnd) {
        const g2 = v128.load(gRow + (<usize>v0 << 3));
        c2 = f64x2.mul(f64x2.mul(f64x2.abs(g2), inverseU), v128.load(inverseRoot + (<usize>v0 << 3)));
        c2 = v128.bitselect(zero, c2, f64x2.eq(g2, zero));
        if (!v128.any_true(f64x2.gt(c2, floor))) continue;
      } else {
        const g = load<f64>(gRow + (<usize>v0 << 3));
        const c = g == 0 ? 0 : abs<f64>(g) * f64At(inverseRoot, u) * f64At(inverseRoot, v0);
        c2 = f64x2.splat(c);
        lanes = 1;
      }
      for (let lane = 0; lane < lanes; lane++) {
        const v = v0 + lane;
        if (v == u) continue;
        const c = lane == 0 ? f64x2.extract_lane(c2, 0) : f64x2.extract_lane(c2, 1);
        if (count == top && !(c > f64At(topC, top - 1))) continue;
        let at = count < top ? count++ : top - 1;
        while (at > 0 && c > f64At(topC, at - 1)) {
          store<f64>(topC + (<usize>at << 3), f64At(topC, at - 1));
          store<i32>(topV + (<usize>at << 2), load<i32>(topV + (<usize>(at - 1) << 2)));
          at--;
        }
        store<f64>(topC + (<usize>at << 3), c);
        store<i32>(topV + (<usize>at << 2), v);
        if (count == top) floor = f64x2.splat(f64At(topC, top - 1));
      }
    }
    const out = <usize>u * <usize>k;
    for (let j = 0; j < k; j++) {
      // Padding (fewer than k other channels) names u itself, which the searches skip: u is kept.
      const v = j < count ? load<i32>(topV + (<usize>j << 2)) : u;
      store<i32>(index + ((out + <usize>j) << 2), v);
      store<f64>(value + ((out + <usize>j) << 3), v == u ? 0 : load<f64>(gRow + (<usize>v << 3)));
    }
    store<f64>(rho + (<usize>u << 3), count == top ? f64At(topC, top - 1) : 0);
    store<f64>(coupling + (<usize>u << 3), count > 0 ? max<f64>(1, f64At(topC, 0)) : 1);
  }
}

/** Radix digits of the 64-bit sort keys: 8 passes of 8 bits. */
const RADIX_BITS = 8;
const RADIX = 1 << RADIX_BITS;

/** Scratch of rowOrders per thread, in units of d bytes (plus 4 · 256). */
export const ROW_ORDER_SCRATCH_COLUMNS: i32 = 8 + 8 + 4;

/**
 * For rows [first, end) of a batch: order (rows, d) i32 = the row's channels by β_j = |w_j| s_j
 * descending, ties by index, by a stable least-significant-digit radix sort of the keys' bits
 * (non-negative float64 values order like their bit patterns; the complemented bits sort
 * descending). weight (rows, d) f32; root: s (d,) f64; scratch: ROW_ORDER_SCRATCH_COLUMNS · d +
 * 4 · RADIX bytes.
 */
export function rowOrders(
  weight: usize,
  root: usize,
  d: i32,
  order: usize,
  scratch: usize,
  first: i32,
  end: i32,
): void {
  // Keys and indices ping-pong between two buffers each; the indices' second buffer is the
  // row's own slot of `order`, where an even number of passes leaves the result.
  const keys = scratch;
  const keysOut = keys + (<usize>d << 3);
  const indices = keysOut + (<usize>d << 3);
  const counts = indices + (<usize>d << 2);
  for (let r = first; r < end; r++) {
    const w = weight + ((<usize>r * <usize>d) << 2);
    const o = order + ((<usize>r * <usize>d) << 2);
    for (let j = 0; j < d; j++) {
      const key = abs<f64>(<f64>load<f32>(w + (<usize>j << 2))) * load<f64>(root + (<usize>j << 3));
      store<u64>(keys + (<usize>j << 3), ~reinterpret<u64>(key));
      store<i32>(o + (<usize>j << 2), j);
    }
    let inKeys = keys;
    let outKeys = keysOut;
    let inOrder = o;
    let outOrder = indices;
    for (let shift: u64 = 0; shift < 64; shift += RADIX_BITS) {
      memory.fill(counts, 0, <usize>RADIX << 2);
      for (let j = 0; j < d; j++) {
        const digit = <usize>((load<u64>(inKeys + (<usize>j << 3)) >> shift) & (RADIX - 1));
        store<i32>(counts + (digit << 2), load<i32>(counts + (digit << 2)) + 1);
      }
      let total = 0;
      for (let b = 0; b < RADIX; b++) {
        const n = load<i32>(counts + (<usize>b << 2));
        store<i32>(counts + (<usize>b << 2), total);
        total += n;
      }
      for (let j = 0; j < d; j++) {
        const key = load<u64>(inKeys + (<usize>j << 3));
        const digit = <usize>((key >> shift) & (RADIX - 1));
        const at = <usize>load<i32>(counts + (digit << 2));
        store<i32>(counts + (digit << 2), <i32>at + 1);
        store<u64>(outKeys + (at << 3), key);
        store<i32>(outOrder + (at << 2), load<i32>(inOrder + (<usize>j << 2)));
      }
      const k = inKeys;
      inKeys = outKeys;
      outKeys = k;
      const t = inOrder;
      inOrder = outOrder;
      outOrder = t;
    }
  }
}

/**
 * The lower envelope of the lines (β_p, b_p) of the pruned p of one row, walked in the row's β
 * order (descending): the Pareto front (a line counts only if its b is below that of every line
 * with a larger β), then its convex hull from the smallest β up. records: per channel (b_p, w_p)
 * for pruned p and (+∞, w_p) for kept p, so kept channels fail the Pareto test without a branch
 * on the mask. The envelope lives in five scratch arrays of d f64 from `at`: front β and b, hull
 * β and b (increasing), breakpoints (x where hull line i + 1 takes over from line i). Returns
 * the number of hull lines.
 */
export function buildEnvelope(order: usize, records: usize, root: usize, d: i32, at: usize): i32 {
  const row = <usize>d << 3;
  const frontBeta = at;
  const frontB = at + row;
  const hullBeta = at + 2 * row;
  const hullB = at + 3 * row;
  const breaks = at + 4 * row;
  let front = 0;
  let lastB = Infinity;
  for (let i = 0; i < d; i++) {
    const p = load<i32>(order + (<usize>i << 2));
    const record = records + (<usize>p << 4);
    const b = load<f64>(record);
    if (!(b < lastB)) continue;
    lastB = b;
    const beta = abs<f64>(load<f64>(record, 8)) * f64At(root, p);
    if (front > 0 && beta == f64At(frontBeta, front - 1)) {
      store<f64>(frontB + (<usize>(front - 1) << 3), b);
      continue;
    }
    store<f64>(frontBeta + (<usize>front << 3), beta);
    store<f64>(frontB + (<usize>front << 3), b);
    front++;
  }
  let n = 0;
  for (let i = front - 1; i >= 0; i--) {
    const nb = f64At(frontBeta, i);
    const nv = f64At(frontB, i);
    while (n >= 2) {
      const ab = f64At(hullBeta, n - 2);
      const av = f64At(hullB, n - 2);
      // The last line is never the minimum when the new one crosses the one before it no later
      // than the last one does.
      if ((nv - av) * (f64At(hullBeta, n - 1) - ab) <= (f64At(hullB, n - 1) - av) * (nb - ab)) n--;
      else break;
    }
    store<f64>(hullBeta + (<usize>n << 3), nb);
    store<f64>(hullB + (<usize>n << 3), nv);
    n++;
  }
  for (let i = 0; i + 1 < n; i++) {
    const rise = f64At(hullB, i + 1) - f64At(hullB, i);
    store<f64>(breaks + (<usize>i << 3), rise / (2 * (f64At(hullBeta, i + 1) - f64At(hullBeta, i))));
  }
  return n;
}

/** Hull lines up to which envelopeAt takes the minimum over all of them, branch-free. */
const LINEAR_HULL: i32 = 16;

/** f(x) for x ≥ 0 (+∞ included) of an envelope built at `at` with n lines (+∞ when n = 0). */
export function envelopeAt(at: usize, d: i32, n: i32, x: f64): f64 {
  if (n == 0) return Infinity;
  const row = <usize>d << 3;
  const hullBeta = at + 2 * row;
  const hullB = at + 3 * row;
  const breaks = at + 4 * row;
  if (x == Infinity) return f64At(hullBeta, n - 1) > 0 ? -Infinity : f64At(hullB, n - 1);
  const twoX = 2 * x;
  if (n <= LINEAR_HULL) {
    // Small hulls (the common case): the minimum over every line, two lines per f64x2 step,
    // with no branch that depends on the data.
    const twoX2 = f64x2.splat(twoX);
    let value2 = f64x2.splat(Infinity);
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const offset = <usize>i << 3;
      const lines = f64x2.sub(v128.load(hullB + offset), f64x2.mul(twoX2, v128.load(hullBeta + offset)));
      value2 = f64x2.pmin(value2, lines);
    }
    let value = lower(f64x2.extract_lane(value2, 0), f64x2.extract_lane(value2, 1));
    if (i < n) value = lower(value, f64At(hullB, i) - twoX * f64At(hullBeta, i));
    return value;
  }
  // Larger hulls: binary search for the line whose interval holds x.
  let low = 0;
  let high = n - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (f64At(breaks, mid) < x) low = mid + 1;
    else high = mid;
  }
  // The line found and its neighbours: rounding in the breakpoints cannot pick a wrong one.
  let value = Infinity;
  const last = min(n - 1, low + 1);
  for (let i = max(0, low - 1); i <= last; i++) {
    value = lower(value, f64At(hullB, i) - twoX * f64At(hullBeta, i));
  }
  return value;
}
