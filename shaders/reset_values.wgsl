// After accepted swaps (apply_swaps): a pruned weight's value returns to its dense one,
// v[row, u] = w[row, u], so a later swap restores it at w_u. Only needed when v is not w itself.
//
// Bindings: 0 params (uniform), 1 swaps (count, 3: row, u, p), 2 w (rows, d), 3 v (rows, d).
// Dispatch: (ceil(count / 64)) workgroups of 64.

struct Params {
  d: u32,
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> swaps: array<u32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let k = id.x;
  if (k >= params.count) {
    return;
  }
  let at = swaps[3u * k] * params.d + swaps[3u * k + 1u];
  v[at] = w[at];
}
