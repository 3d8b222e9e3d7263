/**
 * `eval`: perplexity of a model on a text. The text is tokenized once (BOS first) and cut into
 * non-overlapping windows of `--seqlen` tokens (the remainder dropped); each window is scored on
 * its own and perplexity = exp(mean negative log-likelihood over all predicted tokens).
 *
 * @module
 */

import { BACKEND_CHOICES } from "../backend.ts";
import { InputError, UsageError } from "../errors.ts";
import {
  checkpointWeights,
  cutWindows,
  perplexity,
  type PerplexityResult,
} from "../model/transformer.ts";
import { DEFAULT_MODEL } from "../model/stories15m.ts";
import { parseFlags } from "./args.ts";
import {
  parseChoice,
  parseCount,
  parseSequenceLength,
  parseThreads,
  requireFlag,
} from "../flags.ts";
import { type CommandIo, openKernels, progressBar } from "./io.ts";
import { openModel } from "./model_source.ts";

/** The help text of `eval`. */
export const EVAL_HELP = `Perplexity of a model on a plain-text file.

Usage:
  deno run -A mod.ts eval --text FILE [--model stories15M|DIR|FILE.bin] [--tokenizer FILE]
    [--seqlen 256] [--windows N] [--backend B] [--threads N] [--json] [--quiet]

  --text FILE    the text (UTF-8); tokenized once, BOS first
  --seqlen N     tokens per window (default 256); the remainder is dropped
  --windows N    score only the first N windows (default: all)`;

const EVAL_FLAGS = {
  model: "string",
  tokenizer: "string",
  text: "string",
  seqlen: "string",
  windows: "string",
  backend: "string",
  threads: "string",
  json: "boolean",
  quiet: "boolean",
  help: "boolean",
} as const;

/**
 * Runs `eval`.
 *
 * @param argv Arguments after the command name.
 * @param io Where to print.
 * @returns Perplexity, windows and tokens (undefined for --help).
 */
export async function evalCommand(
  argv: readonly string[],
  io: CommandIo,
): Promise<PerplexityResult | undefined> {
  const flags = parseFlags(argv, EVAL_FLAGS);
  if (flags.help) {
    io.stdout(EVAL_HELP);
    return undefined;
  }
  const textPath = requireFlag(flags.text, "text");
  const seqlen = parseSequenceLength(flags.seqlen ?? "256");
  const limit = flags.windows === undefined ? Infinity : parseCount(flags.windows, "windows");
  const backend = parseChoice(flags.backend ?? "auto", "backend", BACKEND_CHOICES);
  const threads = parseThreads(flags.threads);
  const quiet = flags.quiet ?? false;
  let text: string;
  try {
    text = await Deno.readTextFile(textPath);
  } catch (error) {
    throw new InputError(`Cannot read text "${textPath}": ${(error as Error).message}`);
  }
  const source = await openModel(flags.model ?? DEFAULT_MODEL, flags.tokenizer, io, quiet);
  try {
    if (seqlen > source.checkpoint.config.maxSeqLen) {
      throw new UsageError(
        `Flag --seqlen ${seqlen} exceeds the model's ${source.checkpoint.config.maxSeqLen} positions`,
      );
    }
    const tokens = source.tokenizer.encode(text);
    const windows = cutWindows(tokens, seqlen, limit);
    if (windows.length === 0) {
      throw new InputError(
        `Text "${textPath}" has ${tokens.length} tokens, fewer than one window of ${seqlen}`,
      );
    }
    const { kernels } = await openKernels(backend, threads, io, quiet);
    try {
      const bar = progressBar(io, "evaluate", source.checkpoint.config.nLayers, "blocks", quiet);
      const result = await perplexity(
        kernels,
        await checkpointWeights(source.checkpoint),
        windows,
        (l) => {
          io.signal?.throwIfAborted();
          bar.update(l + 1);
        },
      );
      bar.finish();
      if (flags.json) io.stdout(JSON.stringify(result));
      else {io.stdout(
          `Perplexity ${
            result.perplexity.toFixed(4)
          } over ${result.windows} windows (${result.tokens} predicted tokens)`,
        );}
      return result;
    } finally {
      kernels.dispose();
    }
  } finally {
    source.checkpoint.close();
  }
}
