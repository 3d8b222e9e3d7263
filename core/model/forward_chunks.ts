/**
 * A block's forward pass over many sequences in chunks of bounded memory: the driver calibration
 * and perplexity share, over hidden states kept wherever the caller chose (core/hidden_states.ts).
 *
 * @module
 */

import type { HiddenStates } from "../hidden_states.ts";
import type { Kernels } from "../kernels.ts";
import type { LlamaConfig } from "./config.ts";
import {
  blockForward,
  type BlockWeights,
  type CaptureInput,
  type ChunkLayout,
  embed,
} from "./forward.ts";

/**
 * Activations a block's forward pass may hold at once: the calibration sequences go through a
 * block in chunks whose widest activation (tokens × max(dim, heads·headDim, hidden) float32)
 * stays within this, so memory does not grow with the calibration size. Attention never crosses
 * sequences, so chunks give the same outputs; Gram sums are accumulated chunk by chunk.
 */
export const CHUNK_BYTES = 64 * 2 ** 20;

/**
 * Sequences per forward chunk for a model and window length (at least one).
 *
 * @param config The model.
 * @param tokens Tokens per sequence.
 * @param chunkBytes The activation budget.
 * @returns Sequences per chunk.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const tiny = { dim: 288, hiddenDim: 768, nHeads: 6, headDim: 48 };
 * assert.equal(chunkSequences(tiny, 256), 85); // stories15M: the default 32 windows in one chunk
 * const wide = { dim: 4096, hiddenDim: 14336, nHeads: 32, headDim: 128 };
 * assert.equal(chunkSequences(wide, 256), 4); // LLaMA-3.1-8B: 4 windows of 256 a chunk
 * ```
 */
export function chunkSequences(
  config: Pick<LlamaConfig, "dim" | "hiddenDim" | "nHeads" | "headDim">,
  tokens: number,
  chunkBytes: number = CHUNK_BYTES,
): number {
  const widest = Math.max(config.dim, config.hiddenDim, config.nHeads * config.headDim);
  return Math.max(1, Math.floor(chunkBytes / (4 * tokens * widest)));
}

/**
 * A block's forward pass over every sequence of h, chunk by chunk, handing each chunk's linear
 * layers' inputs to `captured` as they come; with `writeBack`, h becomes the block's output.
 * Chunks of states the backend holds ({@linkcode HiddenStates.held}) are updated where they are.
 *
 * @param kernels Backend.
 * @param config The model.
 * @param weights The block's weights.
 * @param h The hidden states, (sequences · tokens, dim).
 * @param layout All sequences (batch = h.sequences, tokens = h.tokens, start 0).
 * @param frequencies Rotary frequencies.
 * @param options Whether h takes the block's output, the capture, the activation budget.
 */
export async function forwardInChunks(
  kernels: Kernels,
  config: LlamaConfig,
  weights: BlockWeights,
  h: HiddenStates,
  layout: ChunkLayout,
  frequencies: Float64Array,
  options: {
    readonly writeBack: boolean;
    readonly captured?: CaptureInput;
    readonly chunkBytes?: number;
  },
): Promise<void> {
  const per = chunkSequences(config, layout.tokens, options.chunkBytes);
  for (let first = 0; first < layout.batch; first += per) {
    const batch = Math.min(per, layout.batch - first);
    // States held by the backend in this chunk are updated where they are (or run on a copy).
    const held = h.held?.(first, batch);
    const chunk = held
      ? (options.writeBack ? held : await kernels.sliceRows(held, 0, held.rows))
      : await kernels.createActivation({ values: await h.read(first, batch), width: config.dim });
    try {
      await blockForward(kernels, config, weights, chunk, { ...layout, batch }, frequencies, {
        capture: options.captured,
      });
      if (options.writeBack && !held) await h.write(first, await kernels.readActivation(chunk));
    } finally {
      if (chunk !== held) kernels.release(chunk);
    }
  }
}

/**
 * Writes the token windows, embedded, into h (the first block's input), a forward chunk at a
 * time.
 *
 * @param h The hidden states, one sequence per window.
 * @param table The embedding (vocab, dim).
 * @param windows Token windows of h.tokens each.
 * @param config The model.
 * @param chunkBytes The activation budget (default CHUNK_BYTES).
 */
export async function embedWindows(
  h: HiddenStates,
  table: Float32Array,
  windows: readonly Int32Array[],
  config: LlamaConfig,
  chunkBytes?: number,
): Promise<void> {
  const per = chunkSequences(config, h.tokens, chunkBytes);
  for (let first = 0; first < windows.length; first += per) {
    const chunk = windows.slice(first, first + per);
    const tokens = new Int32Array(chunk.length * h.tokens);
    chunk.forEach((w, i) => tokens.set(w, i * h.tokens));
    await h.write(first, embed(table, tokens, config.dim));
  }
}
