/**
 * The LLaMA forward pass, one function per step as in llama2.c's run.c, over a batch of
 * sequences at once. Hugging Face conventions: weights (out, in), rotary embedding on the two
 * halves of each head ("rotate_half"), grouped-query attention. blockForward composes the
 * kernels' forward operations on activations the backend holds (resident on the GPU); the step
 * functions here are what the CPU backends run for them: plain TypeScript with float64
 * arithmetic on float32 storage.
 *
 * Shapes: n = batch · tokens rows; x (n, dim) row-major; sequence b's token t is row b·T + t.
 *
 * @module
 */

import type { AttentionOptions } from "../attention.ts";
import type { ActivationHandle, Kernels, KvCacheHandle, MatrixHandle } from "../kernels.ts";
import type { LlamaConfig } from "./config.ts";

/** A weight matrix (out, in): an array, or a copy resident in the backend (createMatrix). */
export type Matrix = Float32Array | MatrixHandle;

/** The weights of one transformer block, Hugging Face layout. */
export interface BlockWeights {
  /** input_layernorm (dim,). */
  readonly attnNorm: Float32Array;
  /** q_proj (nHeads·headDim, dim). */
  readonly q: Matrix;
  /** k_proj (nKvHeads·headDim, dim). */
  readonly k: Matrix;
  /** v_proj (nKvHeads·headDim, dim). */
  readonly v: Matrix;
  /** o_proj (dim, nHeads·headDim). */
  readonly o: Matrix;
  /** post_attention_layernorm (dim,). */
  readonly ffnNorm: Float32Array;
  /** gate_proj (hiddenDim, dim). */
  readonly gate: Matrix;
  /** up_proj (hiddenDim, dim). */
  readonly up: Matrix;
  /** down_proj (dim, hiddenDim). */
  readonly down: Matrix;
}

/** A block's weights as plain arrays (what a checkpoint read gives and pruning edits). */
export type DenseBlockWeights = { readonly [K in keyof BlockWeights]: Float32Array };

/** Where a chunk of tokens sits: `batch` sequences of `tokens` new tokens from position `start`. */
export interface ChunkLayout {
  /** Sequences. */
  readonly batch: number;
  /** New tokens per sequence in this chunk. */
  readonly tokens: number;
  /** Position of the chunk's first token (0 without a cache). */
  readonly start: number;
}

/**
 * Keys and values of the positions seen so far, laid out per key/value head so each head's
 * keys are one contiguous (positions, headDim) block and its values one (headDim, positions)
 * block, the operands of its two attention products as they are.
 */
export interface LayerCache {
  /** Keys (batch, nKvHeads, capacity, headDim). */
  readonly keys: Float32Array;
  /** Values, transposed: (batch, nKvHeads, headDim, capacity). */
  readonly values: Float32Array;
  /** Positions each sequence can hold. */
  readonly capacity: number;
}

/**
 * An empty cache for `batch` sequences of up to `capacity` positions.
 *
 * @param config The model.
 * @param batch Sequences.
 * @param capacity Positions per sequence.
 * @returns Zeroed keys and values.
 */
export function createCache(
  config: Pick<LlamaConfig, "nKvHeads" | "headDim">,
  batch: number,
  capacity: number,
): LayerCache {
  const size = batch * config.nKvHeads * config.headDim * capacity;
  return { keys: new Float32Array(size), values: new Float32Array(size), capacity };
}

/**
 * Stores a chunk's keys and values (n, kvDim) at positions [start, start + tokens).
 *
 * @param config Heads and head size.
 * @param cache The cache, updated.
 * @param k Keys (n, nKvHeads·headDim), rotated.
 * @param v Values, like k.
 * @param layout The chunk.
 */
export function storeInCache(
  config: Pick<LlamaConfig, "nKvHeads" | "headDim">,
  cache: LayerCache,
  k: Float32Array,
  v: Float32Array,
  layout: ChunkLayout,
): void {
  const { nKvHeads, headDim } = config;
  const { capacity } = cache;
  for (let b = 0; b < layout.batch; b++) {
    for (let t = 0; t < layout.tokens; t++) {
      const position = layout.start + t;
      const from = (b * layout.tokens + t) * nKvHeads * headDim;
      for (let head = 0; head < nKvHeads; head++) {
        const block = b * nKvHeads + head;
        const source = from + head * headDim;
        cache.keys.set(
          k.subarray(source, source + headDim),
          (block * capacity + position) * headDim,
        );
        for (let j = 0; j < headDim; j++) {
          cache.values[(block * headDim + j) * capacity + position] = v[source + j];
        }
      }
    }
  }
}

/** The inputs of a block's linear layers, as calibration needs them. */
export type LinearInput = "attention" | "output" | "mlp" | "down";

/**
 * Receives x (n, width) at the input of a block's linear layers; the forward pass waits for it
 * and frees x afterwards.
 */
export type CaptureInput = (input: LinearInput, x: ActivationHandle) => unknown;

/**
 * Token embedding lookup: rows of the table.
 *
 * @param table (vocab, dim).
 * @param tokens (n,) token ids.
 * @param dim Width.
 * @returns x (n, dim).
 */
export function embed(table: Float32Array, tokens: ArrayLike<number>, dim: number): Float32Array {
  const x = new Float32Array(tokens.length * dim);
  for (let i = 0; i < tokens.length; i++) {
    x.set(table.subarray(tokens[i] * dim, (tokens[i] + 1) * dim), i * dim);
  }
  return x;
}

/**
 * RMSNorm: x_i / sqrt(mean(x²) + eps) · w_i, per row.
 *
 * @param x (n, dim).
 * @param weight (dim,).
 * @param eps Epsilon.
 * @returns A new (n, dim) array.
 */
export function rmsnorm(x: Float32Array, weight: Float32Array, eps: number): Float32Array {
  const dim = weight.length;
  const out = new Float32Array(x.length);
  for (let row = 0; row < x.length; row += dim) {
    let squares = 0;
    for (let j = 0; j < dim; j++) squares += x[row + j] * x[row + j];
    const scale = 1 / Math.sqrt(squares / dim + eps);
    for (let j = 0; j < dim; j++) out[row + j] = x[row + j] * scale * weight[j];
  }
  return out;
}

/**
 * Rotary frequencies θ_i = base^(−2i/headDim), with LLaMA 3.1's scaling when configured.
 *
 * @param config The model.
 * @returns (headDim/2,) angular frequencies.
 */
export function ropeFrequencies(config: LlamaConfig): Float64Array {
  const half = config.headDim / 2;
  const frequencies = Float64Array.from(
    { length: half },
    (_, i) => config.ropeTheta ** (-(2 * i) / config.headDim),
  );
  const s = config.ropeScaling;
  if (!s) return frequencies;
  // Hugging Face's _compute_llama3_parameters.
  const lowWavelength = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelength = s.originalMaxPositions / s.highFreqFactor;
  return frequencies.map((f) => {
    const wavelength = (2 * Math.PI) / f;
    if (wavelength < highWavelength) return f;
    if (wavelength > lowWavelength) return f / s.factor;
    const smooth = (s.originalMaxPositions / wavelength - s.lowFreqFactor) /
      (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/**
 * Rotary embedding in place, "rotate_half" convention: in each head, element i pairs with
 * i + headDim/2 and both rotate by position · θ_i.
 *
 * @param x (n, heads·headDim), rows in chunk order.
 * @param heads Heads in x.
 * @param headDim Head size.
 * @param layout Positions of the rows.
 * @param frequencies (headDim/2,) from ropeFrequencies.
 */
export function applyRope(
  x: Float32Array,
  heads: number,
  headDim: number,
  layout: ChunkLayout,
  frequencies: Float64Array,
): void {
  const half = headDim / 2;
  const width = heads * headDim;
  for (let row = 0; row < layout.batch * layout.tokens; row++) {
    const position = layout.start + (row % layout.tokens);
    for (let i = 0; i < half; i++) {
      const angle = position * frequencies[i];
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      for (let h = 0; h < heads; h++) {
        const a = row * width + h * headDim + i;
        const x1 = x[a];
        const x2 = x[a + half];
        x[a] = x1 * cos - x2 * sin;
        x[a + half] = x2 * cos + x1 * sin;
      }
    }
  }
}

/**
 * SwiGLU: silu(gate) · up, elementwise (silu(x) = x / (1 + e^−x)).
 *
 * @param gate (n, hidden).
 * @param up (n, hidden).
 * @returns A new (n, hidden) array.
 */
export function swiglu(gate: Float32Array, up: Float32Array): Float32Array {
  const out = new Float32Array(gate.length);
  for (let i = 0; i < gate.length; i++) out[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
  return out;
}

/**
 * h += delta, elementwise (the residual connection).
 *
 * @param h Updated in place.
 * @param delta Same length.
 */
export function addInPlace(h: Float32Array, delta: Float32Array): void {
  for (let i = 0; i < h.length; i++) h[i] += delta[i];
}

/**
 * One transformer block on a chunk of tokens: attention and MLP with residuals, every step a
 * kernel operation on activations the backend holds. Without a cache the chunk must start at
 * position 0 and attends within itself; with one (held by the backend, on the GPU with WebGPU),
 * the chunk's keys and values join it at [start, start + tokens) and every earlier position is
 * visible. On the GPU nothing but what the caller reads leaves the device.
 *
 * @param kernels Backend.
 * @param config The model.
 * @param block The block's weights.
 * @param h (n, dim) hidden states on the backend, updated in place.
 * @param layout The chunk.
 * @param frequencies Rotary frequencies.
 * @param options A cache for generation; a callback receiving the linear layers' inputs.
 */
export async function blockForward(
  kernels: Kernels,
  config: LlamaConfig,
  block: BlockWeights,
  h: ActivationHandle,
  layout: ChunkLayout,
  frequencies: Float64Array,
  options: { cache?: KvCacheHandle; capture?: CaptureInput } = {},
): Promise<void> {
  const { nHeads, nKvHeads, headDim, rmsNormEps: eps } = config;
  const { cache, capture } = options;
  if (!cache && layout.start !== 0) throw new RangeError("A chunk without a cache must start at 0");
  const x = await kernels.rmsNorm({ x: h, weight: block.attnNorm, eps });
  await capture?.("attention", x);
  const q = await kernels.linear(x, block.q);
  const k = await kernels.linear(x, block.k);
  const v = await kernels.linear(x, block.v);
  kernels.release(x);
  await kernels.rotary({ x: q, heads: nHeads, headDim, layout, frequencies });
  await kernels.rotary({ x: k, heads: nKvHeads, headDim, layout, frequencies });
  const heads = { nHeads, nKvHeads, headDim };
  const mixed = cache
    ? await kernels.attendCached({ q, k, v, cache, layout, ...heads })
    : await kernels.causalAttention({ q, k, v, layout, ...heads });
  [q, k, v].forEach((a) => kernels.release(a));
  await capture?.("output", mixed);
  await residual(kernels, h, await kernels.linear(mixed, block.o));
  kernels.release(mixed);
  const y = await kernels.rmsNorm({ x: h, weight: block.ffnNorm, eps });
  await capture?.("mlp", y);
  const gate = await kernels.linear(y, block.gate);
  const up = await kernels.linear(y, block.up);
  kernels.release(y);
  const gated = await kernels.swiglu(gate, up);
  [gate, up].forEach((a) => kernels.release(a));
  await capture?.("down", gated);
  await residual(kernels, h, await kernels.linear(gated, block.down));
  kernels.release(gated);
}

/** h += delta, then frees delta. */
async function residual(
  kernels: Kernels,
  h: ActivationHandle,
  delta: ActivationHandle,
): Promise<void> {
  await kernels.addInPlace(h, delta);
  kernels.release(delta);
}

/**
 * Attention with a cache, on the host side of any backend's attention: the chunk's keys and
 * values join the cache at [start, start + tokens), then its queries attend over every position
 * so far.
 *
 * @param attention A backend's attention over a cache.
 * @param heads Query heads, key/value heads and head size.
 * @param q (batch·tokens, nHeads·headDim), rotated.
 * @param k (batch·tokens, nKvHeads·headDim), rotated.
 * @param v Like k.
 * @param cache The cache, updated.
 * @param layout The chunk.
 * @returns (batch·tokens, nHeads·headDim).
 */
export function attendWithCache(
  attention: (options: AttentionOptions) => Promise<Float32Array>,
  heads: Pick<LlamaConfig, "nHeads" | "nKvHeads" | "headDim">,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  cache: LayerCache,
  layout: ChunkLayout,
): Promise<Float32Array> {
  const { nHeads, nKvHeads, headDim } = heads;
  storeInCache(heads, cache, k, v, layout);
  return attention({
    q,
    keys: cache.keys,
    values: cache.values,
    capacity: cache.capacity,
    ...layout,
    nHeads,
    nKvHeads,
    headDim,
  });
}

/**
 * Logits on the backend: final RMSNorm, then the output head.
 *
 * @param kernels Backend.
 * @param config The model.
 * @param h (n, dim) hidden states after the last block, on the backend.
 * @param norm (dim,) final norm weight.
 * @param head (vocab, dim) output head (the embedding when tied).
 * @returns (n, vocab) logits on the backend; release them.
 */
export async function headLogits(
  kernels: Kernels,
  config: LlamaConfig,
  h: ActivationHandle,
  norm: Float32Array,
  head: Matrix,
): Promise<ActivationHandle> {
  const x = await kernels.rmsNorm({ x: h, weight: norm, eps: config.rmsNormEps });
  try {
    return await kernels.linear(x, head);
  } finally {
    kernels.release(x);
  }
}

/**
 * Logits read back: {@linkcode headLogits}, as an array.
 *
 * @param kernels Backend.
 * @param config The model.
 * @param h (n, dim) hidden states after the last block, on the backend.
 * @param norm (dim,) final norm weight.
 * @param head (vocab, dim) output head (the embedding when tied).
 * @returns (n, vocab) logits.
 */
export async function logits(
  kernels: Kernels,
  config: LlamaConfig,
  h: ActivationHandle,
  norm: Float32Array,
  head: Matrix,
): Promise<Float32Array> {
  const scores = await headLogits(kernels, config, h, norm, head);
  try {
    return await kernels.readActivation(scores);
  } finally {
    kernels.release(scores);
  }
}

/**
 * −log softmax(row)[target], in float64.
 *
 * @param row (vocab,) logits.
 * @param target The token whose probability is scored.
 * @returns The negative log-likelihood.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(Math.abs(negativeLogLikelihood(new Float32Array([0, 0]), 1) - Math.log(2)) < 1e-12);
 * ```
 */
export function negativeLogLikelihood(row: Float32Array, target: number): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let total = 0;
  for (const v of row) total += Math.exp(v - max);
  return Math.log(total) + max - row[target];
}
