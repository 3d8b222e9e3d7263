/**
 * The GPU backend: WGSL compute shaders (shaders/, embedded in _shaders.ts) run through WebGPU.
 * W, G, masks and c stay resident on the GPU across iterations; each iteration reads back only
 * the best gain and pair of every searched row.
 *
 * G lives in one buffer, read through panels of rows that each fit the adapter's largest
 * storage binding (every kernel that reads G is dispatched once per panel: G is symmetric, so
 * a row panel is also a column panel). Numerics: float32 throughout, with Kahan-compensated
 * sums for G (across tokens and calls) and for c and the row errors (across d); the reported
 * gain is the float32 candidate of the chosen pair, so the accept guard is looser than the CPU
 * backends' and c is recomputed periodically by the refiner. Every kernel waits for WebGPU's
 * error report on its work before returning (see "Errors" below).
 *
 * @module
 */
import type { Kernels } from "../kernels.js";
/** Options of {@linkcode createWebGpuKernels}. */
export interface WebGpuOptions {
    /** Accept a software (fallback) adapter such as llvmpipe; default false. */
    readonly allowFallback?: boolean;
    /** Use at most this many bytes per storage binding (tests use it to force G into panels). */
    readonly maxBindingBytes?: number;
    /** Neighbours per channel of the pair search's bounds (default BOUND_NEIGHBOURS, at most 16). */
    readonly neighbours?: number;
}
/**
 * Creates the WebGPU backend.
 *
 * @param options Whether a software adapter will do.
 * @returns The kernels; `dispose()` releases the device.
 */
export declare function createWebGpuKernels(options?: WebGpuOptions): Promise<Kernels>;
