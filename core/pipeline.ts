/**
 * Whole-model pruning, one transformer block at a time, as Wanda and SparseGPT calibrate:
 *
 *     pruneModel(checkpoint, calibration windows)
 *     ├─ h = embed(calibration tokens)
 *     └─ for each block (at its own sparsity with OWL: owlBlockPatterns, a dense pass first)
 *        ├─ dense forward of a copy of h, capturing each linear layer's input
 *        │    → G = XᵀX and channel means/variances for the four inputs
 *        │      (q/k/v share one, gate/up share one; o and down have their own)
 *        ├─ for each of its seven linear layers, core/layer.ts's pruneLayer:
 *        │    warm start (a score, or SparseGPT / ADMM-Grad with their updated weights)
 *        │    → refine (SparseSwaps, DSnoT or none) → zero the pruned weights
 *        │    → optionally update the kept ones (rebuild or ADMM) and alternate
 *        ├─ hand the block's tensors and masks to the output
 *        ├─ h = forward of the pruned block (later blocks see pruned outputs; with dense
 *        │    calibration, h = the dense block's output, from the capturing forward)
 *        └─ onBlockDone(block, h): a point a run can be resumed from
 *
 * The hidden states h live where options.hiddenStates keeps them (memory by default, a file for
 * calibrations too large for it) and go through each block a chunk of sequences at a time.
 *
 * A run resumed from block k (options.resume: k, with h as block k − 1 produced it) skips
 * the tensors outside the blocks and blocks 0 … k − 1, and then computes exactly what an
 * uninterrupted run computes. An aborted `signal` stops the run between layers and between
 * SparseSwaps iterations. *
 * The numeric work is in core/ (layer, warm_start, sparseswaps, update, model/forward); this module
 * owns the calibration state, timings and progress events, and does no file I/O itself.
 *
 * @module
 */

import { type HiddenStates, memoryHiddenStates } from "./hidden_states.ts";
import { zeroPruned } from "./compressed.ts";
import { InputError } from "./errors.ts";
import type { GramHandle, Kernels } from "./kernels.ts";
import {
  type Checkpoint,
  LINEAR_LAYERS,
  LINEAR_ROLES,
  type LinearLayer,
  linearName,
  readBlock,
} from "./model/checkpoint.ts";
import type { LlamaConfig } from "./model/config.ts";
import {
  type ChunkLayout,
  type DenseBlockWeights,
  type LinearInput,
  ropeFrequencies,
} from "./model/forward.ts";
import { embedWindows, forwardInChunks } from "./model/forward_chunks.ts";
import { outlierRatio, OWL_SPREAD, owlSparsities } from "./owl.ts";
import {
  checkPatternFits,
  type PerRowPattern,
  perRowPattern,
  type SparsityPattern,
} from "./pattern.ts";
import { fromFloat32, type Tensor, toFloat32 } from "./safetensors.ts";
import { pruneLayer, type Refiner, total, type WeightUpdate } from "./layer.ts";
import type { LayerWarmStart } from "./update.ts";
import { layerErrors, type RefineCounts } from "./sparseswaps.ts";

/** Where calibration inputs come from: the pruned earlier blocks, or the dense model. */
export type CalibrationMode = "sequential" | "dense";

/** The calibration modes, for flag validation. */
export const CALIBRATION_MODES: readonly CalibrationMode[] = ["sequential", "dense"];

/** How sparsity is spread over blocks: the same everywhere, or OWL's outlier-weighted shares. */
export type LayerSparsity = "uniform" | "owl";

/** The layer-sparsity choices, for flag validation. */
export const LAYER_SPARSITIES: readonly LayerSparsity[] = ["uniform", "owl"];

/** What happened to one linear layer (the counts: the refiner's, over all its rounds). */
export interface LayerReport extends RefineCounts {
  /** Block index. */
  readonly block: number;
  /** Module name, e.g. `self_attn.q_proj`. */
  readonly layer: LinearLayer;
  /** Output features. */
  readonly rows: number;
  /** Input features. */
  readonly d: number;
  /** ‖W X‖²: the dense layer's output energy over the calibration tokens (Σ wᵀGw). */
  readonly outputEnergy: number;
  /** Σ qᵀGq of the warm start. */
  readonly errorWarm: number;
  /** Σ qᵀGq after refinement. */
  readonly errorRefined: number;
  /** Σ qᵀGq after the weight update (q = w − w'); absent without one. */
  readonly errorUpdated?: number;
  /** Fraction of the layer's weights pruned. */
  readonly sparsity: number;
  /** 1 − errorRefined / errorWarm. */
  readonly relativeReduction: number;
  /** Wall time of warm start and refinement, seconds. */
  readonly seconds: number;
}

/** Where the pruned checkpoint goes, tensor by tensor. */
export interface PrunedOutput {
  /** Receives every tensor of the model, pruned weights zeroed, in the source dtype. */
  writeTensor(name: string, tensor: Tensor): Promise<void>;
  /** Receives the mask (rows, d) U8 of each linear layer, 1 = kept. */
  writeMask(name: string, mask: Uint8Array, shape: readonly number[]): Promise<void>;
}

/** A block that is done: everything a run needs to resume after it. */
export interface BlockDone {
  /** The block (0-based). */
  readonly block: number;
  /**
   * h (tokens, dim): the block's output, the next block's calibration input; absent when the
   * layers' results come from `layerResults` (no calibration runs).
   */
  readonly hidden?: HiddenStates;
  /** Seconds per phase so far in this call. */
  readonly timings: Readonly<PruneTimings>;
}

/** Progress callbacks. */
export interface PruneEvents {
  /** A block starts (0-based) of `blocks`. */
  readonly onBlock?: (block: number, blocks: number) => void;
  /** A linear layer is done. */
  readonly onLayer?: (report: LayerReport) => void;
  /**
   * A block is done and every tensor of it was handed to the output: a point to save, so that
   * an interrupted run can resume here. The run waits for it.
   */
  readonly onBlockDone?: (done: BlockDone) => void | Promise<void>;
}

/** Where an interrupted run continues. */
export interface PruneResume {
  /**
   * Blocks already done (their tensors, and those outside the blocks, already written); unless
   * the layers' results come from `layerResults`, `hiddenStates` holds their output.
   */
  readonly blocks: number;
}

/** The method every layer is pruned with. */
export interface PruneMethod {
  /** Sparsity pattern. */
  readonly pattern: SparsityPattern;
  /** A pattern per block (OWL's layer-wise sparsity), instead of `pattern` everywhere. */
  readonly blockPatterns?: readonly SparsityPattern[];
  /** Warm start. */
  readonly warmStart: LayerWarmStart;
  /** Refiner. */
  readonly refiner: Refiner;
  /** SparseSwaps iteration budget. */
  readonly maxIters: number;
  /** Update of the kept weights after the mask (default none). */
  readonly update?: WeightUpdate;
}

/** One linear layer's finished work, as pruneModel writes it. */
export interface LayerOutcome {
  /** What happened. */
  readonly report: LayerReport;
  /** Mask (rows, d), 1 = kept. */
  readonly mask: Uint8Array;
  /** W' (rows, d) F32 when kept weights moved; else the dense weights with zeros are written. */
  readonly updated?: Float32Array;
}

/**
 * Layers pruned elsewhere (layer jobs, with dense calibration): pruneModel writes their outcomes
 * instead of calibrating and pruning.
 */
export type LayerResults = (block: number, layer: LinearLayer) => Promise<LayerOutcome>;

/** Options of {@linkcode pruneModel}. */
export interface PruneOptions extends PruneMethod {
  /** Backend. */
  readonly kernels: Kernels;
  /** The dense model. */
  readonly checkpoint: Checkpoint;
  /** Calibration windows, all the same length. */
  readonly calibration: readonly Int32Array[];
  /**
   * Where each block's calibration inputs come from: "sequential" (default; the pruned earlier
   * blocks, as SparseGPT and Wanda calibrate) or "dense" (the dense model, so that every layer's
   * pruning is independent of the others').
   */
  readonly calibrationMode?: CalibrationMode;
  /** Each layer's outcome made elsewhere, instead of calibrating and pruning here. */
  readonly layerResults?: LayerResults;
  /** Where the result goes. */
  readonly output: PrunedOutput;
  /** Progress. */
  readonly events?: PruneEvents;
  /** Continue an interrupted run instead of starting at block 0. */
  readonly resume?: PruneResume;
  /** Stops the run (throwing the signal's reason) between layers and SparseSwaps iterations. */
  readonly signal?: AbortSignal;
  /** Activation bytes a forward chunk may hold (default {@linkcode CHUNK_BYTES}). */
  readonly chunkBytes?: number;
  /**
   * Where the calibration hidden states live between blocks (default: memory). Resuming, they
   * must hold the resumed blocks' output.
   */
  readonly hiddenStates?: HiddenStates;
}

/** Seconds spent per phase. */
export interface PruneTimings {
  /** Block forwards and Gram accumulation. */
  calibration: number;
  /** Warm starts and refinement. */
  pruning: number;
  /** Handing tensors to the output. */
  writing: number;
}

/**
 * Prunes every linear layer of every block; see the module documentation for the lifecycle.
 *
 * @param options Model, calibration data, method and output.
 * @returns One report per linear layer, and timings.
 */
export async function pruneModel(
  options: PruneOptions,
): Promise<{ layers: LayerReport[]; timings: PruneTimings }> {
  const { kernels, checkpoint, calibration, output, events, resume, signal } = options;
  const { config } = checkpoint;
  checkPatternFitsModel(options.pattern, config);
  const timings: PruneTimings = { calibration: 0, pruning: 0, writing: 0 };
  const clock = (phase: keyof PruneTimings, started: number) => {
    timings[phase] += (performance.now() - started) / 1000;
  };
  const length = calibration[0].length;
  const first = resume?.blocks ?? 0;
  const calibrating = options.layerResults === undefined;
  const h = calibrating
    ? options.hiddenStates ?? memoryHiddenStates(calibration.length, length, config.dim)
    : undefined;
  if (
    h && (h.sequences !== calibration.length || h.tokens !== length || h.dim !== config.dim)
  ) {
    throw new RangeError(
      `Hidden states of ${h.sequences} × ${h.tokens} × ${h.dim} for ${calibration.length} windows of ${length} tokens and hidden size ${config.dim}`,
    );
  }
  if (resume && (first > config.nLayers || (calibrating && !options.hiddenStates))) {
    throw new RangeError(`Cannot resume at block ${first} without the hidden states`);
  }
  let started = performance.now();
  if (!resume) {
    const block = new Set<string>();
    for (let layer = 0; layer < config.nLayers; layer++) {
      for (const t of checkpoint.tensors) {
        if (t.name.startsWith(`model.layers.${layer}.`)) block.add(t.name);
      }
    }
    for (const t of checkpoint.tensors) {
      if (!block.has(t.name)) await output.writeTensor(t.name, await checkpoint.read(t.name));
    }
  }
  clock("writing", started);

  if (h && !resume) await embedCalibration(checkpoint, calibration, h, options.chunkBytes);
  const layout = { batch: calibration.length, tokens: length, start: 0 };
  const frequencies = ropeFrequencies(config);
  const reports: LayerReport[] = [];

  for (let index = first; index < config.nLayers; index++) {
    signal?.throwIfAborted();
    events?.onBlock?.(index, config.nLayers);
    started = performance.now();
    const weights = await readBlock(checkpoint, index);
    // Dense calibration: the capturing forward of the dense block is also the next block's input.
    const dense = options.calibrationMode === "dense";
    const inputs = h &&
      await captureInputs(
        kernels,
        config,
        weights,
        h,
        dense,
        layout,
        frequencies,
        options.chunkBytes,
      );
    clock("calibration", started);
    try {
      if (inputs) checkLayerInputs(inputs, index);
      for (const layer of LINEAR_LAYERS) {
        signal?.throwIfAborted();
        started = performance.now();
        const name = linearName(index, layer);
        const weight = weights[LINEAR_ROLES[layer].field];
        const { report, mask, updated } = inputs
          ? await pruneModelLayer(
            { ...options, block: index, layer },
            weight,
            inputs[LINEAR_ROLES[layer].input],
          )
          : await options.layerResults!(index, layer);
        const raw = await checkpoint.read(name);
        let written: Tensor;
        if (updated) {
          // Later blocks calibrate on exactly the values written, rounded to the model's dtype.
          written = fromFloat32(updated, raw.dtype as "F32" | "F16" | "BF16", raw.shape);
          weight.set(toFloat32(written));
        } else {
          for (let i = 0; i < mask.length; i++) if (mask[i] === 0) weight[i] = 0;
          zeroPruned(raw, mask);
          written = raw;
        }
        clock("pruning", started);
        started = performance.now();
        await output.writeTensor(name, written);
        await output.writeMask(name, mask, raw.shape);
        clock("writing", started);
        reports.push(report);
        events?.onLayer?.(report);
      }
    } finally {
      for (const input of Object.values(inputs ?? {})) kernels.release(input.gram);
    }
    started = performance.now();
    for (const t of ["input_layernorm", "post_attention_layernorm"]) {
      const normName = `model.layers.${index}.${t}.weight`;
      await output.writeTensor(normName, await checkpoint.read(normName));
    }
    clock("writing", started);
    if (h && !dense) {
      started = performance.now();
      await forwardInChunks(kernels, config, weights, h, layout, frequencies, {
        writeBack: true,
        chunkBytes: options.chunkBytes,
      });
      clock("calibration", started);
    }
    await events?.onBlockDone?.({ block: index, hidden: h, timings: { ...timings } });
  }
  return { layers: reports, timings };
}

/** Options of {@linkcode denseLayerInputs}. */
export interface DenseInputsOptions {
  /** Backend. */
  readonly kernels: Kernels;
  /** The dense model. */
  readonly checkpoint: Checkpoint;
  /** Calibration windows, all the same length. */
  readonly calibration: readonly Int32Array[];
  /** Receives each block's dense weights and linear-layer inputs; they are released after it. */
  readonly onBlock: (
    block: number,
    weights: DenseBlockWeights,
    inputs: Readonly<Record<LinearInput, LayerInput>>,
  ) => Promise<void>;
  /** Stops the pass between blocks. */
  readonly signal?: AbortSignal;
  /** Where the calibration hidden states live between blocks (default: memory). */
  readonly hiddenStates?: HiddenStates;
}

/**
 * Every block's linear-layer inputs under dense calibration, block by block: exactly what
 * pruneModel with calibrationMode "dense" computes before pruning each block (layer jobs are
 * planned from them).
 *
 * @param options Backend, model, calibration and where each block's inputs go.
 */
export async function denseLayerInputs(options: DenseInputsOptions): Promise<void> {
  const { kernels, checkpoint, calibration, signal } = options;
  const { config } = checkpoint;
  const { h, layout, frequencies } = await densePassStart(
    checkpoint,
    calibration,
    options.hiddenStates,
  );
  for (let block = 0; block < config.nLayers; block++) {
    signal?.throwIfAborted();
    const weights = await readBlock(checkpoint, block);
    const inputs = await captureInputs(kernels, config, weights, h, true, layout, frequencies);
    try {
      checkLayerInputs(inputs, block);
      await options.onBlock(block, weights, inputs);
    } finally {
      for (const input of Object.values(inputs)) kernels.release(input.gram);
    }
  }
}

/**
 * What a dense pass over the blocks starts from: the calibration windows embedded into the given
 * hidden states (in memory without), their layout and the rotary frequencies.
 */
async function densePassStart(
  checkpoint: Checkpoint,
  calibration: readonly Int32Array[],
  hiddenStates?: HiddenStates,
): Promise<{ h: HiddenStates; layout: ChunkLayout; frequencies: Float64Array }> {
  const { config } = checkpoint;
  const layout = { batch: calibration.length, tokens: calibration[0].length, start: 0 };
  const h = hiddenStates ?? memoryHiddenStates(layout.batch, layout.tokens, config.dim);
  await embedCalibration(checkpoint, calibration, h);
  return { h, layout, frequencies: ropeFrequencies(config) };
}

/** Writes h (tokens, dim), the calibration windows embedded, the first block's input. */
async function embedCalibration(
  checkpoint: Checkpoint,
  calibration: readonly Int32Array[],
  h: HiddenStates,
  chunkBytes?: number,
): Promise<void> {
  const table = toFloat32(await checkpoint.read("model.embed_tokens.weight"));
  await embedWindows(h, table, calibration, checkpoint.config, chunkBytes);
}

/** Options of {@linkcode owlBlockPatterns}. */
export interface OwlOptions {
  /** Backend. */
  readonly kernels: Kernels;
  /** The dense model. */
  readonly checkpoint: Checkpoint;
  /** Calibration windows, all the same length. */
  readonly calibration: readonly Int32Array[];
  /** The mean per-row sparsity. */
  readonly sparsity: number;
  /** Stops the pass between blocks. */
  readonly signal?: AbortSignal;
  /** Where the calibration hidden states live between blocks (default: memory). */
  readonly hiddenStates?: HiddenStates;
}

/**
 * OWL's per-block sparsities (core/owl.ts) for a target per-row sparsity: one dense forward pass
 * over the calibration windows, as OWL's code makes it, scoring each block's linear layers with
 * the energies of their inputs.
 *
 * @param options Backend, model, calibration and target.
 * @returns One per-row pattern per block, their mean the target.
 */
export async function owlBlockPatterns(options: OwlOptions): Promise<PerRowPattern[]> {
  const { kernels, checkpoint, calibration, sparsity, signal } = options;
  const { config } = checkpoint;
  const { h, layout, frequencies } = await densePassStart(
    checkpoint,
    calibration,
    options.hiddenStates,
  );
  const ratios: number[] = [];
  for (let block = 0; block < config.nLayers; block++) {
    signal?.throwIfAborted();
    const weights = await readBlock(checkpoint, block);
    const energy = new Map<LinearInput, Float64Array>();
    await forwardInChunks(kernels, config, weights, h, layout, frequencies, {
      writeBack: true,
      captured: async (input, x) => {
        const sums = energy.get(input) ?? new Float64Array(x.width);
        await kernels.channelMoments({ x, sum: new Float64Array(x.width), squares: sums });
        energy.set(input, sums);
      },
    });
    ratios.push(outlierRatio(LINEAR_LAYERS.map((layer) => {
      const inputEnergy = energy.get(LINEAR_ROLES[layer].input)!;
      return { weight: weights[LINEAR_ROLES[layer].field], d: inputEnergy.length, inputEnergy };
    })));
  }
  const sparsities = owlSparsities(ratios, sparsity);
  const bad = sparsities.find((s) => !(s > 0 && s < 1));
  if (bad !== undefined) {
    throw new InputError(
      `OWL puts a block at sparsity ${bad}: the target ${sparsity} ± ${OWL_SPREAD} must stay within (0, 1)`,
    );
  }
  return sparsities.map(perRowPattern);
}

/**
 * Fails when an N:M pattern does not fit the input width of one of the model's linear layers.
 *
 * @param pattern The pattern.
 * @param config The model's architecture.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = {
 *   dim: 288, hiddenDim: 768, nLayers: 1, nHeads: 6, nKvHeads: 6, headDim: 48, vocabSize: 32,
 *   maxSeqLen: 8, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: true,
 * };
 * checkPatternFitsModel({ kind: "n:m", n: 2, m: 4 }, config);
 * assert.throws(() => checkPatternFitsModel({ kind: "n:m", n: 2, m: 5 }, config), /M=5 does not divide d=288/);
 * ```
 */
export function checkPatternFitsModel(pattern: SparsityPattern, config: LlamaConfig): void {
  const widths: [string, number][] = [
    ["self_attn.q_proj, k_proj and v_proj", config.dim],
    ["self_attn.o_proj", config.nHeads * config.headDim],
    ["mlp.gate_proj and up_proj", config.dim],
    ["mlp.down_proj", config.hiddenDim],
  ];
  for (const [layer, d] of widths) checkPatternFits(pattern, d, `layer ${layer} (d = ${d})`);
}

/**
 * Fails when a captured input holds a non-finite value (the block's activations overflowed
 * float32), which would otherwise turn every error and every mask of the block into noise.
 */
function checkLayerInputs(inputs: Record<LinearInput, LayerInput>, block: number): void {
  for (const [input, captured] of Object.entries(inputs)) {
    const bad = captured.diagonal.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new InputError(
        `Block ${block}: the calibration activations at the ${input} input are not finite (channel ${bad}); the model's activations overflow float32`,
      );
    }
  }
}

/** A linear layer's input as calibration captured it: its Gram matrix and per-channel moments. */
export interface LayerInput {
  /** G (width, width) = XᵀX, on the backend. */
  readonly gram: GramHandle;
  /** Input features. */
  readonly width: number;
  /** diag(G), as the backend reads it. */
  readonly diagonal: Float64Array;
  /** Mean of each input channel. */
  readonly mean: Float64Array;
  /** Variance of each input channel. */
  readonly variance: Float64Array;
}

/**
 * A layer input from saved values (a layer job's): G made on the backend and its diagonal read
 * back, as calibration makes them, so a job prunes exactly as the one-shot run does.
 *
 * @param kernels The backend.
 * @param values G (width, width) float64, and the channel moments.
 * @returns The input; release its `gram` when done.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.ts";
 * const kernels = createReferenceKernels();
 * const input = await layerInput(kernels, {
 *   gram: new Float64Array([2, 1, 1, 3]), mean: new Float64Array(2), variance: new Float64Array(2),
 * });
 * assert.deepEqual([...input.diagonal], [2, 3]);
 * ```
 */
export async function layerInput(
  kernels: Kernels,
  values: {
    readonly gram: Float64Array;
    readonly mean: Float64Array;
    readonly variance: Float64Array;
  },
): Promise<LayerInput> {
  const width = values.mean.length;
  const gram = await kernels.createGram({ d: width, values: values.gram });
  const diagonal = await kernels.readGramDiagonal(gram);
  return { gram, width, diagonal, mean: values.mean, variance: values.variance };
}

/**
 * Runs the dense block on h (which becomes the block's output with `writeBack`) and accumulates
 * G and moments of each linear input, chunk by chunk.
 */
async function captureInputs(
  kernels: Kernels,
  config: LlamaConfig,
  weights: DenseBlockWeights,
  h: HiddenStates,
  writeBack: boolean,
  layout: ChunkLayout,
  frequencies: Float64Array,
  chunkBytes?: number,
): Promise<Record<LinearInput, LayerInput>> {
  const sums = new Map<
    LinearInput,
    { gram: GramHandle; width: number; rows: number; mean: Float64Array; squares: Float64Array }
  >();
  try {
    await forwardInChunks(kernels, config, weights, h, layout, frequencies, {
      writeBack,
      chunkBytes,
      captured: async (input, x) => {
        const width = x.width;
        let sum = sums.get(input);
        if (!sum) {
          const gram = await kernels.createGram({ d: width });
          sum = {
            gram,
            width,
            rows: 0,
            mean: new Float64Array(width),
            squares: new Float64Array(width),
          };
          sums.set(input, sum);
        }
        await kernels.gramAccumulate({ gram: sum.gram, x, tokens: x.rows });
        await kernels.channelMoments({ x, sum: sum.mean, squares: sum.squares });
        sum.rows += x.rows;
      },
    });
  } catch (error) {
    for (const { gram } of sums.values()) kernels.release(gram);
    throw error;
  }
  const result = {} as Record<LinearInput, LayerInput>;
  for (const [input, { gram, width, rows, mean, squares }] of sums) {
    const variance = new Float64Array(width);
    for (let j = 0; j < width; j++) {
      mean[j] /= rows;
      variance[j] = Math.max(0, squares[j] / rows - mean[j] * mean[j]);
    }
    const diagonal = await kernels.readGramDiagonal(gram);
    result[input] = { gram, width, diagonal, mean, variance };
  }
  return result;
}

/**
 * One linear layer of a block: core/layer.ts's method, and its report (what pruneModel does for
 * every layer, and a layer job for one).
 *
 * @param options The method, backend, and which layer this is.
 * @param weight W (rows, width), the dense layer.
 * @param input Its calibration input.
 * @returns The mask, updated weights if any, and the layer's report.
 */
export async function pruneModelLayer(
  options: PruneMethod & {
    readonly kernels: Kernels;
    readonly block: number;
    readonly layer: LinearLayer;
    readonly signal?: AbortSignal;
  },
  weight: Float32Array,
  input: LayerInput,
): Promise<LayerOutcome> {
  const { kernels, block, layer } = options;
  const started = performance.now();
  const d = input.width;
  const rows = weight.length / d;
  const label = `Layer ${linearName(block, layer)}`;
  const operands = { kernels, gram: input.gram, weight, rows, d, label };
  const outputEnergy = total(await layerErrors({ ...operands, mask: new Uint8Array(rows * d) }));
  const pruned = await pruneLayer({
    ...operands,
    gramDiagonal: input.diagonal,
    pattern: options.blockPatterns?.[block] ?? options.pattern,
    warmStart: options.warmStart,
    refiner: options.refiner,
    maxIters: options.maxIters,
    update: options.update,
    moments: input,
    signal: options.signal,
  });
  const { mask } = pruned;
  const errorWarm = total(pruned.errorWarm);
  const errorRefined = total(pruned.errorRefined);
  let zeros = 0;
  for (const m of mask) zeros += m === 0 ? 1 : 0;
  return {
    mask,
    updated: pruned.weight,
    report: {
      block,
      layer,
      rows,
      d,
      outputEnergy,
      errorWarm,
      errorRefined,
      ...(pruned.errorUpdated ? { errorUpdated: total(pruned.errorUpdated) } : {}),
      sparsity: zeros / mask.length,
      relativeReduction: errorWarm > 0 ? 1 - errorRefined / errorWarm : 0,
      swaps: pruned.swaps,
      iterations: pruned.iterations,
      convergedRows: pruned.convergedRows,
      stalledRows: pruned.stalledRows,
      pairsEvaluated: pruned.pairsEvaluated,
      pairsBruteForce: pruned.pairsBruteForce,
      seconds: (performance.now() - started) / 1000,
    },
  };
}
