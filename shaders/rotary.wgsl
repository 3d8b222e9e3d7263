// Rotary embedding in place, "rotate_half": in each head, element i pairs with i + headDim/2 and
// both rotate by the angle of their row's position, whose cosine and sine the host computes in
// float64 (table (tokens, headDim/2) each, for the chunk's positions).
//
// Bindings: 0 params (uniform), 1 x (rows, heads · headDim), 2 cosines, 3 sines.
// Dispatch: ceil(rows · heads · headDim/2 / 256) workgroups of 256, spread over (x, y).

struct Params {
  rows: u32,
  tokens: u32,
  heads: u32,
  headDim: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> cosines: array<f32>;
@group(0) @binding(3) var<storage, read> sines: array<f32>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) local: vec3u,
) {
  let half = params.headDim / 2u;
  let index = (group.y * groups.x + group.x) * 256u + local.x;
  if (index >= params.rows * params.heads * half) {
    return;
  }
  let i = index % half;
  let head = (index / half) % params.heads;
  let row = index / (half * params.heads);
  let angle = (row % params.tokens) * half + i;
  let a = row * params.heads * params.headDim + head * params.headDim + i;
  let x1 = x[a];
  let x2 = x[a + half];
  x[a] = x1 * cosines[angle] - x2 * sines[angle];
  x[a + half] = x2 * cosines[angle] + x1 * sines[angle];
}
