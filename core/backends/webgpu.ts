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

import { attentionByProducts, type AttentionOptions } from "../attention.ts";
import { checkCacheRange, checkTargets, hostKvCache } from "../host_forward.ts";
import { BOUND_NEIGHBOURS } from "../bounds.ts";
import { BackendFailedError, BackendUnavailableError } from "../errors.ts";
import { rebuildRowsFloat64 } from "../update.ts";
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
import type { ChunkLayout } from "../model/forward.ts";
import { SHADERS } from "./_shaders.ts";

/** Options of {@linkcode createWebGpuKernels}. */
export interface WebGpuOptions {
  /** Accept a software (fallback) adapter such as llvmpipe; default false. */
  readonly allowFallback?: boolean;
  /** Use at most this many bytes per storage binding (tests use it to force G into panels). */
  readonly maxBindingBytes?: number;
  /** Neighbours per channel of the pair search's bounds (default BOUND_NEIGHBOURS, at most 16). */
  readonly neighbours?: number;
}

/** attention.wgsl's largest head (64 threads × PER_THREAD): larger ones take two products a head. */
const ATTENTION_MAX_HEAD_DIM = 256;

/** Candidates at or above this stand for "no feasible pair" (the shaders' NONE is 1e30). */
const NO_PAIR = 1e29;
/** G panels start at multiples of 64 rows: 64 · 4 bytes keeps binding offsets 256-aligned. */
const PANEL_UNIT = 64;

class GpuGram implements GramHandle {
  diagonalStale = true;
  /** The bounds' neighbour lists (d, 2k + 2), made on the first bounded search after G changed. */
  neighbours?: GPUBuffer;
  constructor(
    readonly d: number,
    readonly g: GPUBuffer,
    readonly comp: GPUBuffer,
    readonly diag: GPUBuffer,
  ) {}
}

class GpuRows implements RowBatchHandle {
  /** Per-search scratch, made on first use: b, s, a, cand, code (N:M pairs) (rows, d) each. */
  scratch?: Record<"b" | "s" | "a" | "cand" | "code", GPUBuffer>;
  constructor(
    readonly rows: number,
    readonly d: number,
    readonly weight: GPUBuffer,
    /** v (rows, d): the `weight` buffer itself when the kept weights keep their values. */
    readonly values: GPUBuffer,
    readonly mask: GPUBuffer,
    readonly corr: GPUBuffer,
    readonly errors: GPUBuffer,
  ) {}
}

class GpuMatrix implements MatrixHandle {
  readonly bytes: number;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly values: GPUBuffer,
    /** Kept as bfloat16 bits, two to a word (matmul.wgsl widens them). */
    readonly bfloat16: boolean,
  ) {
    this.bytes = rows * cols * (bfloat16 ? 2 : 4);
  }
}

class GpuActivation implements ActivationHandle {
  constructor(readonly rows: number, readonly width: number, readonly values: GPUBuffer) {}
}

/** Keys and values on the GPU, each (batch, capacity, nKvHeads·headDim): a sequence's rows in order. */
class GpuKvCache implements KvCacheHandle {
  constructor(
    readonly batch: number,
    readonly capacity: number,
    readonly width: number,
    readonly keys: GPUBuffer,
    readonly values: GPUBuffer,
  ) {}
}

/**
 * Finds a WebGPU adapter and describes it, or says why there is none.
 *
 * @param allowFallback Accept software adapters.
 * @returns The adapter, or the reason it cannot be used.
 */
async function findAdapter(allowFallback: boolean): Promise<GPUAdapter | string> {
  if (typeof navigator === "undefined" || !("gpu" in navigator)) return "WebGPU is not available";
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) return "no WebGPU adapter found";
  const fallback =
    (adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  if (fallback && !allowFallback) {
    return `only a software adapter is available (${adapter.info.description})`;
  }
  return adapter;
}

/**
 * Creates the WebGPU backend.
 *
 * @param options Whether a software adapter will do.
 * @returns The kernels; `dispose()` releases the device.
 */
export async function createWebGpuKernels(options: WebGpuOptions = {}): Promise<Kernels> {
  const adapter = await findAdapter(options.allowFallback ?? false);
  if (typeof adapter === "string") throw new BackendUnavailableError("webgpu", adapter);
  const limits = adapter.limits;
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
      },
    });
  } catch (error) {
    throw new BackendUnavailableError(
      "webgpu",
      `cannot open a device on ${adapter.info.description || "the adapter"}: ${
        (error as Error).message
      }`,
    );
  }
  const maxBinding = Math.min(
    device.limits.maxStorageBufferBindingSize,
    options.maxBindingBytes ?? Infinity,
  );
  // Every pipeline is compiled once, here, so a shader error surfaces at creation.
  const pipelines = new Map<string, GPUComputePipeline>();
  device.pushErrorScope("validation");
  for (const [name, code] of Object.entries(SHADERS)) {
    const module = device.createShaderModule({ code, label: name });
    pipelines.set(
      name,
      device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
        label: name,
      }),
    );
  }
  const invalid = await device.popErrorScope();
  if (invalid) throw new Error(`A WGSL shader failed to compile: ${invalid.message}`);
  const pipeline = (name: string) => pipelines.get(name)!;

  /*
   * Errors. WebGPU reports them asynchronously, so every piece of work (a buffer allocation, a
   * batch of dispatches from its first encoding to its submission) runs inside error scopes
   * whose results are collected, and every kernel awaits them before it returns: a failed
   * dispatch or allocation can never pass for zeros read back. Out of memory and a lost device
   * are BackendFailedErrors; validation and internal errors are bugs.
   */
  let disposed = false;
  let lost: GPUDeviceLostInfo | undefined;
  device.lost.then((info) => (lost = info));
  const reported: Promise<string | undefined>[] = [];
  device.addEventListener("uncapturederror", (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    reported.push(Promise.resolve(`${error.constructor.name}: ${error.message}`));
  });
  const openScopes = () => {
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    device.pushErrorScope("internal");
  };
  const closeScopes = (what: string) => {
    const scopes = [device.popErrorScope(), device.popErrorScope(), device.popErrorScope()];
    reported.push(
      Promise.all(scopes).then(([internal, validation, memory]) => {
        if (memory) return `out of memory while ${what}: ${memory.message}`;
        if (validation) return `validation error while ${what}: ${validation.message}`;
        if (internal) return `internal error while ${what}: ${internal.message}`;
        return undefined;
      }),
    );
  };
  /** Throws the first error WebGPU reported since the last check, or a lost device. */
  const checkErrors = async () => {
    const messages = await Promise.all(reported.splice(0));
    if (disposed) throw new Error("The WebGPU kernels were disposed");
    if (lost) {
      throw new BackendFailedError("webgpu", `the GPU device was lost (${lost.message})`);
    }
    const message = messages.find((m) => m !== undefined);
    if (message?.startsWith("out of memory")) throw new BackendFailedError("webgpu", message);
    if (message) throw new Error(`WebGPU ${message}`);
  };

  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffer = (bytes: number, label: string) => {
    if (bytes > device.limits.maxBufferSize) {
      throw new RangeError(
        `${label} needs ${bytes} bytes, over the adapter's ${device.limits.maxBufferSize} per buffer`,
      );
    }
    openScopes();
    const made = device.createBuffer({
      size: Math.max(16, Math.ceil(bytes / 4) * 4),
      usage: STORAGE,
      label,
    });
    closeScopes(`allocating ${label} (${bytes} bytes)`);
    return made;
  };
  const upload = (data: ArrayBufferView, label: string) => {
    const b = buffer(data.byteLength, label);
    // Writes come in whole words: a ragged tail (bfloat16 bits of an odd count) is padded.
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const words = bytes.byteLength % 4 === 0
      ? bytes
      : Uint8Array.from({ length: Math.ceil(bytes.byteLength / 4) * 4 }, (_, i) => bytes[i] ?? 0);
    device.queue.writeBuffer(b, 0, words.buffer as ArrayBuffer, words.byteOffset, words.byteLength);
    return b;
  };
  const whole = (b: GPUBuffer): GPUBufferBinding => ({ buffer: b });

  /**
   * A pending batch of dispatches, submitted together, the parameter buffers it uses, and what
   * it does (for messages). Error scopes open with its first command and close at submission.
   */
  let encoder: GPUCommandEncoder | undefined;
  let batchLabel = "";
  /** Buffers to destroy once the pending batch is submitted (parameters, released activations). */
  let retired: GPUBuffer[] = [];
  const encoderFor = (what: string) => {
    if (!encoder) {
      openScopes();
      encoder = device.createCommandEncoder();
      batchLabel = what;
    }
    return encoder;
  };
  const dispatch = (
    name: string,
    params: number[],
    bindings: GPUBufferBinding[],
    groups: [number, number?],
  ) => {
    if (groups[0] === 0 || groups[1] === 0) return;
    const pass = encoderFor(`running ${name}`).beginComputePass();
    const uniform = device.createBuffer({
      size: Math.ceil((params.length * 4) / 16) * 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(uniform, 0, Uint32Array.from(params));
    retired.push(uniform);
    const p = pipeline(name);
    const group = device.createBindGroup({
      layout: p.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: uniform } },
        ...bindings.map((resource, i) => ({ binding: i + 1, resource })),
      ],
    });
    pass.setPipeline(p);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(groups[0], groups[1] ?? 1);
    pass.end();
  };
  const submit = () => {
    if (encoder) {
      device.queue.submit([encoder.finish()]);
      closeScopes(batchLabel);
    }
    encoder = undefined;
    // Destroying after submission frees them once the queued work is done.
    for (const b of retired) b.destroy();
    retired = [];
  };
  /** Destroys a buffer now, or after the pending batch that may use it is submitted. */
  const retire = (b: GPUBuffer) => {
    if (encoder) retired.push(b);
    else b.destroy();
  };
  /** Workgroups (x, y) for `count` of them, x within the per-dimension limit. */
  const spread = (count: number): [number, number] => {
    const limit = device.limits.maxComputeWorkgroupsPerDimension;
    const y = Math.ceil(count / limit);
    return [Math.ceil(count / y), y];
  };
  const read = async (source: GPUBuffer, bytes: number): Promise<ArrayBuffer> => {
    const staging = device.createBuffer({
      size: Math.ceil(bytes / 4) * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoderFor(`reading ${source.label}`).copyBufferToBuffer(
      source,
      0,
      staging,
      0,
      Math.ceil(bytes / 4) * 4,
    );
    submit();
    try {
      await staging.mapAsync(GPUMapMode.READ).catch(async (error) => {
        await checkErrors();
        throw error;
      });
      await checkErrors();
      return staging.getMappedRange().slice(0, bytes);
    } finally {
      staging.destroy();
    }
  };

  /**
   * Row panels [start, start + rows) of a (total, width) float32 matrix that each fit one
   * binding, starting at multiples of `unit` rows (a multiple of PANEL_UNIT).
   */
  const panels = (total: number, width: number, unit = PANEL_UNIT) => {
    const fit = Math.floor(maxBinding / (width * 4) / unit) * unit;
    if (fit === 0) {
      throw new RangeError(
        `A ${width}-wide matrix does not fit this adapter's ${maxBinding}-byte bindings`,
      );
    }
    const out: { start: number; rows: number }[] = [];
    for (let start = 0; start < total; start += fit) {
      out.push({ start, rows: Math.min(fit, total - start) });
    }
    return out;
  };
  const panelBinding = (
    b: GPUBuffer,
    start: number,
    rows: number,
    width: number,
  ): GPUBufferBinding => ({
    buffer: b,
    offset: start * width * 4,
    size: rows * width * 4,
  });
  const checkFits = (bytes: number, what: string) => {
    if (bytes > maxBinding) {
      throw new RangeError(
        `${what} needs ${bytes} bytes in one binding, over this adapter's ${maxBinding}; use smaller row batches`,
      );
    }
  };

  const gramOf = (handle: GramHandle): GpuGram => {
    if (!(handle instanceof GpuGram)) throw new TypeError("Gram handle is not a webgpu one");
    return handle;
  };
  const rowsOf = (handle: RowBatchHandle): GpuRows => {
    if (!(handle instanceof GpuRows)) throw new TypeError("Row handle is not a webgpu one");
    return handle;
  };
  /** Refreshes diag(G) after G changed (encoded, not submitted). */
  const diagonal = (gram: GpuGram) => {
    if (!gram.diagonalStale) return;
    for (const panel of panels(gram.d, gram.d)) {
      dispatch("gram_diagonal", [gram.d, panel.start, panel.rows], [
        panelBinding(gram.g, panel.start, panel.rows, gram.d),
        whole(gram.diag),
      ], [Math.ceil(panel.rows / 256)]);
    }
    gram.diagonalStale = false;
  };

  type SearchInputs = (panel: { start: number; rows: number }) => GPUBufferBinding[];
  const neighbourCount = Math.min(options.neighbours ?? BOUND_NEIGHBOURS, 16);

  /** The bounds' per-channel records of G (gram_neighbours), once per G. */
  const neighboursOf = (gram: GpuGram): GPUBuffer => {
    if (gram.neighbours) return gram.neighbours;
    const d = gram.d;
    const k = neighbourCount;
    const neighbours = buffer(d * (2 * k + 3) * 4, "neighbours");
    diagonal(gram);
    for (const panel of panels(d, d)) {
      dispatch("gram_neighbours", [d, k, panel.start, panel.rows], [
        panelBinding(gram.g, panel.start, panel.rows, d),
        whole(gram.diag),
        whole(neighbours),
      ], [Math.ceil(panel.rows / 64)]);
    }
    gram.neighbours = neighbours;
    return neighbours;
  };

  /** Every feasible pair: the dense min-plus search (per row) or the N:M block search. */
  const searchDense = async (
    b: GpuRows,
    n: number,
    blockLength: number,
    searchInputs: SearchInputs,
  ): Promise<SwapProposals> => {
    const d = b.d;
    const s = b.scratch!;
    const gain = buffer(n * 4, "gains");
    const pair = buffer(n * 8, "pairs");
    const perRow = blockLength === d;
    const unit = perRow ? PANEL_UNIT : lcm(PANEL_UNIT, blockLength);
    for (const panel of panels(d, d, unit)) {
      if (perRow) {
        dispatch("pair_search", [d, n, panel.start, panel.rows], [
          ...searchInputs(panel),
          whole(s.cand),
        ], [
          Math.ceil(panel.rows / 64),
          Math.ceil(n / 64),
        ]);
      } else {
        dispatch("pair_search_blocks", [d, n, panel.start, panel.rows, blockLength], [
          ...searchInputs(panel),
          whole(s.cand),
          whole(s.code),
        ], [Math.ceil(panel.rows / blockLength / 64), n]);
      }
    }
    dispatch("select_best", [perRow ? d : d / blockLength, perRow ? 1 : 0, d], [
      whole(s.cand),
      whole(s.code),
      whole(gain),
      whole(pair),
    ], [n]);
    if (perRow) {
      // The search kept only each u's minimum: recover the p of every row's winning u.
      for (const panel of panels(d, d)) {
        dispatch("find_pair", [d, n, panel.start, panel.rows], [
          ...searchInputs(panel),
          whole(gain),
          whole(pair),
        ], [n]);
      }
    }
    const gains = new Float32Array(await read(gain, n * 4));
    const pairs = new Uint32Array(await read(pair, n * 8));
    gain.destroy();
    pair.destroy();
    const result = {
      gain: new Float64Array(n),
      prune: new Int32Array(n),
      restore: new Int32Array(n),
    };
    for (let k = 0; k < n; k++) {
      const none = !(gains[k] < NO_PAIR);
      result.gain[k] = none ? Infinity : gains[k];
      result.prune[k] = none ? -1 : pairs[2 * k];
      result.restore[k] = none ? -1 : pairs[2 * k + 1];
    }
    return result;
  };

  /**
   * The bounded search (core/bounds.ts): bound_rows gives each row its candidate u (in
   * ascending order, compacted; cuts in `cand`, candidates in `code`), scan_active scans only
   * those, panel by panel.
   */
  const searchBounded = async (
    gram: GpuGram,
    b: GpuRows,
    n: number,
    threshold: Float64Array | undefined,
  ): Promise<SwapProposals> => {
    const d = b.d;
    const s = b.scratch!;
    const neighbours = neighboursOf(gram);
    // Per row: the threshold in, the result out (see bound_rows). WGSL has no infinity: the
    // shaders' NONE (1e30) stands for it.
    const rowInfo = new Uint32Array(8 * n);
    const limits = new Float32Array(rowInfo.buffer);
    for (let k = 0; k < n; k++) {
      limits[8 * k] = Math.max(-1e30, Math.min(1e30, threshold?.[k] ?? Infinity));
    }
    const info = upload(rowInfo, "row bounds");
    const perRow = [whole(s.b), whole(s.s), whole(s.a)];
    dispatch("bound_rows", [d, n, neighbourCount], [
      ...perRow,
      whole(neighbours),
      whole(s.cand),
      whole(s.code),
      whole(info),
    ], [n]);
    for (const panel of panels(d, d)) {
      dispatch("scan_active", [d, n, panel.start, panel.rows], [
        panelBinding(gram.g, panel.start, panel.rows, d),
        ...perRow,
        whole(s.cand),
        whole(s.code),
        whole(info),
      ], [n]);
    }
    const out = new Uint32Array(await read(info, n * 32));
    info.destroy();
    const gains = new Float32Array(out.buffer);
    const result = {
      gain: new Float64Array(n),
      prune: new Int32Array(n),
      restore: new Int32Array(n),
      pairsEvaluated: 0,
    };
    for (let k = 0; k < n; k++) {
      const none = !(gains[8 * k + 4] < NO_PAIR) || out[8 * k + 5] === 0xffffffff;
      result.gain[k] = none ? Infinity : gains[8 * k + 4];
      result.prune[k] = none ? -1 : out[8 * k + 5];
      result.restore[k] = none ? -1 : out[8 * k + 6];
      result.pairsEvaluated += out[8 * k + 3];
    }
    return result;
  };

  /** L = qᵀ c per row from the batch's c (row_error). */
  const rowErrorsOf = async (b: GpuRows): Promise<Float64Array> => {
    dispatch("row_error", [b.d, b.rows], [
      whole(b.weight),
      whole(b.values),
      whole(b.mask),
      whole(b.corr),
      whole(b.errors),
    ], [b.rows]);
    return Float64Array.from(new Float32Array(await read(b.errors, b.rows * 4)));
  };

  /**
   * y (n, m) = x (n, k) · wᵀ, with w (float32, or bfloat16 bits) split into row panels that each
   * fit a binding and start 256-aligned (bfloat16 rows of an odd width: at multiples of 128 rows).
   */
  const product = (
    x: GPUBuffer,
    w: GPUBuffer,
    y: GPUBuffer,
    n: number,
    k: number,
    m: number,
    bfloat16 = false,
  ) => {
    const unit = bfloat16 && k % 2 === 1 ? 2 * PANEL_UNIT : PANEL_UNIT;
    const elementBytes = bfloat16 ? 2 : 4;
    for (const panel of panels(m, k, unit)) {
      dispatch("matmul", [n, k, m, panel.start, panel.rows, bfloat16 ? 1 : 0], [
        whole(x),
        {
          buffer: w,
          offset: panel.start * k * elementBytes,
          size: Math.ceil((panel.rows * k * elementBytes) / 4) * 4,
        },
        whole(y),
      ], [Math.ceil(panel.rows / 16), Math.ceil(n / 16)]);
    }
  };

  /** A product's weights: a resident matrix's buffer, or an array's uploaded for one use. */
  const weightsOf = (w: Float32Array | MatrixHandle, count: number) => {
    if (w instanceof GpuMatrix) return { buffer: w.values, bfloat16: w.bfloat16, uploaded: false };
    if (!(w instanceof Float32Array)) throw new TypeError("Matrix handle is not a webgpu one");
    return { buffer: upload(w.subarray(0, count), "w"), bfloat16: false, uploaded: true };
  };

  /** New activations (rows, width): a buffer that fits one binding, as every kernel binds it. */
  const activation = (rows: number, width: number, label: string) => {
    checkFits(rows * width * 4, `Activations of ${rows} rows × ${width}`);
    return new GpuActivation(rows, width, buffer(rows * width * 4, label));
  };
  const activationOf = (handle: ActivationHandle) => {
    if (!(handle instanceof GpuActivation)) {
      throw new TypeError("Activation handle is not a webgpu one");
    }
    return handle;
  };
  const elementwise = (name: string, count: number, bindings: GPUBuffer[]) =>
    dispatch(name, [count], bindings.map(whole), spread(Math.ceil(count / 256)));
  /** Keys and values through attention.wgsl's strides (see there). */
  type Strides = [number, number, number, number, number, number, number];
  const attend = (
    q: GPUBuffer,
    keys: GPUBuffer,
    values: GPUBuffer,
    out: GPUBuffer,
    sizes: { tokens: number; start: number; batch: number; nHeads: number; nKvHeads: number },
    headDim: number,
    strides: Strides,
  ) =>
    dispatch(
      "attention",
      [sizes.tokens, sizes.start, sizes.nHeads, sizes.nKvHeads, headDim, ...strides],
      [whole(q), whole(keys), whole(values), whole(out)],
      [sizes.tokens, sizes.batch * sizes.nHeads],
    );
  /**
   * Attention of q over keys and values laid out token by token, each sequence's `positions`
   * rows of nKvHeads · headDim in order (a chunk's own k and v, or a cache on the GPU).
   */
  const attendTokenMajor = (
    q: GpuActivation,
    keys: GPUBuffer,
    values: GPUBuffer,
    positions: number,
    layout: ChunkLayout,
    heads: { nHeads: number; nKvHeads: number; headDim: number },
  ) => {
    const { nHeads, nKvHeads, headDim } = heads;
    const width = nKvHeads * headDim;
    const perSequence = positions * width;
    const out = activation(q.rows, q.width, "attention output");
    attend(q.values, keys, values, out.values, { ...layout, nHeads, nKvHeads }, headDim, [
      perSequence,
      headDim,
      width,
      perSequence,
      headDim,
      width,
      1,
    ]);
    return out;
  };
  /** Whether attention.wgsl takes a chunk in one dispatch. */
  const attentionFits = (
    tokens: number,
    batch: number,
    nHeads: number,
    headDim: number,
    bytes: number,
  ) =>
    headDim <= ATTENTION_MAX_HEAD_DIM && bytes <= maxBinding &&
    tokens <= device.limits.maxComputeWorkgroupsPerDimension &&
    batch * nHeads <= device.limits.maxComputeWorkgroupsPerDimension;

  /** Caches too large for one binding (or for attention.wgsl's heads) stay on the host. */
  const hostCache = hostKvCache(
    (o) => kernels.attention(o),
    (x) => kernels.readActivation(x),
    (o) => kernels.createActivation(o),
  );

  const info = adapter.info;
  const kernels: Kernels = {
    name: "webgpu",
    description: `WebGPU on ${info.description || info.vendor || "an unnamed adapter"}`,
    numerics: `webgpu ${info.vendor} ${info.architecture} ${info.device} ${info.description}`,
    // Gains are float32 candidates: rounding reaches ~1e-6 of the terms, which can exceed the
    // row error by an order of magnitude; the guard stays above that noise.
    gainTolerance: 1e-5,
    // c in float32 (compensated): recomputed often enough that drift stays below the guard.
    recomputeEvery: 32,

    async createGram({ d, values }: CreateGramOptions): Promise<GramHandle> {
      const g32 = values ? Float32Array.from(values) : new Float32Array(d * d);
      // comp holds −(what float32 lost), so g − comp recovers float64 values on readGram.
      const comp = values
        ? Float32Array.from(values, (v, i) => g32[i] - v)
        : new Float32Array(d * d);
      const gram = new GpuGram(
        d,
        upload(g32, "G"),
        upload(comp, "G compensation"),
        buffer(d * 4, "diag G"),
      );
      await checkErrors();
      return gram;
    },

    async gramAccumulate({ gram: handle, x, tokens }: GramAccumulateOptions): Promise<void> {
      const gram = gramOf(handle);
      const d = gram.d;
      // Token chunks that fit one binding; resident activations fit one already.
      const chunk = x instanceof Float32Array
        ? Math.max(1, Math.floor(maxBinding / (d * 4)))
        : tokens;
      for (let t0 = 0; t0 < tokens; t0 += chunk) {
        const count = Math.min(chunk, tokens - t0);
        const xBuffer = x instanceof Float32Array
          ? upload(x.subarray(t0 * d, (t0 + count) * d), "X")
          : activationOf(x).values;
        for (const panel of panels(d, d)) {
          dispatch("gram_accumulate", [d, count, panel.start, panel.rows], [
            whole(xBuffer),
            panelBinding(gram.g, panel.start, panel.rows, d),
            panelBinding(gram.comp, panel.start, panel.rows, d),
          ], [Math.ceil(d / 16), Math.ceil(panel.rows / 16)]);
        }
        submit();
        if (x instanceof Float32Array) xBuffer.destroy();
      }
      gram.diagonalStale = true;
      gram.neighbours?.destroy();
      gram.neighbours = undefined;
      await checkErrors();
    },

    async readGram(handle: GramHandle): Promise<Float64Array> {
      const gram = gramOf(handle);
      const n = gram.d * gram.d;
      const g = new Float32Array(await read(gram.g, n * 4));
      const comp = new Float32Array(await read(gram.comp, n * 4));
      return Float64Array.from(g, (v, i) => v - comp[i]);
    },

    // The float64 solver of core/update.ts; see there.
    async rebuildRows(options: RebuildOptions): Promise<RebuildResult> {
      return rebuildRowsFloat64({ ...options, gram: await kernels.readGram(options.gram) });
    },

    async readGramDiagonal(handle: GramHandle): Promise<Float64Array> {
      const gram = gramOf(handle);
      diagonal(gram);
      return Float64Array.from(new Float32Array(await read(gram.diag, gram.d * 4)));
    },

    async loadRows({ weight, values, mask, rows, d }: LoadRowsOptions): Promise<RowBatchHandle> {
      checkFits(rows * d * 4, `A batch of ${rows} rows × ${d}`);
      const w = upload(weight.subarray(0, rows * d), "W");
      const v = values
        ? upload(
          Float32Array.from({ length: rows * d }, (_, i) => mask[i] ? values[i] : weight[i]),
          "V",
        )
        : w;
      const batch = new GpuRows(
        rows,
        d,
        w,
        v,
        upload(Uint32Array.from(mask.subarray(0, rows * d)), "mask"),
        buffer(rows * d * 4, "c"),
        buffer(rows * 4, "row errors"),
      );
      await checkErrors();
      return batch;
    },

    async correlate(options: RowsAndGram): Promise<Float64Array> {
      const gram = gramOf(options.gram);
      const b = rowsOf(options.batch);
      for (const panel of panels(b.d, b.d)) {
        dispatch("correlate", [b.d, b.rows, panel.start, panel.rows], [
          panelBinding(gram.g, panel.start, panel.rows, b.d),
          whole(b.weight),
          whole(b.values),
          whole(b.mask),
          whole(b.corr),
        ], [Math.ceil(panel.rows / 16), Math.ceil(b.rows / 16)]);
      }
      return await rowErrorsOf(b);
    },

    rowErrors(options: RowsAndGram): Promise<Float64Array> {
      return rowErrorsOf(rowsOf(options.batch));
    },

    async bestSwaps(options: BestSwapsOptions): Promise<SwapProposals> {
      const gram = gramOf(options.gram);
      const b = rowsOf(options.batch);
      const { active, blockLength } = options;
      const n = active.length;
      const d = b.d;
      const empty = {
        gain: new Float64Array(0),
        prune: new Int32Array(0),
        restore: new Int32Array(0),
      };
      if (n === 0) return empty;
      b.scratch ??= {
        b: buffer(b.rows * d * 4, "b"),
        s: buffer(b.rows * d * 4, "s"),
        a: buffer(b.rows * d * 4, "a"),
        cand: buffer(b.rows * d * 4, "candidates"),
        code: buffer(b.rows * d * 4, "candidate pairs"),
      };
      const s = b.scratch;
      const activeBuffer = upload(Uint32Array.from(active), "active rows");
      diagonal(gram);
      dispatch("prepare_rows", [d, n], [
        whole(activeBuffer),
        whole(b.values),
        whole(b.mask),
        whole(b.corr),
        whole(gram.diag),
        whole(s.b),
        whole(s.s),
        whole(s.a),
      ], [Math.ceil(d / 256), n]);
      const searchInputs = (panel: { start: number; rows: number }) => [
        panelBinding(gram.g, panel.start, panel.rows, d),
        whole(activeBuffer),
        whole(b.values),
        whole(s.b),
        whole(s.s),
        whole(s.a),
      ];
      try {
        if (blockLength === d && options.search !== "brute-force") {
          return await searchBounded(gram, b, n, options.threshold);
        }
        return await searchDense(b, n, blockLength, searchInputs);
      } finally {
        activeBuffer.destroy();
      }
    },

    async applySwaps(options: ApplySwapsOptions): Promise<void> {
      const gram = gramOf(options.gram);
      const b = rowsOf(options.batch);
      const n = options.rows.length;
      if (n === 0) return;
      const triples = new Uint32Array(3 * n);
      for (let k = 0; k < n; k++) {
        triples.set([options.rows[k], options.prune[k], options.restore[k]], 3 * k);
      }
      const swaps = upload(triples, "swaps");
      for (const panel of panels(b.d, b.d)) {
        dispatch("apply_swaps", [b.d, n, panel.start, panel.rows], [
          panelBinding(gram.g, panel.start, panel.rows, b.d),
          whole(swaps),
          whole(b.values),
          whole(b.corr),
          whole(b.mask),
        ], [Math.ceil(b.d / 256), n]);
      }
      if (b.values !== b.weight) {
        dispatch("reset_values", [b.d, n], [whole(swaps), whole(b.weight), whole(b.values)], [
          Math.ceil(n / 64),
        ]);
      }
      submit();
      swaps.destroy();
      await checkErrors();
    },

    async readMask(handle: RowBatchHandle): Promise<Uint8Array> {
      const b = rowsOf(handle);
      return Uint8Array.from(new Uint32Array(await read(b.mask, b.rows * b.d * 4)));
    },

    async createMatrix({ values, rows, cols }: CreateMatrixOptions): Promise<MatrixHandle> {
      const matrix = new GpuMatrix(
        rows,
        cols,
        upload(values.subarray(0, rows * cols), "matrix"),
        values instanceof Uint16Array,
      );
      await checkErrors();
      return matrix;
    },

    async matmul({ x, w, n, k, m }: MatmulOptions): Promise<Float32Array> {
      const weights = weightsOf(w, m * k);
      const out = new Float32Array(n * m);
      // Rows of x (and y) per pass, so each fits one binding; w is split into row panels.
      const step = Math.floor(maxBinding / (Math.max(k, m) * 4));
      if (step === 0) {
        throw new RangeError(`A row of ${Math.max(k, m)} floats exceeds this adapter's bindings`);
      }
      for (let i0 = 0; i0 < n; i0 += step) {
        const rows = Math.min(step, n - i0);
        const xBuffer = upload(x.subarray(i0 * k, (i0 + rows) * k), "x");
        const y = buffer(rows * m * 4, "y");
        product(xBuffer, weights.buffer, y, rows, k, m, weights.bfloat16);
        out.set(new Float32Array(await read(y, rows * m * 4)), i0 * m);
        xBuffer.destroy();
        y.destroy();
      }
      if (weights.uploaded) weights.buffer.destroy();
      return out;
    },

    async attention(options: AttentionOptions): Promise<Float32Array> {
      const { q, batch, tokens, capacity, nKvHeads, headDim } = options;
      const used = batch * nKvHeads * capacity * headDim;
      const outLength = batch * tokens * options.nHeads * headDim;
      if (!attentionFits(tokens, batch, options.nHeads, headDim, Math.max(used, outLength) * 4)) {
        return await attentionByProducts((o) => kernels.matmul(o), options);
      }
      const qBuffer = upload(q.subarray(0, outLength), "q");
      const keys = upload(options.keys.subarray(0, used), "keys");
      const values = upload(options.values.subarray(0, used), "values");
      const out = buffer(outLength * 4, "attention output");
      try {
        const perHead = capacity * headDim;
        attend(qBuffer, keys, values, out, options, headDim, [
          nKvHeads * perHead,
          perHead,
          headDim,
          nKvHeads * perHead,
          perHead,
          1,
          capacity,
        ]);
        return new Float32Array(await read(out, outLength * 4));
      } finally {
        [qBuffer, keys, values, out].forEach((b) => b.destroy());
      }
    },

    async createActivation({ values, width }): Promise<ActivationHandle> {
      const made = activation(values.length / width, width, "activations");
      device.queue.writeBuffer(
        made.values,
        0,
        values.buffer as ArrayBuffer,
        values.byteOffset,
        values.byteLength,
      );
      await checkErrors();
      return made;
    },

    async readActivation(handle: ActivationHandle): Promise<Float32Array> {
      const x = activationOf(handle);
      return new Float32Array(await read(x.values, x.rows * x.width * 4));
    },

    sliceRows(handle: ActivationHandle, first: number, rows: number): Promise<ActivationHandle> {
      const x = activationOf(handle);
      if (first < 0 || rows < 0 || first + rows > x.rows) {
        throw new RangeError(`Rows [${first}, ${first + rows}) of ${x.rows}`);
      }
      const made = activation(rows, x.width, "activation rows");
      encoderFor("copying activation rows").copyBufferToBuffer(
        x.values,
        first * x.width * 4,
        made.values,
        0,
        rows * x.width * 4,
      );
      return Promise.resolve(made);
    },

    rmsNorm({ x: handle, weight, eps }): Promise<ActivationHandle> {
      const x = activationOf(handle);
      const out = activation(x.rows, x.width, "normed");
      const gains = upload(weight, "norm weight");
      dispatch("rms_norm", [x.rows, x.width, new Uint32Array(Float32Array.of(eps).buffer)[0]], [
        whole(x.values),
        whole(gains),
        whole(out.values),
      ], spread(x.rows));
      retire(gains);
      return Promise.resolve(out);
    },

    linear(handle: ActivationHandle, w: Float32Array | MatrixHandle): Promise<ActivationHandle> {
      const x = activationOf(handle);
      const m = w instanceof Float32Array ? w.length / x.width : w.rows;
      const weights = weightsOf(w, m * x.width);
      const y = activation(x.rows, m, "linear output");
      product(x.values, weights.buffer, y.values, x.rows, x.width, m, weights.bfloat16);
      if (weights.uploaded) retire(weights.buffer);
      return Promise.resolve(y);
    },

    rotary({ x: handle, heads, headDim, layout, frequencies }): Promise<void> {
      const x = activationOf(handle);
      const half = headDim / 2;
      const cosines = new Float32Array(layout.tokens * half);
      const sines = new Float32Array(layout.tokens * half);
      for (let t = 0; t < layout.tokens; t++) {
        for (let i = 0; i < half; i++) {
          const angle = (layout.start + t) * frequencies[i];
          cosines[t * half + i] = Math.cos(angle);
          sines[t * half + i] = Math.sin(angle);
        }
      }
      const tables = [upload(cosines, "cosines"), upload(sines, "sines")];
      dispatch("rotary", [x.rows, layout.tokens, heads, headDim], [
        whole(x.values),
        ...tables.map(whole),
      ], spread(Math.ceil((x.rows * heads * half) / 256)));
      tables.forEach(retire);
      return Promise.resolve();
    },

    async causalAttention(options): Promise<ActivationHandle> {
      const { layout, nHeads, headDim } = options;
      const [q, k, v] = [options.q, options.k, options.v].map(activationOf);
      if (layout.start !== 0) throw new RangeError("A chunk without a cache must start at 0");
      if (!attentionFits(layout.tokens, layout.batch, nHeads, headDim, q.rows * q.width * 4)) {
        // On the host, through a cache of exactly the chunk's length.
        const { batch, tokens: capacity } = layout;
        const sizes = { batch, capacity, nKvHeads: options.nKvHeads, headDim };
        const cache = await hostCache.createKvCache(sizes);
        return await hostCache.attendCached({ ...options, cache });
      }
      return attendTokenMajor(q, k.values, v.values, layout.tokens, layout, options);
    },

    swiglu(gate: ActivationHandle, up: ActivationHandle): Promise<ActivationHandle> {
      const [g, u] = [gate, up].map(activationOf);
      const out = activation(g.rows, g.width, "gated");
      elementwise("swiglu", g.rows * g.width, [g.values, u.values, out.values]);
      return Promise.resolve(out);
    },

    addInPlace(h: ActivationHandle, delta: ActivationHandle): Promise<void> {
      const [to, from] = [h, delta].map(activationOf);
      elementwise("add_in_place", to.rows * to.width, [to.values, from.values]);
      return Promise.resolve();
    },

    createKvCache(options): Promise<KvCacheHandle> {
      const { batch, capacity, nKvHeads, headDim } = options;
      const width = nKvHeads * headDim;
      const bytes = batch * capacity * width * 4;
      // A cache the attention shader cannot bind stays on the host (read back per step).
      if (headDim > ATTENTION_MAX_HEAD_DIM || bytes > maxBinding) {
        return hostCache.createKvCache(options);
      }
      return Promise.resolve(
        new GpuKvCache(
          batch,
          capacity,
          width,
          buffer(bytes, "cached keys"),
          buffer(bytes, "cached values"),
        ),
      );
    },

    async attendCached(options): Promise<ActivationHandle> {
      const { cache, layout, nHeads, headDim } = options;
      if (!(cache instanceof GpuKvCache)) return await hostCache.attendCached(options);
      const [q, k, v] = [options.q, options.k, options.v].map(activationOf);
      checkCacheRange(cache, layout);
      const { batch, tokens, start } = layout;
      if (!attentionFits(tokens, batch, nHeads, headDim, q.rows * q.width * 4)) {
        throw new RangeError(`Attention of ${batch} sequences × ${nHeads} heads in one dispatch`);
      }
      // Each sequence's new rows join its cached ones, in order.
      const row = cache.width * 4;
      const copies = encoderFor("caching keys and values");
      for (let b = 0; b < batch; b++) {
        for (const [from, to] of [[k.values, cache.keys], [v.values, cache.values]]) {
          copies.copyBufferToBuffer(
            from,
            b * tokens * row,
            to,
            (b * cache.capacity + start) * row,
            tokens * row,
          );
        }
      }
      return attendTokenMajor(q, cache.keys, cache.values, cache.capacity, layout, options);
    },

    async channelMoments({ x: handle, sum, squares }): Promise<void> {
      const x = activationOf(handle);
      const out = buffer(2 * x.width * 4, "channel moments");
      try {
        dispatch("channel_moments", [x.rows, x.width], [whole(x.values), whole(out)], [
          Math.ceil(x.width / 256),
        ]);
        const moments = new Float32Array(await read(out, 2 * x.width * 4));
        for (let j = 0; j < x.width; j++) {
          sum[j] += moments[j];
          squares[j] += moments[x.width + j];
        }
      } finally {
        out.destroy();
      }
    },

    async tokenLosses(handle: ActivationHandle, targets: Int32Array): Promise<Float64Array> {
      const logits = activationOf(handle);
      checkTargets(logits, targets);
      if (targets.length === 0) return new Float64Array(0);
      const chosen = upload(targets, "targets");
      const out = buffer(targets.length * 4, "losses");
      try {
        dispatch("token_losses", [targets.length, logits.width], [
          whole(logits.values),
          whole(chosen),
          whole(out),
        ], spread(targets.length));
        return Float64Array.from(new Float32Array(await read(out, targets.length * 4)));
      } finally {
        [chosen, out].forEach((b) => b.destroy());
      }
    },

    release(
      handle: GramHandle | RowBatchHandle | MatrixHandle | ActivationHandle | KvCacheHandle,
    ): void {
      if (handle instanceof GpuActivation) retire(handle.values);
      else if (handle instanceof GpuKvCache) [handle.keys, handle.values].forEach(retire);
      else if (handle instanceof GpuGram) {
        [handle.g, handle.comp, handle.diag].forEach((b) => b.destroy());
        handle.neighbours?.destroy();
      } else if (handle instanceof GpuMatrix) handle.values.destroy();
      else if (handle instanceof GpuRows) {
        [
          handle.weight,
          ...(handle.values === handle.weight ? [] : [handle.values]),
          handle.mask,
          handle.corr,
          handle.errors,
          ...Object.values(handle.scratch ?? {}),
        ]
          .forEach((b) => b.destroy());
      }
    },

    dispose(): void {
      disposed = true;
      for (const b of retired) b.destroy();
      retired = [];
      device.destroy();
    },
  };
  return kernels;
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}
