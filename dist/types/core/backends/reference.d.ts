/**
 * The reference backend: the living definition of every kernel. Plain TypeScript, float64
 * storage and accumulation, the simplest loops and no tuning. Every other backend is tested
 * against it; do not optimise it.
 *
 * @module
 */
import type { Kernels } from "../kernels.js";
/**
 * G (d, d) = Xᵀ X for X (tokens, d), accumulated in float64 (the definition Gram kernels are checked against).
 *
 * @param x X (tokens, d) row-major.
 * @param tokens Rows of X.
 * @param d Columns of X.
 * @returns G, row-major.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([...gramOf(new Float32Array([1, 2, 3, 4]), 2, 2)], [10, 14, 14, 20]);
 * ```
 */
export declare function gramOf(x: Float32Array, tokens: number, d: number): Float64Array;
/** Options of {@linkcode createReferenceKernels}. */
export interface ReferenceOptions {
    /** Neighbours per channel of the pair search's bounds (default BOUND_NEIGHBOURS). */
    readonly neighbours?: number;
}
/**
 * Creates the float64 reference backend.
 *
 * @param options Neighbours of the bounds.
 * @returns The reference kernels.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const kernels = createReferenceKernels();
 * const y = await kernels.matmul({ x: new Float32Array([1, 2]), w: new Float32Array([3, 4]), n: 1, k: 2, m: 1 });
 * assert.deepEqual([...y], [11]);
 * ```
 */
export declare function createReferenceKernels(options?: ReferenceOptions): Kernels;
