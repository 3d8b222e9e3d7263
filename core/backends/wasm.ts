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

import type { AttentionOptions } from "../attention.ts";
import { BOUND_NEIGHBOURS } from "../bounds.ts";
import { BackendUnavailableError } from "../errors.ts";
import {
  checkCacheRange,
  HostActivation,
  hostForwardKernels,
  HostKvCache,
  hostValues,
} from "../host_forward.ts";
import { storeInCache } from "../model/forward.ts";
import { notPositiveDefinite, updateErrors } from "../linear_algebra.ts";
import { absoluteDamping } from "../update.ts";
import type {
  ActivationHandle,
  ApplySwapsOptions,
  BestSwapsOptions,
  CreateGramOptions,
  CreateMatrixOptions,
  GramAccumulateOptions,
  GramHandle,
  Kernels,
  KvCacheHandle,
  LoadRowsOptions,
  MatmulOptions,
  MatrixHandle,
  RebuildOptions,
  RebuildResult,
  RowBatchHandle,
  RowsAndGram,
  SwapProposals,
} from "../kernels.ts";
import { wasmBytes, type WasmVariant } from "./_wasm_binary.js";
import { callInPieces, type Kernel, wasmImports } from "./_wasm_pieces.ts";
import { startWorker, type WorkerHandle } from "./_worker_host.ts";

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

type KernelName =
  | "gramAccumulate"
  | "gramMirror"
  | "gramNeighbours"
  | "rowOrders"
  | "correlate"
  | "rowErrors"
  | "bestSwapsPerRow"
  | "bestSwapsBounded"
  | "bestSwapsInBlocks"
  | "applySwaps"
  | "matmul"
  | "matmulBf16"
  | "matmulColumns"
  | "matmulColumnsBf16"
  | "attention"
  | "rebuildRows";

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit
/** Allocations are 64-byte aligned: cache lines, and any typed-array view. */
const ALIGN = 64;
/** Bytes below this are left to the module (it has no data, but keep null pointers invalid). */
const HEAP_BASE = PAGE;

/** First-fit allocator over the shared memory; grows it on demand. */
class Heap {
  private readonly free: { start: number; size: number }[] = [];
  private readonly sizes = new Map<number, number>();
  private top = HEAP_BASE;

  constructor(private readonly memory: WebAssembly.Memory) {}

  allocate(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const index = this.free.findIndex((block) => block.size >= size);
    let start: number;
    if (index >= 0) {
      const block = this.free[index];
      start = block.start;
      if (block.size === size) this.free.splice(index, 1);
      else this.free[index] = { start: start + size, size: block.size - size };
    } else {
      start = this.top;
      this.top += size;
      const needed = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
      if (needed > 0) {
        if (this.top > MAX_PAGES * PAGE) {
          this.top -= size;
          throw new RangeError(
            `The wasm backend needs more than 4 GiB for this layer (asked for ${size} more bytes); use smaller row batches`,
          );
        }
        this.memory.grow(needed);
      }
    }
    this.sizes.set(start, size);
    return start;
  }

  release(start: number): void {
    const size = this.sizes.get(start);
    if (size === undefined) return;
    this.sizes.delete(start);
    this.free.push({ start, size });
    this.free.sort((a, b) => a.start - b.start);
    // Coalesce neighbours, then give the last block back to the top.
    for (let i = this.free.length - 2; i >= 0; i--) {
      const a = this.free[i];
      const b = this.free[i + 1];
      if (a.start + a.size === b.start) {
        a.size += b.size;
        this.free.splice(i + 1, 1);
      }
    }
    const last = this.free.at(-1);
    if (last && last.start + last.size === this.top) {
      this.top = last.start;
      this.free.pop();
    }
  }
}

/** The cores this machine offers: `navigator.hardwareConcurrency`, or Node's count before 21. */
async function coreCount(): Promise<number> {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  if (cores) return cores;
  const { availableParallelism } = await import("node:os");
  return availableParallelism();
}

/** Runs kernel calls on the main thread (one thread) or split over workers. */
class Threads {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly local: Record<KernelName, Kernel>,
    private readonly workers: WorkerHandle[],
    /** Constants of the module (assembly/index.ts). */
    readonly constants: ModuleConstants,
    /** See WasmOptions.splitEveryCall. */
    private readonly splitEveryCall: boolean,
  ) {
    for (const worker of workers) {
      worker.onMessage((data) => {
        const { id, error } = data as { id: number; error?: string };
        const waiter = this.pending.get(id);
        this.pending.delete(id);
        if (error) waiter?.reject(new Error(`wasm kernel failed: ${error}`));
        else waiter?.resolve();
      });
    }
  }

  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    count: number,
    splitEveryCall = false,
  ): Promise<Threads> {
    const instance = await WebAssembly.instantiate(module, wasmImports(memory));
    const local = instance.exports as unknown as Record<KernelName, Kernel>;
    const constant = (name: string) =>
      (instance.exports[name] as WebAssembly.Global).value as number;
    const constants = {
      rowBlock: constant("ROW_BLOCK"),
      correlateRows: constant("CORRELATE_ROWS"),
      rowOrderScratchColumns: constant("ROW_ORDER_SCRATCH_COLUMNS"),
      boundedScratchColumns: constant("BOUNDED_SCRATCH_COLUMNS"),
    };
    if (count <= 1) return new Threads(local, [], constants, false);
    // A bundle (bundle/build.ts) names its own worker file here.
    const url = new URL("./_wasm_worker.ts", import.meta.url);
    const workers = await Promise.all(Array.from({ length: count }, () => startWorker(url)));
    await Promise.all(workers.map((worker) =>
      new Promise<void>((resolve, reject) => {
        worker.onMessage(() => resolve());
        worker.onError((message) => reject(new Error(`wasm worker failed to start: ${message}`)));
        worker.post({ module, memory });
      })
    ));
    return new Threads(local, workers, constants, splitEveryCall);
  }

  get count(): number {
    return Math.max(1, this.workers.length);
  }

  /**
   * Runs `name` over each non-empty range, thread t taking ranges[t], in pieces of `chunk` rows;
   * `args(thread)` gives the arguments before the range (per-thread scratch included); `work`
   * estimates the call's multiply-adds when it may be too small to be worth the workers.
   */
  async run(
    name: KernelName,
    ranges: readonly (readonly [number, number])[],
    chunk: number,
    args: (thread: number) => number[],
    work = Infinity,
  ): Promise<void> {
    const rows = ranges.reduce((n, [first, end]) => n + Math.max(0, end - first), 0);
    if (this.splitEveryCall) chunk = 1;
    // A call that fits in one piece, or costs less than a round trip to the workers (about
    // 0.1 ms, some 2²⁰ multiply-adds), runs here.
    const small = rows <= chunk || (work < 2 ** 20 && !this.splitEveryCall);
    if (this.workers.length === 0 || small) {
      for (const [first, end] of ranges) callInPieces(this.local[name], args(0), first, end, chunk);
      return;
    }
    await Promise.all(ranges.map(([first, end], thread) => {
      if (end <= first) return Promise.resolve();
      const id = this.nextId++;
      return new Promise<void>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.workers[thread].post({ id, name, args: args(thread), first, end, chunk });
      });
    }));
  }

  terminate(): void {
    for (const worker of this.workers) worker.terminate();
  }
}

/**
 * Rows per kernel call when a row costs `workPerRow` multiply-adds: about 2¹⁸ per call, a
 * fraction of a millisecond, so the optimised code takes over after the first few calls (see
 * callInPieces) while the call overhead (well under a microsecond) stays negligible.
 */
function rowsPerCall(workPerRow: number): number {
  return Math.max(1, Math.floor(2 ** 18 / workPerRow));
}

/**
 * Gram rows per call: each call streams the whole X once, so pieces must be large enough that
 * X is not re-read from memory for every row (32 rows: X read d/32 times per accumulation).
 */
const GRAM_ROWS_PER_CALL = 32;

/** Rows of x per matmul call: the kernel's tile (assembly/matmul.ts), so w is reused 16 times. */
const MATMUL_ROWS_PER_CALL = 16;

/** Splits [0, n) into `parts` contiguous ranges of (nearly) equal length. */
function evenRanges(n: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, t) => [
    Math.floor((t * n) / parts),
    Math.floor(((t + 1) * n) / parts),
  ]);
}

/** Splits the rows of an upper triangle (row i has d − i entries) into ranges of equal area. */
function triangleRanges(d: number, parts: number): [number, number][] {
  const total = (d * (d + 1)) / 2;
  const bounds = [0];
  let area = 0;
  let row = 0;
  for (let t = 1; t < parts; t++) {
    while (row < d && area < (t * total) / parts) area += d - row++;
    bounds.push(row);
  }
  bounds.push(d);
  return Array.from({ length: parts }, (_, t) => [bounds[t], bounds[t + 1]]);
}

/** Constants the module exports. */
interface ModuleConstants {
  /** Rows the per-row pair search handles together (ROW_BLOCK in assembly/swaps.ts). */
  readonly rowBlock: number;
  /** Rows correlate handles together (CORRELATE_ROWS in assembly/swaps.ts). */
  readonly correlateRows: number;
  /** Scratch of rowOrders per thread, in units of d bytes (plus 1 KiB). */
  readonly rowOrderScratchColumns: number;
  /** Scratch of bestSwapsBounded per thread, in units of d bytes. */
  readonly boundedScratchColumns: number;
}

/** The bounds' per-G part (assembly/bounds.ts), in the shared memory. */
interface WasmNeighbours {
  /** s (d,) f64 = √max(G_jj, 0). */
  readonly root: number;
  /** 1 / s (d,) f64, +∞ where s = 0. */
  readonly inverseRoot: number;
  /** (d, K) i32. */
  readonly index: number;
  /** (d, K) f64. */
  readonly value: number;
  /** ρ (d,) f64. */
  readonly rho: number;
  /** max(1, largest C_uv) (d,) f64: scales the rounding margins. */
  readonly coupling: number;
}

class WasmGram implements GramHandle {
  /** Lower triangle, float32 copy and diagonal are stale until ready() runs. */
  stale = true;
  /** Neighbour lists of the bounds, made on the first bounded search after G changed. */
  neighbours?: WasmNeighbours;
  constructor(
    readonly d: number,
    /** G (d, d) f64. */
    readonly g64: number,
    /** G (d, d) f32, for the pair searches' ranking. */
    readonly g32: number,
    /** diag G (d,) f64, contiguous (the searches read it for every row). */
    readonly diag: number,
  ) {}
}

class WasmMatrix implements MatrixHandle {
  readonly bytes: number;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly values: number,
    /** Kept as bfloat16 bits (2 bytes a weight), widened by the bf16 products. */
    readonly bfloat16: boolean,
  ) {
    this.bytes = rows * cols * (bfloat16 ? 2 : 4);
  }
}

/** A key/value cache in the wasm memory, laid out as core/model/forward.ts's LayerCache. */
class WasmKvCache implements KvCacheHandle {
  constructor(
    readonly batch: number,
    readonly capacity: number,
    readonly keys: number,
    readonly values: number,
    /** Floats in each of keys and values. */
    readonly size: number,
  ) {}
}

class WasmRows implements RowBatchHandle {
  constructor(
    readonly rows: number,
    readonly d: number,
    readonly weight: number,
    /** v (rows, d) f32: the `weight` buffer itself when the kept weights keep their values. */
    readonly values: number,
    readonly mask: number,
    readonly corr: number,
    readonly errors: number,
  ) {}
  /** (rows, d) i32: each row's channels by β descending, for the G it was made with. */
  order?: { readonly gram: WasmGram; readonly pointer: number };
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
export async function createWasmKernels(options: WasmOptions = {}): Promise<Kernels> {
  const relaxed = wasmBytes("relaxed");
  let variant = options.variant ?? (WebAssembly.validate(relaxed) ? "relaxed" : "simd");
  let memory: WebAssembly.Memory;
  // Browsers offer shared memory only to cross-origin isolated pages; without it the plain SIMD
  // module runs on unshared memory, on this thread alone (the same arithmetic as "simd").
  // (A page that is not isolated may still create shared memory, but not send it to a worker.)
  let unshared: string | undefined =
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false
      ? "the page is not cross-origin isolated"
      : undefined;
  try {
    if (unshared) throw new Error(unshared);
    memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
  } catch (error) {
    memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES });
    unshared = (error as Error).message;
    variant = "simd";
  }
  const bytes = unshared
    ? wasmBytes("private")
    : variant === "relaxed"
    ? relaxed
    : wasmBytes("simd");
  if (!WebAssembly.validate(bytes)) {
    throw new BackendUnavailableError("wasm", `this engine cannot run WebAssembly ${variant}`);
  }
  const threadCount = unshared ? 1 : Math.max(1, Math.floor(options.threads ?? await coreCount()));
  const module = await WebAssembly.compile(bytes);
  const threads = await Threads.start(module, memory, threadCount, options.splitEveryCall)
    .catch((error) => {
      throw new BackendUnavailableError("wasm", (error as Error).message);
    });
  const heap = new Heap(memory);

  const f64 = (ptr: number, n: number) => new Float64Array(memory.buffer, ptr, n);
  const f32 = (ptr: number, n: number) => new Float32Array(memory.buffer, ptr, n);
  const i32 = (ptr: number, n: number) => new Int32Array(memory.buffer, ptr, n);
  const u8 = (ptr: number, n: number) => new Uint8Array(memory.buffer, ptr, n);

  /** Allocates per-call buffers, runs `body`, and frees them whatever happens. */
  async function withBuffers<T>(
    sizes: readonly number[],
    body: (...pointers: number[]) => Promise<T>,
  ): Promise<T> {
    const pointers: number[] = [];
    try {
      for (const size of sizes) pointers.push(heap.allocate(size));
      return await body(...pointers);
    } finally {
      for (const ptr of pointers) heap.release(ptr);
    }
  }

  const gramOf = (handle: GramHandle): WasmGram => {
    if (!(handle instanceof WasmGram)) throw new TypeError("Gram handle is not a wasm one");
    return handle;
  };
  const rowsOf = (handle: RowBatchHandle): WasmRows => {
    if (!(handle instanceof WasmRows)) throw new TypeError("Row handle is not a wasm one");
    return handle;
  };

  /** Completes the lower triangle, the float32 copy and the diagonal after G changed. */
  async function ready(handle: GramHandle): Promise<WasmGram> {
    const gram = gramOf(handle);
    if (gram.stale) {
      await threads.run(
        "gramMirror",
        evenRanges(gram.d, threads.count),
        rowsPerCall(gram.d),
        () => [gram.g64, gram.g32, gram.d],
      );
      const { d } = gram;
      const g = f64(gram.g64, d * d);
      const diagonal = f64(gram.diag, d);
      for (let j = 0; j < d; j++) diagonal[j] = g[j * d + j];
      gram.stale = false;
    }
    return gram;
  }

  const constants = threads.constants;
  const neighbourCount = options.neighbours ?? BOUND_NEIGHBOURS;

  function releaseNeighbours(gram: WasmGram): void {
    const n = gram.neighbours;
    if (!n) return;
    for (const ptr of [n.root, n.inverseRoot, n.index, n.value, n.rho, n.coupling]) {
      heap.release(ptr);
    }
    gram.neighbours = undefined;
  }

  /** Copies a search's n gains and pairs out of the shared memory. */
  function proposalsAt(gain: number, prune: number, restore: number, n: number): SwapProposals {
    return {
      gain: f64(gain, n).slice(),
      prune: i32(prune, n).slice(),
      restore: i32(restore, n).slice(),
    };
  }

  /** Best pairs inside blocks of `blockLength` columns (N:M), every pair in float64. */
  function searchBlocks(
    gram: WasmGram,
    b: WasmRows,
    active: Uint32Array,
    blockLength: number,
  ): Promise<SwapProposals> {
    const n = active.length;
    return withBuffers([n * 4, n * 8, n * 4, n * 4], async (activePtr, gain, prune, restore) => {
      i32(activePtr, n).set(active);
      await threads.run(
        "bestSwapsInBlocks",
        evenRanges(n, threads.count),
        rowsPerCall(b.d * blockLength),
        () => [
          gram.g64,
          b.d,
          blockLength,
          b.values,
          b.mask,
          b.corr,
          activePtr,
          gain,
          prune,
          restore,
        ],
      );
      return proposalsAt(gain, prune, restore, n);
    });
  }

  /** Best pairs of per-row patterns by brute force: every kept u scanned over every p. */
  function searchRows(gram: WasmGram, b: WasmRows, active: Uint32Array): Promise<SwapProposals> {
    const n = active.length;
    const d = b.d;
    const scratchPerThread = 2 * constants.rowBlock * d * 4;
    return withBuffers(
      [n * 4, n * 8, n * 4, n * 4, threads.count * scratchPerThread],
      async (activePtr, gain, prune, restore, scratch) => {
        i32(activePtr, n).set(active);
        await threads.run(
          "bestSwapsPerRow",
          evenRanges(n, threads.count),
          Math.max(constants.rowBlock, rowsPerCall(d * d)),
          (thread) => [
            gram.g32,
            gram.g64,
            gram.diag,
            d,
            b.values,
            b.mask,
            b.corr,
            activePtr,
            gain,
            prune,
            restore,
            scratch + thread * scratchPerThread,
          ],
        );
        return proposalsAt(gain, prune, restore, n);
      },
    );
  }

  /** The bounds' neighbour lists of G (assembly/bounds.ts), made once per G. */
  async function neighboursOf(gram: WasmGram): Promise<WasmNeighbours> {
    if (gram.neighbours) return gram.neighbours;
    const d = gram.d;
    const k = neighbourCount;
    const neighbours = {
      root: heap.allocate(d * 8),
      inverseRoot: heap.allocate(d * 8),
      index: heap.allocate(d * k * 4),
      value: heap.allocate(d * k * 8),
      rho: heap.allocate(d * 8),
      coupling: heap.allocate(d * 8),
    };
    const diagonal = f64(gram.diag, d);
    const root = f64(neighbours.root, d);
    const inverseRoot = f64(neighbours.inverseRoot, d);
    for (let j = 0; j < d; j++) {
      root[j] = Math.sqrt(Math.max(0, diagonal[j]));
      inverseRoot[j] = 1 / root[j];
    }
    const scratchPerThread = (k + 1) * 12;
    await withBuffers([threads.count * scratchPerThread], (scratch) =>
      threads.run(
        "gramNeighbours",
        evenRanges(d, threads.count),
        rowsPerCall(d),
        (thread) => [
          gram.g64,
          d,
          k,
          neighbours.inverseRoot,
          neighbours.index,
          neighbours.value,
          neighbours.rho,
          neighbours.coupling,
          scratch + thread * scratchPerThread,
        ],
      ));
    gram.neighbours = neighbours;
    return neighbours;
  }

  /**
   * Each row's channels by β descending (assembly/bounds.ts rowOrders), once per batch and G.
   * Made from w, which the envelope's pruned channels always carry (v_p = w_p).
   */
  async function ordersOf(b: WasmRows, gram: WasmGram, root: number): Promise<number> {
    if (b.order?.gram === gram) return b.order.pointer;
    if (b.order) heap.release(b.order.pointer);
    const pointer = heap.allocate(b.rows * b.d * 4);
    const scratchPerThread = constants.rowOrderScratchColumns * b.d + 1024;
    await withBuffers([threads.count * scratchPerThread], (scratch) =>
      threads.run(
        "rowOrders",
        evenRanges(b.rows, threads.count),
        rowsPerCall(16 * b.d),
        (thread) => [b.weight, root, b.d, pointer, scratch + thread * scratchPerThread],
      ));
    b.order = { gram, pointer };
    return pointer;
  }

  /** Best pairs of per-row patterns with the exact bounds: bruteForce's pairs, fewer scans. */
  async function searchRowsBounded(
    gram: WasmGram,
    b: WasmRows,
    active: Uint32Array,
    threshold: Float64Array,
  ): Promise<SwapProposals> {
    const n = active.length;
    const d = b.d;
    const neighbours = await neighboursOf(gram);
    const order = await ordersOf(b, gram, neighbours.root);
    const scratchPerThread = constants.boundedScratchColumns * d + 256;
    return await withBuffers(
      [n * 4, n * 8, n * 8, n * 4, n * 4, n * 8, threads.count * scratchPerThread],
      async (activePtr, thresholdPtr, gain, prune, restore, evaluated, scratch) => {
        i32(activePtr, n).set(active);
        f64(thresholdPtr, n).set(threshold);
        await threads.run(
          "bestSwapsBounded",
          evenRanges(n, threads.count),
          // A bounded search costs a small share of brute force's d² per row.
          Math.max(constants.rowBlock, rowsPerCall((d * d) / 8)),
          (thread) => [
            gram.g32,
            gram.g64,
            gram.diag,
            d,
            b.values,
            b.mask,
            b.corr,
            activePtr,
            thresholdPtr,
            neighbours.root,
            neighbours.index,
            neighbours.value,
            neighbours.rho,
            neighbours.coupling,
            neighbourCount,
            order,
            gain,
            prune,
            restore,
            evaluated,
            scratch + thread * scratchPerThread,
          ],
        );
        return {
          ...proposalsAt(gain, prune, restore, n),
          pairsEvaluated: f64(evaluated, n).reduce((a, x) => a + x, 0),
        };
      },
    );
  }

  /**
   * Attention (assembly/attention.ts) of q over a cache in the wasm memory, every (sequence,
   * head) pair split over the threads; the output overwrites q.
   */
  const attend = (
    qOut: number,
    keys: number,
    values: number,
    sizes: Omit<AttentionOptions, "q" | "keys" | "values">,
  ) => {
    const { batch, tokens, start, capacity, nHeads, nKvHeads, headDim } = sizes;
    const pairs = batch * nHeads;
    const perPair = tokens * ((start + tokens) * headDim + headDim * capacity);
    // assembly/attention.ts's layout: a head's rows of q, scores, probabilities, outputs.
    const scratch = tokens * (2 * headDim + (start + tokens) + capacity);
    return withBuffers([threads.count * scratch * 4], (space) =>
      threads.run(
        "attention",
        evenRanges(pairs, threads.count),
        rowsPerCall(perPair),
        (thread) => [
          qOut,
          keys,
          values,
          qOut,
          tokens,
          start,
          capacity,
          nHeads,
          nKvHeads,
          headDim,
          space + thread * scratch * 4,
        ],
        pairs * perPair,
      ));
  };

  /** The forward operations on host arrays, and caches in host memory when asked for. */
  const host = hostForwardKernels((o) => kernels.matmul(o), (o) => kernels.attention(o));

  const kernels: Kernels = {
    name: "wasm",
    description: `WebAssembly ${
      variant === "relaxed" ? "relaxed SIMD" : "SIMD"
    }, ${threads.count} thread${threads.count === 1 ? "" : "s"}${
      unshared
        ? ` (no shared memory for worker threads: ${unshared}; a page needs cross-origin isolation for them)`
        : ""
    }`,
    numerics: `wasm ${variant}`,
    // Gains are exact float64 evaluations of the chosen pair, as in the reference backend.
    gainTolerance: 1e-10,
    // c in float64: recomputations only bound the work of rows that stop improving.
    recomputeEvery: 256,

    createGram({ d, values }: CreateGramOptions): Promise<GramHandle> {
      const gram = new WasmGram(
        d,
        heap.allocate(d * d * 8),
        heap.allocate(d * d * 4),
        heap.allocate(d * 8),
      );
      if (values) f64(gram.g64, d * d).set(values);
      else f64(gram.g64, d * d).fill(0);
      return Promise.resolve(gram);
    },

    gramAccumulate({ gram: handle, x, tokens }: GramAccumulateOptions): Promise<void> {
      const gram = gramOf(handle);
      const d = gram.d;
      return withBuffers([tokens * d * 4, threads.count * d * 4], async (xPtr, scratch) => {
        f32(xPtr, tokens * d).set(hostValues(x).subarray(0, tokens * d));
        await threads.run(
          "gramAccumulate",
          triangleRanges(d, threads.count),
          GRAM_ROWS_PER_CALL,
          (thread) => [gram.g64, xPtr, tokens, d, scratch + thread * d * 4],
        );
        gram.stale = true;
        releaseNeighbours(gram);
      });
    },

    async readGram(handle: GramHandle): Promise<Float64Array> {
      const gram = await ready(handle);
      return f64(gram.g64, gram.d * gram.d).slice();
    },

    // core/update.ts's float64 rebuild, rows split over the threads (assembly/update.ts).
    async rebuildRows(options: RebuildOptions): Promise<RebuildResult> {
      const gram = await ready(options.gram);
      const { weight, mask, rows, d, damping } = options;
      const epsilon = absoluteDamping(f64(gram.diag, d), damping);
      // Scratch for the largest kept count of any row: a 60% layer needs 16% of d².
      let capacity = 0;
      for (let r = 0; r < rows; r++) {
        let kept = 0;
        for (let j = r * d; j < (r + 1) * d; j++) kept += mask[j];
        capacity = Math.max(capacity, kept);
      }
      const scratch = Math.ceil((8 * capacity * capacity + 8 * capacity + 8 * d) / 64) * 64;
      const sizes = [rows * d * 4, rows * d, rows * d * 4, rows * 4, scratch * threads.count];
      return await withBuffers(sizes, async (wPtr, mPtr, outPtr, statusPtr, scratchPtr) => {
        f32(wPtr, rows * d).set(weight.subarray(0, rows * d));
        u8(mPtr, rows * d).set(mask.subarray(0, rows * d));
        const work = d * d * d / 3;
        await threads.run(
          "rebuildRows",
          evenRanges(rows, threads.count),
          rowsPerCall(work),
          (thread) => [
            gram.g64,
            d,
            wPtr,
            mPtr,
            damping,
            epsilon,
            outPtr,
            statusPtr,
            scratchPtr + thread * scratch,
            capacity,
          ],
          rows * work,
        );
        const bad = i32(statusPtr, rows).findIndex((s) => s !== 0);
        if (bad >= 0) {
          throw notPositiveDefinite(
            `${options.label ?? "Layer"}: row ${bad}: the kept inputs' Gram block`,
          );
        }
        const updated = f32(outPtr, rows * d).slice();
        return {
          weight: updated,
          errors: updateErrors(f64(gram.g64, d * d), weight, updated, rows, d),
        };
      });
    },

    async readGramDiagonal(handle: GramHandle): Promise<Float64Array> {
      const gram = await ready(handle);
      return f64(gram.diag, gram.d).slice();
    },

    loadRows({ weight, values, mask, rows, d }: LoadRowsOptions): Promise<RowBatchHandle> {
      const weightPtr = heap.allocate(rows * d * 4);
      const batch = new WasmRows(
        rows,
        d,
        weightPtr,
        values ? heap.allocate(rows * d * 4) : weightPtr,
        heap.allocate(rows * d),
        heap.allocate(rows * d * 8),
        heap.allocate(rows * 8),
      );
      f32(batch.weight, rows * d).set(weight.subarray(0, rows * d));
      u8(batch.mask, rows * d).set(mask.subarray(0, rows * d));
      if (values) {
        const v = f32(batch.values, rows * d);
        for (let i = 0; i < rows * d; i++) v[i] = mask[i] ? values[i] : weight[i];
      }
      return Promise.resolve(batch);
    },

    async correlate(options: RowsAndGram): Promise<Float64Array> {
      const gram = await ready(options.gram);
      const b = rowsOf(options.batch);
      await threads.run(
        "correlate",
        evenRanges(b.rows, threads.count),
        // Whole blocks of rows per call: the kernel reads each row of G once per block.
        Math.max(constants.correlateRows, rowsPerCall(b.d * b.d)),
        () => [gram.g64, b.d, b.weight, b.values, b.mask, b.corr, b.errors],
      );
      return f64(b.errors, b.rows).slice();
    },

    async rowErrors(options: RowsAndGram): Promise<Float64Array> {
      const b = rowsOf(options.batch);
      await threads.run(
        "rowErrors",
        evenRanges(b.rows, threads.count),
        rowsPerCall(b.d),
        () => [b.d, b.weight, b.values, b.mask, b.corr, b.errors],
        b.rows * b.d,
      );
      return f64(b.errors, b.rows).slice();
    },

    async bestSwaps(options: BestSwapsOptions): Promise<SwapProposals> {
      const gram = await ready(options.gram);
      const b = rowsOf(options.batch);
      const { active, blockLength } = options;
      const n = active.length;
      const d = b.d;
      if (blockLength !== d) return await searchBlocks(gram, b, active, blockLength);
      if (options.search === "brute-force") return await searchRows(gram, b, active);
      const threshold = options.threshold ?? new Float64Array(n).fill(Infinity);
      return await searchRowsBounded(gram, b, active, threshold);
    },

    async applySwaps(options: ApplySwapsOptions): Promise<void> {
      const gram = await ready(options.gram);
      const b = rowsOf(options.batch);
      const n = options.rows.length;
      await withBuffers([n * 4, n * 4, n * 4], async (rows, prune, restore) => {
        i32(rows, n).set(options.rows);
        i32(prune, n).set(options.prune);
        i32(restore, n).set(options.restore);
        await threads.run(
          "applySwaps",
          evenRanges(n, threads.count),
          rowsPerCall(b.d),
          () => [gram.g64, b.d, b.weight, b.values, b.mask, b.corr, rows, prune, restore],
        );
      });
    },

    readMask(handle: RowBatchHandle): Promise<Uint8Array> {
      const b = rowsOf(handle);
      return Promise.resolve(u8(b.mask, b.rows * b.d).slice());
    },

    createMatrix({ values, rows, cols }: CreateMatrixOptions): Promise<MatrixHandle> {
      const count = rows * cols;
      if (values instanceof Uint16Array) {
        const at = heap.allocate(count * 2);
        new Uint16Array(memory.buffer, at, count).set(values.subarray(0, count));
        return Promise.resolve(new WasmMatrix(rows, cols, at, true));
      }
      const at = heap.allocate(count * 4);
      f32(at, count).set(values.subarray(0, count));
      return Promise.resolve(new WasmMatrix(rows, cols, at, false));
    },

    matmul({ x, w, n, k, m }: MatmulOptions): Promise<Float32Array> {
      const resident = w instanceof WasmMatrix;
      if (!resident && !(w instanceof Float32Array)) {
        throw new TypeError("Matrix handle is not a wasm one");
      }
      const sizes = [n * k * 4, resident ? 0 : m * k * 4, n * m * 4];
      return withBuffers(sizes, async (xPtr, copied, yPtr) => {
        f32(xPtr, n * k).set(x.subarray(0, n * k));
        const wPtr = resident ? w.values : copied;
        if (!resident) f32(wPtr, m * k).set((w as Float32Array).subarray(0, m * k));
        const bf16 = resident && w.bfloat16;
        // Many rows: split them (each piece reuses w from cache); few rows: split the outputs.
        if (n >= MATMUL_ROWS_PER_CALL * threads.count) {
          await threads.run(
            bf16 ? "matmulBf16" : "matmul",
            evenRanges(n, threads.count),
            MATMUL_ROWS_PER_CALL,
            () => [xPtr, wPtr, yPtr, k, m],
            n * k * m,
          );
        } else {
          await threads.run(
            bf16 ? "matmulColumnsBf16" : "matmulColumns",
            evenRanges(m, threads.count),
            rowsPerCall(n * k),
            () => [xPtr, wPtr, yPtr, n, k, m],
            n * k * m,
          );
        }
        return f32(yPtr, n * m).slice();
      });
    },

    attention(options: AttentionOptions): Promise<Float32Array> {
      const { batch, tokens, capacity, nHeads, nKvHeads, headDim } = options;
      const cached = batch * nKvHeads * capacity * headDim;
      const outLength = batch * tokens * nHeads * headDim;
      return withBuffers(
        [outLength * 4, cached * 4, cached * 4],
        async (qOut, keys, values) => {
          f32(qOut, outLength).set(options.q.subarray(0, outLength));
          f32(keys, cached).set(options.keys.subarray(0, cached));
          f32(values, cached).set(options.values.subarray(0, cached));
          await attend(qOut, keys, values, options);
          return f32(qOut, outLength).slice();
        },
      );
    },

    ...host,

    createKvCache(options): Promise<KvCacheHandle> {
      if (options.inHostMemory) return host.createKvCache(options);
      const { batch, capacity, nKvHeads, headDim } = options;
      const size = batch * nKvHeads * capacity * headDim;
      const cache = new WasmKvCache(
        batch,
        capacity,
        heap.allocate(size * 4),
        heap.allocate(size * 4),
        size,
      );
      f32(cache.keys, size).fill(0);
      f32(cache.values, size).fill(0);
      return Promise.resolve(cache);
    },

    async attendCached(options): Promise<ActivationHandle> {
      const { cache, layout, nHeads, nKvHeads, headDim } = options;
      if (cache instanceof HostKvCache) return await host.attendCached(options);
      if (!(cache instanceof WasmKvCache)) throw new TypeError("Cache handle is not a wasm one");
      checkCacheRange(cache, layout);
      // The chunk's keys and values join the cache where it lives, in the wasm memory.
      const resident = {
        keys: f32(cache.keys, cache.size),
        values: f32(cache.values, cache.size),
        capacity: cache.capacity,
      };
      const heads = { nKvHeads, headDim };
      storeInCache(heads, resident, hostValues(options.k), hostValues(options.v), layout);
      const q = hostValues(options.q);
      return await withBuffers([q.byteLength], async (qOut) => {
        f32(qOut, q.length).set(q);
        const sizes = { ...layout, capacity: cache.capacity, nHeads, nKvHeads, headDim };
        await attend(qOut, cache.keys, cache.values, sizes);
        return new HostActivation(options.q.rows, options.q.width, f32(qOut, q.length).slice());
      });
    },

    release(
      handle: GramHandle | RowBatchHandle | MatrixHandle | ActivationHandle | KvCacheHandle,
    ): void {
      if (handle instanceof WasmMatrix) {
        heap.release(handle.values);
      } else if (handle instanceof WasmGram) {
        heap.release(handle.g64);
        heap.release(handle.g32);
        heap.release(handle.diag);
        releaseNeighbours(handle);
      } else if (handle instanceof WasmKvCache) {
        heap.release(handle.keys);
        heap.release(handle.values);
      } else if (handle instanceof WasmRows) {
        for (const ptr of [handle.weight, handle.mask, handle.corr, handle.errors]) {
          heap.release(ptr);
        }
        if (handle.values !== handle.weight) heap.release(handle.values);
        if (handle.order) heap.release(handle.order.pointer);
      }
    },

    dispose(): void {
      threads.terminate();
    },
  };
  return kernels;
}
