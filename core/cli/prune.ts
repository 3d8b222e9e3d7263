/**
 * `prune`: the whole-model job (calibrate, warm-start, refine every linear layer, evaluate,
 * write a checkpoint). The model pipeline is not built yet, so for now it says what is missing
 * and points to `refine`, which works on single layers today.
 *
 * @module
 */

import type { CommandIo } from "./io.ts";

/** What `prune` prints until the model pipeline lands. */
export const PRUNE_PENDING =
  `prune: whole-model pruning needs the model pipeline (model loading, calibration, forward pass,
checkpoint writing, evaluation), which is not built yet.
Available now: layer-level refinement from files you computed elsewhere:
  deno run -A mod.ts refine --weight W.safetensors --gram G.safetensors --sparsity 0.6 --out mask.safetensors
Run "deno run -A mod.ts refine --help" for details.`;

/**
 * Runs `prune`: for now, reports what is missing.
 *
 * @param _argv Arguments after the command name (ignored until the pipeline exists).
 * @param io Where to print.
 * @returns Exit code 1: nothing was pruned.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * let said = "";
 * const io = { stdout: (l: string) => (said += l), stderr: () => {}, stderrIsTerminal: false };
 * assert.equal(pruneCommand([], io), 1);
 * assert.match(said, /not built yet/);
 * ```
 */
export function pruneCommand(_argv: readonly string[], io: CommandIo): number {
  io.stdout(PRUNE_PENDING);
  return 1;
}
