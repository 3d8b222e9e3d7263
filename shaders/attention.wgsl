// Causal grouped-query attention for every query of a chunk, every head and sequence, in one
// dispatch: one workgroup per (query t, sequence b · head h). The visible positions go by in
// tiles of 256 with an online softmax (the running maximum rescales what was summed), so any
// sequence length runs in 2.3 KiB of workgroup memory. Each thread sums the values of its
// share of the head's dimensions (at most 4 of a head of up to 256).
//
// q (batch·tokens, nHeads·headDim); out like q. Keys and values are read through strides, so
// the same shader reads a cache (keys (batch, nKvHeads, capacity, headDim), values transposed
// (batch, nKvHeads, headDim, capacity)) and a chunk's own k and v (batch·tokens, nKvHeads·
// headDim): key j of position s of head kh in sequence b is keys[b·kBatch + kh·kHead + s·kPosition
// + j], its value values[b·vBatch + kh·vHead + s·vPosition + j·vDim].
// Query t of a chunk starting at `start` sees positions [0, start + t].
//
// Bindings: 0 params (uniform), 1 q, 2 keys, 3 values, 4 out.
// Dispatch: (tokens, batch · nHeads) workgroups of 64.

struct Params {
  tokens: u32,
  start: u32,
  nHeads: u32,
  nKvHeads: u32,
  headDim: u32,
  kBatch: u32,
  kHead: u32,
  kPosition: u32,
  vBatch: u32,
  vHead: u32,
  vPosition: u32,
  vDim: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> keys: array<f32>;
@group(0) @binding(3) var<storage, read> values: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const THREADS: u32 = 64u;
const TILE: u32 = 256u;
// The largest head (the backend takes two products per head beyond it): 4 dimensions a thread.
const PER_THREAD: u32 = 4u;

var<workgroup> scores: array<f32, 256>;
var<workgroup> query: array<f32, 256>;
var<workgroup> reduction: array<f32, 64>;

/** Reduces `reduction` to its maximum (largest = true) or sum in reduction[0]. */
fn reduce(lane: u32, largest: bool) {
  workgroupBarrier();
  for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      let other = reduction[lane + stride];
      reduction[lane] = select(reduction[lane] + other, max(reduction[lane], other), largest);
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_id) local: vec3u) {
  let t = group.x;
  let b = group.y / params.nHeads;
  let h = group.y % params.nHeads;
  let headDim = params.headDim;
  let width = params.nHeads * headDim;
  let kvHead = h / (params.nHeads / params.nKvHeads);
  let kHeadBase = b * params.kBatch + kvHead * params.kHead;
  let vHeadBase = b * params.vBatch + kvHead * params.vHead;
  let visible = params.start + t + 1u;
  let lane = local.x;
  let scale = 1.0 / sqrt(f32(headDim));

  let qBase = (b * params.tokens + t) * width + h * headDim;
  for (var j = lane; j < headDim; j += THREADS) {
    query[j] = q[qBase + j];
  }

  var runningMax = -3.0e38;
  var runningSum = 0.0;
  var acc = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  for (var tile = 0u; tile < visible; tile += TILE) {
    let count = min(TILE, visible - tile);
    workgroupBarrier();
    var largest = -3.0e38;
    for (var s = lane; s < count; s += THREADS) {
      let kBase = kHeadBase + (tile + s) * params.kPosition;
      var dot = 0.0;
      for (var j = 0u; j < headDim; j++) {
        dot += query[j] * keys[kBase + j];
      }
      scores[s] = dot * scale;
      largest = max(largest, dot * scale);
    }
    reduction[lane] = largest;
    reduce(lane, true);
    let top = max(runningMax, reduction[0]);
    workgroupBarrier();
    var sum = 0.0;
    for (var s = lane; s < count; s += THREADS) {
      let e = exp(scores[s] - top);
      scores[s] = e;
      sum += e;
    }
    reduction[lane] = sum;
    reduce(lane, false);
    let rescale = exp(runningMax - top);
    runningSum = runningSum * rescale + reduction[0];
    runningMax = top;
    for (var i = 0u; i < PER_THREAD; i++) {
      let j = lane + i * THREADS;
      if (j < headDim) {
        let vBase = vHeadBase + j * params.vDim + tile * params.vPosition;
        var mixed = 0.0;
        for (var s = 0u; s < count; s++) {
          mixed += scores[s] * values[vBase + s * params.vPosition];
        }
        acc[i] = acc[i] * rescale + mixed;
      }
    }
  }
  for (var i = 0u; i < PER_THREAD; i++) {
    let j = lane + i * THREADS;
    if (j < headDim) {
      out[qBase + j] = acc[i] / runningSum;
    }
  }
}
