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
import type { AttentionOptions } from "../attention.js";
import type { ActivationHandle, Kernels, KvCacheHandle, MatrixHandle } from "../kernels.js";
import type { LlamaConfig } from "./config.js";
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
export type DenseBlockWeights = {
    readonly [K in keyof BlockWeights]: Float32Array;
};
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
export declare function createCache(config: Pick<LlamaConfig, "nKvHeads" | "headDim">, batch: number, capacity: number): LayerCache;
/**
 * Stores a chunk's keys and values (n, kvDim) at positions [start, start + tokens).
 *
 * @param config Heads and head size.
 * @param cache The cache, updated.
 * @param k Keys (n, nKvHeads·headDim), rotated.
 * @param v Values, like k.
 * @param layout The chunk.
 */
export declare function storeInCache(config: Pick<LlamaConfig, "nKvHeads" | "headDim">, cache: LayerCache, k: Float32Array, v: Float32Array, layout: ChunkLayout): void;
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
export declare function embed(table: Float32Array, tokens: ArrayLike<number>, dim: number): Float32Array;
/**
 * RMSNorm: x_i / sqrt(mean(x²) + eps) · w_i, per row.
 *
 * @param x (n, dim).
 * @param weight (dim,).
 * @param eps Epsilon.
 * @returns A new (n, dim) array.
 */
export declare function rmsnorm(x: Float32Array, weight: Float32Array, eps: number): Float32Array;
/**
 * Rotary frequencies θ_i = base^(−2i/headDim), with LLaMA 3.1's scaling when configured.
 *
 * @param config The model.
 * @returns (headDim/2,) angular frequencies.
 */
export declare function ropeFrequencies(config: LlamaConfig): Float64Array;
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
export declare function applyRope(x: Float32Array, heads: number, headDim: number, layout: ChunkLayout, frequencies: Float64Array): void;
/**
 * SwiGLU: silu(gate) · up, elementwise (silu(x) = x / (1 + e^−x)).
 *
 * @param gate (n, hidden).
 * @param up (n, hidden).
 * @returns A new (n, hidden) array.
 */
export declare function swiglu(gate: Float32Array, up: Float32Array): Float32Array;
/**
 * h += delta, elementwise (the residual connection).
 *
 * @param h Updated in place.
 * @param delta Same length.
 */
export declare function addInPlace(h: Float32Array, delta: Float32Array): void;
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
export declare function blockForward(kernels: Kernels, config: LlamaConfig, block: BlockWeights, h: ActivationHandle, layout: ChunkLayout, frequencies: Float64Array, options?: {
    cache?: KvCacheHandle;
    capture?: CaptureInput;
}): Promise<void>;
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
export declare function attendWithCache(attention: (options: AttentionOptions) => Promise<Float32Array>, heads: Pick<LlamaConfig, "nHeads" | "nKvHeads" | "headDim">, q: Float32Array, k: Float32Array, v: Float32Array, cache: LayerCache, layout: ChunkLayout): Promise<Float32Array>;
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
export declare function headLogits(kernels: Kernels, config: LlamaConfig, h: ActivationHandle, norm: Float32Array, head: Matrix): Promise<ActivationHandle>;
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
export declare function logits(kernels: Kernels, config: LlamaConfig, h: ActivationHandle, norm: Float32Array, head: Matrix): Promise<Float32Array>;
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
export declare function negativeLogLikelihood(row: Float32Array, target: number): number;
