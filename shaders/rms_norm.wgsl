// RMSNorm of each row: out[r, j] = x[r, j] / sqrt(mean_j(x[r, j]²) + eps) · weight[j], one
// workgroup per row (the sum of squares is a tree reduction over 256 threads' partial sums).
//
// Bindings: 0 params (uniform; eps as its float32 bits), 1 x (rows, width), 2 weight (width),
// 3 out (rows, width).
// Dispatch: rows workgroups of 256, spread over (x, y) (row = y · num_workgroups.x + x).

struct Params {
  rows: u32,
  width: u32,
  eps: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const THREADS: u32 = 256u;
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) local: vec3u,
) {
  let row = group.y * groups.x + group.x;
  let lane = local.x;
  let width = params.width;
  let base = row * width;
  var squares = 0.0;
  if (row < params.rows) {
    for (var j = lane; j < width; j += THREADS) {
      squares += x[base + j] * x[base + j];
    }
  }
  partial[lane] = squares;
  workgroupBarrier();
  for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      partial[lane] += partial[lane + stride];
    }
    workgroupBarrier();
  }
  if (row >= params.rows) {
    return;
  }
  let scale = 1.0 / sqrt(partial[0] / f32(width) + bitcast<f32>(params.eps));
  for (var j = lane; j < width; j += THREADS) {
    out[base + j] = x[base + j] * scale * weight[j];
  }
}
