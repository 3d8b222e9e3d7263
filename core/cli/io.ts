/**
 * Where commands write: stdout for results, stderr for progress and errors. Commands take this
 * instead of touching the console, so tests can run them in-process and read what they print.
 *
 * @module
 */

import type { RunProgress } from "../run.ts";
import { type BackendChoice, createKernels } from "../backend.ts";
import { InterruptedError } from "../errors.ts";
import type { Kernels } from "../kernels.ts";

/** Output channels of a command. */
export interface CommandIo {
  /** Writes one line of results to stdout. */
  stdout(line: string): void;
  /** Writes text to stderr as is (progress redraws use `\r`). */
  stderr(text: string): void;
  /** Whether stderr is an interactive terminal (progress bars are drawn only then). */
  readonly stderrIsTerminal: boolean;
  /**
   * Aborted when the user stops the run (SIGINT, SIGTERM), with an InterruptedError as reason:
   * commands stop at the next safe point, leave no broken output, and rethrow it.
   */
  readonly signal?: AbortSignal;
}

/**
 * The process's real stdout and stderr.
 *
 * @returns Output channels writing to the console.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(typeof consoleIo().stdout, "function");
 * ```
 */
export function consoleIo(): CommandIo {
  const encoder = new TextEncoder();
  return {
    stdout: (line) => Deno.stdout.writeSync(encoder.encode(line + "\n")),
    stderr: (text) => Deno.stderr.writeSync(encoder.encode(text)),
    stderrIsTerminal: Deno.stderr.isTerminal(),
  };
}

/**
 * An abort signal for the process's SIGINT and SIGTERM: the first one aborts it with an
 * {@linkcode InterruptedError} (the command stops at its next safe point and cleans up); a second
 * one ends the process at once.
 *
 * @returns The signal.
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const signals: ("SIGINT" | "SIGTERM")[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const name of signals) {
    Deno.addSignalListener(name, () => {
      const error = new InterruptedError(name);
      if (controller.signal.aborted) Deno.exit(error.exitCode);
      Deno.stderr.writeSync(
        new TextEncoder().encode(`\n${error.message}: stopping (again to stop at once)\n`),
      );
      controller.abort(error);
    });
  }
  return controller.signal;
}

/** A progress bar on stderr. */
export interface Progress {
  /** Redraws the bar at `done` of `total`. */
  update(done: number): void;
  /** Finishes the bar's line. */
  finish(): void;
}

/**
 * Draws a progress bar on stderr when it is a terminal and the user did not ask for quiet.
 *
 * @param io Output channels.
 * @param label What is progressing.
 * @param total Units of work.
 * @param unit Name of a unit.
 * @param quiet Draw nothing.
 * @returns The bar.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * let drawn = "";
 * const io = { stdout: () => {}, stderr: (t: string) => (drawn += t), stderrIsTerminal: true };
 * const bar = progressBar(io, "refine", 4, "rows", false);
 * bar.update(2);
 * assert.match(drawn, /refine .* 2\/4 rows/);
 * ```
 */
export function progressBar(
  io: CommandIo,
  label: string,
  total: number,
  unit: string,
  quiet: boolean,
): Progress {
  if (quiet || !io.stderrIsTerminal) return { update: () => {}, finish: () => {} };
  const width = 30;
  let drawn = false;
  return {
    update(done) {
      const filled = total > 0 ? Math.round((done / total) * width) : width;
      io.stderr(
        `\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${unit}`,
      );
      drawn = true;
    },
    finish() {
      if (drawn) io.stderr("\n");
    },
  };
}

/**
 * Progress bars for a run's steps, one per step, drawn as the step reports and finished when it
 * reaches its total.
 *
 * @param io Output channels.
 * @param quiet Draw nothing.
 * @returns The callback for the run.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * let drawn = "";
 * const io = { stdout: () => {}, stderr: (t: string) => (drawn += t), stderrIsTerminal: true };
 * const progress = progressBars(io, false);
 * progress("evaluate dense in_domain", 8, 8, "blocks");
 * assert.match(drawn, /evaluate dense in_domain .* 8\/8 blocks\n/);
 * ```
 */
export function progressBars(io: CommandIo, quiet: boolean): RunProgress {
  const bars = new Map<string, Progress>();
  return (step, done, total, unit) => {
    io.signal?.throwIfAborted();
    let bar = bars.get(step);
    if (!bar) bars.set(step, bar = progressBar(io, step, total, unit, quiet));
    bar.update(done);
    if (done === total) {
      bar.finish();
      bars.delete(step);
    }
  };
}

/**
 * Creates the kernels a command runs on; with `auto`, says on stderr (unless quiet) which
 * backends it passed over and why, so a slow fallback is never silent.
 *
 * @param choice `--backend`.
 * @param threads `--threads`.
 * @param io Where to say it.
 * @param quiet `--quiet`.
 * @returns The kernels, and the skipped backends as "name: reason".
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const io = { stdout: () => {}, stderr: () => {}, stderrIsTerminal: false };
 * const { kernels, skipped } = await openKernels("reference", undefined, io, true);
 * assert.equal(kernels.name, "reference");
 * assert.deepEqual(skipped, []);
 * kernels.dispose();
 * ```
 */
export async function openKernels(
  choice: BackendChoice,
  threads: number | undefined,
  io: CommandIo,
  quiet: boolean,
): Promise<{ kernels: Kernels; skipped: string[] }> {
  const skipped: string[] = [];
  const kernels = await createKernels(choice, {
    threads,
    onSkip: (backend, reason) => {
      skipped.push(`${backend}: ${reason}`);
      if (!quiet) io.stderr(`Backend auto: skipped ${backend} (${reason})\n`);
    },
  });
  return { kernels, skipped };
}
