/**
 * The forward-pass steps of the CPU backends (reference and wasm): activations are plain
 * arrays, the steps are core/model/forward.ts's float64 TypeScript functions, and the two
 * products (linear layers, attention) go through the backend's own `matmul` and `attention`.
 *
 * @module
 */

import type { AttentionOptions } from "./attention.ts";
import type {
  ActivationHandle,
  Kernels,
  KvCacheHandle,
  MatmulOptions,
  MatrixHandle,
} from "./kernels.ts";
import {
  addInPlace,
  applyRope,
  attendWithCache,
  type ChunkLayout,
  createCache,
  type LayerCache,
  negativeLogLikelihood,
  rmsnorm,
  swiglu,
} from "./model/forward.ts";

/** Activations in host memory. */
export class HostActivation implements ActivationHandle {
  /**
   * @param rows Rows.
   * @param width Features per row.
   * @param values (rows, width) row-major.
   */
  constructor(
    readonly rows: number,
    readonly width: number,
    readonly values: Float32Array,
  ) {}
}

/** A key/value cache in host memory. */
export class HostKvCache implements KvCacheHandle {
  /**
   * @param batch Sequences.
   * @param cache Keys and values, as forward.ts lays them out.
   */
  constructor(readonly batch: number, readonly cache: LayerCache) {}

  /** Positions each sequence can hold. */
  get capacity(): number {
    return this.cache.capacity;
  }
}

/**
 * Fails unless a chunk's positions fit a cache: the same sequences, [start, start + tokens)
 * within its capacity.
 *
 * @param cache The cache.
 * @param layout The chunk.
 * @throws {RangeError} Naming both.
 */
export function checkCacheRange(cache: KvCacheHandle, layout: ChunkLayout): void {
  const { batch, tokens, start } = layout;
  if (batch !== cache.batch || start < 0 || start + tokens > cache.capacity) {
    throw new RangeError(
      `Positions [${start}, ${
        start + tokens
      }) of ${batch} sequences in a cache of ${cache.batch} × ${cache.capacity}`,
    );
  }
}

/**
 * A key/value cache in host memory for any backend, and attention over it through that
 * backend's attention (what the CPU backends do, and WebGPU for caches it cannot hold).
 *
 * @param attention A backend's attention over a cache.
 * @param readActivation Reads the backend's activations.
 * @param createActivation Makes activations on the backend.
 * @returns createKvCache and attendCached.
 */
export function hostKvCache(
  attention: (options: AttentionOptions) => Promise<Float32Array>,
  readActivation: Kernels["readActivation"],
  createActivation: Kernels["createActivation"],
): Pick<Kernels, "createKvCache" | "attendCached"> {
  return {
    createKvCache: ({ batch, capacity, nKvHeads, headDim }) =>
      later(() => new HostKvCache(batch, createCache({ nKvHeads, headDim }, batch, capacity))),
    attendCached: async ({ q, k, v, cache, layout, ...heads }) => {
      if (!(cache instanceof HostKvCache)) throw new TypeError("Cache handle is not a host one");
      checkCacheRange(cache, layout);
      const [qs, ks, vs] = await Promise.all([q, k, v].map((a) => readActivation(a)));
      const values = await attendWithCache(attention, heads, qs, ks, vs, cache.cache, layout);
      return await createActivation({ values, width: q.width });
    },
  };
}

/**
 * The values of host activations, or the array itself.
 *
 * @param x An array or a HostActivation.
 * @returns The row-major values.
 * @throws {TypeError} For another backend's activations.
 */
export function hostValues(x: Float32Array | ActivationHandle): Float32Array {
  if (x instanceof Float32Array) return x;
  if (!(x instanceof HostActivation)) throw new TypeError("Activation handle is not a CPU one");
  return x.values;
}

/**
 * Causal attention within a chunk through a cache of exactly its length (what a block does
 * without a cache), with any backend's attention over caches.
 *
 * @param attention A backend's attention over a cache.
 * @param q (batch·tokens, nHeads·headDim).
 * @param k (batch·tokens, nKvHeads·headDim).
 * @param v Like k.
 * @param sizes The chunk and the heads.
 * @returns (batch·tokens, nHeads·headDim).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.ts";
 * const kernels = createReferenceKernels();
 * const one = new Float32Array([1, 1]); // one head of size 1, two tokens
 * const out = await attentionWithin((o) => kernels.attention(o), one, one, new Float32Array([2, 4]), {
 *   layout: { batch: 1, tokens: 2, start: 0 }, nHeads: 1, nKvHeads: 1, headDim: 1,
 * });
 * assert.deepEqual([...out], [2, 3]);
 * ```
 */
export function attentionWithin(
  attention: (options: AttentionOptions) => Promise<Float32Array>,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  sizes: {
    readonly layout: ChunkLayout;
    readonly nHeads: number;
    readonly nKvHeads: number;
    readonly headDim: number;
  },
): Promise<Float32Array> {
  const { layout } = sizes;
  if (layout.start !== 0) throw new RangeError("A chunk without a cache must start at 0");
  const cache = createCache(sizes, layout.batch, layout.tokens);
  return attendWithCache(attention, sizes, q, k, v, cache, layout);
}

/** compute()'s value as a promise, which rejects when compute throws (as an async kernel does). */
function later<T>(compute: () => T): Promise<T> {
  try {
    return Promise.resolve(compute());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The forward-pass operations of {@linkcode Kernels}. */
export type ForwardKernels = Pick<
  Kernels,
  | "createKvCache"
  | "attendCached"
  | "createActivation"
  | "readActivation"
  | "sliceRows"
  | "rmsNorm"
  | "linear"
  | "rotary"
  | "causalAttention"
  | "swiglu"
  | "addInPlace"
  | "channelMoments"
  | "tokenLosses"
>;

/**
 * The forward-pass operations on host arrays, for a CPU backend.
 *
 * @param matmul The backend's matrix product.
 * @param attention The backend's attention over a cache.
 * @returns The operations.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.ts";
 * const kernels = createReferenceKernels();
 * const ops = hostForwardKernels((o) => kernels.matmul(o), (o) => kernels.attention(o));
 * const x = await ops.createActivation({ values: new Float32Array([1, 2]), width: 2 });
 * const y = await ops.linear(x, new Float32Array([3, 4]));
 * assert.deepEqual([...await ops.readActivation(y)], [11]);
 * ```
 */
export function hostForwardKernels(
  matmul: (options: MatmulOptions) => Promise<Float32Array>,
  attention: (options: AttentionOptions) => Promise<Float32Array>,
): ForwardKernels {
  const wrap = (values: Float32Array, width: number) =>
    new HostActivation(values.length / width, width, values);
  const createActivation: Kernels["createActivation"] = ({ values, width }) =>
    later(() => wrap(values.slice(), width));
  const readActivation: Kernels["readActivation"] = (x) => later(() => hostValues(x).slice());
  return {
    ...hostKvCache(attention, readActivation, createActivation),
    createActivation,
    readActivation,
    sliceRows: (x, first, rows) =>
      later(() => wrap(hostValues(x).slice(first * x.width, (first + rows) * x.width), x.width)),
    rmsNorm: ({ x, weight, eps }) =>
      later(() => wrap(rmsnorm(hostValues(x), weight, eps), x.width)),
    linear: async (x, w: Float32Array | MatrixHandle) => {
      const m = w instanceof Float32Array ? w.length / x.width : w.rows;
      return wrap(await matmul({ x: hostValues(x), w, n: x.rows, k: x.width, m }), m);
    },
    rotary: ({ x, heads, headDim, layout, frequencies }) =>
      later(() => applyRope(hostValues(x), heads, headDim, layout, frequencies)),
    causalAttention: async ({ q, k, v, ...sizes }) =>
      wrap(
        await attentionWithin(attention, hostValues(q), hostValues(k), hostValues(v), sizes),
        q.width,
      ),
    swiglu: (gate, up) => later(() => wrap(swiglu(hostValues(gate), hostValues(up)), gate.width)),
    addInPlace: (h, delta) => later(() => addInPlace(hostValues(h), hostValues(delta))),
    channelMoments: ({ x, sum, squares }) =>
      later(() => {
        const values = hostValues(x);
        const width = x.width;
        for (let t = 0; t < x.rows; t++) {
          for (let j = 0; j < width; j++) {
            const v = values[t * width + j];
            sum[j] += v;
            squares[j] += v * v;
          }
        }
      }),
    tokenLosses: async (logits, targets) => {
      // A long computation on this thread: let work queued before it (the next window's
      // products, on the workers) start first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      return await later(() => {
        checkTargets(logits, targets);
        const values = hostValues(logits);
        const width = logits.width;
        return Float64Array.from(
          targets,
          (target, r) => negativeLogLikelihood(values.subarray(r * width, (r + 1) * width), target),
        );
      });
    },
  };
}

/**
 * Fails unless there are at most as many targets as rows, each a column of the logits.
 *
 * @param logits (rows, vocab).
 * @param targets One token per scored row.
 * @throws {RangeError} Naming the first bad target.
 */
export function checkTargets(logits: ActivationHandle, targets: Int32Array): void {
  if (targets.length > logits.rows) {
    throw new RangeError(`${targets.length} targets for ${logits.rows} rows of logits`);
  }
  const bad = targets.findIndex((t) => !(t >= 0 && t < logits.width));
  if (bad >= 0) {
    throw new RangeError(
      `Target ${targets[bad]} (row ${bad}) is not one of ${logits.width} tokens`,
    );
  }
}
