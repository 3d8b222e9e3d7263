// The SparseSwaps kernels for one batch of rows (see core/kernels.ts for the notation):
// correlate (c = G q), the best-pair search, and swap application with the c update.
//
// Storage: G in float64 (g64) and float32 (g32), w and v float32, mask u8 (1 = kept), c float64.
// c and every returned gain are float64; only the pair search's ranking runs in float32.
// The searches read only v (`weight` there is v: kept u at its value, pruned p at w_p); w enters
// through the residual q = w − m⊙v (correlate, rowErrors) and the reset v_u = w_u (applySwaps).
// Without an update v and w are the same buffer.

import { buildEnvelope, envelopeAt } from "./bounds";
import { axpyF64, higher, horizontalMin, lower, pick, pick32 } from "./vector";

@inline
function f32At(base: usize, index: i32): f32 {
  return load<f32>(base + (<usize>index << 2));
}

@inline
function f64At(base: usize, index: i32): f64 {
  return load<f64>(base + (<usize>index << 3));
}

@inline
function gramAt(g64: usize, d: i32, i: i32, j: i32): f64 {
  return load<f64>(g64 + ((<usize>i * <usize>d + <usize>j) << 3));
}

/** ΔL(u, p) = a_u + b_p − 2 v_u v_p G_up in float64, in the reference backend's order. */
@inline
function exactGain(g64: usize, d: i32, w: usize, c: usize, u: i32, p: i32): f64 {
  const wu = <f64>f32At(w, u);
  const wp = <f64>f32At(w, p);
  const a = 2 * wu * f64At(c, u) + wu * wu * gramAt(g64, d, u, u);
  const b = -2 * wp * f64At(c, p) + wp * wp * gramAt(g64, d, p, p);
  return a + b - 2 * wu * wp * gramAt(g64, d, u, p);
}

/**
 * Rows of a correlate block and columns of its tiles: each row of G is read once per block of
 * CORRELATE_ROWS rows, a tile of it (CORRELATE_COLUMNS float64, 4 KB) at a time while the
 * block's slices of c (CORRELATE_ROWS · 4 KB) stay in L2. G in float64 outgrows the caches at
 * d ≈ 1000, and streaming it once per row made correlate the slowest kernel. The sizes are
 * reasoned from cache sizes, not tuned: bench/cpu.ts times correlate only within whole
 * refinements.
 */
export const CORRELATE_ROWS = 32;
const CORRELATE_COLUMNS = 512;

/** q_j = w_j − m_j v_j of row element `at`, in float64 (exact: a difference of two float32). */
@inline
function residual(weight: usize, values: usize, mask: usize, at: usize): f64 {
  const w = <f64>load<f32>(weight + (at << 2));
  return load<u8>(mask + at) == 0 ? w : w - <f64>load<f32>(values + (at << 2));
}

/**
 * c = G q and L = qᵀ c for batch rows [first, end), q = w − m ⊙ v.
 * c is built as Σ_{j: q_j ≠ 0} q_j G[j, :] (G is symmetric), each step a float64 axpy, j
 * ascending for every element of c, so results do not depend on blocks, tiles or threads.
 */
export function correlate(
  g64: usize,
  d: i32,
  weight: usize,
  values: usize,
  mask: usize,
  corr: usize,
  errors: usize,
  first: i32,
  end: i32,
): void {
  const gRowBytes = <usize>d << 3;
  for (let r0 = first; r0 < end; r0 += CORRELATE_ROWS) {
    const r1 = min(end, r0 + CORRELATE_ROWS);
    memory.fill(corr + <usize>r0 * gRowBytes, 0, <usize>(r1 - r0) * gRowBytes);
    for (let t0 = 0; t0 < d; t0 += CORRELATE_COLUMNS) {
      const width = min(d - t0, CORRELATE_COLUMNS);
      const tile = <usize>t0 << 3;
      for (let j = 0; j < d; j++) {
        const gTile = g64 + <usize>j * gRowBytes + tile;
        for (let r = r0; r < r1; r++) {
          const q = residual(weight, values, mask, <usize>r * <usize>d + j);
          if (q != 0) axpyF64(corr + <usize>r * gRowBytes + tile, gTile, q, width);
        }
      }
    }
    rowErrors(d, weight, values, mask, corr, errors, r0, r1);
  }
}

/** L = qᵀ c for batch rows [first, end) from the c they hold (summed in float64, j ascending). */
export function rowErrors(
  d: i32,
  weight: usize,
  values: usize,
  mask: usize,
  corr: usize,
  errors: usize,
  first: i32,
  end: i32,
): void {
  for (let r = first; r < end; r++) {
    const row = <usize>r * <usize>d;
    const c = corr + (row << 3);
    let error: f64 = 0;
    for (let j = 0; j < d; j++) {
      const q = residual(weight, values, mask, row + j);
      if (q != 0) error += q * f64At(c, j);
    }
    store<f64>(errors + (<usize>r << 3), error);
  }
}

/**
 * t_p = b_p + w_u · (s_p · G_up) with s_p = −2 w_p, for four p at once; b_p = +∞ and s_p = 0
 * for kept p, so only pruned p can win. Relaxed SIMD fuses the outer multiply-add where the
 * machine has FMA; either way each p is always computed by the same instruction sequence.
 */
@inline
function pairTerms(b: v128, s: v128, g: v128, wu: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(wu, f32x4.mul(s, g), b);
  return f32x4.add(b, f32x4.mul(wu, f32x4.mul(s, g)));
}

@inline
function pairTerm(b: f32, s: f32, g: f32, wu: f32): f32 {
  return b + wu * (s * g);
}

/**
 * min over p of t_p for one kept u: a dense scan of G's row u. Four independent running minima
 * (16 p per step) hide the latency of each pmin, which otherwise bounds the loop: 2.5e9 → see
 * bench/cpu.ts for the measured rate. pmin (b < a ? b : a) is a single instruction, unlike min.
 */
@inline
function rowMinimum(gRow: usize, b: usize, s: usize, wu: f32, d: i32): f32 {
  const wuv = f32x4.splat(wu);
  let lowest0 = f32x4.splat(Infinity);
  let lowest1 = lowest0;
  let lowest2 = lowest0;
  let lowest3 = lowest0;
  const unrolledEnd = d & ~15;
  let p = 0;
  for (; p < unrolledEnd; p += 16) {
    const o = <usize>p << 2;
    lowest0 = f32x4.pmin(lowest0, pairTerms(v128.load(b + o), v128.load(s + o), v128.load(gRow + o), wuv));
    lowest1 = f32x4.pmin(lowest1, pairTerms(v128.load(b + o, 16), v128.load(s + o, 16), v128.load(gRow + o, 16), wuv));
    lowest2 = f32x4.pmin(lowest2, pairTerms(v128.load(b + o, 32), v128.load(s + o, 32), v128.load(gRow + o, 32), wuv));
    lowest3 = f32x4.pmin(lowest3, pairTerms(v128.load(b + o, 48), v128.load(s + o, 48), v128.load(gRow + o, 48), wuv));
  }
  const vectorEnd = d & ~3;
  for (; p < vectorEnd; p += 4) {
    const o = <usize>p << 2;
    lowest0 = f32x4.pmin(lowest0, pairTerms(v128.load(b + o), v128.load(s + o), v128.load(gRow + o), wuv));
  }
  let result = horizontalMin(f32x4.pmin(f32x4.pmin(lowest0, lowest1), f32x4.pmin(lowest2, lowest3)));
  for (; p < d; p++) result = min(result, pairTerm(f32At(b, p), f32At(s, p), f32At(gRow, p), wu));
  return result;
}

/** The first p whose t_p equals `target` (found by rowMinimum with the same arithmetic). */
@inline
function firstPairAt(gRow: usize, b: usize, s: usize, wu: f32, d: i32, target: f32): i32 {
  const vectorEnd = d & ~3;
  const wuv = f32x4.splat(wu);
  const targetv = f32x4.splat(target);
  let p = 0;
  for (; p < vectorEnd; p += 4) {
    const offset = <usize>p << 2;
    const t = pairTerms(v128.load(b + offset), v128.load(s + offset), v128.load(gRow + offset), wuv);
    const hits = i32x4.bitmask(f32x4.eq(t, targetv));
    if (hits != 0) return p + ctz(hits);
  }
  for (; p < d; p++) {
    if (pairTerm(f32At(b, p), f32At(s, p), f32At(gRow, p), wu) == target) return p;
  }
  return -1;
}

/**
 * Rows searched together: each row of G is read once per block and scanned for every row of
 * the block that keeps u, so G streams from memory ROW_BLOCK times less often (G in float32 is
 * 2.4 MB at d = 768, more than a core's L2). The block's b and s arrays take
 * 2 · ROW_BLOCK · d floats of scratch. Chosen with bench/cpu.ts.
 */
export const ROW_BLOCK = 8;

/**
 * Best pair over all kept u and pruned p of each active row (per-row sparsity). diag: G's
 * diagonal (d,) f64.
 * active: i32 batch-row indices; entries [first, end) are searched, ROW_BLOCK at a time.
 * Outputs per entry: gain f64 (exact ΔL of the chosen pair, +∞ if none), prune/restore i32.
 * scratch: 2 · ROW_BLOCK · d · 4 bytes (b and s of each row of a block, float32).
 *
 * Ranking, per row: for each kept u (ascending), m_u = min_p t_p in float32 and a_u + m_u is
 * compared with the best so far (strictly smaller wins, so ties keep the smallest u, then the
 * smallest p). Rows never interact, so how rows are grouped into blocks changes nothing.
 */
export function bestSwapsPerRow(
  g32: usize,
  g64: usize,
  diag: usize,
  d: i32,
  weight: usize,
  mask: usize,
  corr: usize,
  active: usize,
  gain: usize,
  prune: usize,
  restore: usize,
  scratch: usize,
  first: i32,
  end: i32,
): void {
  const rowFloats = <usize>d << 2;
  const sBase = scratch + <usize>ROW_BLOCK * rowFloats;
  for (let k0 = first; k0 < end; k0 += ROW_BLOCK) {
    const count = min(ROW_BLOCK, end - k0);
    for (let i = 0; i < count; i++) {
      const row = <usize>load<i32>(active + (<usize>(k0 + i) << 2));
      prepareRow(diag, d, weight + row * rowFloats, mask + row * <usize>d, corr + (row * <usize>d << 3),
        scratch + <usize>i * rowFloats, sBase + <usize>i * rowFloats);
      store<f64>(gain + (<usize>(k0 + i) << 3), Infinity);
      store<i32>(prune + (<usize>(k0 + i) << 2), -1);
      store<i32>(restore + (<usize>(k0 + i) << 2), -1);
    }
    for (let u = 0; u < d; u++) {
      const gRow = g32 + <usize>u * rowFloats;
      const guu = f64At(diag, u);
      for (let i = 0; i < count; i++) {
        const out = <usize>(k0 + i);
        const row = <usize>load<i32>(active + (out << 2));
        if (load<u8>(mask + row * <usize>d + u) != 1) continue;
        const wu = <f64>f32At(weight + row * rowFloats, u);
        const a = <f32>(2 * wu * f64At(corr + (row * <usize>d << 3), u) + wu * wu * guu);
        const b = scratch + <usize>i * rowFloats;
        const s = sBase + <usize>i * rowFloats;
        const lowest = rowMinimum(gRow, b, s, <f32>wu, d);
        // The running best of this row is kept, as float32, in its gain slot until the end.
        if (a + lowest < <f32>load<f64>(gain + (out << 3))) {
          store<f64>(gain + (out << 3), <f64>(a + lowest));
          store<i32>(prune + (out << 2), u);
          store<i32>(restore + (out << 2), firstPairAt(gRow, b, s, <f32>wu, d, lowest));
        }
      }
    }
    for (let i = 0; i < count; i++) {
      const out = <usize>(k0 + i);
      const row = <usize>load<i32>(active + (out << 2));
      const u = load<i32>(prune + (out << 2));
      if (u < 0) continue;
      const w = weight + row * rowFloats;
      const c = corr + (row * <usize>d << 3);
      store<f64>(gain + (out << 3), exactGain(g64, d, w, c, u, load<i32>(restore + (out << 2))));
    }
  }
}

/**
 * b_p = −2 w_p c_p + w_p² G_pp and s_p = −2 w_p for pruned p; +∞ and 0 for kept p. diag: G's
 * diagonal (d,) f64, contiguous (read from G itself, each entry would be another cache line).
 */
@inline
function prepareRow(diag: usize, d: i32, w: usize, m: usize, c: usize, b: usize, s: usize): void {
  for (let j = 0; j < d; j++) {
    const offset = <usize>j << 2;
    if (load<u8>(m + j) == 0) {
      const wj = <f64>f32At(w, j);
      store<f32>(b + offset, <f32>(-2 * wj * f64At(c, j) + wj * wj * f64At(diag, j)));
      store<f32>(s + offset, <f32>(-2 * wj));
    } else {
      store<f32>(b + offset, Infinity);
      store<f32>(s + offset, 0);
    }
  }
}

/**
 * Best pair inside blocks of `blockLength` columns (N:M sparsity), in float64 like the
 * reference: the few pairs per block make this cheap next to correlate.
 */
export function bestSwapsInBlocks(
  g64: usize,
  d: i32,
  blockLength: i32,
  weight: usize,
  mask: usize,
  corr: usize,
  active: usize,
  gain: usize,
  prune: usize,
  restore: usize,
  first: i32,
  end: i32,
): void {
  for (let k = first; k < end; k++) {
    const row = <usize>load<i32>(active + (<usize>k << 2));
    const w = weight + ((row * <usize>d) << 2);
    const m = mask + row * <usize>d;
    const c = corr + ((row * <usize>d) << 3);
    let best: f64 = Infinity;
    let bestU = -1;
    let bestP = -1;
    for (let start = 0; start < d; start += blockLength) {
      for (let u = start; u < start + blockLength; u++) {
        if (load<u8>(m + u) != 1) continue;
        for (let p = start; p < start + blockLength; p++) {
          if (load<u8>(m + p) != 0) continue;
          const delta = exactGain(g64, d, w, c, u, p);
          if (delta < best) {
            best = delta;
            bestU = u;
            bestP = p;
          }
        }
      }
    }
    const out = <usize>k;
    store<f64>(gain + (out << 3), best);
    store<i32>(prune + (out << 2), bestU);
    store<i32>(restore + (out << 2), bestP);
  }
}

/**
 * For entries [first, end) of (rows, prune, restore): mask[u] = 0, mask[p] = 1,
 * c ← c + v_u G[:, u] − v_p G[:, p] (rows of the symmetric G), in float64, and v_u = w_u.
 */
export function applySwaps(
  g64: usize,
  d: i32,
  weight: usize,
  values: usize,
  mask: usize,
  corr: usize,
  rows: usize,
  prune: usize,
  restore: usize,
  first: i32,
  end: i32,
): void {
  const gRowBytes = <usize>d << 3;
  for (let k = first; k < end; k++) {
    const row = <usize>load<i32>(rows + (<usize>k << 2));
    const u = load<i32>(prune + (<usize>k << 2));
    const p = load<i32>(restore + (<usize>k << 2));
    const v = values + ((row * <usize>d) << 2);
    const c = corr + row * gRowBytes;
    store<u8>(mask + row * <usize>d + u, 0);
    store<u8>(mask + row * <usize>d + p, 1);
    const vu = <f64>f32At(v, u);
    const vp = <f64>f32At(v, p);
    store<f32>(v + (<usize>u << 2), f32At(weight + ((row * <usize>d) << 2), u));
    const wu = f64x2.splat(vu);
    const wp = f64x2.splat(vp);
    const gu = g64 + <usize>u * gRowBytes;
    const gp = g64 + <usize>p * gRowBytes;
    const vectorEnd = d & ~1;
    let i = 0;
    for (; i < vectorEnd; i += 2) {
      const offset = <usize>i << 3;
      const step = f64x2.sub(f64x2.mul(wu, v128.load(gu + offset)), f64x2.mul(wp, v128.load(gp + offset)));
      v128.store(c + offset, f64x2.add(v128.load(c + offset), step));
    }
    for (; i < d; i++) {
      const offset = <usize>i << 3;
      const step = vu * load<f64>(gu + offset) - vp * load<f64>(gp + offset);
      store<f64>(c + offset, load<f64>(c + offset) + step);
    }
  }
}

/**
 * Kept and pruned indices in a row's first guess: the GUESS smallest a_u × the GUESS smallest
 * b_p. The neighbour pairs cap the search as well; more guesses cost more random reads of G than
 * they saved when tried on the d = 768 layer of bench/_layers.ts (a development measurement,
 * not one bench/cpu.ts repeats).
 */
const GUESS: i32 = 2;

/**
 * How far a float32 pair value may sit from the exact gain, relative to the sum of its terms'
 * magnitudes: each of a_u, b_p and G_up is rounded once to float32 and the pair value takes
 * three float32 operations (about 5 ulps in all); 16 ulps leave room to spare.
 */
const F32_MARGIN: f64 = 16.0 / 16777216.0;

/**
 * Inserts index j, whose term is `value`, into a list of at most GUESS indices sorted by term;
 * returns the list's new length. Rarely does anything once the list is full.
 */
@inline
function keepSmallest(list: usize, n: i32, term: usize, j: i32, value: f64): i32 {
  if (n == GUESS && !(value < f64At(term, load<i32>(list + (<usize>(GUESS - 1) << 2))))) return n;
  let at = n < GUESS ? n++ : GUESS - 1;
  while (at > 0 && value < f64At(term, load<i32>(list + (<usize>(at - 1) << 2)))) {
    store<i32>(list + (<usize>at << 2), load<i32>(list + (<usize>(at - 1) << 2)));
    at--;
  }
  store<i32>(list + (<usize>at << 2), j);
  return n;
}

/**
 * One thread's scratch for bestSwapsBounded, in units of d bytes: b and s (f32), cuts and terms
 * (f64), the pruned records (b_p or +∞, w_p: 16 bytes), the envelope's five f64 arrays, and three
 * i32 index lists (kept, pruned, candidates); plus 256 bytes for the guess lists.
 */
export const BOUNDED_SCRATCH_COLUMNS: i32 = 4 + 4 + 8 + 8 + 16 + 5 * 8 + 3 * 4;

/**
 * bestSwapsPerRow with the exact bounds of core/bounds.ts: the same pair (same float32 ranking,
 * same ties) whenever that pair's exact gain is below the row's threshold; a row with no pair
 * below it may report none (+∞, −1, −1).
 *
 * Per row: a_u and b_p in float64, the lower envelope of the pruned lines, a first guess τ, and
 * for every kept u its cut_u = LB_u − margin_u; the u whose cut does not exceed
 * min(threshold, τ) become candidates, scanned in ascending order (over every p, as
 * bestSwapsPerRow scans) unless their cut exceeds min(threshold, τ, best so far). A pair that
 * could win has cut ≤ exact gain − (margin − rounding) ≤ its float32 value ≤ τ and best, so it
 * is scanned. Rows are searched one by one: the few rows of G a search reads are not worth
 * sharing across rows. Loops over every channel are branch-free where the branch would follow
 * the (random) mask.
 *
 * Inputs besides bestSwapsPerRow's: threshold (n,) f64; root (d,) f64 = √diag G; nbIndex (d, k)
 * i32, nbValue (d, k) f64, rho and coupling (d,) f64, and k = neighbours (gramNeighbours); order (rows, d) i32
 * (rowOrders). Extra output: evaluated (n,) f64, the pair gains computed for each entry.
 * scratch: BOUNDED_SCRATCH_COLUMNS · d + 256 bytes.
 */
export function bestSwapsBounded(
  g32: usize,
  g64: usize,
  diag: usize,
  d: i32,
  weight: usize,
  mask: usize,
  corr: usize,
  active: usize,
  threshold: usize,
  root: usize,
  nbIndex: usize,
  nbValue: usize,
  rho: usize,
  coupling: usize,
  neighbours: i32,
  order: usize,
  gain: usize,
  prune: usize,
  restore: usize,
  evaluated: usize,
  scratch: usize,
  first: i32,
  end: i32,
): void {
  const rowFloats = <usize>d << 2;
  const rowDoubles = <usize>d << 3;
  const b = scratch;
  const s = b + rowFloats;
  const cut = s + rowFloats;
  const term = cut + rowDoubles;
  // Per channel (b_p, w_p) for pruned p and (+∞, w_p) for kept p, side by side: a neighbour's
  // term then costs one random read instead of three (mask, b, w).
  const records = term + rowDoubles;
  const envelope = records + 2 * rowDoubles;
  const keptList = envelope + 5 * rowDoubles;
  const prunedList = keptList + rowFloats;
  const candidates = prunedList + rowFloats;
  const guessU = candidates + rowFloats;
  const guessP = guessU + (<usize>GUESS << 2);
  for (let k = first; k < end; k++) {
    const out = <usize>k;
    const row = <usize>load<i32>(active + (out << 2));
    const w = weight + row * rowFloats;
    const m = mask + row * <usize>d;
    const c = corr + row * rowDoubles;

    // a_u and b_p in float64 (term), b and s in float32 for the scans (exactly as prepareRow
    // makes them), the kept and pruned index lists.
    // Two channels per step in f64x2 lanes; every value is the scalar formula's to the bit
    // (2 w c is exact doubling of w c, and b = w² G − 2 w c as b = −2 w c + w² G).
    let lowestB = f64x2.splat(Infinity);
    let largestB = f64x2.splat(0);
    let nk = 0;
    let np = 0;
    const pairsEnd = d & ~1;
    let j = 0;
    for (; j < pairsEnd; j += 2) {
      const w2 = f64x2.promote_low_f32x4(v128.load64_zero(w + (<usize>j << 2)));
      const m0 = load<u8>(m + j);
      const m1 = load<u8>(m + j + 1);
      const kept2 = i64x2.replace_lane(i64x2.splat(-(<i64>m0)), 1, -(<i64>m1));
      const twiceWc = f64x2.mul(f64x2.add(w2, w2), v128.load(c + (<usize>j << 3)));
      const wwg = f64x2.mul(f64x2.mul(w2, w2), v128.load(diag + (<usize>j << 3)));
      const value2 = v128.bitselect(f64x2.add(twiceWc, wwg), f64x2.sub(wwg, twiceWc), kept2);
      const pruned2 = v128.bitselect(f64x2.splat(Infinity), value2, kept2);
      v128.store(term + (<usize>j << 3), value2);
      v128.store(records + (<usize>j << 4), i64x2.shuffle(pruned2, w2, 0, 2));
      v128.store(records + (<usize>j << 4), i64x2.shuffle(pruned2, w2, 1, 3), 16);
      v128.store64_lane(b + (<usize>j << 2), f32x4.demote_f64x2_zero(pruned2), 0);
      const s2 = v128.bitselect(f64x2.splat(0), f64x2.mul(f64x2.splat(-2), w2), kept2);
      v128.store64_lane(s + (<usize>j << 2), f32x4.demote_f64x2_zero(s2), 0);
      lowestB = f64x2.pmin(lowestB, pruned2);
      largestB = f64x2.pmax(largestB, v128.bitselect(f64x2.splat(0), f64x2.abs(value2), kept2));
      store<i32>(keptList + (<usize>nk << 2), j);
      store<i32>(prunedList + (<usize>np << 2), j);
      nk += <i32>m0;
      np += <i32>(1 - m0);
      store<i32>(keptList + (<usize>nk << 2), j + 1);
      store<i32>(prunedList + (<usize>np << 2), j + 1);
      nk += <i32>m1;
      np += <i32>(1 - m1);
    }
    let minB = lower(f64x2.extract_lane(lowestB, 0), f64x2.extract_lane(lowestB, 1));
    let maxAbsB = higher(f64x2.extract_lane(largestB, 0), f64x2.extract_lane(largestB, 1));
    for (; j < d; j++) {
      const wj = <f64>f32At(w, j);
      const kept = load<u8>(m + j) == 1;
      const value = pick(2, -2, kept) * wj * f64At(c, j) + wj * wj * f64At(diag, j);
      const prunedValue = pick(Infinity, value, kept);
      store<f64>(term + (<usize>j << 3), value);
      store<f32>(b + (<usize>j << 2), pick32(Infinity, <f32>value, kept));
      store<f32>(s + (<usize>j << 2), pick32(0, <f32>(-2 * wj), kept));
      store<f64>(records + (<usize>j << 4), prunedValue);
      store<f64>(records + (<usize>j << 4) + 8, wj);
      store<i32>(keptList + (<usize>nk << 2), j);
      store<i32>(prunedList + (<usize>np << 2), j);
      nk += <i32>kept;
      np += <i32>!kept;
      minB = lower(minB, prunedValue);
      maxAbsB = higher(maxAbsB, pick(0, abs<f64>(value), kept));
    }
    store<f64>(gain + (out << 3), Infinity);
    store<i32>(prune + (out << 2), -1);
    store<i32>(restore + (out << 2), -1);
    if (nk == 0 || np == 0) {
      store<f64>(evaluated + (out << 3), 0);
      continue;
    }
    const hull = buildEnvelope(order + row * rowFloats, records, root, d, envelope);
    let betaMax: f64 = 0;
    const o = order + row * rowFloats;
    for (let i = 0; i < d; i++) {
      const p = load<i32>(o + (<usize>i << 2));
      if (load<u8>(m + p) == 0) {
        betaMax = abs<f64>(<f64>f32At(w, p)) * f64At(root, p);
        break;
      }
    }

    // First guess τ: the best pair among the GUESS smallest a_u × the GUESS smallest b_p, in
    // float32 as the scan computes it.
    let gu = 0;
    let gp = 0;
    for (let i = 0; i < nk; i++) {
      const j = load<i32>(keptList + (<usize>i << 2));
      gu = keepSmallest(guessU, gu, term, j, f64At(term, j));
    }
    for (let i = 0; i < np; i++) {
      const j = load<i32>(prunedList + (<usize>i << 2));
      gp = keepSmallest(guessP, gp, term, j, f64At(term, j));
    }
    let tau = Infinity;
    let count = <f64>(gu * gp);
    for (let i = 0; i < gu; i++) {
      const u = load<i32>(guessU + (<usize>i << 2));
      const a = <f32>f64At(term, u);
      const wu = f32At(w, u);
      const gRow = g32 + <usize>u * rowFloats;
      for (let j = 0; j < gp; j++) {
        const p = load<i32>(guessP + (<usize>j << 2));
        tau = min(tau, <f64>(a + pairTerm(f32At(b, p), f32At(s, p), f32At(gRow, p), wu)));
      }
    }

    // Bounds of every kept u; the candidates are those within min(threshold, τ so far).
    const limit0 = load<f64>(threshold + (out << 3));
    let nc = 0;
    for (let i = 0; i < nk; i++) {
      const u = load<i32>(keptList + (<usize>i << 2));
      const wu = <f64>f32At(w, u);
      const alpha = abs<f64>(wu) * f64At(root, u);
      const rhoU = f64At(rho, u);
      const a = f64At(term, u);
      // Exact terms of the pruned neighbours (kept ones, and u itself as padding, give +∞).
      // Two neighbours per f64x2 step: their records gathered into lanes, G_up loaded as a pair.
      let nearest2 = f64x2.splat(Infinity);
      const slots = <usize>u * <usize>neighbours;
      const twiceWu = f64x2.splat(2 * wu);
      let j = 0;
      for (; j + 1 < neighbours; j += 2) {
        const at = slots + <usize>j;
        const r0 = records + (<usize>load<i32>(nbIndex + (at << 2)) << 4);
        const r1 = records + (<usize>load<i32>(nbIndex + (at << 2), 4) << 4);
        const b2 = f64x2.replace_lane(f64x2.splat(load<f64>(r0)), 1, load<f64>(r1));
        const w2 = f64x2.replace_lane(f64x2.splat(load<f64>(r0, 8)), 1, load<f64>(r1, 8));
        const t2 = f64x2.sub(b2, f64x2.mul(f64x2.mul(twiceWu, w2), v128.load(nbValue + (at << 3))));
        nearest2 = f64x2.pmin(nearest2, t2);
      }
      let nearest0 = f64x2.extract_lane(nearest2, 0);
      const nearest1 = f64x2.extract_lane(nearest2, 1);
      if (j < neighbours) {
        const at = slots + <usize>j;
        const r0 = records + (<usize>load<i32>(nbIndex + (at << 2)) << 4);
        nearest0 = lower(nearest0, load<f64>(r0) - 2 * wu * load<f64>(r0, 8) * load<f64>(nbValue + (at << 3)));
      }
      const nearest = lower(nearest0, nearest1);
      count += <f64>neighbours;
      const far = wu == 0 ? minB : rhoU == Infinity ? -Infinity : envelopeAt(envelope, d, hull, rhoU * alpha);
      const margin = F32_MARGIN * (abs<f64>(a) + maxAbsB + 2 * alpha * betaMax * f64At(coupling, u));
      const bound = a + lower(far, nearest) - margin;
      store<f64>(cut + (<usize>u << 3), bound);
      // The best neighbour pair is a real pair: its float32 value is at most its exact gain plus
      // the margin, so that caps the search too (without reading G again).
      tau = lower(tau, a + nearest + margin);
      store<i32>(candidates + (<usize>nc << 2), u);
      // A NaN bound (one that overflowed) is always a candidate.
      nc += <i32>!(bound > lower(limit0, tau));
    }

    // The scan, u ascending, over the candidates still within reach.
    const limit = min(limit0, tau);
    let best = <f32>Infinity;
    for (let i = 0; i < nc; i++) {
      const u = load<i32>(candidates + (<usize>i << 2));
      if (f64At(cut, u) > min(limit, <f64>best)) continue;
      const wu = f32At(w, u);
      const a = <f32>f64At(term, u);
      const gRow = g32 + <usize>u * rowFloats;
      const lowest = rowMinimum(gRow, b, s, wu, d);
      count += <f64>np;
      if (a + lowest < best) {
        best = a + lowest;
        store<i32>(prune + (out << 2), u);
        store<i32>(restore + (out << 2), firstPairAt(gRow, b, s, wu, d, lowest));
      }
    }
    store<f64>(evaluated + (out << 3), count);
    const u = load<i32>(prune + (out << 2));
    if (u >= 0) store<f64>(gain + (out << 3), exactGain(g64, d, w, c, u, load<i32>(restore + (out << 2))));
  }
}
