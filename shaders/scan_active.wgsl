// The scans of the bounded pair search, for the candidate u of bound_rows that lie in one panel
// of G's rows: each row's workgroup walks its candidates in ascending u (so ties keep the
// smallest u) and scans every p of those still within reach, cut_u ≤ min(limit, best so far):
//   cand = a_u + min_p (b_p + w_u · (s_p · G[u, p]))      (ties: the smallest p)
// keeping the best in info[4..6] (gain bits, u, p) across panels, and adding the pair gains
// evaluated to info[3]. w_u = −s_u / 2 (see prepare_rows).
//
// Bindings: 0 params (uniform), 1 g (panelRows, d), 2 b (slots, d), 3 s (slots, d),
// 4 a (slots, d), 5 cut (slots, d), 6 candidates (slots, d), 7 info (slots, 8; see bound_rows).
// Dispatch: (slots) workgroups of 256.

struct Params {
  d: u32,
  slots: u32,
  panelStart: u32,
  panelRows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> s: array<f32>;
@group(0) @binding(4) var<storage, read> a: array<f32>;
@group(0) @binding(5) var<storage, read> cut: array<f32>;
@group(0) @binding(6) var<storage, read> candidates: array<u32>;
@group(0) @binding(7) var<storage, read_write> info: array<u32>;

const THREADS: u32 = 256u;
const NONE: f32 = 1e30;
var<workgroup> bestValue: array<f32, 256>;
var<workgroup> bestIndex: array<u32, 256>;
var<workgroup> rowBest: f32;
var<workgroup> rowU: u32;
var<workgroup> rowP: u32;
var<workgroup> evaluated: u32;
// The candidate count and the row's limit, read once: info is read-write storage, so values read
// from it directly are not uniform, and the loop below holds barriers (Chromium's Tint refuses
// that; naga does not check).
var<workgroup> candidateCount: u32;
var<workgroup> rowLimit: f32;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let d = params.d;
  let slot = group.x;
  let t = local.x;
  let base = slot * d;
  let at = 8u * slot;
  let pruned = info[at + 2u];
  if (t == 0u) {
    if (params.panelStart == 0u) {
      rowBest = NONE;
      rowU = 0xffffffffu;
      rowP = 0xffffffffu;
    } else {
      rowBest = bitcast<f32>(info[at + 4u]);
      rowU = info[at + 5u];
      rowP = info[at + 6u];
    }
    evaluated = info[at + 3u];
    candidateCount = info[at + 1u];
    rowLimit = bitcast<f32>(info[at]);
  }
  let count = workgroupUniformLoad(&candidateCount);
  let limit = workgroupUniformLoad(&rowLimit);
  for (var i = 0u; i < count; i++) {
    let u = candidates[base + i];
    if (u < params.panelStart || u >= params.panelStart + params.panelRows) {
      continue;
    }
    let current = workgroupUniformLoad(&rowBest);
    if (cut[base + u] > min(limit, current)) {
      continue;
    }
    let wu = -0.5 * s[base + u];
    let gRow = (u - params.panelStart) * d;
    var value = 2.0 * NONE;
    var index = 0u;
    for (var p = t; p < d; p += THREADS) {
      let candidate = b[base + p] + wu * (s[base + p] * g[gRow + p]);
      if (candidate < value) {
        value = candidate;
        index = p;
      }
    }
    bestValue[t] = value;
    bestIndex[t] = index;
    workgroupBarrier();
    for (var half = THREADS / 2u; half > 0u; half /= 2u) {
      if (t < half) {
        let o = t + half;
        if (bestValue[o] < bestValue[t] || (bestValue[o] == bestValue[t] && bestIndex[o] < bestIndex[t])) {
          bestValue[t] = bestValue[o];
          bestIndex[t] = bestIndex[o];
        }
      }
      workgroupBarrier();
    }
    if (t == 0u) {
      let candidate = a[base + u] + bestValue[0];
      evaluated += pruned;
      if (candidate < rowBest) {
        rowBest = candidate;
        rowU = u;
        rowP = bestIndex[0];
      }
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    info[at + 3u] = evaluated;
    info[at + 4u] = bitcast<u32>(rowBest);
    info[at + 5u] = rowU;
    info[at + 6u] = rowP;
  }
}
