/**
 * The reference backend: the living definition of every kernel. Plain TypeScript, float64
 * storage and accumulation, the simplest loops and no tuning. Every other backend is tested
 * against it; do not optimise it.
 *
 * @module
 */

import { attentionByProducts, type AttentionOptions } from "../attention.ts";
import { bfloat16ToFloat32 } from "../float16.ts";
import { hostForwardKernels, hostValues } from "../host_forward.ts";
import { rebuildRowsFloat64 } from "../update.ts";
import type {
  ApplySwapsOptions,
  BestSwapsOptions,
  CreateGramOptions,
  CreateMatrixOptions,
  GramAccumulateOptions,
  GramHandle,
  Kernels,
  LoadRowsOptions,
  MatmulOptions,
  MatrixHandle,
  RowBatchHandle,
  RowsAndGram,
  SwapProposals,
} from "../kernels.ts";
import {
  BOUND_NEIGHBOURS,
  correlation,
  type GramNeighbours,
  gramNeighbours,
  LowerEnvelope,
} from "../bounds.ts";

class ReferenceGram implements GramHandle {
  /** G (d, d) row-major. */
  readonly values: Float64Array;
  /** The bounds' neighbour lists, made on the first bounded search after G changed. */
  neighbours?: GramNeighbours;
  constructor(readonly d: number, values?: Float32Array | Float64Array) {
    this.values = values ? Float64Array.from(values) : new Float64Array(d * d);
  }
}

class ReferenceRows implements RowBatchHandle {
  readonly rows: number;
  readonly d: number;
  /** w (rows, d). */
  readonly weight: Float64Array;
  /** v (rows, d): w where pruned, the kept weights' current values where kept. */
  readonly values: Float64Array;
  /** m (rows, d), 1 = kept. */
  readonly mask: Uint8Array;
  /** c (rows, d) = G q. */
  readonly correlation: Float64Array;
  constructor({ weight, values, mask, rows, d }: LoadRowsOptions) {
    this.rows = rows;
    this.d = d;
    this.weight = Float64Array.from(weight.subarray(0, rows * d));
    this.mask = mask.slice(0, rows * d);
    this.values = Float64Array.from(
      this.weight,
      (w, i) => (values && this.mask[i] ? values[i] : w),
    );
    this.correlation = new Float64Array(rows * d);
  }

  /** q_j = w_j − m_j v_j of the element at `at`. */
  residual(at: number): number {
    return this.mask[at] ? this.weight[at] - this.values[at] : this.weight[at];
  }
}

class ReferenceMatrix implements MatrixHandle {
  readonly bytes: number;
  constructor(readonly rows: number, readonly cols: number, readonly values: Float32Array) {
    this.bytes = values.byteLength;
  }
}

function createMatrix({ values, rows, cols }: CreateMatrixOptions): Promise<MatrixHandle> {
  const count = rows * cols;
  // bfloat16 bits widen exactly: the reference keeps every matrix in float32.
  const float32 = values instanceof Uint16Array
    ? bfloat16ToFloat32(values.subarray(0, count))
    : values.slice(0, count);
  return Promise.resolve(new ReferenceMatrix(rows, cols, float32));
}

function asGram(handle: GramHandle): ReferenceGram {
  if (!(handle instanceof ReferenceGram)) throw new TypeError("Gram handle is not a reference one");
  return handle;
}

function asRows(handle: RowBatchHandle): ReferenceRows {
  if (!(handle instanceof ReferenceRows)) throw new TypeError("Row handle is not a reference one");
  return handle;
}

function createGram({ d, values }: CreateGramOptions): Promise<GramHandle> {
  return Promise.resolve(new ReferenceGram(d, values));
}

function attention(options: AttentionOptions): Promise<Float32Array> {
  return attentionByProducts(matmul, options);
}

function gramAccumulate({ gram, x, tokens }: GramAccumulateOptions): Promise<void> {
  const g = asGram(gram);
  const update = gramOf(hostValues(x), tokens, g.d);
  for (let i = 0; i < update.length; i++) g.values[i] += update[i];
  g.neighbours = undefined;
  return Promise.resolve();
}

function readGram(gram: GramHandle): Promise<Float64Array> {
  return Promise.resolve(asGram(gram).values.slice());
}

function readGramDiagonal(gram: GramHandle): Promise<Float64Array> {
  const g = asGram(gram);
  return Promise.resolve(Float64Array.from({ length: g.d }, (_, j) => g.values[j * g.d + j]));
}

function loadRows(options: LoadRowsOptions): Promise<RowBatchHandle> {
  return Promise.resolve(new ReferenceRows(options));
}

function rowErrors(options: RowsAndGram): Promise<Float64Array> {
  const b = asRows(options.batch);
  const errors = new Float64Array(b.rows);
  for (let r = 0; r < b.rows; r++) {
    let error = 0;
    for (let j = 0; j < b.d; j++) {
      const q = b.residual(r * b.d + j);
      if (q !== 0) error += q * b.correlation[r * b.d + j];
    }
    errors[r] = error;
  }
  return Promise.resolve(errors);
}

function correlate(options: RowsAndGram): Promise<Float64Array> {
  const g = asGram(options.gram);
  const b = asRows(options.batch);
  const d = b.d;
  for (let r = 0; r < b.rows; r++) {
    const row = r * d;
    // c_i = Σ_j G_ij q_j, where q_j = w_j for pruned j and w_j − v_j for kept j.
    for (let i = 0; i < d; i++) {
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const q = b.residual(row + j);
        if (q !== 0) sum += g.values[i * d + j] * q;
      }
      b.correlation[row + i] = sum;
    }
  }
  return rowErrors(options);
}

function bestSwaps(
  options: BestSwapsOptions,
  neighbourCount: number,
): Promise<SwapProposals> {
  const g = asGram(options.gram);
  const b = asRows(options.batch);
  const { active, blockLength } = options;
  const d = b.d;
  const gain = new Float64Array(active.length).fill(Infinity);
  const prune = new Int32Array(active.length).fill(-1);
  const restore = new Int32Array(active.length).fill(-1);
  let pairsEvaluated = 0;
  const bounded = blockLength === d && (options.search ?? "bounded") === "bounded";
  if (bounded) g.neighbours ??= gramNeighbours(g.values, d, neighbourCount);
  for (let k = 0; k < active.length; k++) {
    const row = active[k] * d;
    const v = b.values.subarray(row, row + d);
    const mask = b.mask.subarray(row, row + d);
    const c = b.correlation.subarray(row, row + d);
    const best = bounded
      ? boundedSearch(g.values, d, v, mask, c, g.neighbours!, options.threshold?.[k] ?? Infinity)
      : bruteForceSearch(g.values, d, blockLength, v, mask, c);
    gain[k] = best.gain;
    prune[k] = best.u;
    restore[k] = best.p;
    pairsEvaluated += best.evaluated;
  }
  return Promise.resolve({ gain, prune, restore, pairsEvaluated });
}

/** One row's best pair and the pair gains evaluated to find it. */
interface RowSearch {
  gain: number;
  u: number;
  p: number;
  evaluated: number;
}

/** a_u = 2 v_u c_u + v_u² G_uu (kept u) or b_p = −2 v_p c_p + v_p² G_pp (pruned p). */
function swapTerm(
  g: Float64Array,
  d: number,
  v: Float64Array,
  c: Float64Array,
  j: number,
  kept: boolean,
): number {
  return (kept ? 2 : -2) * v[j] * c[j] + v[j] * v[j] * g[j * d + j];
}

/** Every feasible pair, u then p ascending: ties go to the smallest u, then p. */
function bruteForceSearch(
  g: Float64Array,
  d: number,
  blockLength: number,
  v: Float64Array,
  mask: Uint8Array,
  c: Float64Array,
): RowSearch {
  const best = { gain: Infinity, u: -1, p: -1, evaluated: 0 };
  for (let start = 0; start < d; start += blockLength) {
    for (let u = start; u < start + blockLength; u++) {
      if (mask[u] !== 1) continue;
      const a = swapTerm(g, d, v, c, u, true);
      for (let p = start; p < start + blockLength; p++) {
        if (mask[p] !== 0) continue;
        const delta = a + swapTerm(g, d, v, c, p, false) - 2 * v[u] * v[p] * g[u * d + p];
        best.evaluated++;
        if (delta < best.gain) {
          best.gain = delta;
          best.u = u;
          best.p = p;
        }
      }
    }
  }
  return best;
}

/**
 * Relative rounding allowed for between a bound and the float64 gains it bounds (a few ulps
 * of the terms would do; this is generous and costs almost no extra scans).
 */
const BOUND_ROUNDING = 1e-9;

/** Kept and pruned indices taking part in the first guess: the smallest a_u and b_p. */
const GUESS_TERMS = 2;

/**
 * The bounded search of one row (core/bounds.ts): the same pair as bruteForceSearch whenever
 * its gain is below `threshold`. A first guess τ (the best pair among the smallest a_u × the
 * smallest b_p, and the neighbour pairs) caps the search; then the kept u are scanned in
 * ascending order, each over every pruned p, unless LB_u − margin exceeds
 * min(threshold, τ, best so far).
 */
function boundedSearch(
  g: Float64Array,
  d: number,
  v: Float64Array,
  mask: Uint8Array,
  c: Float64Array,
  neighbours: GramNeighbours,
  threshold: number,
): RowSearch {
  const best = { gain: Infinity, u: -1, p: -1, evaluated: 0 };
  const { root, rho, index, value, k } = neighbours;
  const term = new Float64Array(d);
  const kept: number[] = [];
  const pruned: number[] = [];
  for (let j = 0; j < d; j++) {
    term[j] = swapTerm(g, d, v, c, j, mask[j] === 1);
    (mask[j] === 1 ? kept : pruned).push(j);
  }
  if (kept.length === 0 || pruned.length === 0) return best;
  const delta = (u: number, p: number) => term[u] + term[p] - 2 * v[u] * v[p] * g[u * d + p];
  const beta = (p: number) => Math.abs(v[p]) * root[p];
  const byBeta = [...pruned].sort((x, y) => beta(y) - beta(x));
  const envelope = LowerEnvelope.build(
    byBeta.map(beta),
    byBeta.map((p) => term[p]),
    byBeta.length,
  );
  const betaMax = beta(byBeta[0]);
  let minB = Infinity;
  let maxAbsB = 0;
  for (const p of pruned) {
    minB = Math.min(minB, term[p]);
    maxAbsB = Math.max(maxAbsB, Math.abs(term[p]));
  }
  let guess = Infinity;
  const smallest = (list: number[]) =>
    [...list].sort((x, y) => term[x] - term[y]).slice(0, GUESS_TERMS);
  for (const u of smallest(kept)) {
    for (const p of smallest(pruned)) {
      guess = Math.min(guess, delta(u, p));
      best.evaluated++;
    }
  }
  const lowerBound = new Float64Array(d);
  const margin = new Float64Array(d);
  for (const u of kept) {
    const alpha = Math.abs(v[u]) * root[u];
    let nearest = Infinity;
    let coupling = Math.max(1, rho[u]);
    for (let j = 0; j < k; j++) {
      const p = index[u * k + j];
      if (p < 0 || mask[p] !== 0) continue;
      nearest = Math.min(nearest, term[p] - 2 * v[u] * v[p] * value[u * k + j]);
      coupling = Math.max(coupling, correlation(value[u * k + j], root[u], root[p]));
      guess = Math.min(guess, delta(u, p));
      best.evaluated++;
    }
    const far = v[u] === 0 ? minB : rho[u] === Infinity ? -Infinity : envelope.at(rho[u] * alpha);
    lowerBound[u] = term[u] + Math.min(far, nearest);
    margin[u] = BOUND_ROUNDING * (Math.abs(term[u]) + maxAbsB + 2 * alpha * betaMax * coupling);
  }
  for (const u of kept) {
    // NaN or infinite bounds never skip.
    if (lowerBound[u] - margin[u] > Math.min(threshold, guess, best.gain)) continue;
    for (const p of pruned) {
      const gain = delta(u, p);
      if (gain < best.gain) {
        best.gain = gain;
        best.u = u;
        best.p = p;
      }
    }
    best.evaluated += pruned.length;
  }
  return best;
}

function applySwaps(options: ApplySwapsOptions): Promise<void> {
  const g = asGram(options.gram);
  const b = asRows(options.batch);
  const d = b.d;
  for (let k = 0; k < options.rows.length; k++) {
    const row = options.rows[k] * d;
    const u = options.prune[k];
    const p = options.restore[k];
    const vu = b.values[row + u];
    const vp = b.values[row + p];
    b.mask[row + u] = 0;
    b.mask[row + p] = 1;
    b.values[row + u] = b.weight[row + u];
    for (let i = 0; i < d; i++) {
      b.correlation[row + i] += vu * g.values[i * d + u] - vp * g.values[i * d + p];
    }
  }
  return Promise.resolve();
}

function readMask(batch: RowBatchHandle): Promise<Uint8Array> {
  return Promise.resolve(asRows(batch).mask.slice());
}

function matmul({ x, w: matrix, n, k, m }: MatmulOptions): Promise<Float32Array> {
  let w: Float32Array;
  if (matrix instanceof Float32Array) w = matrix;
  else if (matrix instanceof ReferenceMatrix) w = matrix.values;
  else throw new TypeError("Matrix handle is not a reference one");
  const y = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < m; o++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += x[i * k + j] * w[o * k + j];
      y[i * m + o] = sum;
    }
  }
  return Promise.resolve(y);
}

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
export function gramOf(x: Float32Array, tokens: number, d: number): Float64Array {
  const gram = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let t = 0; t < tokens; t++) {
    for (let j = 0; j < d; j++) row[j] = x[t * d + j];
    for (let i = 0; i < d; i++) {
      const xi = row[i];
      if (xi === 0) continue;
      for (let j = i; j < d; j++) gram[i * d + j] += xi * row[j];
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) gram[i * d + j] = gram[j * d + i];
  }
  return gram;
}

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
export function createReferenceKernels(options: ReferenceOptions = {}): Kernels {
  const neighbourCount = options.neighbours ?? BOUND_NEIGHBOURS;
  return {
    name: "reference",
    description: "float64 TypeScript reference",
    numerics: "reference float64",
    // Gains are float64 sums of a few terms, each at most ~1e3 × L in practice: noise ≤ 1e-12 L.
    gainTolerance: 1e-10,
    // c in float64: recomputations only bound the work of rows that stop improving.
    recomputeEvery: 256,
    createGram,
    gramAccumulate,
    readGram,
    readGramDiagonal,
    loadRows,
    correlate,
    rowErrors,
    bestSwaps: (options) => bestSwaps(options, neighbourCount),
    applySwaps,
    readMask,
    rebuildRows: async (o) => rebuildRowsFloat64({ ...o, gram: await readGram(o.gram) }),
    createMatrix,
    matmul,
    attention,
    ...hostForwardKernels(matmul, attention),
    release: () => {},
    dispose: () => {},
  };
}
