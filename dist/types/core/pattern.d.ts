/**
 * Sparsity patterns: which masks are feasible and which swaps keep them feasible.
 *
 * - per-row: every row prunes `floor(d · sparsity)` weights (the Wanda convention), so any
 *   kept `u` and pruned `p` of a row may swap.
 * - N:M: every block of M consecutive columns keeps exactly N weights, so `u` and `p` must lie in
 *   the same block.
 *
 * @module
 */
/** Per-row unstructured sparsity: each row prunes `floor(d · sparsity)` weights. */
export interface PerRowPattern {
    /** Discriminant. */
    readonly kind: "per-row";
    /** Fraction of each row to prune, in (0, 1). */
    readonly sparsity: number;
}
/** N:M semi-structured sparsity: each block of `m` consecutive columns keeps `n` weights. */
export interface NmPattern {
    /** Discriminant. */
    readonly kind: "n:m";
    /** Weights kept per block. */
    readonly n: number;
    /** Block length. */
    readonly m: number;
}
/** A sparsity pattern every mask row must satisfy. */
export type SparsityPattern = PerRowPattern | NmPattern;
/**
 * Builds a per-row pattern, rejecting sparsities outside (0, 1).
 *
 * @param sparsity Fraction of each row to prune.
 * @returns The pattern.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(perRowPattern(0.6), { kind: "per-row", sparsity: 0.6 });
 * assert.throws(() => perRowPattern(1));
 * ```
 */
export declare function perRowPattern(sparsity: number): PerRowPattern;
/**
 * Parses an N:M pattern such as `"2:4"` (keep 2 of every 4).
 *
 * @param text The pattern, `N:M` with integers 1 ≤ N < M.
 * @returns The pattern.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseNmPattern("2:4"), { kind: "n:m", n: 2, m: 4 });
 * assert.throws(() => parseNmPattern("4:4"));
 * ```
 */
export declare function parseNmPattern(text: string): NmPattern;
/**
 * Describes a pattern the way users write it (`60%`, `2:4`).
 *
 * @param pattern The pattern.
 * @returns A short label.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(patternLabel({ kind: "n:m", n: 2, m: 4 }), "2:4");
 * assert.equal(patternLabel({ kind: "per-row", sparsity: 0.6 }), "60%");
 * ```
 */
export declare function patternLabel(pattern: SparsityPattern): string;
/**
 * Number of weights a row of length `d` prunes under a per-row sparsity: `floor(d · s)`.
 * A 1e-9 slack keeps decimal sparsities exact (0.29 · 100 is 28.999999999999996 in binary).
 *
 * @param d Row length.
 * @param sparsity Fraction to prune.
 * @returns How many weights each row prunes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(prunedPerRow(768, 0.6), 460);
 * assert.equal(prunedPerRow(100, 0.29), 29);
 * ```
 */
export declare function prunedPerRow(d: number, sparsity: number): number;
/**
 * Checks that a pattern can apply to rows of length `d`.
 *
 * @param pattern The pattern.
 * @param d Row length (input features).
 * @param what Names the tensor in the error message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * checkPatternFits({ kind: "n:m", n: 2, m: 4 }, 8, "weight");
 * assert.throws(() => checkPatternFits({ kind: "n:m", n: 2, m: 4 }, 6, "weight"));
 * ```
 */
export declare function checkPatternFits(pattern: SparsityPattern, d: number, what: string): void;
/**
 * The blocks inside which swaps must stay: one block `[0, d)` for per-row sparsity, blocks of
 * `m` columns for N:M.
 *
 * @param pattern The pattern.
 * @param d Row length.
 * @returns Block length and how many weights each block keeps.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(swapBlocks({ kind: "n:m", n: 2, m: 4 }, 8), { length: 4, kept: 2 });
 * assert.deepEqual(swapBlocks({ kind: "per-row", sparsity: 0.5 }, 8), { length: 8, kept: 4 });
 * ```
 */
export declare function swapBlocks(pattern: SparsityPattern, d: number): {
    length: number;
    kept: number;
};
/**
 * Finds the rows of a mask that break the pattern (wrong kept count in a row or block) or hold
 * values other than 0 and 1.
 *
 * @param mask Mask (rows, d), 1 = kept.
 * @param rows Number of rows.
 * @param d Row length.
 * @param pattern The pattern every row must satisfy.
 * @returns Indices of the offending rows, ascending (empty when the mask is feasible).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const mask = new Uint8Array([1, 1, 0, 0, 1, 0, 1, 1]);
 * assert.deepEqual(rowsBreakingPattern(mask, 2, 4, { kind: "n:m", n: 2, m: 4 }), [1]);
 * ```
 */
export declare function rowsBreakingPattern(mask: Uint8Array, rows: number, d: number, pattern: SparsityPattern): number[];
