// The per-row terms of the swap gain for each activeRows row (see core/kernels.ts):
//   pruned j: b_j = −2 v_j c_j + v_j² G_jj,  s_j = −2 v_j,  a_j = NONE
//   kept j:   b_j = NONE,                    s_j = −2 v_j,  a_j = 2 v_j c_j + v_j² G_jj
// NONE (1e30) stands for +∞: WGSL has no infinity, and NONE + NONE still fits a float32. A kept
// p never wins a search (b_p = NONE dwarfs v_u · s_p · G_up); s of a kept u gives the searches
// v_u = −s_u / 2 (exact) without another binding.
//
// Bindings: 0 params (uniform), 1 activeRows (slots), 2 v (rows, d), 3 mask (rows, d),
// 4 c (rows, d), 5 diag (d), 6 b (slots, d), 7 s (slots, d), 8 a (slots, d).
// Dispatch: (ceil(d / 256), slots) workgroups of 256.

struct Params {
  d: u32,
  slots: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> activeRows: array<u32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;
@group(0) @binding(4) var<storage, read> c: array<f32>;
@group(0) @binding(5) var<storage, read> diag: array<f32>;
@group(0) @binding(6) var<storage, read_write> b: array<f32>;
@group(0) @binding(7) var<storage, read_write> s: array<f32>;
@group(0) @binding(8) var<storage, read_write> a: array<f32>;

const NONE: f32 = 1e30;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let j = id.x;
  let slot = id.y;
  if (j >= params.d || slot >= params.slots) {
    return;
  }
  let rowAt = activeRows[slot] * params.d + j;
  let slotAt = slot * params.d + j;
  let vj = v[rowAt];
  let own = vj * vj * diag[j];
  if (mask[rowAt] == 0u) {
    b[slotAt] = -2.0 * vj * c[rowAt] + own;
    s[slotAt] = -2.0 * vj;
    a[slotAt] = NONE;
  } else {
    b[slotAt] = NONE;
    s[slotAt] = -2.0 * vj;
    a[slotAt] = 2.0 * vj * c[rowAt] + own;
  }
}
