// Each column's sum and sum of squares over the rows (calibration's channel moments), one thread
// per column, Kahan-compensated over the rows.
//
// Bindings: 0 params (uniform), 1 x (rows, width), 2 out (2, width): sums, then squares.
// Dispatch: ceil(width / 256) workgroups of 256.

struct Params {
  rows: u32,
  width: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let j = id.x;
  let width = params.width;
  if (j >= width) {
    return;
  }
  var sum = 0.0;
  var sumLost = 0.0;
  var squares = 0.0;
  var squaresLost = 0.0;
  for (var r = 0u; r < params.rows; r++) {
    let v = x[r * width + j];
    let y = v - sumLost;
    let next = sum + y;
    sumLost = (next - sum) - y;
    sum = next;
    let y2 = v * v - squaresLost;
    let next2 = squares + y2;
    squaresLost = (next2 - squares) - y2;
    squares = next2;
  }
  out[j] = sum;
  out[width + j] = squares;
}
