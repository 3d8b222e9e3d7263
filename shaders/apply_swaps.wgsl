// Accepted swaps, for the rows of one panel of G: c[row, i] += v_u G[u, i] (u in the panel) and
// −= v_p G[p, i] (p in the panel), G symmetric; the first panel's pass also flips the mask
// (mask[u] = 0, mask[p] = 1). reset_values sets v_u = w_u once every panel is done.
//
// Bindings: 0 params (uniform), 1 g (panelRows, d), 2 swaps (count, 3: row, u, p),
// 3 v (rows, d), 4 c (rows, d), 5 mask (rows, d).
// Dispatch: (ceil(d / 256), count) workgroups of 256.

struct Params {
  d: u32,
  count: u32,
  panelStart: u32,
  panelRows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> swaps: array<u32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
@group(0) @binding(5) var<storage, read_write> mask: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let d = params.d;
  let i = id.x;
  let k = id.y;
  if (i >= d || k >= params.count) {
    return;
  }
  let row = swaps[3u * k];
  let u = swaps[3u * k + 1u];
  let p = swaps[3u * k + 2u];
  let end = params.panelStart + params.panelRows;
  var step = 0.0;
  if (u >= params.panelStart && u < end) {
    step += v[row * d + u] * g[(u - params.panelStart) * d + i];
  }
  if (p >= params.panelStart && p < end) {
    step -= v[row * d + p] * g[(p - params.panelStart) * d + i];
  }
  c[row * d + i] += step;
  if (params.panelStart == 0u && i == 0u) {
    mask[row * d + u] = 0u;
    mask[row * d + p] = 1u;
  }
}
