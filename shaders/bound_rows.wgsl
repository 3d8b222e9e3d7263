// The per-row half of the bounded pair search (core/bounds.ts), one workgroup per active row,
// after prepare_rows: for every kept u, cut_u = LB_u − margin_u, and the list of the kept u
// whose cut does not exceed min(threshold, τ), in ascending order, for scan_active.
//
//   pass 1  reductions over the pruned p: min b (the envelope's first line), max |b|, max β
//   pass 2  the lower envelope f(x) = min_p (b_p − 2 x β_p), x ≥ 0, by gift wrapping: from the
//           line with the smallest b, repeatedly the line of larger β crossing it first (the
//           hull has a handful of lines; past MAX_HULL the bound falls back to min b − 2 x βmax)
//   pass 3  per kept u: nearest = min over its pruned neighbours of b_p − 2 w_u w_p G_up,
//           far = f(ρ_u α_u), cut_u = a_u + min(far, nearest) − margin_u; τ = min over u of
//           a_u + nearest + margin_u (a real pair's gain, plus its rounding)
//   pass 4  the kept u with cut_u ≤ min(threshold, τ), compacted by a workgroup prefix sum
//
// All float32: margin_u = 64 ulps of |a_u| + max |b| + 2 α_u βmax coupling_u covers the
// rounding of the bound and of the scan's pair values (the CPU backends need 16 ulps).
// NONE (1e30) stands for +∞.
//
// w_u = −s_u / 2 (prepare_rows writes s for every channel), so no weights are bound.
//
// Bindings: 0 params (uniform), 1 b (slots, d), 2 s (slots, d), 3 a (slots, d), 4 neighbours
// (d, 2k + 3: k indices, k values of G, ρ, coupling, s_u), 5 cut (slots, d), 6 candidates
// (slots, d), 7 info (slots, 8: the threshold's bits in [0], replaced by the limit's; candidate
// count, pruned count, pair gains evaluated by the bounds; [4..7] are scan_active's).
// Dispatch: (slots) workgroups of 256.

struct Params {
  d: u32,
  slots: u32,
  k: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> s: array<f32>;
@group(0) @binding(3) var<storage, read> a: array<f32>;
@group(0) @binding(4) var<storage, read> neighbours: array<f32>;
@group(0) @binding(5) var<storage, read_write> cut: array<f32>;
@group(0) @binding(6) var<storage, read_write> candidates: array<u32>;
@group(0) @binding(7) var<storage, read_write> info: array<u32>;

const THREADS: u32 = 256u;
const NONE: f32 = 1e30;
const MAX_HULL: u32 = 32u;
const MARGIN: f32 = 64.0 / 16777216.0;

var<workgroup> reduceA: array<f32, 256>;
var<workgroup> reduceB: array<f32, 256>;
var<workgroup> reduceC: array<f32, 256>;
var<workgroup> reduceI: array<u32, 256>;
var<workgroup> hullBeta: array<f32, 32>;
var<workgroup> hullB: array<f32, 32>;
var<workgroup> hullSize: u32;
var<workgroup> truncated: u32;
var<workgroup> minB: f32;
var<workgroup> maxAbsB: f32;
var<workgroup> betaMax: f32;
var<workgroup> prefix: array<u32, 256>;

/** Where channel j's record starts in `neighbours`. */
fn record(j: u32) -> u32 {
  return j * (2u * params.k + 3u);
}

/** β_j = |w_j| s_j, with |w_j| = |s_j| / 2 of prepare_rows' s. */
fn beta(base: u32, j: u32) -> f32 {
  return 0.5 * abs(s[base + j]) * neighbours[record(j) + 2u * params.k + 2u];
}

/**
 * Whether reduction slot o wins over slot t: the smaller reduceA, ties to the larger reduceB
 * (min b then max β for the first hull line; first crossing x then max β for the next ones).
 */
fn lowerFirst(o: u32, t: u32) -> bool {
  return reduceA[o] < reduceA[t] || (reduceA[o] == reduceA[t] && reduceB[o] > reduceB[t]);
}

/** f(x) over the hull lines found (and the fallback when the hull was cut short). */
fn envelope(x: f32) -> f32 {
  var value = NONE;
  for (var i = 0u; i < hullSize; i++) {
    value = min(value, hullB[i] - 2.0 * x * hullBeta[i]);
  }
  if (truncated == 1u) {
    value = min(value, minB - 2.0 * x * betaMax);
  }
  return value;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let d = params.d;
  let k = params.k;
  let slot = group.x;
  let base = slot * d;
  let t = local.x;

  // Pass 1: min b (ties: the largest β), max |b|, max β, pruned count.
  var lowB = NONE;
  var lowBeta = 0.0;
  var highAbs = 0.0;
  var highBeta = 0.0;
  var pruned = 0u;
  for (var j = t; j < d; j += THREADS) {
    let bj = b[base + j];
    if (bj < NONE) {
      let bt = beta(base, j);
      if (bj < lowB || (bj == lowB && bt > lowBeta)) {
        lowB = bj;
        lowBeta = bt;
      }
      highAbs = max(highAbs, abs(bj));
      highBeta = max(highBeta, bt);
      pruned++;
    }
  }
  reduceA[t] = lowB;
  reduceB[t] = lowBeta;
  reduceC[t] = highAbs;
  reduceI[t] = pruned;
  prefix[t] = bitcast<u32>(highBeta);
  workgroupBarrier();
  for (var half = THREADS / 2u; half > 0u; half /= 2u) {
    if (t < half) {
      let o = t + half;
      if (lowerFirst(o, t)) {
        reduceA[t] = reduceA[o];
        reduceB[t] = reduceB[o];
      }
      reduceC[t] = max(reduceC[t], reduceC[o]);
      reduceI[t] += reduceI[o];
      prefix[t] = bitcast<u32>(max(bitcast<f32>(prefix[t]), bitcast<f32>(prefix[o])));
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    minB = reduceA[0];
    maxAbsB = reduceC[0];
    betaMax = bitcast<f32>(prefix[0]);
    hullB[0] = reduceA[0];
    hullBeta[0] = reduceB[0];
    hullSize = select(0u, 1u, reduceA[0] < NONE);
    truncated = 0u;
    info[8u * slot + 2u] = reduceI[0];
  }
  workgroupBarrier();

  // Pass 2: the envelope, one hull line per step.
  for (var step = 1u; step < MAX_HULL; step++) {
    let size = workgroupUniformLoad(&hullSize);
    if (size < step) {
      break;
    }
    let cb = hullB[step - 1u];
    let cBeta = hullBeta[step - 1u];
    var firstX = NONE;
    var firstBeta = 0.0;
    var firstB = NONE;
    for (var j = t; j < d; j += THREADS) {
      let bj = b[base + j];
      let bt = beta(base, j);
      if (bj < NONE && bt > cBeta) {
        let x = max(bj - cb, 0.0) / (2.0 * (bt - cBeta));
        if (x < firstX || (x == firstX && bt > firstBeta)) {
          firstX = x;
          firstBeta = bt;
          firstB = bj;
        }
      }
    }
    reduceA[t] = firstX;
    reduceB[t] = firstBeta;
    reduceC[t] = firstB;
    workgroupBarrier();
    for (var half = THREADS / 2u; half > 0u; half /= 2u) {
      if (t < half) {
        let o = t + half;
        if (lowerFirst(o, t)) {
          reduceA[t] = reduceA[o];
          reduceB[t] = reduceB[o];
          reduceC[t] = reduceC[o];
        }
      }
      workgroupBarrier();
    }
    if (t == 0u && reduceA[0] < NONE) {
      hullBeta[step] = reduceB[0];
      hullB[step] = reduceC[0];
      hullSize = step + 1u;
    }
    workgroupBarrier();
  }
  if (t == 0u && hullSize == MAX_HULL) {
    truncated = 1u;
  }
  workgroupBarrier();

  // Pass 3: bounds of the kept u, and τ.
  var tau = NONE;
  for (var u = t; u < d; u += THREADS) {
    let au = a[base + u];
    if (!(au < NONE)) {
      cut[base + u] = NONE;
      continue;
    }
    let wu = -0.5 * s[base + u];
    let at = record(u);
    let alpha = abs(wu) * neighbours[at + 2u * k + 2u];
    var nearest = NONE;
    for (var j = 0u; j < k; j++) {
      let p = u32(neighbours[at + j]);
      let bp = b[base + p];
      if (bp < NONE) {
        nearest = min(nearest, bp + wu * s[base + p] * neighbours[at + k + j]);
      }
    }
    let rhoU = neighbours[at + 2u * k];
    var far = minB;
    if (wu != 0.0) {
      far = select(envelope(rhoU * alpha), -NONE, rhoU >= 0.5 * NONE);
    }
    let margin = MARGIN * (abs(au) + maxAbsB + 2.0 * alpha * betaMax * neighbours[at + 2u * k + 1u]);
    cut[base + u] = au + min(far, nearest) - margin;
    tau = min(tau, au + nearest + margin);
  }
  reduceA[t] = tau;
  workgroupBarrier();
  for (var half = THREADS / 2u; half > 0u; half /= 2u) {
    if (t < half) {
      reduceA[t] = min(reduceA[t], reduceA[t + half]);
    }
    workgroupBarrier();
  }
  let limit = min(bitcast<f32>(info[8u * slot]), reduceA[0]);

  // Pass 4: the candidates, in ascending u, by a prefix sum over each chunk of 256.
  var offset = 0u;
  for (var chunk = 0u; chunk < d; chunk += THREADS) {
    let u = chunk + t;
    var flag = 0u;
    if (u < d) {
      // A NaN cut never skips.
      flag = select(0u, 1u, a[base + u] < NONE && !(cut[base + u] > limit));
    }
    prefix[t] = flag;
    workgroupBarrier();
    for (var step = 1u; step < THREADS; step *= 2u) {
      var add = 0u;
      if (t >= step) {
        add = prefix[t - step];
      }
      workgroupBarrier();
      prefix[t] += add;
      workgroupBarrier();
    }
    if (flag == 1u) {
      candidates[base + offset + prefix[t] - 1u] = u;
    }
    offset += prefix[THREADS - 1u];
    workgroupBarrier();
  }
  if (t == 0u) {
    info[8u * slot] = bitcast<u32>(limit);
    info[8u * slot + 1u] = offset;
    info[8u * slot + 3u] = (d - reduceI[0]) * k;
  }
}
