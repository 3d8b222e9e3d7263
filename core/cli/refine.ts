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
import { sparseFormatFor, STORAGE_FORMATS, type StorageFormat } from "../compressed.ts";
import { parseFlags } from "./args.ts";
import { parseChoice, parseMethodFlags, parseThreads, requireFlag } from "../flags.ts";
import type { LayerMethod } from "../layer.ts";
import { type CommandIo, openKernels, progressBars } from "./io.ts";
import { writeFileAtomic } from "../atomic_write.ts";
import { openLocalFile } from "../local_files.ts";
import { readRefineInput, refineLayerInput, type RefineSummary } from "../refine_files.ts";

export type { RefineSummary };

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

interface RefineSettings extends LayerMethod {
  readonly weightPath: string;
  readonly gramPath: string;
  readonly maskPath?: string;
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
  const input = await readRefineInput({
    weight: await openLocalFile(settings.weightPath),
    gram: await openLocalFile(settings.gramPath),
    mask: settings.maskPath === undefined ? undefined : await openLocalFile(settings.maskPath),
    pattern: settings.pattern,
  });
  const { kernels, skipped } = await openKernels(
    settings.backend,
    settings.threads,
    io,
    settings.quiet,
  );
  const progress = progressBars(io, settings.quiet);
  let refined;
  try {
    refined = await refineLayerInput({
      ...settings,
      input,
      kernels,
      skipped,
      onProgress: (done, rows) => progress("refine", done, rows, "rows"),
      signal: io.signal,
    });
  } finally {
    kernels.dispose();
  }
  await writeFileAtomic(settings.outPath, [refined.bytes]);
  printSummary(io, refined.summary, settings);
  return refined.summary;
}

function refineSettings(flags: ReturnType<typeof parseFlags<typeof REFINE_FLAGS>>): RefineSettings {
  const weightPath = requireFlag(flags.weight, "weight");
  const gramPath = requireFlag(flags.gram, "gram");
  const outPath = requireFlag(flags.out, "out");
  if (flags.mask !== undefined && flags["warm-start"] !== undefined) {
    throw new UsageError("Give either --mask or --warm-start, not both");
  }
  return {
    ...parseMethodFlags(flags, "sparseswaps"),
    weightPath,
    gramPath,
    maskPath: flags.mask,
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
