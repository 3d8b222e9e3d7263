/**
 * The token windows a pruning run calibrates and is evaluated on, made the one way `prune` and
 * the benchmarks share:
 *
 * - calibration: `nsamples` sequences of `seqlen` tokens sampled from the dense model (BOS
 *   first, temperature 1, seed `seed`), or windows of a text shuffled with `seed`;
 * - evaluation: `in_domain`, held-out samples of the dense model (seed + 1), and `moby_dick`,
 *   windows of Moby-Dick (out of domain for the TinyStories models).
 *
 * @module
 */

import { InputError } from "../errors.ts";
import type { Kernels } from "../kernels.ts";
import { createRandom } from "../synthetic.ts";
import type { Tokenizer } from "./tokenizer.ts";
import {
  cutWindows,
  type ModelWeights,
  perplexity,
  type PerplexityResult,
  sampleSequences,
} from "./transformer.ts";

/** What sampling needs: the model, its tokenizer and the window length. */
export interface SamplingOptions {
  /** Backend. */
  readonly kernels: Kernels;
  /** The dense model (resident weights sample faster). */
  readonly weights: ModelWeights;
  /** Its tokenizer (BOS, and encoding texts). */
  readonly tokenizer: Tokenizer;
  /** Tokens per window. */
  readonly seqlen: number;
  /** Called after each sampled position, with what is being sampled (progress, stopping). */
  readonly onToken?: (what: "calibration" | "in_domain", position: number) => void;
  /** Keep sampling's key/value caches in host memory (the wasm backend's memory spoken for). */
  readonly cacheInHostMemory?: boolean;
}

/** Options of {@linkcode calibrationWindows}. */
export interface CalibrationOptions extends SamplingOptions {
  /** Windows. */
  readonly nsamples: number;
  /** Seed of the samples, or of the shuffle of the text's windows. */
  readonly seed: number;
  /** Plain text to cut windows from instead of sampling; `textName` names it in messages. */
  readonly text?: string;
  /** Names the text in messages. */
  readonly textName?: string;
}

/**
 * Calibration windows: sampled from the dense model, or cut from a text and shuffled.
 *
 * @param options Model, sizes, seed and optional text.
 * @returns `nsamples` windows (fewer when the text has fewer).
 */
export async function calibrationWindows(options: CalibrationOptions): Promise<Int32Array[]> {
  const { kernels, weights, tokenizer, seqlen, nsamples, seed, text } = options;
  if (text === undefined) {
    return await sampleSequences(kernels, weights, nsamples, seqlen, createRandom(seed), {
      bos: tokenizer.bos,
      onToken: (p) => options.onToken?.("calibration", p),
      cacheInHostMemory: options.cacheInHostMemory,
    });
  }
  const windows = cutWindows(tokenizer.encode(text), seqlen);
  if (windows.length === 0) {
    throw new InputError(
      `Calibration text "${options.textName ?? "text"}" has fewer than --seqlen ${seqlen} tokens`,
    );
  }
  const random = createRandom(seed);
  for (let i = windows.length - 1; i > 0; i--) {
    const j = random.integer(i + 1);
    [windows[i], windows[j]] = [windows[j], windows[i]];
  }
  return windows.slice(0, nsamples);
}

/** Options of {@linkcode evaluationSets}. */
export interface EvaluationOptions extends SamplingOptions {
  /** Windows per set. */
  readonly windows: number;
  /** The calibration seed: in-domain samples use seed + 1. */
  readonly seed: number;
  /** Moby-Dick's text (see stories15m.ts `mobyDick`); without it, only `in_domain`. */
  readonly mobyDick?: string;
}

/**
 * The evaluation sets: `in_domain` samples of the dense model with seed + 1 and, given its
 * text, `moby_dick`.
 *
 * @param options Model, sizes, seed and the Moby-Dick text.
 * @returns The sets by name.
 */
export async function evaluationSets(
  options: EvaluationOptions,
): Promise<Map<string, Int32Array[]>> {
  const { kernels, weights, tokenizer, seqlen, windows, seed } = options;
  const inDomain = await sampleSequences(
    kernels,
    weights,
    windows,
    seqlen,
    createRandom(seed + 1),
    {
      bos: tokenizer.bos,
      onToken: (p) => options.onToken?.("in_domain", p),
      cacheInHostMemory: options.cacheInHostMemory,
    },
  );
  const sets = new Map([["in_domain", inDomain]]);
  if (options.mobyDick !== undefined) {
    sets.set("moby_dick", cutWindows(tokenizer.encode(options.mobyDick), seqlen, windows));
  }
  return sets;
}

/**
 * Perplexity of a model on every evaluation set.
 *
 * @param kernels Backend.
 * @param weights The model.
 * @param sets Windows by set name.
 * @param onBlock Called after each block of each set (progress, stopping).
 * @returns Perplexity by set name.
 */
export async function perplexities(
  kernels: Kernels,
  weights: ModelWeights,
  sets: ReadonlyMap<string, readonly Int32Array[]>,
  onBlock?: (set: string, block: number) => void,
): Promise<Record<string, PerplexityResult>> {
  const results: Record<string, PerplexityResult> = {};
  for (const [name, windows] of sets) {
    results[name] = await perplexity(kernels, weights, windows, (b) => onBlock?.(name, b));
  }
  return results;
}
