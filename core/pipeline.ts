/**
 * Whole-model pruning, one transformer block at a time, as Wanda and SparseGPT calibrate:
 *
 *     pruneModel(checkpoint, calibration windows)
 *     ├─ h = embed(calibration tokens)
 *     └─ for each block
 *        ├─ dense forward of a copy of h, capturing each linear layer's input
 *        │    → G = XᵀX and channel means/variances for the four inputs
 *        │      (q/k/v share one, gate/up share one; o and down have their own)
 *        ├─ for each of its seven linear layers:
 *        │    warm start → refine (SparseSwaps, DSnoT or none) → zero the pruned weights
 *        ├─ hand the block's tensors and masks to the output
 *        └─ h = forward of the pruned block (later blocks see pruned outputs)
 *
 * The numeric work is in core/ (warm_start, sparseswaps, dsnot, model/forward); this module
 * owns the calibration state, timings and progress events, and does no file I/O itself.
 *
 * @module
 */

import { refineDsnot } from "./dsnot.ts";
import type { GramHandle, Kernels } from "./kernels.ts";
import {
  type Checkpoint,
  LINEAR_LAYERS,
  type LinearLayer,
  linearName,
  readBlock,
} from "./model/checkpoint.ts";
import type { LlamaConfig } from "./model/config.ts";
import {
  blockForward,
  type ChunkLayout,
  type DenseBlockWeights,
  embed,
  type LinearInput,
  ropeFrequencies,
} from "./model/forward.ts";
import type { SparsityPattern } from "./pattern.ts";
import { DTYPE_BYTES, type Tensor, toFloat32 } from "./safetensors.ts";
import { layerErrors, refineSparseSwaps } from "./sparseswaps.ts";
import { warmStartMask, type WarmStartMethod } from "./warm_start.ts";

/** How masks are improved after the warm start. */
export type Refiner = "sparseswaps" | "dsnot" | "none";

/** The refiners, for flag validation. */
export const REFINERS: readonly Refiner[] = ["sparseswaps", "dsnot", "none"];

/** Which captured input each linear layer reads. */
const INPUT_OF: Readonly<Record<LinearLayer, LinearInput>> = {
  "self_attn.q_proj": "attention",
  "self_attn.k_proj": "attention",
  "self_attn.v_proj": "attention",
  "self_attn.o_proj": "output",
  "mlp.gate_proj": "mlp",
  "mlp.up_proj": "mlp",
  "mlp.down_proj": "down",
};

/** The block weight field of each linear layer. */
const FIELD_OF: Readonly<Record<LinearLayer, keyof DenseBlockWeights>> = {
  "self_attn.q_proj": "q",
  "self_attn.k_proj": "k",
  "self_attn.v_proj": "v",
  "self_attn.o_proj": "o",
  "mlp.gate_proj": "gate",
  "mlp.up_proj": "up",
  "mlp.down_proj": "down",
};

/** What happened to one linear layer. */
export interface LayerReport {
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
  /** 1 − errorRefined / errorWarm. */
  readonly relativeReduction: number;
  /** Swaps made by the refiner. */
  readonly swaps: number;
  /** SparseSwaps iterations (the most swaps of any row); 0 for other refiners. */
  readonly iterations: number;
  /** Rows left with no improving 1-swap (SparseSwaps); 0 for other refiners. */
  readonly convergedRows: number;
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

/** Progress callbacks. */
export interface PruneEvents {
  /** A block starts (0-based) of `blocks`. */
  readonly onBlock?: (block: number, blocks: number) => void;
  /** A linear layer is done. */
  readonly onLayer?: (report: LayerReport) => void;
}

/** Options of {@linkcode pruneModel}. */
export interface PruneOptions {
  /** Backend. */
  readonly kernels: Kernels;
  /** The dense model. */
  readonly checkpoint: Checkpoint;
  /** Calibration windows, all the same length. */
  readonly calibration: readonly Int32Array[];
  /** Sparsity pattern. */
  readonly pattern: SparsityPattern;
  /** Warm start. */
  readonly warmStart: WarmStartMethod;
  /** Refiner. */
  readonly refiner: Refiner;
  /** SparseSwaps iteration budget. */
  readonly maxIters: number;
  /** Where the result goes. */
  readonly output: PrunedOutput;
  /** Progress. */
  readonly events?: PruneEvents;
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
  const { kernels, checkpoint, calibration, output, events } = options;
  const { config } = checkpoint;
  const timings: PruneTimings = { calibration: 0, pruning: 0, writing: 0 };
  const clock = (phase: keyof PruneTimings, started: number) => {
    timings[phase] += (performance.now() - started) / 1000;
  };
  const block = new Set<string>();
  for (let layer = 0; layer < config.nLayers; layer++) {
    for (const t of checkpoint.tensors) {
      if (t.name.startsWith(`model.layers.${layer}.`)) block.add(t.name);
    }
  }
  let started = performance.now();
  for (const t of checkpoint.tensors) {
    if (!block.has(t.name)) await output.writeTensor(t.name, await checkpoint.read(t.name));
  }
  clock("writing", started);

  const length = calibration[0].length;
  const tokens = calibration.length * length;
  const flat = new Int32Array(tokens);
  calibration.forEach((w, i) => flat.set(w, i * length));
  const h = embed(toFloat32(await checkpoint.read("model.embed_tokens.weight")), flat, config.dim);
  const layout = { batch: calibration.length, tokens: length, start: 0 };
  const frequencies = ropeFrequencies(config);
  const reports: LayerReport[] = [];

  for (let index = 0; index < config.nLayers; index++) {
    events?.onBlock?.(index, config.nLayers);
    started = performance.now();
    const weights = await readBlock(checkpoint, index);
    const inputs = await captureInputs(kernels, config, weights, h, layout, frequencies);
    clock("calibration", started);

    for (const layer of LINEAR_LAYERS) {
      started = performance.now();
      const name = linearName(index, layer);
      const weight = weights[FIELD_OF[layer]];
      const input = inputs[INPUT_OF[layer]];
      const { report, mask } = await pruneLayer(options, index, layer, weight, input);
      for (let i = 0; i < mask.length; i++) if (mask[i] === 0) weight[i] = 0;
      clock("pruning", started);
      started = performance.now();
      const raw = await checkpoint.read(name);
      zeroPruned(raw, mask);
      await output.writeTensor(name, raw);
      await output.writeMask(name, mask, raw.shape);
      clock("writing", started);
      reports.push(report);
      events?.onLayer?.(report);
    }
    for (const input of Object.values(inputs)) kernels.release(input.gram);
    started = performance.now();
    for (const t of ["input_layernorm", "post_attention_layernorm"]) {
      const normName = `model.layers.${index}.${t}.weight`;
      await output.writeTensor(normName, await checkpoint.read(normName));
    }
    clock("writing", started);
    started = performance.now();
    await blockForward(kernels, config, weights, h, layout, frequencies);
    clock("calibration", started);
  }
  return { layers: reports, timings };
}

/** A captured linear-layer input: its Gram matrix and per-channel moments. */
interface CapturedInput {
  readonly gram: GramHandle;
  readonly width: number;
  readonly diagonal: Float64Array;
  readonly mean: Float64Array;
  readonly variance: Float64Array;
}

/** Runs the dense block on a copy of h and accumulates G and moments of each linear input. */
async function captureInputs(
  kernels: Kernels,
  config: LlamaConfig,
  weights: DenseBlockWeights,
  h: Float32Array,
  layout: ChunkLayout,
  frequencies: Float64Array,
): Promise<Record<LinearInput, CapturedInput>> {
  const captured = new Map<LinearInput, { x: Float32Array; width: number }>();
  await blockForward(kernels, config, weights, h.slice(), layout, frequencies, {
    capture: (input, x, width) => void captured.set(input, { x, width }),
  });
  const result = {} as Record<LinearInput, CapturedInput>;
  for (const [input, { x, width }] of captured) {
    const rows = x.length / width;
    const gram = await kernels.createGram({ d: width });
    await kernels.gramAccumulate({ gram, x, tokens: rows });
    const diagonal = await kernels.readGramDiagonal(gram);
    const mean = new Float64Array(width);
    const squares = new Float64Array(width);
    for (let t = 0; t < rows; t++) {
      for (let j = 0; j < width; j++) {
        const v = x[t * width + j];
        mean[j] += v;
        squares[j] += v * v;
      }
    }
    const variance = new Float64Array(width);
    for (let j = 0; j < width; j++) {
      mean[j] /= rows;
      variance[j] = Math.max(0, squares[j] / rows - mean[j] * mean[j]);
    }
    result[input] = { gram, width, diagonal, mean, variance };
  }
  return result;
}

/** Warm start and refinement of one linear layer. */
async function pruneLayer(
  options: PruneOptions,
  block: number,
  layer: LinearLayer,
  weight: Float32Array,
  input: CapturedInput,
): Promise<{ report: LayerReport; mask: Uint8Array }> {
  const { kernels, pattern, refiner } = options;
  const started = performance.now();
  const d = input.width;
  const rows = weight.length / d;
  const operands = { kernels, gram: input.gram, weight, rows, d };
  const warm = warmStartMask({
    method: options.warmStart,
    weight,
    rows,
    d,
    gramDiagonal: input.diagonal,
    pattern,
  });
  const outputEnergy = sum(await layerErrors({ ...operands, mask: new Uint8Array(rows * d) }));
  let mask = warm;
  let errorWarm: number;
  let errorRefined: number;
  let swaps = 0;
  let iterations = 0;
  let convergedRows = 0;
  if (refiner === "sparseswaps") {
    const result = await refineSparseSwaps({
      ...operands,
      mask: warm,
      pattern,
      maxIters: options.maxIters,
    });
    mask = result.mask;
    errorWarm = sum(result.errorBefore);
    errorRefined = sum(result.errorAfter);
    ({ swaps, iterations, convergedRows } = result);
  } else {
    errorWarm = sum(await layerErrors({ ...operands, mask: warm }));
    if (refiner === "dsnot") {
      const result = refineDsnot({
        weight,
        rows,
        d,
        mask: warm,
        pattern,
        inputMean: input.mean,
        inputVariance: input.variance,
        gramDiagonal: input.diagonal,
      });
      mask = result.mask;
      swaps = result.swaps;
      errorRefined = sum(await layerErrors({ ...operands, mask }));
    } else {
      errorRefined = errorWarm;
    }
  }
  return {
    mask,
    report: {
      block,
      layer,
      rows,
      d,
      outputEnergy,
      errorWarm,
      errorRefined,
      relativeReduction: errorWarm > 0 ? 1 - errorRefined / errorWarm : 0,
      swaps,
      iterations,
      convergedRows,
      seconds: (performance.now() - started) / 1000,
    },
  };
}

/** Zeroes the pruned elements of a tensor's raw bytes (all-zero bits are +0 in every float type). */
function zeroPruned(tensor: Tensor, mask: Uint8Array): void {
  const size = DTYPE_BYTES[tensor.dtype];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) tensor.bytes.fill(0, i * size, (i + 1) * size);
  }
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
