/**
 * Warm starts: row-balanced masks from a per-weight score, kept where the score is largest in
 * each row (per-row sparsity) or each block of M columns (N:M).
 *
 * - magnitude: `|W_ij|`
 * - Wanda (Sun et al. 2023): `|W_ij| · ‖X_j‖₂`, with `‖X_j‖₂² = G_jj`
 * - RIA (Zhang et al. 2024): `(|W_ij| / Σ_i |W_ij| + |W_ij| / Σ_j |W_ij|) · ‖X_j‖₂^a`, a = 0.5
 *
 * Ties prune the lower column index first, as Wanda's stable ascending sort does.
 *
 * @module
 */
import { type SparsityPattern } from "./pattern.js";
/** The warm-start scores this package implements. */
export type WarmStartMethod = "magnitude" | "wanda" | "ria";
/** The warm-start methods, for flag validation and help texts. */
export declare const WARM_START_METHODS: readonly WarmStartMethod[];
/**
 * diag(G): the squared input norms ‖X_j‖₂² that Wanda and RIA scale weights by.
 *
 * @param gram G (d, d) row-major.
 * @param d Side.
 * @returns (d,) the diagonal.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([...gramDiagonal(new Float64Array([4, 1, 1, 9]), 2)], [4, 9]);
 * ```
 */
export declare function gramDiagonal(gram: ArrayLike<number>, d: number): Float64Array;
/** Options of {@linkcode warmStartMask}. */
export interface WarmStartOptions {
    /** The score to rank weights by. */
    readonly method: WarmStartMethod;
    /** W (rows, d) row-major. */
    readonly weight: Float32Array;
    /** Rows of W. */
    readonly rows: number;
    /** Columns of W (input features). */
    readonly d: number;
    /** diag(G) (d,): squared input norms `‖X_j‖₂²`; needed by wanda and ria. */
    readonly gramDiagonal?: Float64Array | Float32Array;
    /** The pattern the mask must satisfy. */
    readonly pattern: SparsityPattern;
}
/**
 * Builds a warm-start mask (rows, d), 1 = kept, satisfying the pattern exactly.
 *
 * @param options Method, weights, input norms and pattern.
 * @returns The mask.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const weight = new Float32Array([0.1, -3, 2, 0.5]);
 * const mask = warmStartMask({
 *   method: "magnitude", weight, rows: 1, d: 4, pattern: { kind: "per-row", sparsity: 0.5 },
 * });
 * assert.deepEqual([...mask], [0, 1, 1, 0]);
 * ```
 */
export declare function warmStartMask(options: WarmStartOptions): Uint8Array;
