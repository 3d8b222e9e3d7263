// c[r, i] = Σ_j G[i, j] · q[r, j] with q = w − mask ⊙ v, for the columns i of one panel of
// G's rows (G is symmetric), Kahan-compensated: the sum runs over all d inputs.
//
// Bindings: 0 params (uniform), 1 g (panelRows, d), 2 w (rows, d), 3 v (rows, d),
// 4 mask (rows, d), 5 c (rows, d).
// Dispatch: (ceil(panelRows / 16), ceil(rows / 16)) workgroups of 16 × 16.

struct Params {
  d: u32,
  rows: u32,
  panelStart: u32,
  panelRows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> c: array<f32>;

const TILE: u32 = 16u;
var<workgroup> tileQ: array<array<f32, 16>, 16>; // [r][j]
var<workgroup> tileG: array<array<f32, 16>, 16>; // [i][j]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let d = params.d;
  let r = group.y * TILE + local.y;
  let i = group.x * TILE + local.x; // row of the panel
  let loadI = group.x * TILE + local.y;
  var sum = 0.0;
  var lost = 0.0;
  for (var j0 = 0u; j0 < d; j0 += TILE) {
    let j = j0 + local.x;
    var q = 0.0;
    if (r < params.rows && j < d) {
      let at = r * d + j;
      q = select(w[at], w[at] - v[at], mask[at] != 0u);
    }
    tileQ[local.y][local.x] = q;
    tileG[local.y][local.x] = select(0.0, g[loadI * d + j], loadI < params.panelRows && j < d);
    workgroupBarrier();
    for (var jj = 0u; jj < TILE; jj++) {
      let y = tileQ[local.y][jj] * tileG[local.x][jj] - lost;
      let next = sum + y;
      lost = (next - sum) - y;
      sum = next;
    }
    workgroupBarrier();
  }
  if (r < params.rows && i < params.panelRows) {
    c[r * d + params.panelStart + i] = sum;
  }
}
