// Per-row sparsity: for every active row and every u of one panel of G's rows,
//   cand[slot, u] = a_u + min_p (b_p + w_u · (s_p · G[u, p]))   and   code[slot, u] = argmin,
// the best swap that prunes u (a_u = NONE when u is already pruned); code holds the p. A dense scan of all p with
// NONE for kept p, tiled 16 rows × 16 u, b, s and G streaming through workgroup memory.
// Ties keep the smallest p.
//
// Bindings: 0 params (uniform), 1 g (panelRows, d), 2 activeRows (slots), 3 w (rows, d),
// 4 b (slots, d), 5 s (slots, d), 6 a (slots, d), 7 cand (slots, d), 8 code (slots, d): p.
// Dispatch: (ceil(panelRows / 16), ceil(slots / 16)) workgroups of 16 × 16.

struct Params {
  d: u32,
  slots: u32,
  panelStart: u32,
  panelRows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> activeRows: array<u32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;
@group(0) @binding(5) var<storage, read> s: array<f32>;
@group(0) @binding(6) var<storage, read> a: array<f32>;
@group(0) @binding(7) var<storage, read_write> cand: array<f32>;
@group(0) @binding(8) var<storage, read_write> code: array<u32>;

const TILE: u32 = 16u;
const NONE: f32 = 1e30;
var<workgroup> tileB: array<array<f32, 16>, 16>; // [slot][p]
var<workgroup> tileS: array<array<f32, 16>, 16>; // [slot][p]
var<workgroup> tileG: array<array<f32, 16>, 16>; // [u][p]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let d = params.d;
  let slot = group.y * TILE + local.y;
  let row = group.x * TILE + local.x; // row of the panel
  let u = params.panelStart + row;
  let loadRow = group.x * TILE + local.y;
  let valid = slot < params.slots && row < params.panelRows;
  var wu = 0.0;
  if (valid) {
    wu = w[activeRows[slot] * d + u];
  }
  var best = NONE;
  var bestP = 0u;
  for (var p0 = 0u; p0 < d; p0 += TILE) {
    let p = p0 + local.x;
    let inside = slot < params.slots && p < d;
    tileB[local.y][local.x] = select(NONE, b[slot * d + p], inside);
    tileS[local.y][local.x] = select(0.0, s[slot * d + p], inside);
    tileG[local.y][local.x] = select(0.0, g[loadRow * d + p], loadRow < params.panelRows && p < d);
    workgroupBarrier();
    for (var k = 0u; k < TILE; k++) {
      let t = tileB[local.y][k] + wu * (tileS[local.y][k] * tileG[local.x][k]);
      if (t < best) {
        best = t;
        bestP = p0 + k;
      }
    }
    workgroupBarrier();
  }
  if (valid) {
    cand[slot * d + u] = a[slot * d + u] + best;
    code[slot * d + u] = bestP;
  }
}
