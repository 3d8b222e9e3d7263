// err[r] = Σ_j q[r, j] · c[r, j] (the row's pruning error qᵀGq), q = w − mask ⊙ v: one
// workgroup per row, Kahan-compensated partial sums, then a tree reduction.
//
// Bindings: 0 params (uniform), 1 w (rows, d), 2 v (rows, d), 3 mask (rows, d), 4 c (rows, d),
// 5 err (rows).
// Dispatch: (rows) workgroups of 256.

struct Params {
  d: u32,
  rows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;
@group(0) @binding(4) var<storage, read> c: array<f32>;
@group(0) @binding(5) var<storage, read_write> err: array<f32>;

const THREADS: u32 = 256u;
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let r = group.x;
  let base = r * params.d;
  var sum = 0.0;
  var lost = 0.0;
  for (var j = local.x; j < params.d; j += THREADS) {
    let q = select(w[base + j], w[base + j] - v[base + j], mask[base + j] != 0u);
    if (q != 0.0) {
      let y = q * c[base + j] - lost;
      let next = sum + y;
      lost = (next - sum) - y;
      sum = next;
    }
  }
  partial[local.x] = sum;
  workgroupBarrier();
  for (var half = THREADS / 2u; half > 0u; half /= 2u) {
    if (local.x < half) {
      partial[local.x] += partial[local.x + half];
    }
    workgroupBarrier();
  }
  if (local.x == 0u) {
    err[r] = partial[0];
  }
}
