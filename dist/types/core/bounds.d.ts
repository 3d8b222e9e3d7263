/**
 * Exact lower bounds for the pair search (../shared/docs/bounded-search.md): they let a search
 * skip every kept `u` whose best swap provably cannot beat the best pair found so far, and still
 * choose exactly the pair that brute force chooses.
 *
 * Once per Gram matrix (G does not change during refinement), O(d²):
 *
 *     s_j  = √G_jj
 *     C_uv = |G_uv| / (s_u s_v)        normalised correlation (0 when G_uv = 0; +∞ when
 *                                      G_uv ≠ 0 but s_u s_v = 0, which only a G that is not
 *                                      PSD can have)
 *     N_K(u)  the K channels v ≠ u with the largest C_uv, and their G_uv
 *     ρ_u     the (K+1)-th largest C_uv: every v outside N_K(u) has C_uv ≤ ρ_u
 *
 * Per row and search, with α_u = |v_u| s_u and β_p = |v_p| s_p (v: the row's values, see
 * core/kernels.ts; v = w without a weight update):
 *
 *     f(x)  = min over pruned p of (b_p − 2 x β_p)        (x ≥ 0; the lower envelope of lines)
 *     LB_u  = a_u + min( f(ρ_u α_u),  min over p ∈ N_K(u) pruned of (b_p − 2 v_u v_p G_up) )
 *
 * LB_u ≤ min_p ΔL(u, p): outside N_K(u), −2 v_u v_p G_up ≥ −2 α_u β_p C_up ≥ −2 ρ_u α_u β_p;
 * inside, the terms are exact. These are the pure functions; backends run them in their kernels.
 *
 * @module
 */
/**
 * Neighbours per channel, chosen with `deno task bench:cpu` (section 3 compares K = 4, 8 and 16
 * on generated layers at d = 768, 2048 and 4096): K = 8 was the fastest or within 3% of the
 * fastest at every width; more neighbours tighten the bounds but add K terms per kept u to every
 * search.
 */
export declare const BOUND_NEIGHBOURS = 8;
/** The per-layer part of the bounds: for each channel, its K most correlated channels. */
export interface GramNeighbours {
    /** K. */
    readonly k: number;
    /** s (d,) = √max(G_jj, 0). */
    readonly root: Float64Array;
    /** (d, k) the K most correlated channels of each channel, −1 where d − 1 < K. */
    readonly index: Int32Array;
    /** (d, k) G_uv of those channels. */
    readonly value: Float64Array;
    /** ρ (d,): C_uv ≤ ρ_u for every v ≠ u outside the neighbours (0 when there is none). */
    readonly rho: Float64Array;
}
/**
 * C_uv, the normalised correlation of two channels (see the module documentation).
 *
 * @param g G_uv.
 * @param su s_u.
 * @param sv s_v.
 * @returns |G_uv| / (s_u s_v), 0 or +∞.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(correlation(-3, 2, 3), 0.5);
 * assert.equal(correlation(0, 0, 3), 0); // a dead channel has no correlation
 * assert.equal(correlation(1e-9, 0, 3), Infinity);
 * ```
 */
export declare function correlation(g: number, su: number, sv: number): number;
/**
 * The K most correlated channels of every channel, and ρ.
 *
 * @param gram G (d, d) row-major, symmetric.
 * @param d Side.
 * @param k Neighbours per channel.
 * @returns The neighbour lists.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const g = new Float64Array([4, 2, 0, 2, 4, 1, 0, 1, 4]);
 * const n = gramNeighbours(g, 3, 1);
 * assert.deepEqual([...n.index], [1, 0, 1]);
 * assert.deepEqual([...n.rho], [0, 0.25, 0]);
 * ```
 */
export declare function gramNeighbours(gram: Float64Array, d: number, k?: number): GramNeighbours;
/**
 * The lower envelope f(x) = min_i (b_i − 2 x β_i) of lines, for x ≥ 0: only lines on the Pareto
 * front (large β, small b) and then on the convex hull can be the minimum.
 */
export declare class LowerEnvelope {
    /** β of the hull's lines, increasing. */
    private readonly beta;
    /** b of the hull's lines, increasing. */
    private readonly b;
    /** x where line i stops being the minimum and line i + 1 takes over, increasing. */
    private readonly breaks;
    private constructor();
    /**
     * Builds the envelope of lines given in order of non-increasing β.
     *
     * @param beta β_i ≥ 0 of each line, non-increasing.
     * @param b b_i of each line.
     * @param count Lines to use (a prefix of the arrays).
     * @returns The envelope; with no lines, f is +∞.
     * @example
     * ```ts
     * import assert from "node:assert/strict";
     * // Lines 1 − 2x, 0 − 0x, 3 − 6x: min at x = 0 is 0, at x = 1 is −3.
     * const f = LowerEnvelope.build(new Float64Array([3, 1, 0]), new Float64Array([3, 1, 0]), 3);
     * assert.equal(f.at(0), 0);
     * assert.equal(f.at(1), -3);
     * assert.equal(f.at(0.5), 0);
     * ```
     */
    static build(beta: ArrayLike<number>, b: ArrayLike<number>, count: number): LowerEnvelope;
    /**
     * f(x), for x ≥ 0 (x = +∞ included).
     *
     * @param x Where to evaluate.
     * @returns min_i (b_i − 2 x β_i).
     */
    at(x: number): number;
}
