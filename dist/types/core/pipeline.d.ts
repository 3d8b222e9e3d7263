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
import { type HiddenStates } from "./hidden_states.js";
import type { GramHandle, Kernels } from "./kernels.js";
import { type Checkpoint, type LinearLayer } from "./model/checkpoint.js";
import type { LlamaConfig } from "./model/config.js";
import { type DenseBlockWeights, type LinearInput } from "./model/forward.js";
import { type PerRowPattern, type SparsityPattern } from "./pattern.js";
import { type Tensor } from "./safetensors.js";
import { type Refiner, type WeightUpdate } from "./layer.js";
import type { LayerWarmStart } from "./update.js";
import { type RefineCounts } from "./sparseswaps.js";
/** Where calibration inputs come from: the pruned earlier blocks, or the dense model. */
export type CalibrationMode = "sequential" | "dense";
/** The calibration modes, for flag validation. */
export declare const CALIBRATION_MODES: readonly CalibrationMode[];
/** How sparsity is spread over blocks: the same everywhere, or OWL's outlier-weighted shares. */
export type LayerSparsity = "uniform" | "owl";
/** The layer-sparsity choices, for flag validation. */
export declare const LAYER_SPARSITIES: readonly LayerSparsity[];
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
export declare function pruneModel(options: PruneOptions): Promise<{
    layers: LayerReport[];
    timings: PruneTimings;
}>;
/** Options of {@linkcode denseLayerInputs}. */
export interface DenseInputsOptions {
    /** Backend. */
    readonly kernels: Kernels;
    /** The dense model. */
    readonly checkpoint: Checkpoint;
    /** Calibration windows, all the same length. */
    readonly calibration: readonly Int32Array[];
    /** Receives each block's dense weights and linear-layer inputs; they are released after it. */
    readonly onBlock: (block: number, weights: DenseBlockWeights, inputs: Readonly<Record<LinearInput, LayerInput>>) => Promise<void>;
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
export declare function denseLayerInputs(options: DenseInputsOptions): Promise<void>;
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
export declare function owlBlockPatterns(options: OwlOptions): Promise<PerRowPattern[]>;
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
export declare function checkPatternFitsModel(pattern: SparsityPattern, config: LlamaConfig): void;
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
 * import { createReferenceKernels } from "./backends/reference.js";
 * const kernels = createReferenceKernels();
 * const input = await layerInput(kernels, {
 *   gram: new Float64Array([2, 1, 1, 3]), mean: new Float64Array(2), variance: new Float64Array(2),
 * });
 * assert.deepEqual([...input.diagonal], [2, 3]);
 * ```
 */
export declare function layerInput(kernels: Kernels, values: {
    readonly gram: Float64Array;
    readonly mean: Float64Array;
    readonly variance: Float64Array;
}): Promise<LayerInput>;
/**
 * One linear layer of a block: core/layer.ts's method, and its report (what pruneModel does for
 * every layer, and a layer job for one).
 *
 * @param options The method, backend, and which layer this is.
 * @param weight W (rows, width), the dense layer.
 * @param input Its calibration input.
 * @returns The mask, updated weights if any, and the layer's report.
 */
export declare function pruneModelLayer(options: PruneMethod & {
    readonly kernels: Kernels;
    readonly block: number;
    readonly layer: LinearLayer;
    readonly signal?: AbortSignal;
}, weight: Float32Array, input: LayerInput): Promise<LayerOutcome>;
