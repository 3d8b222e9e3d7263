// diag[j] = G[j, j] for the rows j of one panel of G.
//
// Bindings: 0 params (uniform), 1 g (panelRows, d), 2 diag (d).
// Dispatch: (ceil(panelRows / 256)) workgroups of 256.

struct Params {
  d: u32,
  panelStart: u32,
  panelRows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> diag: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let row = id.x;
  if (row < params.panelRows) {
    diag[params.panelStart + row] = g[row * params.d + params.panelStart + row];
  }
}
