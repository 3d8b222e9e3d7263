/**
 * A whole pruning run as pure steps over a model and a backend: the calibration and evaluation
 * inputs with the dense perplexities ({@linkcode prepareRun}), the report ({@linkcode pruneReport}),
 * the output's config.json, and {@linkcode pruneInMemory}, the run with every output file in
 * memory, which the web page and library users call. `prune` runs the same steps with files,
 * resumable state and progress bars around them.
 *
 * @module
 */

import { compressionConfig, sparseFormatFor, type StorageFormat } from "./compressed.ts";
import { InputError } from "./errors.ts";
import { bytesSource, memoryFileSet } from "./files.ts";
import type { Kernels } from "./kernels.ts";
import type { Refiner, WeightUpdate } from "./layer.ts";
import {
  type Checkpoint,
  expectedTensors,
  isLinearWeight,
  LINEAR_LAYERS,
  openCheckpointFrom,
} from "./model/checkpoint.ts";
import { type LlamaConfig, llamaConfigJson } from "./model/config.ts";
import { calibrationWindows, evaluationSets, perplexities } from "./model/datasets.ts";
import { planStorage, type StoragePlan } from "./model/sparse_checkpoint.ts";
import type { ModelSource } from "./model/source.ts";
import {
  checkpointWeights,
  type ModelWeights,
  type PerplexityResult,
  residentWeights,
} from "./model/transformer.ts";
import { patternLabel, type SparsityPattern } from "./pattern.ts";
import {
  type CalibrationMode,
  checkPatternFitsModel,
  type LayerReport,
  type LayerSparsity,
  owlBlockPatterns,
  pruneModel,
} from "./pipeline.ts";
import {
  errorReductionSvg,
  type PerplexityPair,
  type PruneReport,
  reportMarkdown,
  type StorageReport,
} from "./report.ts";
import { DTYPE_BYTES, encodeSafetensors, SafetensorsFile, type Tensor } from "./safetensors.ts";
import {
  checkInMemoryRun,
  checkWasmMemory,
  type SampledWindows,
  wasmMemoryPlan,
} from "./memory_plan.ts";
import type { LayerWarmStart } from "./update.ts";
import type { HiddenStates } from "./hidden_states.ts";

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
export async function prepareRun(options: PrepareOptions): Promise<PreparedRun> {
  const { kernels, source: { checkpoint, tokenizer }, settings, signal } = options;
  const timings: Record<string, number> = {};
  const time = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      timings[phase] = (timings[phase] ?? 0) + (performance.now() - t0) / 1000;
    }
  };
  const dense = await checkpointWeights(checkpoint);
  // Sampling visits every block once per token: the weights stay on the backend meanwhile.
  // On wasm, the weights that do not fit its 4 GiB stay in memory (copied in per product), and
  // so do the key/value caches unless they fit beside every weight.
  const sampled = sampledWindows(settings, options.calibrationText === undefined);
  const plan = kernels.name === "wasm" && sampled
    ? wasmMemoryPlan({
      config: checkpoint.config,
      sampled,
      admm: false,
      weightBytes: sampledWeightBytes(checkpoint),
    })
    : undefined;
  let sampling = sampled
    ? await residentWeights(kernels, dense, plan?.residentBudget ?? Infinity)
    : undefined;
  try {
    const steps = { calibration: "calibration samples", in_domain: "held-out samples" };
    const shared = {
      kernels,
      weights: sampling?.weights ?? dense,
      tokenizer,
      seqlen: settings.seqlen,
      seed: settings.seed,
      cacheInHostMemory: plan !== undefined && !plan.cachesResident,
      onToken: (what: keyof typeof steps, position: number) => {
        signal?.throwIfAborted();
        options.onProgress?.(steps[what], position, settings.seqlen - 1, "tokens");
      },
    };
    const calibration = await time("sampling", () =>
      calibrationWindows({
        ...shared,
        nsamples: settings.nsamples,
        text: options.calibrationText?.text,
        textName: options.calibrationText?.name,
      }));
    let evaluation = new Map<string, Int32Array[]>();
    if (settings.evalWindows > 0) {
      const mobyDick = options.mobyDick && await time("evaluation", options.mobyDick);
      evaluation = await time(
        "sampling",
        () => evaluationSets({ ...shared, windows: settings.evalWindows, mobyDick }),
      );
    }
    sampling?.release();
    sampling = undefined;
    const densePerplexity = await time(
      "evaluation",
      () => evaluateSets(kernels, dense, evaluation, "evaluate dense", options),
    );
    return { calibration, evaluation, dense: densePerplexity, timings };
  } finally {
    sampling?.release();
  }
}

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
export async function evaluateSets(
  kernels: Kernels,
  weights: ModelWeights,
  evaluation: ReadonlyMap<string, readonly Int32Array[]>,
  label: string,
  options: Pick<PrepareOptions, "onProgress" | "signal">,
): Promise<Record<string, PerplexityResult>> {
  const blocks = weights.config.nLayers;
  return await perplexities(kernels, weights, evaluation, (set, block) => {
    options.signal?.throwIfAborted();
    options.onProgress?.(`${label} ${set}`, block + 1, blocks, "blocks");
  });
}

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
export function checkRunFitsModel(
  settings: Pick<RunSettings, "seqlen" | "pattern">,
  config: LlamaConfig,
): void {
  if (settings.seqlen > config.maxSeqLen) {
    throw new InputError(
      `--seqlen ${settings.seqlen} exceeds the model's ${config.maxSeqLen} positions`,
    );
  }
  try {
    checkPatternFitsModel(settings.pattern, config);
  } catch (error) {
    throw new InputError(`--pattern: ${(error as Error).message}`);
  }
}

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
export function checkBackendMemory(
  kernels: Kernels,
  checkpoint: Checkpoint,
  settings: Pick<RunSettings, "update" | "warmStart">,
  sampled: SampledWindows | undefined,
): void {
  if (kernels.name !== "wasm") return;
  checkWasmMemory({
    config: checkpoint.config,
    sampled,
    admm: settings.update?.method === "admm" || settings.warmStart === "admm-grad",
    weightBytes: sampledWeightBytes(checkpoint),
  });
}

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
export function sampledWindows(
  settings: Pick<RunSettings, "nsamples" | "seqlen" | "evalWindows">,
  calibrationSampled: boolean,
): SampledWindows | undefined {
  const sequences = Math.max(calibrationSampled ? settings.nsamples : 0, settings.evalWindows);
  return sequences > 0 ? { sequences, length: settings.seqlen } : undefined;
}

/**
 * Bytes a weight takes on the backend while sampling: 2 when every linear weight and the head
 * are stored in BF16 (residentWeights keeps them as they are), else 4.
 *
 * @param checkpoint The model.
 * @returns 2 or 4.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Checkpoint } from "./model/checkpoint.ts";
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
export function sampledWeightBytes(checkpoint: Checkpoint): number {
  const head = checkpoint.config.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight";
  const sampled = checkpoint.tensors.filter((t) => t.name === head || isLinearWeight(t.name));
  return sampled.every((t) => t.dtype === "BF16") ? 2 : 4;
}

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
export function samplingHostBytes(
  kernels: Kernels,
  checkpoint: Checkpoint,
  sampled: SampledWindows,
): number {
  if (kernels.name === "webgpu") return 0;
  const weightBytes = sampledWeightBytes(checkpoint);
  const plan = wasmMemoryPlan({ config: checkpoint.config, sampled, admm: false, weightBytes });
  const wasm = kernels.name === "wasm";
  const resident = wasm ? Math.min(plan.samplingWeights, plan.residentBudget) : 0;
  const caches = wasm && plan.cachesResident ? 0 : plan.cacheBytes;
  return ((plan.samplingWeights - resident) / weightBytes) * 4 + caches;
}

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
  readonly storage: { readonly written: StorageFormat; readonly plan: StoragePlan };
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
export function pruneReport(parts: ReportParts): PruneReport {
  const { settings, source: { checkpoint }, layers, kernels } = parts;
  const { config } = checkpoint;
  const perplexity: Record<string, PerplexityPair> = {};
  for (const [name, dense] of Object.entries(parts.dense)) {
    const p = parts.pruned[name];
    perplexity[name] = {
      dense: dense.perplexity,
      pruned: p.perplexity,
      windows: p.windows,
      tokens: p.tokens,
    };
  }
  const energy = layers.reduce((a, l) => a + l.outputEnergy, 0);
  return {
    model: {
      source: parts.modelName,
      format: checkpoint.format,
      parameters: expectedTensors(config).reduce(
        (a, t) => a + t.shape.reduce((x, y) => x * y, 1),
        0,
      ),
      blocks: config.nLayers,
    },
    settings: {
      pattern: patternLabel(settings.pattern),
      warm_start: settings.warmStart,
      layer_sparsity: settings.layerSparsity,
      refine: settings.refiner,
      max_iters: Number.isFinite(settings.maxIters) ? settings.maxIters : "inf",
      update: settings.update?.method ?? "none",
      ...(settings.update ? { damping: settings.update.damping } : {}),
      ...(settings.update?.iterations ? { admm_iters: settings.update.iterations } : {}),
      ...(settings.update?.alternate ? { alternate: settings.update.alternate } : {}),
      nsamples: parts.calibrationWindows,
      seqlen: settings.seqlen,
      seed: settings.seed,
      calibration: parts.calibrationName ?? "sampled from the dense model",
      calibration_mode: settings.calibrationMode,
      eval_windows: settings.evalWindows,
      backend: kernels.name,
      backend_description: kernels.description,
      ...(parts.skipped.length > 0 ? { backend_skipped: parts.skipped.join("; ") } : {}),
    },
    layers,
    summary: {
      meanRelativeReduction: layers.reduce((a, l) => a + l.relativeReduction, 0) / layers.length,
      relativeErrorWarm: layers.reduce((a, l) => a + l.errorWarm, 0) / energy,
      relativeErrorRefined: layers.reduce((a, l) => a + l.errorRefined, 0) / energy,
      ...(layers.some((l) => l.errorUpdated !== undefined)
        ? {
          relativeErrorUpdated: layers.reduce((a, l) => a + (l.errorUpdated ?? l.errorRefined), 0) /
            energy,
        }
        : {}),
      sparsity: parts.zeros / parts.weights,
    },
    storage: storageReport(parts.storage.written, parts.storage.plan),
    perplexity,
    timings: parts.timings,
  };
}

/**
 * The report's storage section: bytes per pruned layer and in total, dense and compressed.
 *
 * @param written What model.safetensors holds.
 * @param plan The sizes both ways.
 * @returns The section.
 */
export function storageReport(written: StorageFormat, plan: StoragePlan): StorageReport {
  const layers = plan.tensors.filter((t) => t.stored !== undefined).map((t) => ({
    name: t.name,
    dense_bytes: t.denseBytes,
    compressed_bytes: t.compressedBytes,
  }));
  const total = (list: readonly { dense_bytes: number; compressed_bytes: number }[]) => ({
    dense_bytes: list.reduce((a, t) => a + t.dense_bytes, 0),
    compressed_bytes: list.reduce((a, t) => a + t.compressed_bytes, 0),
  });
  return {
    written,
    sparse_format: plan.format,
    global_sparsity: plan.globalSparsity,
    layers,
    pruned_layers: total(layers),
    model: total(
      plan.tensors.map((t) => ({ dense_bytes: t.denseBytes, compressed_bytes: t.compressedBytes })),
    ),
  };
}

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
export function outputConfigJson(
  source: ModelSource,
  written: StorageFormat,
  plan: StoragePlan,
): Uint8Array {
  const { checkpoint } = source;
  const compressed = written === "compressed";
  if (source.configJson && !compressed && checkpoint.storage === "dense") return source.configJson;
  const json: Record<string, unknown> = source.configJson
    ? JSON.parse(new TextDecoder().decode(source.configJson))
    : llamaConfigJson(
      checkpoint.config,
      checkpoint.tensors[0].dtype as "F32" | "F16" | "BF16",
    );
  delete json.quantization_config;
  if (compressed) {
    json.quantization_config = compressionConfig(
      plan.format,
      plan.globalSparsity,
      plan.format === "sparse-24-bitmask" ? "2:4" : "unstructured",
    );
  }
  return new TextEncoder().encode(JSON.stringify(json, null, 2) + "\n");
}

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
export async function pruneInMemory(options: MemoryRunOptions): Promise<MemoryRunResult> {
  const { kernels, source, settings, signal } = options;
  const { checkpoint, tokenizer } = source;
  const { config } = checkpoint;
  checkRunFitsModel(settings, config);
  const tokens = settings.nsamples * settings.seqlen;
  if (options.memoryLimit !== undefined) {
    const storedBytes = checkpoint.tensors.reduce(
      (a, t) => a + DTYPE_BYTES[t.dtype] * t.shape.reduce((x, y) => x * y, 1),
      0,
    );
    checkInMemoryRun({ config, storedBytes, tokens }, options.memoryLimit);
  }
  checkBackendMemory(
    kernels,
    checkpoint,
    settings,
    sampledWindows(settings, options.calibrationText === undefined),
  );
  const started = performance.now();
  const prepared = await prepareRun(options);
  const { calibration, evaluation } = prepared;
  const owlStarted = performance.now();
  const blockPatterns = await runBlockPatterns(settings, kernels, checkpoint, calibration, signal);
  const owlSeconds = (performance.now() - owlStarted) / 1000;
  const tensors = new Map<string, Tensor>();
  const masks = new Map<string, Uint8Array>();
  let zeros = 0;
  const layers: LayerReport[] = [];
  const perBlock = LINEAR_LAYERS.length;
  const total = config.nLayers * perBlock;
  const pruned = await pruneModel({
    kernels,
    checkpoint,
    calibration,
    pattern: settings.pattern,
    blockPatterns,
    warmStart: settings.warmStart,
    refiner: settings.refiner,
    maxIters: settings.maxIters,
    update: settings.update,
    calibrationMode: settings.calibrationMode,
    signal,
    output: {
      writeTensor: (name, tensor) => {
        tensors.set(name, tensor);
        return Promise.resolve();
      },
      writeMask: (name, mask) => {
        for (const m of mask) zeros += m === 0 ? 1 : 0;
        masks.set(name, mask);
        return Promise.resolve();
      },
    },
    events: {
      onBlock: (block) => options.onProgress?.("prune", block * perBlock, total, "layers"),
      onLayer: (report) => {
        layers.push(report);
        options.onLayer?.(report, layers.length, total);
        options.onProgress?.("prune", layers.length, total, "layers");
      },
    },
  });
  const writingStarted = performance.now();
  const metadata = { format: "pt" };
  const model = encodeSafetensors(
    Object.fromEntries(checkpoint.tensors.map((t) => {
      const { dtype, shape, bytes } = tensors.get(t.name)!;
      return [t.name, { dtype, shape, data: bytes }];
    })),
    metadata,
  );
  const maskNames = checkpoint.tensors.filter((t) => isLinearWeight(t.name));
  const masksFile = encodeSafetensors(
    Object.fromEntries(maskNames.map((t) => [
      t.name,
      { dtype: "U8" as const, shape: t.shape, data: masks.get(t.name)! },
    ])),
    metadata,
  );
  tensors.clear();
  const plan = await (async () => {
    using written = await SafetensorsFile.from(bytesSource("model.safetensors", model));
    return await planStorage(
      written,
      new Set(maskNames.map((t) => t.name)),
      sparseFormatFor(settings.pattern),
    );
  })();
  const configJson = outputConfigJson(source, "dense", plan);
  const timings: Record<string, number> = { ...prepared.timings };
  for (const [phase, seconds] of Object.entries(pruned.timings)) {
    timings[phase] = (timings[phase] ?? 0) + seconds;
  }
  if (blockPatterns) timings.calibration += owlSeconds;
  timings.writing += (performance.now() - writingStarted) / 1000;

  // The pruned perplexities are those of the written checkpoint, read back as prune reads it.
  const evaluationStarted = performance.now();
  const prunedPerplexity = await (async () => {
    using written = await openCheckpointFrom(
      memoryFileSet("output", new Map([["config.json", configJson], ["model.safetensors", model]])),
    );
    return await evaluateSets(
      kernels,
      await checkpointWeights(written),
      evaluation,
      "evaluate pruned",
      options,
    );
  })();
  timings.evaluation = (timings.evaluation ?? 0) + (performance.now() - evaluationStarted) / 1000;
  timings.total = (performance.now() - started) / 1000;
  const report = pruneReport({
    modelName: options.modelName ?? source.name,
    source,
    settings,
    calibrationName: options.calibrationText?.name,
    calibrationWindows: calibration.length,
    kernels,
    skipped: options.skipped ?? [],
    layers,
    zeros,
    weights: maskNames.reduce((a, t) => a + t.shape[0] * t.shape[1], 0),
    storage: { written: "dense", plan },
    dense: prepared.dense,
    pruned: prunedPerplexity,
    timings,
  });
  return {
    report,
    files: new Map([
      ["model.safetensors", model],
      ["masks.safetensors", masksFile],
      ["config.json", configJson],
      ...tokenizer.files,
      ...reportFiles(report, config.nLayers),
    ]),
  };
}

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
export async function runBlockPatterns(
  settings: Pick<RunSettings, "layerSparsity" | "pattern">,
  kernels: Kernels,
  checkpoint: Checkpoint,
  calibration: readonly Int32Array[],
  signal?: AbortSignal,
  hiddenStates?: HiddenStates,
): Promise<SparsityPattern[] | undefined> {
  if (settings.layerSparsity !== "owl" || settings.pattern.kind !== "per-row") return undefined;
  return await owlBlockPatterns({
    kernels,
    checkpoint,
    calibration,
    sparsity: settings.pattern.sparsity,
    signal,
    hiddenStates,
  });
}

/**
 * The report's files: report.json, report.md and error_reduction.svg.
 *
 * @param report The report.
 * @param blocks The model's blocks (the chart's x axis).
 * @returns The files' bytes by name.
 */
export function reportFiles(report: PruneReport, blocks: number): Map<string, Uint8Array> {
  const text = (value: string) => new TextEncoder().encode(value);
  return new Map([
    ["report.json", text(JSON.stringify(report, null, 2) + "\n")],
    ["report.md", text(reportMarkdown(report))],
    ["error_reduction.svg", text(errorReductionSvg(report.layers, blocks))],
  ]);
}
