/**
 * Whole-model computations on top of the block forward: perplexity of token windows (streaming
 * the blocks, so only one block's weights need be in memory) and sampling sequences from a
 * resident model (token by token with a key/value cache).
 *
 * @module
 */

import type { Kernels, KvCacheHandle, MatrixHandle } from "../kernels.ts";
import type { Random } from "../synthetic.ts";
import {
  type Checkpoint,
  LINEAR_LAYERS,
  LINEAR_ROLES,
  linearName,
  readBlock,
} from "./checkpoint.ts";
import type { LlamaConfig } from "./config.ts";
import {
  blockForward,
  type BlockWeights,
  embed,
  headLogits,
  logits,
  type Matrix,
  ropeFrequencies,
} from "./forward.ts";
import { toFloat32 } from "../safetensors.ts";
import { backendHiddenStates } from "../hidden_states.ts";
import { chunkSequences, embedWindows, forwardInChunks } from "./forward_chunks.ts";
import { InputError } from "../errors.ts";

/** The token every sequence starts with (llama2.c and LLaMA tokenizers). */
export const BOS = 1;

/** A model's weights, handed out block by block. */
export interface ModelWeights {
  /** The architecture. */
  readonly config: LlamaConfig;
  /** Token embedding (vocab, dim). */
  readonly embedding: Float32Array;
  /** Final norm (dim,). */
  readonly norm: Float32Array;
  /** Output head (vocab, dim). */
  readonly head: Matrix;
  /** The weights of block `layer`. */
  block(layer: number): Promise<BlockWeights>;
  /**
   * The bfloat16 bits of a weight the checkpoint stores in BF16 (undefined, and nothing read,
   * for any other dtype): {@linkcode residentWeights} keeps such matrices on the backend as they
   * are.
   */
  readonly bfloat16Bits?: (name: string) => Promise<Uint16Array | undefined>;
}

/**
 * Weights read from a checkpoint on demand: embedding, norm and head stay in memory, blocks are
 * read when asked for (and not kept).
 *
 * @param checkpoint The checkpoint.
 * @returns The weights.
 */
export async function checkpointWeights(checkpoint: Checkpoint): Promise<ModelWeights> {
  const embedding = toFloat32(await checkpoint.read("model.embed_tokens.weight"));
  return {
    config: checkpoint.config,
    embedding,
    norm: toFloat32(await checkpoint.read("model.norm.weight")),
    head: checkpoint.config.tieWordEmbeddings
      ? embedding
      : toFloat32(await checkpoint.read("lm_head.weight")),
    block: (layer) => readBlock(checkpoint, layer),
    bfloat16Bits: async (name) => {
      if (checkpoint.tensors.find((t) => t.name === name)?.dtype !== "BF16") return undefined;
      return new Uint16Array((await checkpoint.read(name)).bytes.slice().buffer);
    },
  };
}

/**
 * The same weights with every block read once and kept (for sampling, which visits each block
 * once per token): in the backend as far as `budget` bytes go, in memory beyond it (copied into
 * the backend for each product, the same numbers). Matrices a checkpoint stores in BF16 go to
 * the backend as they are (half the bytes of float32; the same products). Release them with the
 * returned `release`.
 *
 * @param kernels The backend that keeps the matrices.
 * @param weights Streaming weights.
 * @param budget Bytes of matrices the backend may keep (default: all).
 * @returns Weights whose blocks and head are read once, and a function freeing them.
 */
export async function residentWeights(
  kernels: Kernels,
  weights: ModelWeights,
  budget = Infinity,
): Promise<{ weights: ModelWeights; release: () => void }> {
  const handles: MatrixHandle[] = [];
  let left = budget;
  const resident = async (matrix: Matrix, cols: number, name: string) => {
    if (!(matrix instanceof Float32Array)) return matrix;
    const values = await weights.bfloat16Bits?.(name) ?? matrix;
    if (values.byteLength > left) return matrix;
    left -= values.byteLength;
    const handle = await kernels.createMatrix({ values, rows: matrix.length / cols, cols });
    handles.push(handle);
    return handle;
  };
  const { dim, hiddenDim, nHeads, headDim } = weights.config;
  const widths = { attention: dim, output: nHeads * headDim, mlp: dim, down: hiddenDim };
  const blocks: BlockWeights[] = [];
  for (let layer = 0; layer < weights.config.nLayers; layer++) {
    const block: Record<string, Matrix> = { ...await weights.block(layer) };
    for (const linear of LINEAR_LAYERS) {
      const { field, input } = LINEAR_ROLES[linear];
      block[field] = await resident(block[field], widths[input], linearName(layer, linear));
    }
    blocks.push(block as unknown as BlockWeights);
  }
  const headName = weights.config.tieWordEmbeddings
    ? "model.embed_tokens.weight"
    : "lm_head.weight";
  return {
    weights: {
      ...weights,
      head: await resident(weights.head, dim, headName),
      block: (layer) => Promise.resolve(blocks[layer]),
    },
    release: () => handles.forEach((h) => kernels.release(h)),
  };
}

/** What {@linkcode perplexity} returns. */
export interface PerplexityResult {
  /** exp(mean negative log-likelihood over all predicted tokens). */
  readonly perplexity: number;
  /** Windows scored. */
  readonly windows: number;
  /** Tokens predicted (windows · (length − 1)). */
  readonly tokens: number;
}

/**
 * Perplexity over token windows, each scored on its own (every token but the first is
 * predicted from those before it in the window). Runs all windows through one block at a time,
 * in chunks of bounded memory.
 *
 * @param kernels Backend.
 * @param weights The model.
 * @param windows Token windows, all the same length.
 * @param onBlock Called after each block (progress).
 * @param chunkBytes The activation budget of a forward chunk (default CHUNK_BYTES).
 * @returns Perplexity and counts.
 * @throws {RangeError} Without a window of at least two tokens (nothing to predict).
 * @throws {InputError} When the model's outputs are not finite (activations overflow float32).
 */
export async function perplexity(
  kernels: Kernels,
  weights: ModelWeights,
  windows: readonly Int32Array[],
  onBlock?: (layer: number) => void,
  chunkBytes?: number,
): Promise<PerplexityResult> {
  const { config } = weights;
  const length = windows[0]?.length ?? 0;
  if (windows.length === 0 || length < 2) {
    throw new RangeError("Perplexity needs at least one window of two or more tokens");
  }
  // The windows go through each block in chunks of bounded memory, held by the backend (on the
  // GPU with WebGPU, from the first block to the last).
  const layout = { batch: windows.length, tokens: length, start: 0 };
  const per = chunkSequences(config, length, chunkBytes);
  using h = await backendHiddenStates(kernels, windows.length, length, config.dim, per);
  await embedWindows(h, weights.embedding, windows, config, chunkBytes);
  const frequencies = ropeFrequencies(config);
  for (let layer = 0; layer < config.nLayers; layer++) {
    const block = await weights.block(layer);
    await forwardInChunks(kernels, config, block, h, layout, frequencies, {
      writeBack: true,
      chunkBytes,
    });
    onBlock?.(layer);
  }
  let total = 0;
  // A window's logits at a time (vocab × length floats), scored where they are: only the losses
  // come back. The next window's logits are computed while this one's are scored.
  const windowLogits = async (b: number) => {
    const window = await h.sequence(b);
    try {
      return await headLogits(kernels, config, window, weights.norm, weights.head);
    } finally {
      kernels.release(window);
    }
  };
  let next = windowLogits(0);
  for (let b = 0; b < windows.length; b++) {
    const scores = await next;
    if (b + 1 < windows.length) next = windowLogits(b + 1);
    try {
      for (const loss of await kernels.tokenLosses(scores, windows[b].subarray(1))) total += loss;
    } finally {
      kernels.release(scores);
    }
  }
  const predicted = windows.length * (length - 1);
  const result = Math.exp(total / predicted);
  if (!Number.isFinite(result)) {
    throw new InputError(
      `The model's perplexity is not finite (mean negative log-likelihood ${
        total / predicted
      }): its activations overflow float32`,
    );
  }
  return { perplexity: result, windows: windows.length, tokens: predicted };
}

/** Options of {@linkcode sampleSequences}. */
export interface SampleOptions {
  /** The token every sequence starts with: the tokenizer's BOS (default 1, LLaMA's). */
  readonly bos?: number;
  /** Called after each generated position (progress). */
  readonly onToken?: (position: number) => void;
  /** Keep the key/value caches in host memory (see CreateKvCacheOptions.inHostMemory). */
  readonly cacheInHostMemory?: boolean;
}

/**
 * Samples `count` sequences of `length` tokens (BOS first) from the model at temperature 1, all
 * in lockstep, with a key/value cache per block.
 *
 * @param kernels Backend.
 * @param weights The model (resident: every block is visited once per token).
 * @param count Sequences.
 * @param length Tokens per sequence, BOS included.
 * @param random Seeded source of the draws.
 * @param options BOS token and progress.
 * @returns The sequences.
 */
export async function sampleSequences(
  kernels: Kernels,
  weights: ModelWeights,
  count: number,
  length: number,
  random: Random,
  options: SampleOptions = {},
): Promise<Int32Array[]> {
  const { bos = BOS, onToken } = options;
  const { config } = weights;
  const caches: KvCacheHandle[] = [];
  try {
    for (let layer = 0; layer < config.nLayers; layer++) {
      const { nKvHeads, headDim } = config;
      caches.push(
        await kernels.createKvCache({
          batch: count,
          capacity: length,
          nKvHeads,
          headDim,
          inHostMemory: options.cacheInHostMemory,
        }),
      );
    }
    return await generate(kernels, weights, caches, length, random, { bos, onToken });
  } finally {
    caches.forEach((c) => kernels.release(c));
  }
}

/** sampleSequences' token loop, with a cache per block. */
async function generate(
  kernels: Kernels,
  weights: ModelWeights,
  caches: readonly KvCacheHandle[],
  length: number,
  random: Random,
  options: SampleOptions,
): Promise<Int32Array[]> {
  const { bos = BOS, onToken } = options;
  const { config } = weights;
  const count = caches[0].batch;
  const frequencies = ropeFrequencies(config);
  const sequences = Array.from({ length: count }, () => new Int32Array(length));
  for (const s of sequences) s[0] = bos;
  for (let position = 0; position + 1 < length; position++) {
    const h = await kernels.createActivation({
      values: embed(weights.embedding, sequences.map((s) => s[position]), config.dim),
      width: config.dim,
    });
    const layout = { batch: count, tokens: 1, start: position };
    let scores: Float32Array;
    try {
      for (let layer = 0; layer < config.nLayers; layer++) {
        const cache = caches[layer];
        await blockForward(kernels, config, await weights.block(layer), h, layout, frequencies, {
          cache,
        });
      }
      scores = await logits(kernels, config, h, weights.norm, weights.head);
    } finally {
      kernels.release(h);
    }
    sequences.forEach((s, b) => {
      s[position + 1] = sampleToken(
        scores.subarray(b * config.vocabSize, (b + 1) * config.vocabSize),
        random,
      );
    });
    onToken?.(position + 1);
  }
  return sequences;
}

/** Draws a token from softmax(row) by inverse transform sampling. */
function sampleToken(row: Float32Array, random: Random): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  const weights = new Float64Array(row.length);
  let total = 0;
  for (let i = 0; i < row.length; i++) total += weights[i] = Math.exp(row[i] - max);
  let threshold = random.uniform() * total;
  for (let i = 0; i < row.length; i++) {
    threshold -= weights[i];
    if (threshold <= 0) return i;
  }
  return row.length - 1;
}

/**
 * Cuts a token stream into non-overlapping windows of `length` tokens, dropping the remainder.
 *
 * @param tokens The stream (BOS first).
 * @param length Window length.
 * @param limit Keep at most this many windows (the first ones).
 * @returns The windows.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const windows = cutWindows(Int32Array.from([1, 2, 3, 4, 5, 6, 7]), 3);
 * assert.deepEqual(windows.map((w) => [...w]), [[1, 2, 3], [4, 5, 6]]);
 * ```
 */
export function cutWindows(tokens: Int32Array, length: number, limit = Infinity): Int32Array[] {
  const windows: Int32Array[] = [];
  for (let start = 0; start + length <= tokens.length && windows.length < limit; start += length) {
    windows.push(tokens.slice(start, start + length));
  }
  return windows;
}
