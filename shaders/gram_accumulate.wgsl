// G[i, j] += Σ_t x[t, i] · x[t, j] for the rows i of one panel of G, all columns j.
// Each invocation sums its entry over the tokens with Kahan compensation, then adds the sum into
// G with Kahan compensation across calls (comp holds each entry's running compensation), so long
// token streams keep float32 G accurate.
//
// Bindings: 0 params (uniform), 1 x (tokens, d), 2 g (panelRows, d), 3 comp (panelRows, d).
// Dispatch: (ceil(d / 16), ceil(panelRows / 16)) workgroups of 16 × 16.

struct Params {
  d: u32,
  tokens: u32,
  panelStart: u32,
  panelRows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> comp: array<f32>;

const TILE: u32 = 16u;
var<workgroup> tileI: array<array<f32, 16>, 16>; // [token][i]
var<workgroup> tileJ: array<array<f32, 16>, 16>; // [token][j]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let d = params.d;
  let row = group.y * TILE + local.y; // row of the panel
  let j = group.x * TILE + local.x;
  let loadI = params.panelStart + group.y * TILE + local.x;
  var sum = 0.0;
  var lost = 0.0;
  for (var t0 = 0u; t0 < params.tokens; t0 += TILE) {
    let t = t0 + local.y;
    let inside = t < params.tokens;
    tileI[local.y][local.x] = select(0.0, x[t * d + loadI], inside && loadI < d);
    tileJ[local.y][local.x] = select(0.0, x[t * d + j], inside && j < d);
    workgroupBarrier();
    for (var k = 0u; k < TILE; k++) {
      let y = tileI[k][local.y] * tileJ[k][local.x] - lost;
      let next = sum + y;
      lost = (next - sum) - y;
      sum = next;
    }
    workgroupBarrier();
  }
  if (row < params.panelRows && j < d) {
    let at = row * d + j;
    let y = sum - comp[at];
    let next = g[at] + y;
    comp[at] = (next - g[at]) - y;
    g[at] = next;
  }
}
