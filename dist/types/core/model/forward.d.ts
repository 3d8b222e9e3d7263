/**
 * The LLaMA forward pass, one function per step as in llama2.c's run.c, over a batch of
 * sequences at once. Hugging Face conventions: weights (out, in), rotary embedding on the two
 * halves of each head ("rotate_half"), grouped-query attention. The matrix products go through
 * the kernels (the wasm backend on the CPU); the rest is plain TypeScript with float64
 * arithmetic on float32 storage.
 *
 * Shapes: n = batch · tokens rows; x (n, dim) row-major; sequence b's token t is row b·T + t.
 *
 * @module
 */
import type { Kernels, MatrixHandle } from "../kernels.js";
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
export declare function createCache(config: LlamaConfig, batch: number, capacity: number): LayerCache;
/** The inputs of a block's linear layers, as calibration needs them. */
export type LinearInput = "attention" | "output" | "mlp" | "down";
/** Receives x (n, width) at the input of a block's linear layers. */
export type CaptureInput = (input: LinearInput, x: Float32Array, width: number) => void;
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
 * A linear layer without bias: y (n, out) = x (n, in) · wᵀ.
 *
 * @param kernels Backend.
 * @param x (n, in).
 * @param w (out, in).
 * @param inDim Input width.
 * @returns y (n, out).
 */
export declare function linear(kernels: Kernels, x: Float32Array, w: Matrix, inDim: number): Promise<Float32Array>;
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
 * Causal grouped-query attention: softmax(q kᵀ / sqrt(headDim)) v per sequence and head, each
 * query seeing the keys up to its own position. Query head h reads key/value head
 * h / (nHeads / nKvHeads).
 *
 * @param kernels Backend (for q·kᵀ and p·v).
 * @param config The model.
 * @param q (n, nHeads·headDim), rotated.
 * @param cache Keys (rotated) and values with positions [0, start + tokens) filled.
 * @param layout The chunk.
 * @returns (n, nHeads·headDim).
 */
export declare function attention(kernels: Kernels, config: LlamaConfig, q: Float32Array, cache: LayerCache, layout: ChunkLayout): Promise<Float32Array>;
/**
 * SwiGLU: silu(gate) · up, elementwise (silu(x) = x / (1 + e^−x)).
 *
 * @param gate (n, hidden).
 * @param up (n, hidden).
 * @returns A new (n, hidden) array.
 */
export declare function swiglu(gate: Float32Array, up: Float32Array): Float32Array;
/**
 * One transformer block on a chunk of tokens: attention and MLP with residuals. Without a cache
 * the chunk must start at position 0 and attends within itself; with one, the chunk's keys and
 * values are stored at [start, start + tokens) and every earlier position is visible.
 *
 * @param kernels Backend.
 * @param config The model.
 * @param block The block's weights.
 * @param h (n, dim) hidden states, updated in place.
 * @param layout The chunk.
 * @param frequencies Rotary frequencies.
 * @param options A cache for generation; a callback receiving the linear layers' inputs.
 */
export declare function blockForward(kernels: Kernels, config: LlamaConfig, block: BlockWeights, h: Float32Array, layout: ChunkLayout, frequencies: Float64Array, options?: {
    cache?: LayerCache;
    capture?: CaptureInput;
}): Promise<void>;
/**
 * Logits of the last step: final RMSNorm, then the output head.
 *
 * @param kernels Backend.
 * @param config The model.
 * @param h (n, dim) hidden states after the last block.
 * @param norm (dim,) final norm weight.
 * @param head (vocab, dim) output head (the embedding when tied).
 * @returns (n, vocab) logits.
 */
export declare function logits(kernels: Kernels, config: LlamaConfig, h: Float32Array, norm: Float32Array, head: Matrix): Promise<Float32Array>;
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
