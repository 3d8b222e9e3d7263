// −log softmax(row r)[targets[r]] for the first `rows` rows of logits (perplexity's losses), one
// workgroup per row: the maximum, then the sum of e^(x − max), by tree reductions over 256
// threads; loss = log(sum) + max − x[target].
//
// Bindings: 0 params (uniform), 1 logits (at least rows, vocab), 2 targets (rows), 3 out (rows).
// Dispatch: rows workgroups of 256, spread over (x, y) (row = y · num_workgroups.x + x).

struct Params {
  rows: u32,
  vocab: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const THREADS: u32 = 256u;
var<workgroup> partial: array<f32, 256>;

/** Reduces `partial` to its maximum (largest = true) or sum in partial[0]. */
fn reduce(lane: u32, largest: bool) {
  workgroupBarrier();
  for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      let other = partial[lane + stride];
      partial[lane] = select(partial[lane] + other, max(partial[lane], other), largest);
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) group: vec3u,
  @builtin(num_workgroups) groups: vec3u,
  @builtin(local_invocation_id) local: vec3u,
) {
  let row = group.y * groups.x + group.x;
  let lane = local.x;
  let base = min(row, params.rows - 1u) * params.vocab;
  var largest = -3.0e38;
  for (var j = lane; j < params.vocab; j += THREADS) {
    largest = max(largest, logits[base + j]);
  }
  partial[lane] = largest;
  reduce(lane, true);
  let top = partial[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var j = lane; j < params.vocab; j += THREADS) {
    sum += exp(logits[base + j] - top);
  }
  partial[lane] = sum;
  reduce(lane, false);
  if (lane == 0u && row < params.rows) {
    out[row] = log(partial[0]) + top - logits[base + targets[row]];
  }
}
