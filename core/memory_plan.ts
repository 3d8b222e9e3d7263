/**
 * What a prune run keeps in the wasm backend's memory, which WebAssembly caps at 4 GiB (wasm32),
 * so that a run that cannot fit fails before any work with the numbers that do not fit, instead
 * of failing to grow its memory hours in. Two phases peak:
 *
 *     sampling and evaluation   the linear weights and the output head in float32, resident as far
 *                               as they fit (the rest stay in host memory and are copied in for
 *                               their product), and one forward matmul's operands
 *     pruning a block           the four layer inputs' Gram matrices (float64 and float32 copies),
 *                               SparseSwaps' row batch, and with ADMM (`--update admm`,
 *                               `--warm-start admm-grad`) its two d × d float32 matrices and
 *                               products for the widest layer
 *
 * Pure: sizes from the architecture only.
 *
 * @module
 */

import { InputError } from "./errors.ts";
import type { LlamaConfig } from "./model/config.ts";
import { CHUNK_BYTES } from "./model/forward_chunks.ts";

/** WebAssembly's memory limit (wasm32): 65536 pages of 64 KiB. */
export const WASM_MEMORY_LIMIT = 2 ** 32;

/** Left free in the wasm backend's memory beside what the plan counts (allocation, scratch). */
const WASM_HEADROOM = 256 * 2 ** 20;

/** Bytes of row state a SparseSwaps batch may hold (as core/sparseswaps.ts bounds it). */
const ROW_BATCH_BYTES = 64 * 2 ** 20;

/** Bytes in GiB, as the messages give them. */
function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** Σ of the parts' bytes. */
function totalOf(items: readonly MemoryItem[]): number {
  return items.reduce((a, i) => a + i.bytes, 0);
}

/** "what size, what size, …" of the parts. */
function describeItems(items: readonly MemoryItem[]): string {
  return items.map((i) => `${i.what} ${gib(i.bytes)}`).join(", ");
}

/** A part of the peak, in bytes. */
export interface MemoryItem {
  /** What it is. */
  readonly what: string;
  /** Bytes. */
  readonly bytes: number;
}

/** The two peaks of a run in the wasm backend's memory. */
export interface WasmMemoryPlan {
  /** Sampling and evaluation (empty when nothing is sampled from the model). */
  readonly sampling: readonly MemoryItem[];
  /** Pruning one block. */
  readonly pruning: readonly MemoryItem[];
  /** Bytes of weights the backend may keep resident while sampling (the rest are copied in). */
  readonly residentBudget: number;
  /**
   * Whether sampling's key/value caches go in the backend's memory: when they fit beside every
   * weight and a step's product; else they stay in host memory (copied in at each step).
   */
  readonly cachesResident: boolean;
  /** Bytes of every block's key/value cache for the sampled windows. */
  readonly cacheBytes: number;
  /**
   * Bytes of every linear weight and the head as the backend would keep them (float32, or a BF16
   * checkpoint's bits): what sampling keeps somewhere.
   */
  readonly samplingWeights: number;
}

/** The largest batch of windows a run samples from the model at once. */
export interface SampledWindows {
  /** Windows sampled together (calibration windows, or evaluation windows). */
  readonly sequences: number;
  /** Tokens per window. */
  readonly length: number;
}

/** Options of {@linkcode wasmMemoryPlan}. */
export interface MemoryPlanOptions {
  /** The model's architecture. */
  readonly config: LlamaConfig;
  /** The windows sampled from the model at once (no --calib, or evaluation windows); none without. */
  readonly sampled?: SampledWindows;
  /** Whether ADMM runs (an ADMM update or the ADMM-Grad warm start). */
  readonly admm: boolean;
  /**
   * Bytes a weight takes on the backend while sampling: 2 when the checkpoint stores the linear
   * weights and the head in BF16 (kept as they are), else 4 (default).
   */
  readonly weightBytes?: number;
}

/**
 * The wasm backend's memory at the run's two peaks.
 *
 * @param options Architecture, sampling and calibration size.
 * @returns Each peak's parts.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = {
 *   dim: 2048, hiddenDim: 5632, nLayers: 22, nHeads: 32, nKvHeads: 4, headDim: 64,
 *   vocabSize: 32000, maxSeqLen: 2048, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false,
 * };
 * const sampled = { sequences: 32, length: 256 };
 * const plan = wasmMemoryPlan({ config, sampled, admm: false });
 * const total = (items: readonly { bytes: number }[]) => items.reduce((a, i) => a + i.bytes, 0);
 * // TinyLlama's weights in float32 (4.1 GiB) do not all fit: as many as fit stay resident, and
 * // the key/value caches stay in host memory.
 * assert.ok(total(plan.sampling) <= 2 ** 32 - 2 ** 28);
 * assert.ok(plan.residentBudget < 4.1 * 2 ** 30);
 * assert.ok(!plan.cachesResident);
 * assert.ok(total(plan.pruning) < 1e9);
 * // Kept as a BF16 checkpoint's bits (2.05 GiB), they all fit, with the caches (0.34 GiB).
 * const bf16 = wasmMemoryPlan({ config, sampled, admm: false, weightBytes: 2 });
 * assert.match(bf16.sampling[0].what, /in BF16, resident/);
 * assert.ok(bf16.samplingWeights <= bf16.residentBudget && bf16.cachesResident);
 * ```
 */
export function wasmMemoryPlan(options: MemoryPlanOptions): WasmMemoryPlan {
  const { config } = options;
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize } = config;
  const attention = nHeads * headDim;
  const kv = nKvHeads * headDim;
  const perBlock = dim * attention * 2 + dim * kv * 2 + dim * hiddenDim * 3;
  const widest = Math.max(dim, attention, hiddenDim);
  const largestLayer = Math.max(dim * attention, dim * hiddenDim);
  // Weights that do not fit stay in host memory and are copied in for their product.
  const weights = (options.weightBytes ?? 4) * (nLayers * perBlock + vocabSize * dim);
  const sampled = options.sampled;
  // A sampling step's product holds one token of every window, its output (the logits at
  // most) and a weight copied in; every block's cache holds the windows' keys and values.
  const transient = sampled
    ? 4 * (sampled.sequences * (widest + Math.max(widest, vocabSize)) +
      Math.max(largestLayer, vocabSize * dim))
    : 0;
  const cacheBytes = sampled ? 2 * 4 * nLayers * sampled.sequences * sampled.length * kv : 0;
  const room = WASM_MEMORY_LIMIT - WASM_HEADROOM - transient;
  const cachesResident = sampled !== undefined && weights + cacheBytes <= room;
  const caches = cachesResident ? cacheBytes : 0;
  const residentBudget = Math.max(0, room - caches);
  const sampling = sampled
    ? [
      {
        what: weights <= residentBudget
          ? `linear weights and head in ${options.weightBytes === 2 ? "BF16" : "float32"}, resident`
          : "the linear weights and head that fit, resident (the rest copied in per product)",
        bytes: Math.min(weights, residentBudget),
      },
      { what: "a sampling step's product, with a weight copied in", bytes: transient },
      { what: "every block's key/value cache", bytes: caches },
    ]
    : [];
  const grams = [dim, attention, dim, hiddenDim].reduce((a, d) => a + 12 * d * d, 0);
  const pruning = [
    { what: "the block's four Gram matrices (float64 + float32)", bytes: grams },
    {
      // Calibration runs a forward chunk's products while the Gram matrices fill.
      what: "a calibration chunk's product, with a weight copied in",
      bytes: 2 * CHUNK_BYTES + 4 * largestLayer,
    },
    { what: "SparseSwaps' row batch", bytes: ROW_BATCH_BYTES },
    ...(options.admm
      ? [{
        what: "ADMM's two matrices and products for the widest layer (float32)",
        bytes: 4 * (2 * widest * widest + 4 * largestLayer),
      }]
      : []),
  ];
  return {
    sampling,
    pruning,
    residentBudget,
    samplingWeights: weights,
    cachesResident,
    cacheBytes,
  };
}

/**
 * Fails, naming the parts, when a peak of {@linkcode wasmMemoryPlan} exceeds the wasm32 limit.
 *
 * @param options As for wasmMemoryPlan.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = {
 *   dim: 4096, hiddenDim: 14336, nLayers: 32, nHeads: 32, nKvHeads: 8, headDim: 128,
 *   vocabSize: 128256, maxSeqLen: 8192, rmsNormEps: 1e-5, ropeTheta: 500000, tieWordEmbeddings: false,
 * };
 * // Sampling 32 windows fits (weights partly resident); one step's logits of 4096 windows do not.
 * checkWasmMemory({ config, sampled: { sequences: 32, length: 256 }, admm: false });
 * const many = { sequences: 4096, length: 256 };
 * assert.throws(() => checkWasmMemory({ config, sampled: many, admm: false }), /--calib FILE/);
 * assert.throws(() => checkWasmMemory({ config, admm: true }), /ADMM/);
 * checkWasmMemory({ config, admm: false }); // fits
 * ```
 */
export function checkWasmMemory(options: MemoryPlanOptions): void {
  const plan = wasmMemoryPlan(options);
  if (totalOf(plan.sampling) > WASM_MEMORY_LIMIT - WASM_HEADROOM) {
    throw new InputError(
      `Sampling calibration or evaluation windows from this model keeps ${
        gib(totalOf(plan.sampling))
      } in the wasm backend (${describeItems(plan.sampling)}), more than the ${
        gib(WASM_MEMORY_LIMIT)
      } WebAssembly allows: give --calib FILE and --eval-windows 0`,
    );
  }
  if (totalOf(plan.pruning) > WASM_MEMORY_LIMIT) {
    throw new InputError(
      `Pruning a block of this model needs ${gib(totalOf(plan.pruning))} in the wasm backend (${
        describeItems(plan.pruning)
      }), more than the ${gib(WASM_MEMORY_LIMIT)} WebAssembly allows${
        options.admm
          ? ": ADMM's matrices do not fit beside the Gram matrices; use --update rebuild or another warm start than admm-grad"
          : ""
      }`,
    );
  }
}

/** Options of {@linkcode inMemoryRunPlan}. */
export interface InMemoryPlanOptions {
  /** The model's architecture. */
  readonly config: LlamaConfig;
  /** Bytes of the checkpoint's tensors as stored (the output has the same dtypes). */
  readonly storedBytes: number;
  /** Calibration tokens (windows × length). */
  readonly tokens: number;
}

/**
 * What a run with every output in memory (`pruneInMemory`, the web page) holds at most: the
 * weights in float32 twice while sampling (the dense copy and the backend's resident copy), the
 * output checkpoint twice (its tensors, then model.safetensors), and the calibration
 * activations (hidden states and the captured layer inputs).
 *
 * @param options Architecture, stored size and calibration size.
 * @returns The parts, in bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = {
 *   dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6, nKvHeads: 6, headDim: 48,
 *   vocabSize: 32000, maxSeqLen: 256, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: true,
 * };
 * const items = inMemoryRunPlan({ config, storedBytes: 60_816_028, tokens: 32 * 256 });
 * const total = items.reduce((a, i) => a + i.bytes, 0);
 * assert.ok(total > 2.4e8 && total < 4e8); // stories15M: about 300 MB
 * ```
 */
export function inMemoryRunPlan(options: InMemoryPlanOptions): MemoryItem[] {
  const { config, storedBytes, tokens } = options;
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize } = config;
  const perBlock = dim * nHeads * headDim * 2 + dim * nKvHeads * headDim * 2 +
    dim * hiddenDim * 3 + 2 * dim;
  const parameters = nLayers * perBlock + vocabSize * dim * (config.tieWordEmbeddings ? 1 : 2);
  return [
    { what: "the weights in float32, twice while sampling", bytes: 8 * parameters },
    { what: "the output checkpoint, twice while it is encoded", bytes: 2 * storedBytes },
    {
      what: "calibration activations",
      bytes: 4 * tokens * (2 * dim + 2 * Math.max(dim, nHeads * headDim) + 3 * hiddenDim),
    },
  ];
}

/**
 * Fails, naming the parts, when an in-memory run would exceed a memory limit.
 *
 * @param options As for inMemoryRunPlan.
 * @param limit Bytes the run may hold (a browser tab's share of the device's memory).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = {
 *   dim: 4096, hiddenDim: 14336, nLayers: 32, nHeads: 32, nKvHeads: 8, headDim: 128,
 *   vocabSize: 128256, maxSeqLen: 8192, rmsNormEps: 1e-5, ropeTheta: 500000, tieWordEmbeddings: false,
 * };
 * assert.throws(
 *   () => checkInMemoryRun({ config, storedBytes: 16e9, tokens: 8192 }, 4 * 2 ** 30),
 *   /needs about 9\d\.\d\d GiB .* more than the 4\.00 GiB/,
 * );
 * ```
 */
export function checkInMemoryRun(options: InMemoryPlanOptions, limit: number): void {
  const items = inMemoryRunPlan(options);
  const total = totalOf(items);
  if (total <= limit) return;
  throw new InputError(
    `Pruning this model in memory needs about ${gib(total)} (${
      describeItems(items)
    }), more than the ${
      gib(limit)
    } allowed here: prune it with the command line, which streams the model block by block`,
  );
}

/** Where the calibration hidden states live between blocks. */
export type HiddenPlacement = "memory" | "disk" | "backend";

/** Options of {@linkcode hostMemoryPlan}. */
export interface HostPlanOptions {
  /** The model's architecture. */
  readonly config: LlamaConfig;
  /** Calibration tokens (windows × length). */
  readonly tokens: number;
  /** Bytes a forward chunk's activations may take (pipeline.ts's CHUNK_BYTES). */
  readonly chunkBytes: number;
  /**
   * Where the hidden states are kept (default memory): on disk or in the backend's memory, only
   * a chunk of them is in host memory at a time.
   */
  readonly hiddenStates?: HiddenPlacement;
  /** Bytes of weights kept in host memory while sampling (those the backend does not hold). */
  readonly samplingWeights?: number;
}

/**
 * What `prune` holds in the host's memory outside the backend, at its peak (a block being
 * calibrated): the calibration hidden states (none when they are kept on disk), the block's
 * weights in float32 (as read, and the pruned copies written), the embedding and output head, and
 * one forward chunk: its hidden states and activations (about a dozen arrays of the chunk's size).
 *
 * @param options Architecture, calibration size and chunk size.
 * @returns The parts, in bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = {
 *   dim: 4096, hiddenDim: 14336, nLayers: 32, nHeads: 32, nKvHeads: 8, headDim: 128,
 *   vocabSize: 128256, maxSeqLen: 8192, rmsNormEps: 1e-5, ropeTheta: 500000, tieWordEmbeddings: false,
 * };
 * const items = hostMemoryPlan({ config, tokens: 32 * 256, chunkBytes: 64 * 2 ** 20 });
 * assert.equal(items[0].bytes, 32 * 256 * 4096 * 4); // 128 MiB of hidden states at 8B
 * ```
 */
export function hostMemoryPlan(options: HostPlanOptions): MemoryItem[] {
  const { config, tokens } = options;
  const { dim, hiddenDim, nHeads, nKvHeads, headDim, vocabSize } = config;
  const perBlock = dim * nHeads * headDim * 2 + dim * nKvHeads * headDim * 2 + dim * hiddenDim * 3;
  const table = vocabSize * dim * (config.tieWordEmbeddings ? 1 : 2);
  return [
    options.hiddenStates === undefined || options.hiddenStates === "memory"
      ? { what: "calibration hidden states", bytes: 4 * tokens * dim }
      : {
        what: `calibration hidden states (${
          options.hiddenStates === "disk" ? "on disk" : "in the backend's memory"
        })`,
        bytes: 0,
      },
    { what: "a block's weights in float32, read and pruned", bytes: 2 * 4 * perBlock },
    { what: "embedding and output head in float32", bytes: 4 * table },
    { what: "a forward chunk's activations and hidden states", bytes: 12 * options.chunkBytes },
    {
      what: "weights (and key/value caches) kept in memory for sampling",
      bytes: options.samplingWeights ?? 0,
    },
  ];
}

/**
 * Fails, naming the parts, when {@linkcode hostMemoryPlan} exceeds the memory available.
 *
 * @param options As for hostMemoryPlan.
 * @param available Bytes the host has available (Deno.systemMemoryInfo().available).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = {
 *   dim: 4096, hiddenDim: 14336, nLayers: 32, nHeads: 32, nKvHeads: 8, headDim: 128,
 *   vocabSize: 128256, maxSeqLen: 8192, rmsNormEps: 1e-5, ropeTheta: 500000, tieWordEmbeddings: false,
 * };
 * const options = { config, tokens: 1024 * 2048, chunkBytes: 64 * 2 ** 20 };
 * assert.throws(() => checkHostMemory(options, 16 * 2 ** 30), /needs about 38\.29 GiB .* lower --nsamples or --seqlen/);
 * checkHostMemory({ ...options, tokens: 32 * 256 }, 16 * 2 ** 30); // fits
 * ```
 */
export function checkHostMemory(options: HostPlanOptions, available: number): void {
  const items = hostMemoryPlan(options);
  const total = totalOf(items);
  if (total <= available) return;
  throw new InputError(
    `This run needs about ${gib(total)} of memory outside the backend (${
      describeItems(items)
    }), more than the ${gib(available)} available: lower --nsamples or --seqlen${
      (options.hiddenStates ?? "memory") === "memory"
        ? ", or keep the hidden states on disk (--hidden-states disk)"
        : ""
    }`,
  );
}

/**
 * Fails when a disk cannot hold the hidden states kept on it twice (the working file and the copy
 * saved after each block).
 *
 * @param options Architecture and calibration size (as for hostMemoryPlan).
 * @param free Bytes free on the disk.
 * @param where The folder, for the message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = {
 *   dim: 4096, hiddenDim: 14336, nLayers: 32, nHeads: 32, nKvHeads: 8, headDim: 128,
 *   vocabSize: 128256, maxSeqLen: 8192, rmsNormEps: 1e-5, ropeTheta: 500000, tieWordEmbeddings: false,
 * };
 * const options = { config, tokens: 1024 * 2048, chunkBytes: 64 * 2 ** 20 };
 * assert.throws(() => checkHiddenDisk(options, 10 * 2 ** 30, "/out"), /needs 64\.00 GiB in "\/out" .* 10\.00 GiB are free/);
 * checkHiddenDisk(options, 100 * 2 ** 30, "/out"); // fits
 * ```
 */
export function checkHiddenDisk(
  options: Pick<HostPlanOptions, "config" | "tokens">,
  free: number,
  where: string,
): void {
  const needed = 2 * 4 * options.tokens * options.config.dim;
  if (needed <= free) return;
  throw new InputError(
    `Keeping the hidden states on disk needs ${
      gib(needed)
    } in "${where}" (the working file and the copy saved after each block), and ${
      gib(free)
    } are free: lower --nsamples or --seqlen`,
  );
}
