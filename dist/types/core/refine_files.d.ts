/**
 * One layer's refinement from safetensors files on any platform: what `refine` runs between its
 * flags and its output path, and what the web page's refine panel runs on dropped files.
 *
 * @module
 */
import { type SparseFormat, type StorageFormat } from "./compressed.js";
import type { ByteSource } from "./files.js";
import type { Kernels } from "./kernels.js";
import { type LayerMethod } from "./layer.js";
import { type SparsityPattern } from "./pattern.js";
import { type Tensor } from "./safetensors.js";
import type { UpdateMethod, UpdatingWarmStart } from "./update.js";
/** What `refine` reports, in the JSON output and the mask file's metadata. */
export interface RefineSummary {
    /** Σ over rows of qᵀGq for the warm start, float64. */
    readonly error_before: number;
    /** Σ over rows of qᵀGq after SparseSwaps' first round, float64. */
    readonly error_after: number;
    /** 1 − error_after / error_before (0 when the warm start is exact). */
    readonly relative_reduction: number;
    /** Swaps accepted. */
    readonly swaps: number;
    /** Iterations run (the most swaps of any row). */
    readonly iterations: number;
    /** Rows of the layer. */
    readonly rows: number;
    /** Input features. */
    readonly d: number;
    /** Rows left without an improving 1-swap (up to float64 rounding). */
    readonly converged_rows: number;
    /**
     * Rows stopped with an improving swap too small for the backend's arithmetic to resolve, or
     * whose error stopped falling: not proven converged.
     */
    readonly stalled_rows: number;
    /** Pair gains the bounded searches evaluated (bookkeeping included). */
    readonly pairs_evaluated: number;
    /** Pair gains brute-force searches of the same rows and iterations would have evaluated. */
    readonly pairs_brute_force: number;
    /** Backend that ran the kernels. */
    readonly backend: string;
    /** The backend in words (threads, SIMD variant, GPU adapter). */
    readonly backend_description: string;
    /** Backends `auto` passed over, "name: reason; …" (absent when none). */
    readonly backend_skipped?: string;
    /** The pattern, e.g. "60%" or "2:4". */
    readonly pattern: string;
    /** Warm-start method, or "mask" for a given mask. */
    readonly warm_start: string;
    /** Iteration budget ("inf" for unlimited). */
    readonly max_iters: number | "inf";
    /** Wall time of warm start, refinement and weight update, in seconds. */
    readonly seconds: number;
    /** Where the written weight comes from: the update, the warm start's own, or none (mask only). */
    readonly update: UpdateMethod | UpdatingWarmStart;
    /** α of --update's damping (with --update). */
    readonly damping?: number;
    /** ADMM iterations (with --update admm). */
    readonly admm_iters?: number;
    /** Σ over rows of ‖(w − w')X‖² = qᵀGq after the update (and rounds), float64 (with --update). */
    readonly error_updated?: number;
    /** Alternating rounds asked for (with --alternate). */
    readonly alternate?: number;
    /** Alternating rounds kept, each lowering the error (with --alternate). */
    readonly rounds?: number;
    /** What the output holds besides the mask: "dense" (nothing) or the sparse layout written. */
    readonly format: "dense" | SparseFormat;
    /** Bytes of the pruned weight stored densely. */
    readonly dense_bytes: number;
    /** Bytes of the pruned weight in the sparse layout (the one `--format compressed` writes). */
    readonly compressed_bytes: number;
}
/**
 * The layer's files: W (tensor "weight"), G (tensor "gram") and an optional mask (tensor
 * "mask"); each is closed once read.
 */
export interface RefineFiles {
    /** W (rows, d), F32, F16 or BF16, as tensor "weight". */
    readonly weight: ByteSource;
    /** G (d, d), F32 or F64, as tensor "gram". */
    readonly gram: ByteSource;
    /** The warm-start mask (rows, d), U8 or BOOL, as tensor "mask"; `warmStart` otherwise. */
    readonly mask?: ByteSource;
}
/** Options of {@linkcode refineLayerFiles}. */
export interface RefineOptions extends LayerMethod {
    /** The layer (its mask, when given, replaces the warm start). */
    readonly input: RefineInput;
    /** Backend. */
    readonly kernels: Kernels;
    /** Backends `auto` passed over, "name: reason" (for the summary). */
    readonly skipped?: readonly string[];
    /** dense: the mask (and updated weight); compressed: also the pruned weight's sparse parts. */
    readonly format: StorageFormat;
    /** Rows refined so far, of all rows. */
    readonly onProgress?: (rowsDone: number, rows: number) => void;
    /** Stops the refinement between iterations. */
    readonly signal?: AbortSignal;
}
/** A refined layer. */
export interface RefinedLayer {
    /** What happened (also the output's `__metadata__`). */
    readonly summary: RefineSummary;
    /** The output safetensors file. */
    readonly bytes: Uint8Array;
}
/**
 * Refines one layer read by {@linkcode readRefineInput}: warm start, SparseSwaps, the optional
 * update, and the output file's bytes (the mask, the updated weight, the compressed weight with
 * `format: "compressed"`, the summary in `__metadata__`). What `refine` does between its flags
 * and its output path.
 *
 * @param options The layer, method and backend.
 * @returns The summary and the output file.
 */
export declare function refineLayerInput(options: RefineOptions): Promise<RefinedLayer>;
/** A layer read from its files and validated. */
export interface RefineInput {
    /** W (rows, d) as float32. */
    readonly weight: Float32Array;
    /** The weight as read, in its own dtype. */
    readonly weightTensor: Tensor;
    /** Output features. */
    readonly rows: number;
    /** Input features. */
    readonly d: number;
    /** G (d, d), symmetrised. */
    readonly gram: Float64Array;
    /** The given warm-start mask. */
    readonly mask?: Uint8Array;
    /** Names W's and G's files in messages. */
    readonly label: string;
}
/**
 * Reads and validates a layer's files (before any backend starts): dtypes, shapes, finite
 * values, a symmetric G, a mask of 0/1 that fits the pattern.
 *
 * @param settings The files and the pattern they must fit.
 * @returns The layer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesSource } from "./files.js";
 * import { encodeSafetensors } from "./safetensors.js";
 * const weight = bytesSource("W.safetensors", encodeSafetensors({ weight: { dtype: "F32", shape: [1, 2], data: new Float32Array([1, 2]) } }));
 * const gram = bytesSource("G.safetensors", encodeSafetensors({ gram: { dtype: "F64", shape: [3, 3], data: new Float64Array(9) } }));
 * await assert.rejects(
 *   readRefineInput({ weight, gram, pattern: { kind: "per-row", sparsity: 0.5 } }),
 *   /Tensor "gram" in "G.safetensors" has shape \[3,3\] but tensor "weight" in "W.safetensors" has 2 columns/,
 * );
 * ```
 */
export declare function readRefineInput(settings: RefineFiles & {
    readonly pattern: SparsityPattern;
}): Promise<RefineInput>;
