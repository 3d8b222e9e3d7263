// Per-row sparsity, first pass: for every active row and every u of one panel of G's rows,
//   cand[slot, u] = a_u + min_p (b_p + v_u · (s_p · G[u, p]))
// (a_u = NONE when u is already pruned, b_p = NONE when p is kept): the best swap that prunes u.
// Only the minimum is kept here; find_pair recovers the p of each row's winning u.
//
// A tiled min-plus product: a workgroup covers 64 rows × 64 u, each invocation a 4 × 4 block
// (rows ly + 16 i, u lx + 16 j) held in registers, so every value read from workgroup memory
// serves four products; b, s and G stream through workgroup memory 16 p at a time.
//
// Bindings: 0 params (uniform), 1 g (panelRows, d), 2 activeRows (slots), 3 v (rows, d),
// 4 b (slots, d), 5 s (slots, d), 6 a (slots, d), 7 cand (slots, d).
// Dispatch: (ceil(panelRows / 64), ceil(slots / 64)) workgroups of 16 × 16.

struct Params {
  d: u32,
  slots: u32,
  panelStart: u32,
  panelRows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> activeRows: array<u32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;
@group(0) @binding(5) var<storage, read> s: array<f32>;
@group(0) @binding(6) var<storage, read> a: array<f32>;
@group(0) @binding(7) var<storage, read_write> cand: array<f32>;

const NONE: f32 = 1e30;
const BLOCK: u32 = 64u; // rows (and u) per workgroup
const STEP: u32 = 16u; // p per pass through workgroup memory
var<workgroup> tileB: array<array<f32, 16>, 64>; // [row][p]
var<workgroup> tileS: array<array<f32, 16>, 64>; // [row][p]
var<workgroup> tileG: array<array<f32, 16>, 64>; // [u][p]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let d = params.d;
  let slot0 = group.y * BLOCK;
  let row0 = group.x * BLOCK; // first panel row of the tile
  let flat = local.y * 16u + local.x;
  var vu: array<array<f32, 4>, 4>;
  var best: array<array<f32, 4>, 4>;
  for (var i = 0u; i < 4u; i++) {
    let slot = slot0 + local.y + 16u * i;
    for (var j = 0u; j < 4u; j++) {
      let u = params.panelStart + row0 + local.x + 16u * j;
      var value = 0.0;
      if (slot < params.slots && u < d) {
        value = v[activeRows[slot] * d + u];
      }
      vu[i][j] = value;
      best[i][j] = NONE;
    }
  }
  for (var p0 = 0u; p0 < d; p0 += STEP) {
    // 256 invocations load the three 64 × 16 tiles, four entries each.
    for (var e = 0u; e < 4u; e++) {
      let entry = flat + 256u * e;
      let r = entry / STEP;
      let k = entry % STEP;
      let p = p0 + k;
      let slot = slot0 + r;
      let inside = slot < params.slots && p < d;
      tileB[r][k] = select(NONE, b[slot * d + p], inside);
      tileS[r][k] = select(0.0, s[slot * d + p], inside);
      let row = row0 + r;
      tileG[r][k] = select(0.0, g[row * d + p], row < params.panelRows && p < d);
    }
    workgroupBarrier();
    for (var k = 0u; k < STEP; k++) {
      var bs: array<f32, 4>;
      var ss: array<f32, 4>;
      var gs: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        bs[i] = tileB[local.y + 16u * i][k];
        ss[i] = tileS[local.y + 16u * i][k];
        gs[i] = tileG[local.x + 16u * i][k];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) {
          best[i][j] = min(best[i][j], bs[i] + vu[i][j] * (ss[i] * gs[j]));
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let slot = slot0 + local.y + 16u * i;
    for (var j = 0u; j < 4u; j++) {
      let row = row0 + local.x + 16u * j;
      if (slot < params.slots && row < params.panelRows) {
        let at = slot * d + params.panelStart + row;
        cand[at] = a[at] + best[i][j];
      }
    }
  }
}
