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
export const BOUND_NEIGHBOURS = 8;

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
export function correlation(g: number, su: number, sv: number): number {
  if (g === 0) return 0;
  const scale = su * sv;
  return scale > 0 ? Math.abs(g) / scale : Infinity;
}

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
export function gramNeighbours(
  gram: Float64Array,
  d: number,
  k: number = BOUND_NEIGHBOURS,
): GramNeighbours {
  const root = new Float64Array(d);
  for (let j = 0; j < d; j++) root[j] = Math.sqrt(Math.max(0, gram[j * d + j]));
  const index = new Int32Array(d * k).fill(-1);
  const value = new Float64Array(d * k);
  const rho = new Float64Array(d);
  // The k + 1 largest correlations of a channel, in descending order.
  const topC = new Float64Array(k + 1);
  const topV = new Int32Array(k + 1);
  for (let u = 0; u < d; u++) {
    let count = 0;
    for (let v = 0; v < d; v++) {
      if (v === u) continue;
      const c = correlation(gram[u * d + v], root[u], root[v]);
      if (count === k + 1 && !(c > topC[k])) continue;
      let at = count < k + 1 ? count++ : k;
      while (at > 0 && c > topC[at - 1]) {
        topC[at] = topC[at - 1];
        topV[at] = topV[at - 1];
        at--;
      }
      topC[at] = c;
      topV[at] = v;
    }
    for (let j = 0; j < Math.min(k, count); j++) {
      index[u * k + j] = topV[j];
      value[u * k + j] = gram[u * d + topV[j]];
    }
    rho[u] = count > k ? topC[k] : 0;
  }
  return { k, root, index, value, rho };
}

/**
 * The lower envelope f(x) = min_i (b_i − 2 x β_i) of lines, for x ≥ 0: only lines on the Pareto
 * front (large β, small b) and then on the convex hull can be the minimum.
 */
export class LowerEnvelope {
  private constructor(
    /** β of the hull's lines, increasing. */
    private readonly beta: Float64Array,
    /** b of the hull's lines, increasing. */
    private readonly b: Float64Array,
    /** x where line i stops being the minimum and line i + 1 takes over, increasing. */
    private readonly breaks: Float64Array,
  ) {}

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
  static build(beta: ArrayLike<number>, b: ArrayLike<number>, count: number): LowerEnvelope {
    // Pareto front, walked from the largest β: a line is useful only if its b is smaller than
    // that of every line with a larger (or equal) β.
    const frontBeta: number[] = [];
    const frontB: number[] = [];
    for (let i = 0; i < count; i++) {
      if (frontB.length > 0 && !(b[i] < frontB[frontB.length - 1])) continue;
      if (frontBeta.length > 0 && beta[i] === frontBeta[frontBeta.length - 1]) {
        frontB[frontB.length - 1] = b[i];
        continue;
      }
      frontBeta.push(beta[i]);
      frontB.push(b[i]);
    }
    // Convex hull, from the smallest β (the minimum at x = 0) up.
    const hullBeta: number[] = [];
    const hullB: number[] = [];
    for (let i = frontBeta.length - 1; i >= 0; i--) {
      const nb = frontBeta[i];
      const nv = frontB[i];
      while (hullBeta.length >= 2) {
        const last = hullBeta.length - 1;
        const ab = hullBeta[last - 1];
        const av = hullB[last - 1];
        // The last line is never the minimum when the new one crosses the one before it no
        // later than the last one does: (nv − av)/(nb − ab) ≤ (lv − av)/(lb − ab).
        if ((nv - av) * (hullBeta[last] - ab) <= (hullB[last] - av) * (nb - ab)) {
          hullBeta.pop();
          hullB.pop();
        } else break;
      }
      hullBeta.push(nb);
      hullB.push(nv);
    }
    const breaks = new Float64Array(Math.max(0, hullBeta.length - 1));
    for (let i = 0; i + 1 < hullBeta.length; i++) {
      breaks[i] = (hullB[i + 1] - hullB[i]) / (2 * (hullBeta[i + 1] - hullBeta[i]));
    }
    return new LowerEnvelope(Float64Array.from(hullBeta), Float64Array.from(hullB), breaks);
  }

  /**
   * f(x), for x ≥ 0 (x = +∞ included).
   *
   * @param x Where to evaluate.
   * @returns min_i (b_i − 2 x β_i).
   */
  at(x: number): number {
    const n = this.beta.length;
    if (n === 0) return Infinity;
    if (x === Infinity) return this.beta[n - 1] > 0 ? -Infinity : this.b[n - 1];
    let low = 0;
    let high = this.breaks.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.breaks[mid] < x) low = mid + 1;
      else high = mid;
    }
    // The line found and its neighbours: rounding in the breakpoints cannot pick a wrong one.
    let value = Infinity;
    for (let i = Math.max(0, low - 1); i <= Math.min(n - 1, low + 1); i++) {
      value = Math.min(value, this.b[i] - 2 * x * this.beta[i]);
    }
    return value;
  }
}
