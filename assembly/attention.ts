// Causal grouped-query attention of a chunk over a key/value cache, every (sequence, head) pair
// of a range in one call: the CPU backend's Kernels.attention. The same arithmetic as
// core/attention.ts's attentionByProducts, which takes two matmul calls per pair: the scores
// q_h · Kᵀ by matmul's product, the softmax in float64 with the host's Math.exp (imported, so the
// bits are the same), probabilities stored in float32 and zero past the visible positions, then
// probabilities · V by matmul's product over the whole capacity.
//
// Layouts (core/model/forward.ts's LayerCache): q and out (batch·tokens, nHeads·headDim); keys
// (batch·nKvHeads, capacity, headDim); values transposed (batch·nKvHeads, headDim, capacity).

import { productRows } from "./matmul";

/** The host's Math.exp (V8's), so the softmax rounds as the TypeScript one does. */
@external("env", "exp")
declare function hostExp(x: f64): f64;

/**
 * Attention for the (sequence, head) items [first, end), item = b · nHeads + h. `scratch` holds
 * tokens · (2 · headDim + seen + capacity) floats (seen = start + tokens): a head's rows of q,
 * its scores, its probabilities and its outputs. q and out may be the same array: an item reads
 * its own rows of q before it writes the same rows of out.
 */
export function attention(
  q: usize,
  keys: usize,
  values: usize,
  out: usize,
  tokens: i32,
  start: i32,
  capacity: i32,
  nHeads: i32,
  nKvHeads: i32,
  headDim: i32,
  scratch: usize,
  first: i32,
  end: i32,
): void {
  const width = nHeads * headDim;
  const group = nHeads / nKvHeads;
  const seen = start + tokens;
  const scale = 1.0 / Math.sqrt(<f64>headDim);
  const headRows = scratch;
  const scores = headRows + ((<usize>tokens * <usize>headDim) << 2);
  const probabilities = scores + ((<usize>tokens * <usize>seen) << 2);
  const mixed = probabilities + ((<usize>tokens * <usize>capacity) << 2);
  const headBytes = <usize>headDim << 2;
  for (let item = first; item < end; item++) {
    const b = item / nHeads;
    const h = item % nHeads;
    const block = <usize>(b * nKvHeads + h / group);
    for (let t = 0; t < tokens; t++) {
      const from = q + ((<usize>(b * tokens + t) * <usize>width + <usize>(h * headDim)) << 2);
      memory.copy(headRows + <usize>t * headBytes, from, headBytes);
    }
    const keyBase = keys + ((block * <usize>capacity * <usize>headDim) << 2);
    productRows(headRows, keyBase, scores, headDim, seen, 0, tokens, false);
    for (let t = 0; t < tokens; t++) {
      const row = scores + ((<usize>t * <usize>seen) << 2);
      const p = probabilities + ((<usize>t * <usize>capacity) << 2);
      const visible = start + t + 1;
      let top = -Infinity;
      for (let s = 0; s < visible; s++) top = Math.max(top, <f64>load<f32>(row + (<usize>s << 2)) * scale);
      let total: f64 = 0;
      for (let s = 0; s < visible; s++) {
        const e = hostExp(<f64>load<f32>(row + (<usize>s << 2)) * scale - top);
        store<f32>(p + (<usize>s << 2), <f32>e);
        total += e;
      }
      for (let s = 0; s < visible; s++) {
        store<f32>(p + (<usize>s << 2), <f32>(<f64>load<f32>(p + (<usize>s << 2)) / total));
      }
      memory.fill(p + (<usize>visible << 2), 0, <usize>(capacity - visible) << 2);
    }
    const valueBase = values + ((block * <usize>headDim * <usize>capacity) << 2);
    productRows(probabilities, valueBase, mixed, capacity, headDim, 0, tokens, false);
    for (let t = 0; t < tokens; t++) {
      const to = out + ((<usize>(b * tokens + t) * <usize>width + <usize>(h * headDim)) << 2);
      memory.copy(to, mixed + <usize>t * headBytes, headBytes);
    }
  }
}
