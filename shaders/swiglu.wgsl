// SwiGLU, elementwise: out = silu(gate) · up, silu(g) = g / (1 + e^−g).
//
// Bindings: 0 params (uniform), 1 gate, 2 up, 3 out (count each).
// Dispatch: ceil(count / 256) workgroups of 256, spread over (x, y).

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) local: vec3u,
) {
  let i = (group.y * groups.x + group.x) * 256u + local.x;
  if (i < params.count) {
    let g = gate[i];
    out[i] = g / (1.0 + exp(-g)) * up[i];
  }
}
