/**
 * A whole pruning run as pure steps over a model and a backend: the calibration and evaluation
 * inputs with the dense perplexities ({@linkcode prepareRun}), the report ({@linkcode pruneReport}),
 * the output's config.json, and {@linkcode pruneInMemory}, the run with every output file in
 * memory, which the web page and library users call. `prune` runs the same steps with files,
 * resumable state and progress bars around them.
 *
 * @module
 */
import { type StorageFormat } from "./compressed.js";
import type { Kernels } from "./kernels.js";
import type { Refiner, WeightUpdate } from "./layer.js";
import { type Checkpoint } from "./model/checkpoint.js";
import { type LlamaConfig } from "./model/config.js";
import { type StoragePlan } from "./model/sparse_checkpoint.js";
import type { ModelSource } from "./model/source.js";
import { type ModelWeights, type PerplexityResult } from "./model/transformer.js";
import { type SparsityPattern } from "./pattern.js";
import { type CalibrationMode, type LayerReport, type LayerSparsity } from "./pipeline.js";
import { type PruneReport, type StorageReport } from "./report.js";
import { type SampledWindows } from "./memory_plan.js";
import type { LayerWarmStart } from "./update.js";
import type { HiddenStates } from "./hidden_states.js";
/** What decides a run's output besides the model and the backend. */
export interface RunSettings {
    /** Sparsity pattern (per-row sparsity, or N:M). */
    readonly pattern: SparsityPattern;
    /** Warm start. */
    readonly warmStart: LayerWarmStart;
    /** uniform, or OWL's per-block sparsities (per-row patterns only). */
    readonly layerSparsity: LayerSparsity;
    /** Refiner. */
    readonly refiner: Refiner;
    /** SparseSwaps swaps per row (Infinity: until converged). */
    readonly maxIters: number;
    /** Update of the kept weights (none when absent). */
    readonly update?: WeightUpdate;
    /** Calibration sequences. */
    readonly nsamples: number;
    /** Tokens per sequence. */
    readonly seqlen: number;
    /** Seed of the sampled calibration data (in-domain evaluation uses seed + 1). */
    readonly seed: number;
    /** Where each block's calibration inputs come from. */
    readonly calibrationMode: CalibrationMode;
    /** Windows per evaluation set (0 skips evaluation). */
    readonly evalWindows: number;
}
/** Progress of a run's step: `done` of `total` `unit` (tokens, blocks, layers). */
export type RunProgress = (step: string, done: number, total: number, unit: string) => void;
/** A plain-text calibration file, instead of samples of the dense model. */
export interface CalibrationText {
    /** The text. */
    readonly text: string;
    /** Its name, for messages and the report. */
    readonly name: string;
}
/** Options of {@linkcode prepareRun}. */
export interface PrepareOptions {
    /** Backend. */
    readonly kernels: Kernels;
    /** The dense model. */
    readonly source: ModelSource;
    /** Sizes and seed. */
    readonly settings: Pick<RunSettings, "nsamples" | "seqlen" | "seed" | "evalWindows">;
    /** Calibrate on this text instead of samples. */
    readonly calibrationText?: CalibrationText;
    /** Moby-Dick's text, for the out-of-domain evaluation set (skipped without it). */
    readonly mobyDick?: () => Promise<string>;
    /** Progress of sampling and evaluation. */
    readonly onProgress?: RunProgress;
    /** Stops the run between tokens and blocks. */
    readonly signal?: AbortSignal;
}
/** What every block of a run needs: its windows, and the dense model's perplexities. */
export interface PreparedRun {
    /** Calibration windows. */
    readonly calibration: Int32Array[];
    /** Evaluation windows by set name (empty when evaluation is skipped). */
    readonly evaluation: Map<string, Int32Array[]>;
    /** The dense model's perplexity on each set. */
    readonly dense: Record<string, PerplexityResult>;
    /** Seconds spent sampling and evaluating. */
    readonly timings: Record<string, number>;
}
/**
 * Calibration windows, evaluation sets and the dense model's perplexities.
 *
 * @param options Model, backend, sizes.
 * @returns The run's inputs.
 */
export declare function prepareRun(options: PrepareOptions): Promise<PreparedRun>;
/**
 * Perplexity of a model on every evaluation set, reporting each block of each set.
 *
 * @param kernels Backend.
 * @param weights The model.
 * @param evaluation Windows by set name.
 * @param label Names the step: "`label` `set`".
 * @param options Progress and stopping.
 * @returns Perplexity by set name.
 */
export declare function evaluateSets(kernels: Kernels, weights: ModelWeights, evaluation: ReadonlyMap<string, readonly Int32Array[]>, label: string, options: Pick<PrepareOptions, "onProgress" | "signal">): Promise<Record<string, PerplexityResult>>;
/**
 * Fails before any work on settings the model cannot take.
 *
 * @param settings The run's settings.
 * @param config The model.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = { dim: 8, hiddenDim: 16, nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 4,
 *   vocabSize: 10, maxSeqLen: 32, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: true };
 * assert.throws(
 *   () => checkRunFitsModel({ seqlen: 64, pattern: { kind: "per-row", sparsity: 0.5 } }, config),
 *   /--seqlen 64 exceeds the model's 32 positions/,
 * );
 * ```
 */
export declare function checkRunFitsModel(settings: Pick<RunSettings, "seqlen" | "pattern">, config: LlamaConfig): void;
/**
 * Fails before any work when the run would not fit the wasm backend's 4 GiB (other backends
 * have no such limit).
 *
 * @param kernels Backend.
 * @param config The model.
 * @param settings Calibration size and method.
 * @param sampling Whether windows are sampled from the model (no calibration text, or
 *   evaluation windows).
 */
export declare function checkBackendMemory(kernels: Kernels, checkpoint: Checkpoint, settings: Pick<RunSettings, "update" | "warmStart">, sampled: SampledWindows | undefined): void;
/**
 * The largest batch of windows a run samples from the model at once: its calibration windows
 * when there is no calibration text, and its in-domain evaluation windows; none when it samples
 * nothing.
 *
 * @param settings Calibration and evaluation sizes.
 * @param calibrationSampled Whether calibration is sampled (no calibration text).
 * @returns The windows, or undefined.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const settings = { nsamples: 32, seqlen: 256, evalWindows: 16 };
 * assert.deepEqual(sampledWindows(settings, true), { sequences: 32, length: 256 });
 * assert.deepEqual(sampledWindows(settings, false), { sequences: 16, length: 256 });
 * assert.equal(sampledWindows({ ...settings, evalWindows: 0 }, false), undefined);
 * ```
 */
export declare function sampledWindows(settings: Pick<RunSettings, "nsamples" | "seqlen" | "evalWindows">, calibrationSampled: boolean): SampledWindows | undefined;
/**
 * Bytes a weight takes on the backend while sampling: 2 when every linear weight and the head
 * are stored in BF16 (residentWeights keeps them as they are), else 4.
 *
 * @param checkpoint The model.
 * @returns 2 or 4.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Checkpoint } from "./model/checkpoint.js";
 * const model = (head: string) => ({
 *   config: { tieWordEmbeddings: false },
 *   tensors: [
 *     { name: "model.embed_tokens.weight", dtype: "F32" }, // only looked up, never multiplied
 *     { name: "lm_head.weight", dtype: head },
 *     { name: "model.layers.0.mlp.up_proj.weight", dtype: "BF16" },
 *   ],
 * }) as unknown as Checkpoint;
 * assert.equal(sampledWeightBytes(model("BF16")), 2);
 * assert.equal(sampledWeightBytes(model("F32")), 4);
 * ```
 */
export declare function sampledWeightBytes(checkpoint: Checkpoint): number;
/**
 * Bytes a run keeps in host memory while it samples windows from the model: on WebGPU none
 * (weights and caches are on the GPU); on wasm the weights beyond its 4 GiB (in float32) and the
 * key/value caches unless they fit there; on the reference backend all of them.
 *
 * @param kernels Backend.
 * @param checkpoint The model.
 * @param sampled The windows sampled at once.
 * @returns Bytes.
 */
export declare function samplingHostBytes(kernels: Kernels, checkpoint: Checkpoint, sampled: SampledWindows): number;
/** What a report is made of, besides the settings. */
export interface ReportParts {
    /** What the user named as the model (a name, a path). */
    readonly modelName: string;
    /** The dense model. */
    readonly source: ModelSource;
    /** The run's settings. */
    readonly settings: RunSettings;
    /** The calibration text's name; sampled calibration when absent. */
    readonly calibrationName?: string;
    /** Calibration windows used (fewer than asked when a text is short). */
    readonly calibrationWindows: number;
    /** Backend. */
    readonly kernels: Kernels;
    /** Backends `auto` skipped, and why. */
    readonly skipped: readonly string[];
    /** Every linear layer's report. */
    readonly layers: readonly LayerReport[];
    /** Zeroed linear-layer weights, of `weights`. */
    readonly zeros: number;
    /** Linear-layer weights. */
    readonly weights: number;
    /** What model.safetensors holds, and the checkpoint's sizes both ways. */
    readonly storage: {
        readonly written: StorageFormat;
        readonly plan: StoragePlan;
    };
    /** The dense model's perplexities. */
    readonly dense: Readonly<Record<string, PerplexityResult>>;
    /** The pruned model's perplexities. */
    readonly pruned: Readonly<Record<string, PerplexityResult>>;
    /** Seconds per phase. */
    readonly timings: Readonly<Record<string, number>>;
}
/**
 * The report of a finished run (report.json).
 *
 * @param parts The run's parts.
 * @returns The report.
 */
export declare function pruneReport(parts: ReportParts): PruneReport;
/**
 * The report's storage section: bytes per pruned layer and in total, dense and compressed.
 *
 * @param written What model.safetensors holds.
 * @param plan The sizes both ways.
 * @returns The section.
 */
export declare function storageReport(written: StorageFormat, plan: StoragePlan): StorageReport;
/**
 * config.json of the output: the input's own bytes when nothing changes, else its JSON with
 * `quantization_config` describing the output (compressed-tensors' entry for compressed
 * output; none for dense output of a compressed input). A llama2.c input gets a config made
 * from its architecture.
 *
 * @param source The dense model.
 * @param written What model.safetensors holds.
 * @param plan The output's sizes (its compressed layout and global sparsity).
 * @returns The file's bytes.
 */
export declare function outputConfigJson(source: ModelSource, written: StorageFormat, plan: StoragePlan): Uint8Array;
/** Options of {@linkcode pruneInMemory}. */
export interface MemoryRunOptions extends Omit<PrepareOptions, "settings"> {
    /** The run's settings. */
    readonly settings: RunSettings;
    /** What to call the model in the report (default: the source's name). */
    readonly modelName?: string;
    /** Backends `auto` skipped, and why (for the report). */
    readonly skipped?: readonly string[];
    /**
     * Bytes the run may hold (a page passes its tab's share of the device's memory): a model
     * that needs more is refused before any work, with the numbers. Unlimited when absent.
     */
    readonly memoryLimit?: number;
    /** A linear layer is done: its report, and how many of all layers are done. */
    readonly onLayer?: (report: LayerReport, done: number, total: number) => void;
}
/** A finished in-memory run. */
export interface MemoryRunResult {
    /** report.json's content. */
    readonly report: PruneReport;
    /**
     * The output directory `prune --format dense` writes, by file name: model.safetensors,
     * masks.safetensors, config.json, the tokenizer's files, report.json, report.md and
     * error_reduction.svg.
     */
    readonly files: ReadonlyMap<string, Uint8Array>;
}
/**
 * Prunes a model with every output in memory: the same calibration, method, evaluation and
 * files as `prune --format dense` with the same settings, for a page or a library user without
 * a file system. The checkpoint is held in memory twice at the end (model.safetensors and the
 * copy being evaluated), so this suits models of up to a few hundred MB.
 *
 * @param options Model, backend, settings, progress.
 * @returns The report and the output files.
 */
export declare function pruneInMemory(options: MemoryRunOptions): Promise<MemoryRunResult>;
/**
 * OWL's per-block patterns when the settings ask for them (per-row sparsity), else none.
 *
 * @param settings The run's settings.
 * @param kernels Backend.
 * @param checkpoint The dense model.
 * @param calibration Calibration windows.
 * @param signal Stops the scoring.
 * @param hiddenStates Where its dense pass keeps the hidden states (default: memory).
 * @returns A pattern per block, or undefined for the same pattern everywhere.
 */
export declare function runBlockPatterns(settings: Pick<RunSettings, "layerSparsity" | "pattern">, kernels: Kernels, checkpoint: Checkpoint, calibration: readonly Int32Array[], signal?: AbortSignal, hiddenStates?: HiddenStates): Promise<SparsityPattern[] | undefined>;
/**
 * The report's files: report.json, report.md and error_reduction.svg.
 *
 * @param report The report.
 * @param blocks The model's blocks (the chart's x axis).
 * @returns The files' bytes by name.
 */
export declare function reportFiles(report: PruneReport, blocks: number): Map<string, Uint8Array>;
