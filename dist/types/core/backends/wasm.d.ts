/**
 * The CPU backend: AssemblyScript kernels (assembly/) compiled to WebAssembly SIMD, run on every
 * core. All data lives in one shared WebAssembly memory; this file lays it out, copies arrays
 * in and out, and splits each kernel call into contiguous row ranges, one per worker. Every row
 * is computed by exactly one thread with the same instructions, so results do not depend on
 * the number of threads.
 *
 * Numerics: G is kept in float64 (for c, its updates and every reported gain) and float32 (for
 * the pair search's ranking); c and all errors are float64; Gram sums run in float32 over tiles
 * of 64 tokens and in float64 across tiles.
 *
 * @module
 */
import type { Kernels } from "../kernels.js";
import { type WasmVariant } from "./_wasm_binary.js";
/** Options of {@linkcode createWasmKernels}. */
export interface WasmOptions {
    /** Worker threads; default: every core (`navigator.hardwareConcurrency`). */
    readonly threads?: number;
    /** Force a module variant; default: relaxed SIMD where the engine validates it. */
    readonly variant?: WasmVariant;
    /**
     * Send every call of more than one row to the workers, one row per piece, however small (by
     * default small calls run on the calling thread). Tests use it to prove that results do not
     * depend on how rows are split.
     */
    readonly splitEveryCall?: boolean;
    /** Neighbours per channel of the pair search's bounds (default BOUND_NEIGHBOURS). */
    readonly neighbours?: number;
}
/**
 * Creates the WebAssembly backend.
 *
 * @param options Threads and module variant.
 * @returns The kernels; call `dispose()` to stop the worker threads.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const kernels = await createWasmKernels({ threads: 1 });
 * const y = await kernels.matmul({ x: new Float32Array([1, 2]), w: new Float32Array([3, 4]), n: 1, k: 2, m: 1 });
 * assert.deepEqual([...y], [11]);
 * kernels.dispose();
 * ```
 */
export declare function createWasmKernels(options?: WasmOptions): Promise<Kernels>;
