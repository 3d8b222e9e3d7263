/**
 * `refine`: SparseSwaps on one layer given as files, for pipelines that already compute W and G.
 *
 *     refine --weight W.safetensors --gram G.safetensors
 *            [--mask M.safetensors | --warm-start wanda|magnitude|ria|sparsegpt|admm-grad]
 *            (--sparsity 0.6 | --pattern 2:4) [--max-iters 100|inf]
 *            [--update none|rebuild|admm] [--damping A] [--admm-iters N]
 *            [--backend auto|reference|wasm|webgpu] [--threads N] --out OUT.safetensors
 *            [--format dense|compressed] [--json] [--quiet]
 *
 * Lifecycle: parse flags → read and validate W, G (and the mask) → warm start → refine →
 * write the mask atomically with the summary in `__metadata__` → print the summary.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import { BACKEND_CHOICES, type BackendChoice } from "../backend.ts";
import { describeFsError, InputError, UsageError } from "../errors.ts";
import type { Kernels } from "../kernels.ts";
import { checkPatternFits, patternLabel, type SparsityPattern } from "../pattern.ts";
import {
  type Dtype,
  fromFloat32,
  SafetensorsFile,
  type Tensor,
  type TensorToWrite,
  toFloat32,
  toFloat64,
  writeSafetensors,
} from "../safetensors.ts";
import {
  compressWeight,
  countStored,
  sparseBytes,
  type SparseFormat,
  sparseFormatFor,
  STORAGE_FORMATS,
  type StorageFormat,
  zeroPruned,
} from "../compressed.ts";
import { checkMaskFits } from "../sparseswaps.ts";
import { checkFinite, checkGram } from "../validate.ts";
import { gramDiagonal } from "../warm_start.ts";
import {
  parseChoice,
  parseFlags,
  parseIterations,
  parsePatternFlags,
  parseThreads,
  parseUpdateFlags,
  parseWarmStart,
  requireFlag,
} from "./args.ts";
import { pruneLayer, total, type WeightUpdate } from "../layer.ts";
import type { LayerWarmStart, UpdateMethod, UpdatingWarmStart } from "../update.ts";
import { type CommandIo, openKernels, progressBar } from "./io.ts";

/** The help text of `refine`. */
export const REFINE_HELP = `Refine one layer's pruning mask with SparseSwaps.

Usage:
  deno run -A mod.ts refine --weight W.safetensors --gram G.safetensors
    [--mask M.safetensors | --warm-start wanda|magnitude|ria|sparsegpt|admm-grad]
    (--sparsity S | --pattern N:M) [--max-iters N|inf]
    [--update none|rebuild|admm] [--damping A] [--admm-iters N] [--alternate N]
    [--backend auto|reference|wasm|webgpu] [--threads N] --out OUT.safetensors
    [--format dense|compressed] [--json] [--quiet]

Inputs:
  --weight FILE     tensor "weight" [rows, d], F32, F16 or BF16
  --gram FILE       tensor "gram" [d, d] = X Xᵀ of the layer's inputs, F32 or F64
  --mask FILE       tensor "mask" [rows, d], U8 or BOOL, 1 = kept: the warm start to refine
  --warm-start M    build the warm start instead: wanda (default), magnitude, ria, sparsegpt
                    or admm-grad (these two also update the kept weights: SparseSwaps then
                    refines those, a restored weight coming back at its dense value, and the
                    result is written as tensor "weight")
Pattern (exactly one):
  --sparsity S      prune floor(d · S) weights in every row, 0 < S < 1
  --pattern N:M     keep N of every M consecutive weights (2:4, 4:8)
Run:
  --max-iters N     swaps per row at most (default 100); inf = until no improving swap is left
  --update U        none (default); rebuild: the exact least-squares update of the kept
                    weights for the refined mask; admm: Boža's ADMM update (one factorisation
                    per layer, converging to rebuild; the one for wide layers). The updated
                    weight is written as tensor "weight" (F32)
  --damping A       the update's damping α, relative to each input's energy (default 0.1)
  --admm-iters N    ADMM iterations (default 20, the authors' setting)
  --alternate N     after the update, up to N more rounds of SparseSwaps on the updated
                    weights followed by the update; a round that does not lower the error is
                    dropped and ends them (default 0)
  --backend B       auto (default: WebGPU on a hardware GPU, else wasm), reference, wasm or webgpu
  --threads N       CPU threads for the wasm backend (default: every core)
Output:
  --out FILE        tensor "mask" U8 [rows, d] (and "weight" F32 when kept weights moved); the summary
                    goes into __metadata__
  --format F        dense (default: the mask only) or compressed: also the pruned weight in
                    compressed-tensors' layout (shape, compressed, bitmask and, for
                    sparse-bitmask, row_offsets; sparse-24-bitmask for --pattern 2:4), to be
                    prefixed with the module's path (P.shape, …) in a checkpoint
  --json            print the summary as one JSON object on the last line of stdout
  --quiet           no progress bar`;

const REFINE_FLAGS = {
  weight: "string",
  gram: "string",
  mask: "string",
  "warm-start": "string",
  sparsity: "string",
  pattern: "string",
  "max-iters": "string",
  update: "string",
  damping: "string",
  "admm-iters": "string",
  alternate: "string",
  backend: "string",
  threads: "string",
  out: "string",
  format: "string",
  json: "boolean",
  quiet: "boolean",
  help: "boolean",
} as const;

/** What `refine` reports, in the JSON output and the mask file's metadata. */
export interface RefineSummary {
  /** Σ over rows of qᵀGq for the warm start, float64. */
  readonly error_before: number;
  /** Σ over rows of qᵀGq after SparseSwaps' first round, float64. */
  readonly error_after: number;
  /** 1 − error_after / error_before (0 when the warm start is exact). */
  readonly relative_reduction: number;
  /** Swaps accepted. */
  readonly swaps: number;
  /** Iterations run (the most swaps of any row). */
  readonly iterations: number;
  /** Rows of the layer. */
  readonly rows: number;
  /** Input features. */
  readonly d: number;
  /** Rows left without an improving 1-swap (up to float64 rounding). */
  readonly converged_rows: number;
  /**
   * Rows stopped with an improving swap too small for the backend's arithmetic to resolve, or
   * whose error stopped falling: not proven converged.
   */
  readonly stalled_rows: number;
  /** Pair gains the bounded searches evaluated (bookkeeping included). */
  readonly pairs_evaluated: number;
  /** Pair gains brute-force searches of the same rows and iterations would have evaluated. */
  readonly pairs_brute_force: number;
  /** Backend that ran the kernels. */
  readonly backend: string;
  /** The backend in words (threads, SIMD variant, GPU adapter). */
  readonly backend_description: string;
  /** Backends `auto` passed over, "name: reason; …" (absent when none). */
  readonly backend_skipped?: string;
  /** The pattern, e.g. "60%" or "2:4". */
  readonly pattern: string;
  /** Warm-start method, or "mask" for a given mask. */
  readonly warm_start: string;
  /** Iteration budget ("inf" for unlimited). */
  readonly max_iters: number | "inf";
  /** Wall time of warm start, refinement and weight update, in seconds. */
  readonly seconds: number;
  /** Where the written weight comes from: the update, the warm start's own, or none (mask only). */
  readonly update: UpdateMethod | UpdatingWarmStart;
  /** α of --update's damping (with --update). */
  readonly damping?: number;
  /** ADMM iterations (with --update admm). */
  readonly admm_iters?: number;
  /** Σ over rows of ‖(w − w')X‖² = qᵀGq after the update (and rounds), float64 (with --update). */
  readonly error_updated?: number;
  /** Alternating rounds asked for (with --alternate). */
  readonly alternate?: number;
  /** Alternating rounds kept, each lowering the error (with --alternate). */
  readonly rounds?: number;
  /** What the output holds besides the mask: "dense" (nothing) or the sparse layout written. */
  readonly format: "dense" | SparseFormat;
  /** Bytes of the pruned weight stored densely. */
  readonly dense_bytes: number;
  /** Bytes of the pruned weight in the sparse layout (the one `--format compressed` writes). */
  readonly compressed_bytes: number;
}

interface RefineSettings {
  readonly weightPath: string;
  readonly gramPath: string;
  readonly maskPath?: string;
  readonly warmStart: LayerWarmStart;
  readonly pattern: SparsityPattern;
  readonly maxIters: number;
  readonly update?: WeightUpdate;
  readonly backend: BackendChoice;
  readonly threads?: number;
  readonly outPath: string;
  readonly format: StorageFormat;
  readonly json: boolean;
  readonly quiet: boolean;
}

/**
 * Runs `refine` with the given arguments.
 *
 * @param argv Arguments after the command name.
 * @param io Where to print.
 * @returns The summary (also printed).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const io = { stdout: () => {}, stderr: () => {}, stderrIsTerminal: false };
 * await assert.rejects(() => refineCommand(["--weight", "W.safetensors"], io), /Missing required flag --gram/);
 * ```
 */
export async function refineCommand(
  argv: readonly string[],
  io: CommandIo,
): Promise<RefineSummary | undefined> {
  const flags = parseFlags(argv, REFINE_FLAGS);
  if (flags.help) {
    io.stdout(REFINE_HELP);
    return undefined;
  }
  const settings = refineSettings(flags);
  await checkOutputPath(settings);
  const layer = await readLayer(settings);
  const { kernels, skipped } = await openKernels(
    settings.backend,
    settings.threads,
    io,
    settings.quiet,
  );
  let summary: RefineSummary;
  try {
    summary = await refineLayer(kernels, layer, settings, io, skipped);
  } finally {
    kernels.dispose();
  }
  printSummary(io, summary, settings);
  return summary;
}

/** Warm start, refinement and output of one layer on the given kernels. */
async function refineLayer(
  kernels: Kernels,
  layer: LayerFiles,
  settings: RefineSettings,
  io: CommandIo,
  skipped: readonly string[],
): Promise<RefineSummary> {
  const { rows, d, weight } = layer;
  const pattern = settings.pattern;
  const gram = await kernels.createGram({ d, values: layer.gram });
  const started = performance.now();
  const label = `Weights "${settings.weightPath}" with Gram matrix "${settings.gramPath}"`;
  const bar = progressBar(io, "refine", rows, "rows", settings.quiet);
  const result = await pruneLayer({
    kernels,
    gram,
    gramDiagonal: gramDiagonal(layer.gram, d),
    weight,
    rows,
    d,
    pattern,
    warmStart: layer.mask ?? settings.warmStart,
    refiner: "sparseswaps",
    maxIters: settings.maxIters,
    update: settings.update,
    label,
    onProgress: ({ rowsDone }) => bar.update(rowsDone),
    signal: io.signal,
  });
  bar.finish();
  kernels.release(gram);
  // The final weight in W's dtype: updated, or W with the pruned entries zeroed.
  const dtype = layer.weightTensor.dtype as "F32" | "F16" | "BF16";
  const pruned = result.weight
    ? fromFloat32(result.weight, dtype, [rows, d])
    : { ...layer.weightTensor, bytes: layer.weightTensor.bytes.slice() };
  zeroPruned(pruned, result.mask);
  const format = sparseFormatFor(pattern);
  const stored = format === "sparse-24-bitmask" ? rows * d / 2 : countStored(pruned);
  const errorBefore = total(result.errorWarm);
  const errorAfter = total(result.errorRefined);
  const summary: RefineSummary = {
    error_before: errorBefore,
    error_after: errorAfter,
    relative_reduction: errorBefore > 0 ? 1 - errorAfter / errorBefore : 0,
    swaps: result.swaps,
    iterations: result.iterations,
    rows,
    d,
    converged_rows: result.convergedRows,
    stalled_rows: result.stalledRows,
    pairs_evaluated: result.pairsEvaluated,
    pairs_brute_force: result.pairsBruteForce,
    backend: kernels.name,
    backend_description: kernels.description,
    ...(skipped.length > 0 ? { backend_skipped: skipped.join("; ") } : {}),
    pattern: patternLabel(pattern),
    warm_start: layer.mask ? "mask" : settings.warmStart,
    max_iters: Number.isFinite(settings.maxIters) ? settings.maxIters : "inf",
    seconds: (performance.now() - started) / 1000,
    update: result.weightSource,
    ...(settings.update ? { damping: settings.update.damping } : {}),
    ...(result.errorUpdated ? { error_updated: total(result.errorUpdated) } : {}),
    ...(settings.update?.iterations ? { admm_iters: settings.update.iterations } : {}),
    ...(settings.update?.alternate
      ? { alternate: settings.update.alternate, rounds: result.rounds }
      : {}),
    format: settings.format === "compressed" ? format : "dense",
    dense_bytes: pruned.bytes.length,
    compressed_bytes: sparseBytes(pruned.dtype, [rows, d], stored, format),
  };
  const written: Record<string, TensorToWrite> = {
    mask: { dtype: "U8", shape: [rows, d], data: result.mask },
  };
  if (result.weight) written.weight = { dtype: "F32", shape: [rows, d], data: result.weight };
  if (settings.format === "compressed") {
    for (const [suffix, part] of Object.entries(compressWeight(pruned, format, result.mask))) {
      written[suffix] = { dtype: part.dtype, shape: part.shape, data: part.bytes };
    }
  }
  await writeSafetensors(
    settings.outPath,
    written,
    Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, String(v)])),
  );
  return summary;
}

function refineSettings(flags: ReturnType<typeof parseFlags<typeof REFINE_FLAGS>>): RefineSettings {
  const weightPath = requireFlag(flags.weight, "weight");
  const gramPath = requireFlag(flags.gram, "gram");
  const outPath = requireFlag(flags.out, "out");
  if (flags.mask !== undefined && flags["warm-start"] !== undefined) {
    throw new UsageError("Give either --mask or --warm-start, not both");
  }
  const pattern = parsePatternFlags(flags.sparsity, flags.pattern);
  return {
    weightPath,
    gramPath,
    maskPath: flags.mask,
    warmStart: parseWarmStart(flags["warm-start"], pattern, "sparseswaps"),
    pattern,
    maxIters: parseIterations(flags["max-iters"] ?? "100", "max-iters"),
    update: parseUpdateFlags({
      update: flags.update,
      damping: flags.damping,
      admmIters: flags["admm-iters"],
      alternate: flags.alternate,
    }),
    backend: parseChoice(flags.backend ?? "auto", "backend", BACKEND_CHOICES),
    threads: parseThreads(flags.threads),
    outPath,
    format: parseChoice(flags.format ?? "dense", "format", STORAGE_FORMATS),
    json: flags.json ?? false,
    quiet: flags.quiet ?? false,
  };
}

/**
 * Fails before any work when the output cannot be written, is not a regular file, or is one of
 * the inputs under another name (a symbolic link to its folder, a hard link): compared by real
 * path and by file identity.
 */
async function checkOutputPath(settings: RefineSettings): Promise<void> {
  const shown = settings.outPath;
  if (/[\\/]$/.test(shown)) {
    throw new UsageError(`Flag --out "${shown}" names a directory; give the output file's path`);
  }
  const out = resolve(shown);
  const directory = dirname(out);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(directory);
  } catch (error) {
    throw new InputError(
      `Cannot write "${shown}": directory "${directory}": ${describeFsError(error)}`,
    );
  }
  if (!info.isDirectory) {
    throw new InputError(`Cannot write "${shown}": "${directory}" is not a directory`);
  }
  const realOut = join(await Deno.realPath(directory), basename(out));
  const existing = await Deno.stat(out).catch(() => undefined);
  if (existing && !existing.isFile) {
    const kind = existing.isDirectory ? "a directory" : "not a regular file";
    throw new InputError(`Cannot write "${shown}": it exists and is ${kind}`);
  }
  for (const input of [settings.weightPath, settings.gramPath, settings.maskPath]) {
    if (input === undefined) continue;
    const real = await Deno.realPath(input).catch(() => resolve(input));
    const inputInfo = await Deno.stat(input).catch(() => undefined);
    const sameFile = existing !== undefined && inputInfo !== undefined &&
      existing.ino !== null && existing.ino === inputInfo.ino && existing.dev === inputInfo.dev;
    if (real === realOut || sameFile) {
      throw new UsageError(`Flag --out "${shown}" would overwrite the input file "${input}"`);
    }
  }
}

interface LayerFiles {
  readonly weight: Float32Array;
  /** The weight as read, in its own dtype. */
  readonly weightTensor: Tensor;
  readonly rows: number;
  readonly d: number;
  /** G (d, d), symmetrised. */
  readonly gram: Float64Array;
  readonly mask?: Uint8Array;
}

async function readLayer(settings: RefineSettings): Promise<LayerFiles> {
  const weightTensor = await readTensor(settings.weightPath, "weight", ["F32", "F16", "BF16"], 2);
  const [rows, d] = weightTensor.shape;
  const weight = toFloat32(weightTensor);
  checkFinite(weight, weightTensor.shape, describe(settings.weightPath, "weight"));
  checkPatternFits(settings.pattern, d, `tensor "weight" in "${settings.weightPath}"`);

  const gramTensor = await readTensor(settings.gramPath, "gram", ["F32", "F64"], 2);
  const gramWhat = describe(settings.gramPath, "gram");
  if (gramTensor.shape[0] !== gramTensor.shape[1]) {
    throw new InputError(`${gramWhat} is not square: shape [${gramTensor.shape}]`);
  }
  if (gramTensor.shape[0] !== d) {
    throw new InputError(
      `${gramWhat} has shape [${gramTensor.shape}] but tensor "weight" in "${settings.weightPath}" has ${d} columns`,
    );
  }
  const gram = checkGram(toFloat64(gramTensor), d, gramWhat);

  if (settings.maskPath === undefined) return { weight, weightTensor, rows, d, gram };
  const maskTensor = await readTensor(settings.maskPath, "mask", ["U8", "BOOL"], 2);
  const maskWhat = describe(settings.maskPath, "mask");
  if (maskTensor.shape[0] !== rows || maskTensor.shape[1] !== d) {
    throw new InputError(
      `${maskWhat} has shape [${maskTensor.shape}] but tensor "weight" in "${settings.weightPath}" has shape [${rows},${d}]`,
    );
  }
  const mask = maskTensor.bytes;
  const bad = mask.findIndex((v) => v > 1);
  if (bad >= 0) {
    throw new InputError(
      `${maskWhat} holds ${mask[bad]} at [${Math.floor(bad / d)}, ${bad % d}]; masks hold 0 or 1`,
    );
  }
  checkMaskFits(mask, rows, d, settings.pattern, maskWhat);
  return { weight, weightTensor, rows, d, gram, mask };
}

function describe(path: string, tensor: string): string {
  return `Tensor "${tensor}" in "${path}"`;
}

/** Reads a named tensor, checking its dtype and rank. */
async function readTensor(
  path: string,
  name: string,
  dtypes: readonly Dtype[],
  rank: number,
): Promise<Tensor> {
  using file = await SafetensorsFile.open(path);
  const info = file.info(name);
  if (!dtypes.includes(info.dtype)) {
    throw new InputError(
      `${describe(path, name)} has dtype ${info.dtype}; expected ${dtypes.join(" or ")}`,
    );
  }
  if (info.shape.length !== rank || info.shape.some((n) => n === 0)) {
    throw new InputError(
      `${describe(path, name)} has shape [${info.shape}]; expected ${rank} non-zero dimensions`,
    );
  }
  return await file.read(name);
}

function printSummary(io: CommandIo, summary: RefineSummary, settings: RefineSettings): void {
  if (settings.json) {
    io.stdout(JSON.stringify(summary));
    return;
  }
  const percent = (summary.relative_reduction * 100).toFixed(2);
  io.stdout(
    `Refined ${summary.rows} × ${summary.d} at ${summary.pattern} from the ${summary.warm_start} warm start on the ${summary.backend} backend`,
  );
  io.stdout(
    `Error ${summary.error_before.toPrecision(6)} → ${
      summary.error_after.toPrecision(6)
    } (−${percent}%)`,
  );
  io.stdout(
    `${summary.swaps} swaps in ${summary.iterations} iterations, ${summary.converged_rows}/${summary.rows} rows converged${
      summary.stalled_rows > 0 ? `, ${summary.stalled_rows} stalled at the backend's precision` : ""
    }, ${summary.seconds.toFixed(2)} s`,
  );
  if (summary.pairs_brute_force > 0) {
    io.stdout(
      `Searched ${summary.pairs_evaluated.toExponential(2)} pairs, ${
        (100 * summary.pairs_evaluated / summary.pairs_brute_force).toFixed(1)
      }% of brute force's ${summary.pairs_brute_force.toExponential(2)}`,
    );
  }
  if (summary.error_updated !== undefined) {
    io.stdout(
      `After the ${summary.update} update${
        summary.damping === undefined ? "" : ` (damping ${summary.damping})`
      }${
        summary.alternate === undefined
          ? ""
          : ` and ${summary.rounds} of ${summary.alternate} alternating rounds`
      }: error ${summary.error_updated.toPrecision(6)}`,
    );
  }
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  io.stdout(
    `Pruned weight: ${kib(summary.dense_bytes)} dense, ${kib(summary.compressed_bytes)} as ${
      sparseFormatFor(settings.pattern)
    }`,
  );
  io.stdout(
    `Wrote ${settings.outPath} (mask${summary.update === "none" ? "" : ", weight"}${
      summary.format === "dense" ? "" : `, pruned weight as ${summary.format}`
    })`,
  );
}
