// For each active row, the smallest of its `count` candidates (ties: the smallest index), and
// the swap it stands for: per-row search (byIndex = 1), u is the index (find_pair then finds p);
// N:M search, code holds u · d + p. gain = the candidate, NONE-sized when the row has no pair.
//
// Bindings: 0 params (uniform), 1 cand (slots, count), 2 code (slots, count), 3 gain (slots),
// 4 pair (slots, 2).
// Dispatch: (slots) workgroups of 256.

struct Params {
  count: u32,
  byIndex: u32,
  d: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cand: array<f32>;
@group(0) @binding(2) var<storage, read> code: array<u32>;
@group(0) @binding(3) var<storage, read_write> gain: array<f32>;
@group(0) @binding(4) var<storage, read_write> pair: array<u32>;

const THREADS: u32 = 256u;
const NONE: f32 = 1e30;
var<workgroup> bestValue: array<f32, 256>;
var<workgroup> bestIndex: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let slot = group.x;
  let base = slot * params.count;
  var value = 2.0 * NONE;
  var index = 0xffffffffu;
  for (var i = local.x; i < params.count; i += THREADS) {
    if (cand[base + i] < value) {
      value = cand[base + i];
      index = i;
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
    let k = min(bestIndex[0], params.count - 1u);
    gain[slot] = bestValue[0];
    let c = code[base + k];
    pair[2u * slot] = select(c / params.d, k, params.byIndex == 1u);
    pair[2u * slot + 1u] = select(c % params.d, 0u, params.byIndex == 1u);
  }
}
