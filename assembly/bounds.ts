// Exact lower bounds for the pair search; core/bounds.ts has the math and the float64 definition
// (the reference backend) these kernels follow: neighbour lists per channel (once per G), each
// row's channels ordered by β_j = |w_j| √G_jj (once per batch), and the lower envelope of the
// pruned weights' lines f(x) = min_p (b_p − 2 x β_p) (once per row and search).
//
// All arithmetic here is float64.


@inline
function f64At(base: usize, index: i32): f64 {
  return load<f64>(base + (<usize>index << 3));
}

/** C_uv = |G_uv| / (s_u s_v); 0 when G_uv = 0, +∞ when s_u s_v = 0 but G_uv ≠ 0. */
@inline
export function correlation(g: f64, su: f64, sv: f64): f64 {
  if (g == 0) return 0;
  const scale = su * sv;
  return scale > 0 ? abs<f64>(g) / scale : Infinity;
}

/**
 * For channels u in [first, end): the k channels v ≠ u with the largest C_uv (index
 * (d, K) i32, u itself where fewer; value (d, K) f64 = G_uv), ρ_u, the next largest C (rho (d,) f64,
 * 0 when none), and coupling_u = max(1, largest C_uv) (d,) f64, which bounds |G_uv| / (s_u s_v)
 * for every v and so scales the rounding margins. root: s (d,) f64. scratch: (k + 1) · 12 bytes.
 */
export function gramNeighbours(
  g64: usize,
  d: i32,
  k: i32,
  root: usize,
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
  for (let u = first; u < end; u++) {
    const gRow = g64 + ((<usize>u * <usize>d) << 3);
    const su = f64At(root, u);
    let count = 0;
    for (let v = 0; v < d; v++) {
      if (v == u) continue;
      const c = correlation(load<f64>(gRow + (<usize>v << 3)), su, f64At(root, v));
      if (count == top && !(c > f64At(topC, top - 1))) continue;
      let at = count < top ? count++ : top - 1;
      while (at > 0 && c > f64At(topC, at - 1)) {
        store<f64>(topC + (<usize>at << 3), f64At(topC, at - 1));
        store<i32>(topV + (<usize>at << 2), load<i32>(topV + (<usize>(at - 1) << 2)));
        at--;
      }
      store<f64>(topC + (<usize>at << 3), c);
      store<i32>(topV + (<usize>at << 2), v);
    }
    const out = <usize>u * <usize>k;
    for (let j = 0; j < k; j++) {
      // Padding (fewer than K other channels) names u itself, which the searches skip: u is kept.
      const v = j < count ? load<i32>(topV + (<usize>j << 2)) : u;
      store<i32>(index + ((out + <usize>j) << 2), v);
      store<f64>(value + ((out + <usize>j) << 3), v == u ? 0 : load<f64>(gRow + (<usize>v << 3)));
    }
    store<f64>(rho + (<usize>u << 3), count == top ? f64At(topC, top - 1) : 0);
    store<f64>(coupling + (<usize>u << 3), count > 0 ? max<f64>(1, f64At(topC, 0)) : 1);
  }
}

/** Whether channel x comes after channel y: β descending, then index ascending. */
@inline
function comesAfter(keys: usize, x: i32, y: i32): bool {
  const kx = f64At(keys, x);
  const ky = f64At(keys, y);
  return kx < ky || (kx == ky && x > y);
}

/** Restores the heap property (the element that comes last at the top) below `at`. */
@inline
function siftDown(order: usize, keys: usize, at: i32, size: i32): void {
  let parent = at;
  for (;;) {
    let child = 2 * parent + 1;
    if (child >= size) return;
    const right = child + 1;
    const cv = load<i32>(order + (<usize>child << 2));
    if (right < size && comesAfter(keys, load<i32>(order + (<usize>right << 2)), cv)) child = right;
    const pv = load<i32>(order + (<usize>parent << 2));
    const chosen = load<i32>(order + (<usize>child << 2));
    if (!comesAfter(keys, chosen, pv)) return;
    store<i32>(order + (<usize>parent << 2), chosen);
    store<i32>(order + (<usize>child << 2), pv);
    parent = child;
  }
}

/**
 * For rows [first, end) of a batch: order (rows, d) i32 = the row's channels by β_j = |w_j| s_j
 * descending (ties by index), by heapsort. weight (rows, d) f32; root: s (d,) f64;
 * scratch: d f64 (the keys).
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
  for (let r = first; r < end; r++) {
    const w = weight + ((<usize>r * <usize>d) << 2);
    const o = order + ((<usize>r * <usize>d) << 2);
    for (let j = 0; j < d; j++) {
      store<f64>(scratch + (<usize>j << 3), abs<f64>(<f64>load<f32>(w + (<usize>j << 2))) * f64At(root, j));
      store<i32>(o + (<usize>j << 2), j);
    }
    for (let at = (d >> 1) - 1; at >= 0; at--) siftDown(o, scratch, at, d);
    for (let size = d - 1; size > 0; size--) {
      const last = load<i32>(o);
      store<i32>(o, load<i32>(o + (<usize>size << 2)));
      store<i32>(o + (<usize>size << 2), last);
      siftDown(o, scratch, 0, size);
    }
  }
}

/**
 * The lower envelope of the lines (β_p, b_p) of the pruned p of one row, walked in the row's β
 * order (descending): the Pareto front (a line counts only if its b is below that of every line
 * with a larger β), then its convex hull from the smallest β up. The envelope lives in five
 * scratch arrays of d f64 from `at`: front β and b, hull β and b (increasing), breakpoints (x
 * where hull line i + 1 takes over from line i). Returns the number of hull lines.
 */
export function buildEnvelope(
  order: usize,
  mask: usize,
  term: usize,
  w: usize,
  root: usize,
  d: i32,
  at: usize,
): i32 {
  const row = <usize>d << 3;
  const frontBeta = at;
  const frontB = at + row;
  const hullBeta = at + 2 * row;
  const hullB = at + 3 * row;
  const breaks = at + 4 * row;
  let front = 0;
  for (let i = 0; i < d; i++) {
    const p = load<i32>(order + (<usize>i << 2));
    if (load<u8>(mask + p) != 0) continue;
    const b = f64At(term, p);
    if (front > 0 && !(b < f64At(frontB, front - 1))) continue;
    const beta = abs<f64>(<f64>load<f32>(w + (<usize>p << 2))) * f64At(root, p);
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

/** f(x) for x ≥ 0 (+∞ included) of an envelope built at `at` with n lines (+∞ when n = 0). */
export function envelopeAt(at: usize, d: i32, n: i32, x: f64): f64 {
  if (n == 0) return Infinity;
  const row = <usize>d << 3;
  const hullBeta = at + 2 * row;
  const hullB = at + 3 * row;
  const breaks = at + 4 * row;
  if (x == Infinity) return f64At(hullBeta, n - 1) > 0 ? -Infinity : f64At(hullB, n - 1);
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
    const v = f64At(hullB, i) - 2 * x * f64At(hullBeta, i);
    value = select<f64>(v, value, v < value);
  }
  return value;
}
