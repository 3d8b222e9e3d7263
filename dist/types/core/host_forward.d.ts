/**
 * The forward-pass steps of the CPU backends (reference and wasm): activations are plain
 * arrays, the steps are core/model/forward.ts's float64 TypeScript functions, and the two
 * products (linear layers, attention) go through the backend's own `matmul` and `attention`.
 *
 * @module
 */
import type { AttentionOptions } from "./attention.js";
import type { ActivationHandle, Kernels, KvCacheHandle, MatmulOptions } from "./kernels.js";
import { type ChunkLayout, type LayerCache } from "./model/forward.js";
/** Activations in host memory. */
export declare class HostActivation implements ActivationHandle {
    readonly rows: number;
    readonly width: number;
    readonly values: Float32Array;
    /**
     * @param rows Rows.
     * @param width Features per row.
     * @param values (rows, width) row-major.
     */
    constructor(rows: number, width: number, values: Float32Array);
}
/** A key/value cache in host memory. */
export declare class HostKvCache implements KvCacheHandle {
    readonly batch: number;
    readonly cache: LayerCache;
    /**
     * @param batch Sequences.
     * @param cache Keys and values, as forward.ts lays them out.
     */
    constructor(batch: number, cache: LayerCache);
    /** Positions each sequence can hold. */
    get capacity(): number;
}
/**
 * Fails unless a chunk's positions fit a cache: the same sequences, [start, start + tokens)
 * within its capacity.
 *
 * @param cache The cache.
 * @param layout The chunk.
 * @throws {RangeError} Naming both.
 */
export declare function checkCacheRange(cache: KvCacheHandle, layout: ChunkLayout): void;
/**
 * A key/value cache in host memory for any backend, and attention over it through that
 * backend's attention (what the CPU backends do, and WebGPU for caches it cannot hold).
 *
 * @param attention A backend's attention over a cache.
 * @param readActivation Reads the backend's activations.
 * @param createActivation Makes activations on the backend.
 * @returns createKvCache and attendCached.
 */
export declare function hostKvCache(attention: (options: AttentionOptions) => Promise<Float32Array>, readActivation: Kernels["readActivation"], createActivation: Kernels["createActivation"]): Pick<Kernels, "createKvCache" | "attendCached">;
/**
 * The values of host activations, or the array itself.
 *
 * @param x An array or a HostActivation.
 * @returns The row-major values.
 * @throws {TypeError} For another backend's activations.
 */
export declare function hostValues(x: Float32Array | ActivationHandle): Float32Array;
/**
 * Causal attention within a chunk through a cache of exactly its length (what a block does
 * without a cache), with any backend's attention over caches.
 *
 * @param attention A backend's attention over a cache.
 * @param q (batch·tokens, nHeads·headDim).
 * @param k (batch·tokens, nKvHeads·headDim).
 * @param v Like k.
 * @param sizes The chunk and the heads.
 * @returns (batch·tokens, nHeads·headDim).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.js";
 * const kernels = createReferenceKernels();
 * const one = new Float32Array([1, 1]); // one head of size 1, two tokens
 * const out = await attentionWithin((o) => kernels.attention(o), one, one, new Float32Array([2, 4]), {
 *   layout: { batch: 1, tokens: 2, start: 0 }, nHeads: 1, nKvHeads: 1, headDim: 1,
 * });
 * assert.deepEqual([...out], [2, 3]);
 * ```
 */
export declare function attentionWithin(attention: (options: AttentionOptions) => Promise<Float32Array>, q: Float32Array, k: Float32Array, v: Float32Array, sizes: {
    readonly layout: ChunkLayout;
    readonly nHeads: number;
    readonly nKvHeads: number;
    readonly headDim: number;
}): Promise<Float32Array>;
/** The forward-pass operations of {@linkcode Kernels}. */
export type ForwardKernels = Pick<Kernels, "createKvCache" | "attendCached" | "createActivation" | "readActivation" | "sliceRows" | "rmsNorm" | "linear" | "rotary" | "causalAttention" | "swiglu" | "addInPlace" | "channelMoments" | "tokenLosses">;
/**
 * The forward-pass operations on host arrays, for a CPU backend.
 *
 * @param matmul The backend's matrix product.
 * @param attention The backend's attention over a cache.
 * @returns The operations.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.js";
 * const kernels = createReferenceKernels();
 * const ops = hostForwardKernels((o) => kernels.matmul(o), (o) => kernels.attention(o));
 * const x = await ops.createActivation({ values: new Float32Array([1, 2]), width: 2 });
 * const y = await ops.linear(x, new Float32Array([3, 4]));
 * assert.deepEqual([...await ops.readActivation(y)], [11]);
 * ```
 */
export declare function hostForwardKernels(matmul: (options: MatmulOptions) => Promise<Float32Array>, attention: (options: AttentionOptions) => Promise<Float32Array>): ForwardKernels;
/**
 * Fails unless there are at most as many targets as rows, each a column of the logits.
 *
 * @param logits (rows, vocab).
 * @param targets One token per scored row.
 * @throws {RangeError} Naming the first bad target.
 */
export declare function checkTargets(logits: ActivationHandle, targets: Int32Array): void;
