/**
 * Causal attention over every head of a batch of sequences, the forward pass's one operation
 * that is not a linear layer: the kernel operation {@linkcode Kernels.attention}, and the
 * algorithm the CPU backends run for it, two products per head through `matmul` with the
 * softmax between them in float64. The WebGPU backend runs all heads in one dispatch instead
 * (shaders/attention.wgsl).
 *
 * @module
 */
import type { MatmulOptions } from "./kernels.js";
/** Options of {@linkcode Kernels.attention}: a chunk's queries against a cache's keys and values. */
export interface AttentionOptions {
    /** q (batch·tokens, nHeads·headDim), rotated. */
    readonly q: Float32Array;
    /** Keys (batch, nKvHeads, capacity, headDim), rotated, positions [0, start + tokens) filled. */
    readonly keys: Float32Array;
    /** Values, transposed: (batch, nKvHeads, headDim, capacity). */
    readonly values: Float32Array;
    /** Sequences. */
    readonly batch: number;
    /** New tokens per sequence: query t sees positions [0, start + t]. */
    readonly tokens: number;
    /** Position of the chunk's first token. */
    readonly start: number;
    /** Positions the cache holds per sequence. */
    readonly capacity: number;
    /** Query heads. */
    readonly nHeads: number;
    /** Key/value heads (nHeads is a multiple: grouped-query attention). */
    readonly nKvHeads: number;
    /** Head size. */
    readonly headDim: number;
}
/**
 * Causal attention through two matrix products per head (scores = q·Kᵀ, out = softmax·V), the
 * softmax in float64 between them.
 *
 * @param matmul A backend's matrix product.
 * @param options Queries, cache and sizes.
 * @returns (batch·tokens, nHeads·headDim).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.js";
 * const kernels = createReferenceKernels();
 * // One head of size 1, two positions: the second query sees both values equally (equal keys).
 * const out = await attentionByProducts((o) => kernels.matmul(o), {
 *   q: new Float32Array([1, 1]), keys: new Float32Array([1, 1]), values: new Float32Array([2, 4]),
 *   batch: 1, tokens: 2, start: 0, capacity: 2, nHeads: 1, nKvHeads: 1, headDim: 1,
 * });
 * assert.deepEqual([...out], [2, 3]);
 * ```
 */
export declare function attentionByProducts(matmul: (options: MatmulOptions) => Promise<Float32Array>, options: AttentionOptions): Promise<Float32Array>;
