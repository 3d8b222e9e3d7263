/**
 * Layer jobs: a prune split into one job per linear layer, for batch systems (xargs -P, Slurm job
 * arrays, Kubernetes Indexed Jobs). `prune --plan JOBDIR` (with `--calibration dense`, so every
 * layer's pruning is independent of the others) calibrates once and writes, in JOBDIR:
 *
 *     plan.json                    settings, the model's identity, one entry per job
 *     jobs.txt                     one self-contained command per job, run from JOBDIR
 *     blocks/NNNNN.safetensors     each block's dense linear weights (source dtype) and its
 *                                  four inputs' Gram matrices (F64) and channel moments (F64)
 *     resume-*                     calibration and evaluation windows, dense perplexities
 *
 * `deno run -A mod.ts job --index N` (in JOBDIR) prunes job N's layer exactly as `prune` would
 * and writes results/NNNNN.safetensors atomically (mask, updated weight if any, the layer's
 * report); a job run twice writes the same file. `prune --assemble JOBDIR --out DIR` checks that
 * every job finished for this plan and writes the directory `prune` writes, byte-identical to a
 * one-shot `prune --calibration dense` with the same flags and backend arithmetic.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { InputError, UsageError } from "../errors.ts";
import { keepsRowBalance } from "../update.ts";
import { LINEAR_LAYERS, LINEAR_ROLES, type LinearLayer, linearName } from "../model/checkpoint.ts";
import type { LinearInput } from "../model/forward.ts";
import { patternLabel, rowsBreakingPattern, type SparsityPattern } from "../pattern.ts";
import {
  type LayerInput,
  layerInput,
  type LayerOutcome,
  type LayerReport,
  type LayerResults,
  type PruneMethod,
  pruneModelLayer,
} from "../pipeline.ts";
import {
  type Dtype,
  SafetensorsFile,
  type Tensor,
  type TensorToWrite,
  toFloat32,
  toFloat64,
  writeSafetensors,
} from "../safetensors.ts";
import type { Kernels } from "../kernels.ts";
import type { BackendChoice } from "../backend.ts";
import { writeFileAtomic } from "../atomic_write.ts";
import { parseFlags } from "./args.ts";
import { parseThreads, parseWholeNumber } from "../flags.ts";
import { type CommandIo, openKernels } from "./io.ts";
import { RESUME_FILES, type RunIdentity } from "./resume.ts";

/** The plan's file name in JOBDIR. */
export const PLAN_FILE = "plan.json";

/** Bumped when the job directory's files change meaning. */
const PLAN_FORMAT = 1;

/** Written first into a job directory: a plan that was interrupted can be made again over it. */
const JOBDIR_MARKER = ".sparseswaps-jobdir";

/** What JOBDIR holds that a new plan may replace. */
const PLAN_ENTRIES = [JOBDIR_MARKER, PLAN_FILE, "jobs.txt", "blocks", "results", ...RESUME_FILES];

/** One layer's job. */
export interface PlannedJob {
  /** Block (0-based). */
  readonly block: number;
  /** The linear layer. */
  readonly layer: LinearLayer;
  /** Its tensor name. */
  readonly name: string;
}

/** plan.json: everything a job and the assembly need besides the files beside it. */
export interface JobPlan {
  /** Format of the job directory. */
  readonly format: number;
  /** Random id: results made for another plan are refused. */
  readonly id: string;
  /** The run's identity (model files, settings, arithmetic), as a resumed prune checks it. */
  readonly identity: RunIdentity;
  /** The method every job runs (maxIters: "inf" for unlimited). */
  readonly method: Omit<PruneMethod, "maxIters"> & { readonly maxIters: number | "inf" };
  /** Backend choice and threads for the jobs. */
  readonly backend: BackendChoice;
  /** Threads of the jobs' wasm backend (absent: every core). */
  readonly threads?: number;
  /** The prune flags of the plan, for `--assemble` to rebuild its settings. */
  readonly flags: Readonly<Record<string, string | boolean>>;
  /** The jobs, in the order of jobs.txt. */
  readonly jobs: readonly PlannedJob[];
}

/**
 * The jobs of a model with `blocks` blocks: its seven linear layers per block, in order.
 *
 * @param blocks Transformer blocks.
 * @returns One job per linear layer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const jobs = plannedJobs(2);
 * assert.equal(jobs.length, 14);
 * assert.equal(jobs[7].name, "model.layers.1.self_attn.q_proj.weight");
 * ```
 */
export function plannedJobs(blocks: number): PlannedJob[] {
  const jobs: PlannedJob[] = [];
  for (let block = 0; block < blocks; block++) {
    for (const layer of LINEAR_LAYERS) jobs.push({ block, layer, name: linearName(block, layer) });
  }
  return jobs;
}

const blockFile = (dir: string, block: number) =>
  join(dir, "blocks", `${String(block).padStart(5, "0")}.safetensors`);
const resultFile = (dir: string, index: number) =>
  join(dir, "results", `${String(index).padStart(5, "0")}.safetensors`);

/**
 * Makes JOBDIR ready for a new plan: created if missing; a previous plan's files removed (also
 * those of a plan that was interrupted: the marker file says the directory is ours); any other
 * content refused (a job directory is never a folder with the user's files).
 *
 * @param dir JOBDIR.
 */
export async function startJobDirectory(dir: string): Promise<void> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new InputError(`Cannot use "${dir}" as a job directory: ${(error as Error).message}`);
    }
  }
  const foreign = names.filter((name) => !PLAN_ENTRIES.includes(name));
  const ours = names.includes(JOBDIR_MARKER) || names.includes(PLAN_FILE);
  if (foreign.length > 0 || (names.length > 0 && !ours)) {
    throw new InputError(
      `"${dir}" is not empty and holds no plan (${
        (foreign.length > 0 ? foreign : names).slice(0, 5).join(", ")
      }): choose an empty or new directory for --plan`,
    );
  }
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, JOBDIR_MARKER), "made by sparseswaps prune --plan\n");
  for (const name of PLAN_ENTRIES.filter((n) => n !== JOBDIR_MARKER)) {
    await Deno.remove(join(dir, name), { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
  await Deno.mkdir(join(dir, "blocks"), { recursive: true });
  await Deno.mkdir(join(dir, "results"), { recursive: true });
}

/**
 * Writes one block's job inputs: its seven linear weights as the checkpoint stores them, and
 * each input's G (F64) and channel moments.
 *
 * @param dir JOBDIR.
 * @param block The block.
 * @param raw The block's linear weights as read from the checkpoint, by tensor name.
 * @param inputs Its calibration inputs, on `kernels`.
 * @param kernels The backend holding the Gram matrices.
 */
export async function writeBlockInputs(
  dir: string,
  block: number,
  raw: ReadonlyMap<string, Tensor>,
  inputs: Readonly<Record<LinearInput, LayerInput>>,
  kernels: Kernels,
): Promise<void> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, tensor] of raw) {
    tensors[name] = { dtype: tensor.dtype as Dtype, shape: tensor.shape, data: tensor.bytes };
  }
  for (const [input, captured] of Object.entries(inputs)) {
    const width = captured.width;
    tensors[`${input}.gram`] = {
      dtype: "F64",
      shape: [width, width],
      data: await kernels.readGram(captured.gram),
    };
    tensors[`${input}.mean`] = { dtype: "F64", shape: [width], data: captured.mean };
    tensors[`${input}.variance`] = { dtype: "F64", shape: [width], data: captured.variance };
  }
  await writeSafetensors(blockFile(dir, block), tensors);
}

/**
 * Writes plan.json and jobs.txt (one line per job: the command, run from JOBDIR).
 *
 * @param dir JOBDIR.
 * @param planned The plan, without its format and id (made here).
 * @param entry How to run this package (e.g. `deno run -A /path/mod.ts`).
 * @returns The plan written.
 */
export async function writePlan(
  dir: string,
  planned: Omit<JobPlan, "format" | "id">,
  entry: string,
): Promise<JobPlan> {
  const plan: JobPlan = { format: PLAN_FORMAT, id: crypto.randomUUID(), ...planned };
  const lines = plan.jobs.map((_, index) => `${entry} job --index ${index}\n`);
  await writeFileAtomic(join(dir, "jobs.txt"), [new TextEncoder().encode(lines.join(""))]);
  await writeFileAtomic(join(dir, PLAN_FILE), [
    new TextEncoder().encode(JSON.stringify(plan, null, 2) + "\n"),
  ]);
  return plan;
}

/**
 * Reads JOBDIR's plan.json.
 *
 * @param dir JOBDIR.
 * @returns The plan.
 */
export async function readPlan(dir: string): Promise<JobPlan> {
  const path = join(dir, PLAN_FILE);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new InputError(
      error instanceof Deno.errors.NotFound
        ? `"${dir}" holds no ${PLAN_FILE}: not a job directory made by prune --plan (or its plan did not finish)`
        : `Cannot read "${path}": ${(error as Error).message}`,
    );
  }
  let plan: JobPlan;
  try {
    plan = JSON.parse(text);
  } catch (error) {
    throw new InputError(`"${path}" is not valid JSON: ${(error as Error).message}`);
  }
  if (plan?.format !== PLAN_FORMAT || typeof plan.id !== "string" || !Array.isArray(plan.jobs)) {
    throw new InputError(
      `"${path}" is not a plan this version reads (format ${plan?.format}, expected ${PLAN_FORMAT}): plan again`,
    );
  }
  return plan;
}

/** The plan's method with its iteration budget as a number. */
function methodOf(plan: JobPlan): PruneMethod {
  const { maxIters } = plan.method;
  return { ...plan.method, maxIters: maxIters === "inf" ? Infinity : maxIters };
}

/** "job 3 (model.layers.0.self_attn.o_proj.weight)". */
const jobLabel = (plan: JobPlan, index: number) => `job ${index} (${plan.jobs[index].name})`;

/** The help text of `job`. */
export const JOB_HELP = `Run one layer job of a plan made by "prune --plan".

Usage (from the job directory):
  deno run -A mod.ts job --index N [--dir JOBDIR] [--threads N] [--quiet]

  --index N    the job: 0-based, line N + 1 of jobs.txt (SLURM_ARRAY_TASK_ID,
               JOB_COMPLETION_INDEX)
  --dir D      the job directory (default: the current directory)
  --threads N  CPU threads (default: the plan's, else every core)
  --quiet      print nothing but errors

Writes results/NNNNN.safetensors atomically; running a job again rewrites it with the same
mask and weights.`;

const JOB_FLAGS = {
  index: "string",
  dir: "string",
  threads: "string",
  quiet: "boolean",
  help: "boolean",
} as const;

/**
 * Runs `job`: prunes one planned layer and writes its result.
 *
 * @param argv Arguments after the command name.
 * @param io Where to print.
 */
export async function jobCommand(argv: readonly string[], io: CommandIo): Promise<void> {
  const flags = parseFlags(argv, JOB_FLAGS);
  if (flags.help) {
    io.stdout(JOB_HELP);
    return;
  }
  if (flags.index === undefined) throw new UsageError("Missing required flag --index");
  const index = parseWholeNumber(flags.index, "index");
  const dir = flags.dir ?? ".";
  const plan = await readPlan(dir);
  if (index >= plan.jobs.length) {
    throw new UsageError(
      `Flag --index ${index}: the plan in "${dir}" has jobs 0 to ${plan.jobs.length - 1}`,
    );
  }
  const { block, layer, name } = plan.jobs[index];
  const started = performance.now();
  const path = blockFile(dir, block);
  let weight: Float32Array;
  let values: { gram: Float64Array; mean: Float64Array; variance: Float64Array };
  try {
    using file = await SafetensorsFile.open(path);
    const input = LINEAR_ROLES[layer].input;
    const f64 = async (tensor: string) => toFloat64(await file.read(tensor));
    weight = toFloat32(await file.read(name));
    values = {
      gram: await f64(`${input}.gram`),
      mean: await f64(`${input}.mean`),
      variance: await f64(`${input}.variance`),
    };
  } catch (error) {
    throw new InputError(
      `${jobLabel(plan, index)}: cannot read its inputs "${path}": ${(error as Error).message}`,
    );
  }
  const threads = flags.threads === undefined ? plan.threads : parseThreads(flags.threads);
  const quiet = flags.quiet ?? false;
  const { kernels } = await openKernels(plan.backend, threads, io, quiet);
  let outcome: LayerOutcome;
  try {
    const input = await layerInput(kernels, values);
    try {
      outcome = await pruneModelLayer(
        { ...methodOf(plan), kernels, block, layer, signal: io.signal },
        weight,
        input,
      );
    } finally {
      kernels.release(input.gram);
    }
  } finally {
    kernels.dispose();
  }
  const [rows, d] = [outcome.mask.length / values.mean.length, values.mean.length];
  const tensors: Record<string, TensorToWrite> = {
    mask: { dtype: "U8", shape: [rows, d], data: outcome.mask },
  };
  if (outcome.updated) tensors.weight = { dtype: "F32", shape: [rows, d], data: outcome.updated };
  await Deno.mkdir(join(dir, "results"), { recursive: true });
  await writeSafetensors(resultFile(dir, index), tensors, {
    plan: plan.id,
    name,
    report: JSON.stringify(outcome.report),
  });
  if (!quiet) {
    io.stdout(
      `Job ${index} (${name}): ${
        patternLabel(plan.method.blockPatterns?.[block] ?? plan.method.pattern)
      }, ${outcome.report.swaps} swaps, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
}

/**
 * Checks that every job of the plan finished for this plan, and returns the results as
 * pruneModel takes them (read when it asks, one layer at a time).
 *
 * @param dir JOBDIR.
 * @param plan Its plan.
 * @returns The layers' outcomes.
 */
export async function finishedJobs(dir: string, plan: JobPlan): Promise<LayerResults> {
  const missing: number[] = [];
  for (let index = 0; index < plan.jobs.length; index++) {
    const path = resultFile(dir, index);
    if (!(await Deno.stat(path).then(() => true, () => false))) {
      missing.push(index);
      continue;
    }
    let madeFor: string | undefined;
    try {
      using file = await SafetensorsFile.open(path);
      madeFor = file.header.metadata.plan;
    } catch (error) {
      throw new InputError(
        `${jobLabel(plan, index)}: its result cannot be read (${
          (error as Error).message
        }); run the job again`,
      );
    }
    if (madeFor !== plan.id) {
      throw new InputError(
        `${
          jobLabel(plan, index)
        }: its result "${path}" was made for another plan; run the job again`,
      );
    }
  }
  if (missing.length > 0) {
    throw new InputError(
      `${missing.length} of ${plan.jobs.length} jobs in "${dir}" have not finished: ${
        missing.slice(0, 10).map((i) => jobLabel(plan, i)).join(", ")
      }${missing.length > 10 ? ", …" : ""}`,
    );
  }
  const byLayer = new Map(plan.jobs.map((job, index) => [`${job.block} ${job.layer}`, index]));
  return async (block, layer) => {
    const index = byLayer.get(`${block} ${layer}`)!;
    return await readResult(dir, plan, index);
  };
}

/** One job's result, checked against the plan (shape, pattern, finite weights). */
async function readResult(dir: string, plan: JobPlan, index: number): Promise<LayerOutcome> {
  const what = jobLabel(plan, index);
  const path = resultFile(dir, index);
  try {
    using file = await SafetensorsFile.open(path);
    const report: LayerReport = JSON.parse(file.header.metadata.report ?? "null");
    const mask = (await file.read("mask")).bytes.slice();
    const { block } = plan.jobs[index];
    const pattern: SparsityPattern = plan.method.blockPatterns?.[block] ?? plan.method.pattern;
    if (!report || mask.length !== report.rows * report.d) {
      throw new Error(
        `its mask holds ${mask.length} entries for a ${report?.rows} × ${report?.d} layer`,
      );
    }
    if (
      keepsRowBalance(plan.method.warmStart, pattern) &&
      rowsBreakingPattern(mask, report.rows, report.d, pattern).length > 0
    ) {
      throw new Error(`its mask breaks pattern ${patternLabel(pattern)}`);
    }
    const updated = file.header.tensors.has("weight")
      ? toFloat32(await file.read("weight"))
      : undefined;
    if (updated && (updated.length !== mask.length || !updated.every(Number.isFinite))) {
      throw new Error("its weight does not match the mask or is not finite");
    }
    return { report, mask, updated };
  } catch (error) {
    throw new InputError(
      `${what}: result "${path}" is not valid (${(error as Error).message}); run the job again`,
    );
  }
}

/**
 * The raw linear weights of a block, by tensor name, for {@linkcode writeBlockInputs}.
 *
 * @param read Reads a tensor of the checkpoint.
 * @param block The block.
 * @returns Its seven linear weights as stored.
 */
export async function rawBlockWeights(
  read: (name: string) => Promise<Tensor>,
  block: number,
): Promise<Map<string, Tensor>> {
  const raw = new Map<string, Tensor>();
  for (const layer of LINEAR_LAYERS) {
    raw.set(linearName(block, layer), await read(linearName(block, layer)));
  }
  return raw;
}

/**
 * How jobs.txt runs this package: the Deno command and this module's entry file.
 *
 * @returns e.g. `deno run -A '/abs/mod.ts'`.
 */
export function packageEntry(): string {
  const url = new URL("../../mod.ts", import.meta.url);
  const where = url.protocol === "file:" ? resolve(decodeURIComponent(url.pathname)) : url.href;
  return `deno run -A '${where.replaceAll("'", "'\\''")}'`;
}
