/**
 * The command-line entry: picks the command, runs it, and turns errors into messages and exit
 * codes. The only place where errors become exit codes; library code only throws.
 *
 * Exit codes: 0 success, 1 bad input or nothing done, 2 bad command line, 70 internal error,
 * 130 and 143 stopped by SIGINT and SIGTERM.
 *
 * @module
 */

import { InputError, InterruptedError, UsageError } from "../errors.ts";
import type { CommandIo } from "./io.ts";
import { evalCommand } from "./eval.ts";
import { jobCommand } from "./jobs.ts";
import { pruneCommand } from "./prune.ts";
import { refineCommand } from "./refine.ts";

/** Top-level help. */
export const MAIN_HELP = `sparseswaps: prune LLaMA-family models with SparseSwaps mask refinement.

Usage:
  deno run -A mod.ts <command> [flags]

Commands:
  prune     prune every linear layer of a model (default: stories15M to 60%) and evaluate it
  eval      perplexity of a model on a text file
  refine    refine one layer's mask from W and G safetensors files
  job       run one layer job of a plan made by "prune --plan"

Run "deno run -A mod.ts <command> --help" for a command's flags.`;

/**
 * Runs the CLI.
 *
 * @param argv Command-line arguments (command first).
 * @param io Where to print.
 * @returns The process exit code.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * let err = "";
 * const io = { stdout: () => {}, stderr: (t: string) => (err += t), stderrIsTerminal: false };
 * assert.equal(await main(["frobnicate"], io), 2);
 * assert.match(err, /Unknown command "frobnicate"/);
 * ```
 */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout(MAIN_HELP);
        return 0;
      case "refine":
        await refineCommand(rest, io);
        return 0;
      case "prune":
        await pruneCommand(rest, io);
        return 0;
      case "eval":
        await evalCommand(rest, io);
        return 0;
      case "job":
        await jobCommand(rest, io);
        return 0;
      default:
        throw new UsageError(`Unknown command "${command}" (commands: prune, eval, refine, job)`);
    }
  } catch (error) {
    if (error instanceof InterruptedError) {
      io.stderr(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof UsageError) {
      const help = ["refine", "prune", "eval", "job"].includes(command) ? ` ${command}` : "";
      io.stderr(`error: ${error.message}\nRun "deno run -A mod.ts${help} --help" for usage.\n`);
      return 2;
    }
    if (error instanceof InputError) {
      io.stderr(`error: ${error.message}\n`);
      return 1;
    }
    const detail = error instanceof Error ? error.stack ?? error.message : String(error);
    io.stderr(`internal error (please report it): ${detail}\n`);
    return 70;
  }
}
