// N:M sparsity: for every activeRows row and every block of `block` columns whose rows lie in one
// panel of G, the best pair (u kept, p pruned) inside the block:
//   cand = a_u + b_p + v_u · (s_p · G[u, p]), ties keeping the smallest u, then p;
//   code = u · d + p (d < 65536, so it fits a u32).
//
// Bindings: 0 params (uniform), 1 g (panelRows, d), 2 activeRows (slots), 3 v (rows, d),
// 4 b (slots, d), 5 s (slots, d), 6 a (slots, d), 7 cand (slots, d / block),
// 8 code (slots, d / block).
// Dispatch: (ceil(panelRows / block / 64), slots) workgroups of 64.

struct Params {
  d: u32,
  slots: u32,
  panelStart: u32,
  panelRows: u32,
  block: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> activeRows: array<u32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;
@group(0) @binding(5) var<storage, read> s: array<f32>;
@group(0) @binding(6) var<storage, read> a: array<f32>;
@group(0) @binding(7) var<storage, read_write> cand: array<f32>;
@group(0) @binding(8) var<storage, read_write> code: array<u32>;

const NONE: f32 = 1e30;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let d = params.d;
  let slot = id.y;
  let localBlock = id.x;
  if (slot >= params.slots || localBlock * params.block >= params.panelRows) {
    return;
  }
  let start = params.panelStart + localBlock * params.block;
  let vRow = activeRows[slot] * d;
  let base = slot * d;
  var best = NONE;
  var bestU = start;
  var bestP = start;
  for (var u = start; u < start + params.block; u++) {
    let au = a[base + u];
    if (au >= NONE) {
      continue;
    }
    let vu = v[vRow + u];
    let gRow = (u - params.panelStart) * d;
    for (var p = start; p < start + params.block; p++) {
      let t = au + (b[base + p] + vu * (s[base + p] * g[gRow + p]));
      if (t < best) {
        best = t;
        bestU = u;
        bestP = p;
      }
    }
  }
  let at = slot * (d / params.block) + start / params.block;
  cand[at] = best;
  code[at] = bestU * d + bestP;
}
