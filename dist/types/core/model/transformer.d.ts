/**
 * Whole-model computations on top of the block forward: perplexity of token windows (streaming
 * the blocks, so only one block's weights need be in memory) and sampling sequences from a
 * resident model (token by token with a key/value cache).
 *
 * @module
 */
import type { Kernels } from "../kernels.js";
import type { Random } from "../synthetic.js";
import { type Checkpoint } from "./checkpoint.js";
import type { LlamaConfig } from "./config.js";
import { type BlockWeights, type Matrix } from "./forward.js";
/** The token every sequence starts with (llama2.c and LLaMA tokenizers). */
export declare const BOS = 1;
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
export declare function checkpointWeights(checkpoint: Checkpoint): Promise<ModelWeights>;
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
export declare function residentWeights(kernels: Kernels, weights: ModelWeights, budget?: number): Promise<{
    weights: ModelWeights;
    release: () => void;
}>;
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
export declare function perplexity(kernels: Kernels, weights: ModelWeights, windows: readonly Int32Array[], onBlock?: (layer: number) => void, chunkBytes?: number): Promise<PerplexityResult>;
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
export declare function sampleSequences(kernels: Kernels, weights: ModelWeights, count: number, length: number, random: Random, options?: SampleOptions): Promise<Int32Array[]>;
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
export declare function cutWindows(tokens: Int32Array, length: number, limit?: number): Int32Array[];
