// y[i, o] = Σ_j x[i, j] · w[o, j] (a linear layer) for the outputs o of one panel of w's rows.
// 16 × 16 output tiles; x and w stream through workgroup memory 16 columns at a time. w holds
// float32 values, or (bf16 = 1) bfloat16 bits two to a word, element 2e in the low half: a BF16
// checkpoint's weights in half the memory, widened exactly, so the products are the same.
//
// Bindings: 0 params (uniform), 1 x (n, k), 2 w (panelRows, k), 3 y (n, m).
// Dispatch: (ceil(panelRows / 16), ceil(n / 16)) workgroups of 16 × 16.

struct Params {
  n: u32,
  k: u32,
  m: u32,
  panelStart: u32,
  panelRows: u32,
  bf16: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

/** Element e of the panel of w, as float32. */
fn weight(e: u32) -> f32 {
  if (params.bf16 == 1u) {
    let word = w[e / 2u];
    return bitcast<f32>(select(word << 16u, word & 0xffff0000u, (e & 1u) == 1u));
  }
  return bitcast<f32>(w[e]);
}

const TILE: u32 = 16u;
var<workgroup> tileX: array<array<f32, 16>, 16>; // [i][j]
var<workgroup> tileW: array<array<f32, 16>, 16>; // [o][j]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let k = params.k;
  let i = group.y * TILE + local.y;
  let o = group.x * TILE + local.x; // row of the panel
  let loadO = group.x * TILE + local.y;
  var sum = 0.0;
  for (var j0 = 0u; j0 < k; j0 += TILE) {
    let j = j0 + local.x;
    tileX[local.y][local.x] = select(0.0, x[i * k + j], i < params.n && j < k);
    tileW[local.y][local.x] = select(0.0, weight(loadO * k + j), loadO < params.panelRows && j < k);
    workgroupBarrier();
    for (var jj = 0u; jj < TILE; jj++) {
      sum += tileX[local.y][jj] * tileW[local.x][jj];
    }
    workgroupBarrier();
  }
  if (i < params.n && o < params.panelRows) {
    y[i * params.m + params.panelStart + o] = sum;
  }
}
