/**
 * The kernel interface: the heavy operations of SparseSwaps that every backend implements.
 * The algorithm itself (core/sparseswaps.ts) lives once, above this interface.
 *
 * Notation (one row of a layer; see docs in ../shared/docs/method.md, "The 1-swap"):
 *
 *     w (d,)       dense weights of the row      m (d,)  mask, 1 = kept
 *     v (d,)       current values: v_j = w_j unless an update moved a kept weight
 *     q = w − m⊙v  the row's residual            G (d,d) Gram matrix XXᵀ of the inputs
 *     c = G q      correlation vector            L = qᵀ c  the row's pruning error
 *     ΔL(u,p) = a_u + b_p − 2 v_u v_p G_up,  a_u = 2 v_u c_u + v_u² G_uu,
 *                                           b_p = −2 v_p c_p + v_p² G_pp
 *
 * Swapping kept u for pruned p changes q by v_u e_u − v_p e_p: u's value leaves the row and p
 * comes back at its dense value (a pruned p always has v_p = w_p); after the swap v_u = w_u, the
 * value u would come back with. With v = w (no update) q = (1−m)⊙w, SparseSwaps' own setting.
 *
 * Rows and Gram matrices live inside the backend (on the GPU they stay resident across
 * iterations); the handles below are opaque and only valid with the backend that made them.
 * Ties between equal gains go to the smallest `u`, then the smallest `p`.
 *
 * @module
 */

import type { AttentionOptions } from "./attention.ts";
import type { ChunkLayout } from "./model/forward.ts";

/** The backends this package knows about. */
export type BackendName = "reference" | "wasm" | "webgpu";

/** A Gram matrix G (d, d) held by a backend. */
export interface GramHandle {
  /** Side of the matrix (input features). */
  readonly d: number;
}

/** A batch of rows held by a backend: w, v, mask and c, each (rows, d). */
export interface RowBatchHandle {
  /** Rows in the batch. */
  readonly rows: number;
  /** Row length (input features). */
  readonly d: number;
}

/** The best feasible swap of each searched row. Arrays are aligned with the `active` rows. */
export interface SwapProposals {
  /**
   * (active,) ΔL of the best pair; +Infinity where the row has no feasible pair, or none below
   * its threshold.
   */
  readonly gain: Float64Array;
  /** (active,) kept index `u` to prune, -1 where none. */
  readonly prune: Int32Array;
  /** (active,) pruned index `p` to restore, -1 where none. */
  readonly restore: Int32Array;
  /**
   * Feasible pairs whose gain ΔL(u, p) the search evaluated, over all searched rows
   * (bookkeeping included: the bounds' exact neighbour terms and the first guess). Absent for
   * a search that evaluates every feasible pair.
   */
  readonly pairsEvaluated?: number;
}

/**
 * How bestSwaps searches a per-row pattern:
 *
 * - `bounded` (default): skips every kept u whose exact lower bound (core/bounds.ts) shows its
 *   best pair cannot beat the best found so far;
 * - `brute-force`: evaluates every feasible pair; the oracle tests and benchmarks compare with.
 *
 * Both choose the same pair (ties to the smallest u, then p). N:M patterns, with M feasible
 * pairs per block at most, are always searched in full.
 */
export type PairSearch = "bounded" | "brute-force";

/** Options of {@linkcode Kernels.createGram}. */
export interface CreateGramOptions {
  /** Side of the matrix. */
  readonly d: number;
  /** G (d, d) row-major; omitted means all zeros (to accumulate into). Must be symmetric. */
  readonly values?: Float32Array | Float64Array;
}

/** Options of {@linkcode Kernels.gramAccumulate}. */
export interface GramAccumulateOptions {
  /** G (d, d), updated in place. */
  readonly gram: GramHandle;
  /** X (tokens, d) row-major: one input vector per token, or activations the backend holds. */
  readonly x: Float32Array | ActivationHandle;
  /** Number of tokens in `x`. */
  readonly tokens: number;
}

/** Options of {@linkcode Kernels.loadRows}. */
export interface LoadRowsOptions {
  /** w (rows, d) row-major: the dense weights the row's error is measured against. */
  readonly weight: Float32Array;
  /**
   * v (rows, d): the kept weights' current values (e.g. after a weight update); default w.
   * Entries where the mask is 0 are ignored (a pruned weight's value is w).
   */
  readonly values?: Float32Array;
  /** m (rows, d) row-major, 1 = kept; must already satisfy the sparsity pattern. */
  readonly mask: Uint8Array;
  /** Rows in the batch. */
  readonly rows: number;
  /** Row length. */
  readonly d: number;
}

/** A Gram matrix and a batch of rows: the operands of the refinement kernels. */
export interface RowsAndGram {
  /** G (d, d). */
  readonly gram: GramHandle;
  /** The rows. */
  readonly batch: RowBatchHandle;
}

/** Options of {@linkcode Kernels.bestSwaps}. */
export interface BestSwapsOptions extends RowsAndGram {
  /** (active,) indices of the batch rows to search, ascending. */
  readonly active: Uint32Array;
  /** Swaps stay inside blocks of this many columns: d for per-row sparsity, M for N:M. */
  readonly blockLength: number;
  /**
   * (active,) per row, the gain a pair must be below to matter: a row whose best gain is not
   * below it may report no pair (+Infinity) instead. Default: every row's best pair.
   */
  readonly threshold?: Float64Array;
  /** Bounded (default) or brute-force search; both choose the same pair. */
  readonly search?: PairSearch;
}

/** Options of {@linkcode Kernels.applySwaps}. */
export interface ApplySwapsOptions extends RowsAndGram {
  /** (k,) batch rows that accept a swap, ascending and distinct. */
  readonly rows: Uint32Array;
  /** (k,) kept index `u` each row prunes. */
  readonly prune: Int32Array;
  /** (k,) pruned index `p` each row restores. */
  readonly restore: Int32Array;
}

/** A weight matrix w (rows, cols) held by a backend, for products repeated many times. */
export interface MatrixHandle {
  /** Rows (a linear layer's outputs). */
  readonly rows: number;
  /** Columns (its inputs). */
  readonly cols: number;
  /** Bytes the backend keeps for it. */
  readonly bytes: number;
}

/** Options of {@linkcode Kernels.createMatrix}. */
export interface CreateMatrixOptions {
  /**
   * w (rows, cols) row-major, float32 values or bfloat16 bits (a BF16 checkpoint's own storage:
   * the wasm backend keeps them in half the memory and widens them exactly in its products, so
   * products equal those of the float32 values); copied, so later changes do not reach the
   * backend.
   */
  readonly values: Float32Array | Uint16Array;
  /** Rows. */
  readonly rows: number;
  /** Columns. */
  readonly cols: number;
}

/** Options of {@linkcode Kernels.matmul}. */
export interface MatmulOptions {
  /** x (n, k) row-major. */
  readonly x: Float32Array;
  /** w (m, k) row-major (a linear layer's weight), or a matrix made by createMatrix. */
  readonly w: Float32Array | MatrixHandle;
  /** Rows of x. */
  readonly n: number;
  /** Inner dimension. */
  readonly k: number;
  /** Rows of w (outputs). */
  readonly m: number;
}

/**
 * Activations (rows, width) held by a backend: the values a forward pass hands from one step to
 * the next. On the GPU they stay resident, so a block's forward pass moves only its input and
 * output (and what calibration reads: Gram sums and channel moments); on the CPU they are arrays.
 */
export interface ActivationHandle {
  /** Rows (tokens, in chunk order: sequence b's token t is row b·tokens + t). */
  readonly rows: number;
  /** Features per row. */
  readonly width: number;
}

/** Options of {@linkcode Kernels.createActivation}. */
export interface CreateActivationOptions {
  /** x (rows, width) row-major; copied. */
  readonly values: Float32Array;
  /** Features per row. */
  readonly width: number;
}

/** Options of {@linkcode Kernels.rmsNorm}. */
export interface RmsNormOptions {
  /** x (rows, width). */
  readonly x: ActivationHandle;
  /** (width,) gain. */
  readonly weight: Float32Array;
  /** Added to the mean square. */
  readonly eps: number;
}

/** Options of {@linkcode Kernels.rotary}. */
export interface RotaryOptions {
  /** x (batch·tokens, heads·headDim), rotated in place. */
  readonly x: ActivationHandle;
  /** Heads in a row. */
  readonly heads: number;
  /** Head size (even). */
  readonly headDim: number;
  /** Positions of the rows. */
  readonly layout: ChunkLayout;
  /** (headDim/2,) angular frequencies θ_i (ropeFrequencies). */
  readonly frequencies: Float64Array;
}

/** Options of {@linkcode Kernels.causalAttention}: a chunk that attends within itself. */
export interface CausalAttentionOptions {
  /** q (batch·tokens, nHeads·headDim), rotated. */
  readonly q: ActivationHandle;
  /** k (batch·tokens, nKvHeads·headDim), rotated. */
  readonly k: ActivationHandle;
  /** v (batch·tokens, nKvHeads·headDim). */
  readonly v: ActivationHandle;
  /** The chunk (start 0: token t sees tokens [0, t] of its sequence). */
  readonly layout: ChunkLayout;
  /** Query heads. */
  readonly nHeads: number;
  /** Key/value heads. */
  readonly nKvHeads: number;
  /** Head size. */
  readonly headDim: number;
}

/** Keys and values of the positions a batch of sequences has seen, held by a backend. */
export interface KvCacheHandle {
  /** Sequences. */
  readonly batch: number;
  /** Positions each sequence can hold. */
  readonly capacity: number;
}

/** Options of {@linkcode Kernels.createKvCache}. */
export interface CreateKvCacheOptions {
  /** Sequences. */
  readonly batch: number;
  /** Positions each sequence can hold. */
  readonly capacity: number;
  /** Key/value heads. */
  readonly nKvHeads: number;
  /** Head size. */
  readonly headDim: number;
  /**
   * Keep the cache in host memory even where the backend could hold it (the wasm backend's
   * 4 GiB being spoken for); attention over it then copies it in at each step.
   */
  readonly inHostMemory?: boolean;
}

/** Options of {@linkcode Kernels.attendCached}: a generation step's attention. */
export interface AttendCachedOptions extends Omit<CausalAttentionOptions, "layout"> {
  /** The cache; k and v join it at [start, start + tokens). */
  readonly cache: KvCacheHandle;
  /** The chunk: token t sees positions [0, start + t] of its sequence. */
  readonly layout: ChunkLayout;
}

/** Options of {@linkcode Kernels.channelMoments}. */
export interface ChannelMomentsOptions {
  /** x (rows, width). */
  readonly x: ActivationHandle;
  /** (width,) Σ over rows of x, added to. */
  readonly sum: Float64Array;
  /** (width,) Σ over rows of x², added to. */
  readonly squares: Float64Array;
}

/** Options of {@linkcode Kernels.rebuildRows}. */
export interface RebuildOptions {
  /** G (d, d). */
  readonly gram: GramHandle;
  /** W (rows, d): the dense weights the update approximates. */
  readonly weight: Float32Array;
  /** Mask (rows, d), 1 = kept. */
  readonly mask: Uint8Array;
  /** Rows of W. */
  readonly rows: number;
  /** Columns of W. */
  readonly d: number;
  /** α of the damping Λ = α · diag(G) + ε · I (see core/update.ts). */
  readonly damping: number;
  /** Names the layer in error messages. */
  readonly label?: string;
}

/** Updated weights and their errors. */
export interface RebuildResult {
  /** W' (rows, d): kept weights updated, exactly zero where the mask is 0. */
  readonly weight: Float32Array;
  /** (rows,) ‖(w − w')X‖² = qᵀGq on the undamped G, float64. */
  readonly errors: Float64Array;
}

/** The heavy operations of SparseSwaps and of the calibration forward pass. */
export interface Kernels {
  /** Which backend this is. */
  readonly name: BackendName;
  /** Human-readable description (e.g. the GPU adapter), for reports. */
  readonly description: string;
  /**
   * Names the arithmetic: kernels with equal `numerics` give bit-identical results, whatever
   * their thread count (a resumed run checks it continues with the same).
   */
  readonly numerics: string;
  /**
   * Acceptance guard set by the backend's arithmetic: a proposed swap is accepted only when
   * `gain < −gainTolerance · L`, so rounding noise can never pass for an improvement.
   */
  readonly gainTolerance: number;
  /**
   * Iterations between recomputations of c (and L) from scratch, which also stop rows whose
   * error no longer falls. A recomputation costs O(d·|P|) per row, as much as many bounded
   * searches, so it is as rare as the backend's arithmetic allows: float64 updates of c drift by
   * about 1e-16 of its terms per swap, float32 ones by about 1e-7.
   */
  readonly recomputeEvery: number;

  /** Makes a Gram matrix G (d, d), zero or from values. */
  createGram(options: CreateGramOptions): Promise<GramHandle>;
  /** G (d, d) += Xᵀ X with X (tokens, d). */
  gramAccumulate(options: GramAccumulateOptions): Promise<void>;
  /** Reads G (d, d) back, row-major. */
  readGram(gram: GramHandle): Promise<Float64Array>;
  /** Reads diag(G) (d,) back: what Wanda and RIA need, without moving all of G. */
  readGramDiagonal(gram: GramHandle): Promise<Float64Array>;

  /** Loads w (rows, d) and its mask; c is undefined until {@linkcode Kernels.correlate}. */
  loadRows(options: LoadRowsOptions): Promise<RowBatchHandle>;
  /**
   * c = G q for every row of the batch, from scratch; returns L = qᵀ c per row (rows,).
   */
  correlate(options: RowsAndGram): Promise<Float64Array>;
  /**
   * L = qᵀ c per row (rows,), from the c the batch holds (kept current by applySwaps), without
   * recomputing c: O(d) per row instead of correlate's O(d·|P|).
   */
  rowErrors(options: RowsAndGram): Promise<Float64Array>;
  /**
   * argmin over feasible (u kept, p pruned, same block) of ΔL(u, p), per active row, with ΔL
   * of the chosen pair; rows whose best gain is not below their threshold may report none.
   */
  bestSwaps(options: BestSwapsOptions): Promise<SwapProposals>;
  /**
   * Swaps u ↔ p in the mask of each listed row, updates c ← c + v_u G[:,u] − v_p G[:,p] and
   * resets v_u to w_u.
   */
  applySwaps(options: ApplySwapsOptions): Promise<void>;
  /** Reads the batch's mask (rows, d) back. */
  readMask(batch: RowBatchHandle): Promise<Uint8Array>;

  /**
   * The exact least-squares update of the kept weights for a fixed mask, per row
   * (w'_K = w_K + (G_KK + Λ)⁻¹ G_KP w_P, in float64), with its errors on the undamped G.
   */
  rebuildRows(options: RebuildOptions): Promise<RebuildResult>;

  /** Keeps a weight matrix in the backend, so repeated products do not copy it each time. */
  createMatrix(options: CreateMatrixOptions): Promise<MatrixHandle>;
  /** y (n, m) = x (n, k) · wᵀ, with w (m, k): a linear layer without bias. */
  matmul(options: MatmulOptions): Promise<Float32Array>;
  /**
   * Causal grouped-query attention of a chunk's queries over a cache, every head of every
   * sequence: (batch·tokens, nHeads·headDim).
   */
  attention(options: AttentionOptions): Promise<Float32Array>;

  /*
   * A forward pass's steps on activations the backend holds (core/model/forward.ts composes
   * them). The CPU backends run the float64 TypeScript steps of forward.ts; WebGPU runs WGSL
   * and, between reads, only queues its work: errors surface at the next read.
   */
  /** Copies x (rows, width) into the backend. */
  createActivation(options: CreateActivationOptions): Promise<ActivationHandle>;
  /** Reads activations back, row-major. */
  readActivation(x: ActivationHandle): Promise<Float32Array>;
  /** A copy of rows [first, first + rows). */
  sliceRows(x: ActivationHandle, first: number, rows: number): Promise<ActivationHandle>;
  /** RMSNorm per row: x_i / sqrt(mean(x²) + eps) · weight_i. */
  rmsNorm(options: RmsNormOptions): Promise<ActivationHandle>;
  /** y (rows, w.rows) = x · wᵀ: a linear layer without bias. */
  linear(x: ActivationHandle, w: Float32Array | MatrixHandle): Promise<ActivationHandle>;
  /** Rotary embedding in place ("rotate_half": element i pairs with i + headDim/2). */
  rotary(options: RotaryOptions): Promise<void>;
  /** Causal grouped-query attention within a chunk: (batch·tokens, nHeads·headDim). */
  causalAttention(options: CausalAttentionOptions): Promise<ActivationHandle>;
  /** An empty key/value cache (for generation, one per block). */
  createKvCache(options: CreateKvCacheOptions): Promise<KvCacheHandle>;
  /**
   * Stores the chunk's k and v in the cache at [start, start + tokens), then attends over every
   * position so far: (batch·tokens, nHeads·headDim).
   */
  attendCached(options: AttendCachedOptions): Promise<ActivationHandle>;
  /** SwiGLU: silu(gate) · up, elementwise. */
  swiglu(gate: ActivationHandle, up: ActivationHandle): Promise<ActivationHandle>;
  /** h += delta (a residual connection). */
  addInPlace(h: ActivationHandle, delta: ActivationHandle): Promise<void>;
  /** Adds each column's sum and sum of squares over the rows to float64 totals. */
  channelMoments(options: ChannelMomentsOptions): Promise<void>;
  /**
   * −log softmax(row r)[targets[r]] of the first targets.length rows of logits (rows, vocab):
   * what perplexity needs, without reading the logits back.
   */
  tokenLosses(logits: ActivationHandle, targets: Int32Array): Promise<Float64Array>;

  /** Frees a handle's storage. */
  release(
    handle: GramHandle | RowBatchHandle | MatrixHandle | ActivationHandle | KvCacheHandle,
  ): void;
  /** Stops the backend's threads and frees everything; the kernels are unusable afterwards. */
  dispose(): void;
}
