// Per-row sparsity, last pass: for each active row whose chosen u (from select_best) lies in
// this panel of G's rows, the p that minimises b_p + v_u · (s_p · G[u, p]) (ties: smallest p),
// and the row's gain a_u + that minimum, both written over select_best's outputs.
//
// Bindings: 0 params (uniform), 1 g (panelRows, d), 2 activeRows (slots), 3 v (rows, d),
// 4 b (slots, d), 5 s (slots, d), 6 a (slots, d), 7 gain (slots), 8 pair (slots, 2).
// Dispatch: (slots) workgroups of 256.

struct Params {
  d: u32,
  slots: u32,
  panelStart: u32,
  panelRows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> activeRows: array<u32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;
@group(0) @binding(5) var<storage, read> s: array<f32>;
@group(0) @binding(6) var<storage, read> a: array<f32>;
@group(0) @binding(7) var<storage, read_write> gain: array<f32>;
@group(0) @binding(8) var<storage, read_write> pair: array<u32>;

const THREADS: u32 = 256u;
const NONE: f32 = 1e30;
var<workgroup> bestValue: array<f32, 256>;
var<workgroup> bestIndex: array<u32, 256>;
var<workgroup> chosen: u32;
var<workgroup> skip: u32;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let d = params.d;
  let slot = group.x;
  // Rows without a pair, or whose u is in another panel, are skipped by the whole workgroup.
  if (local.x == 0u) {
    let first = pair[2u * slot];
    let outside = first < params.panelStart || first >= params.panelStart + params.panelRows;
    chosen = first;
    skip = select(0u, 1u, gain[slot] >= NONE || outside);
  }
  if (workgroupUniformLoad(&skip) == 1u) {
    return;
  }
  let u = workgroupUniformLoad(&chosen);
  let base = slot * d;
  let vu = v[activeRows[slot] * d + u];
  let gRow = (u - params.panelStart) * d;
  var value = 2.0 * NONE;
  var index = 0u;
  for (var p = local.x; p < d; p += THREADS) {
    let t = b[base + p] + vu * (s[base + p] * g[gRow + p]);
    if (t < value) {
      value = t;
      index = p;
    }
  }
  bestValue[local.x] = value;
  bestIndex[local.x] = index;
  workgroupBarrier();
  for (var half = THREADS / 2u; half > 0u; half /= 2u) {
    if (local.x < half) {
      let other = local.x + half;
      let v = bestValue[other];
      let k = bestIndex[other];
      if (v < bestValue[local.x] || (v == bestValue[local.x] && k < bestIndex[local.x])) {
        bestValue[local.x] = v;
        bestIndex[local.x] = k;
      }
    }
    workgroupBarrier();
  }
  if (local.x == 0u) {
    gain[slot] = a[base + u] + bestValue[0];
    pair[2u * slot + 1u] = bestIndex[0];
  }
}
