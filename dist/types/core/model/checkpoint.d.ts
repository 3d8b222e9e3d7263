/**
 * Model checkpoints, read lazily tensor by tensor under Hugging Face names and layout, from
 * either format:
 *
 * - a Hugging Face directory: `config.json`, `model.safetensors` or shards listed in
 *   `model.safetensors.index.json`, F32, F16 or BF16; linear weights stored densely or, with a
 *   compressed-tensors `quantization_config`, as sparse-bitmask / sparse-24-bitmask parts that are
 *   checked when the checkpoint opens and decoded to the dense tensor as each is read;
 * - a llama2.c `.bin`: 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 *   negative when an unshared classifier follows, seq_len), then float32 arrays. llama2.c rotates
 *   interleaved pairs of each head, Hugging Face its two halves: q and k rows are permuted on
 *   read so both formats run the same forward pass.
 *
 * @module
 */
import { type SparseFormat } from "../compressed.js";
import { type ByteSource, type FileSet } from "../files.js";
import { type Dtype, type Tensor } from "../safetensors.js";
import { type LlamaConfig } from "./config.js";
import type { DenseBlockWeights, LinearInput } from "./forward.js";
/** A tensor of a checkpoint. */
export interface CheckpointTensor {
    /** Hugging Face name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
    readonly name: string;
    /** Element type (F32, F16 or BF16). */
    readonly dtype: Dtype;
    /** Shape. */
    readonly shape: readonly number[];
}
/** An open checkpoint. */
export interface Checkpoint extends Disposable {
    /** Where it was read from. */
    readonly path: string;
    /** Which format. */
    readonly format: "huggingface" | "llama2c";
    /** How its linear weights are stored: dense, or a compressed-tensors sparse format. */
    readonly storage: "dense" | SparseFormat;
    /** The architecture. */
    readonly config: LlamaConfig;
    /** Every tensor, in the order a written checkpoint lists them. */
    readonly tensors: readonly CheckpointTensor[];
    /** Reads a tensor in Hugging Face layout, in its own dtype; fails on a NaN or infinity. */
    read(name: string): Promise<Tensor>;
    /** The files it reads (to tell whether a checkpoint changed between two runs). */
    readonly files: readonly string[];
    /** Closes its files. */
    close(): void;
}
/** The linear layers of a block, by their Hugging Face module names. */
export declare const LINEAR_LAYERS: readonly ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"];
/** A linear layer's module name within a block. */
export type LinearLayer = typeof LINEAR_LAYERS[number];
/** Where a linear layer lives in a block's weights, and which captured input it reads. */
export interface LinearRole {
    /** Its field in {@linkcode DenseBlockWeights}. */
    readonly field: keyof DenseBlockWeights;
    /** The input it reads (q/k/v share one, gate/up share one). */
    readonly input: LinearInput;
}
/** The role of each linear layer: the one table the pipeline, reader and benchmarks use. */
export declare const LINEAR_ROLES: Readonly<Record<LinearLayer, LinearRole>>;
/**
 * Whether a tensor is a block's linear weight: what `prune` prunes.
 *
 * @param name A tensor name.
 * @returns True for `model.layers.N.<linear layer>.weight`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(isLinearWeight("model.layers.3.mlp.down_proj.weight"));
 * assert.ok(!isLinearWeight("model.layers.3.input_layernorm.weight"));
 * assert.ok(!isLinearWeight("lm_head.weight"));
 * ```
 */
export declare function isLinearWeight(name: string): boolean;
/**
 * The tensors a LLaMA checkpoint must have, with their shapes, in write order.
 *
 * @param config The architecture.
 * @returns Name and shape of every tensor.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const names = expectedTensors({
 *   dim: 8, hiddenDim: 16, nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 4, vocabSize: 10,
 *   maxSeqLen: 8, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false,
 * });
 * assert.equal(names.length, 12);
 * assert.deepEqual(names[3], { name: "model.layers.0.self_attn.k_proj.weight", shape: [4, 8] });
 * ```
 */
export declare function expectedTensors(config: LlamaConfig): {
    name: string;
    shape: number[];
}[];
/**
 * Name of a block's linear layer weight.
 *
 * @param layer Block index.
 * @param linear Module name.
 * @returns The tensor name.
 */
export declare function linearName(layer: number, linear: LinearLayer): string;
/**
 * Opens a local checkpoint: a Hugging Face directory or a llama2.c `.bin` file.
 *
 * @param path Directory or file.
 * @returns The checkpoint, validated (config, tensor names, shapes and dtypes; every tensor's
 *   values when it is read).
 */
export declare function openCheckpoint(path: string): Promise<Checkpoint>;
/**
 * Opens a checkpoint from any platform's files: a Hugging Face directory as a file set, or a
 * llama2.c `.bin` as one file (files picked in a page, Blobs, bytes).
 *
 * @param model The directory's files, or the `.bin` file (closed with the checkpoint).
 * @returns The checkpoint, validated as {@linkcode openCheckpoint}'s.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesSource } from "../files.js";
 * await assert.rejects(
 *   openCheckpointFrom(bytesSource("notes.txt", new TextEncoder().encode("hello"))),
 *   /Model "notes.txt" is not a llama2.c checkpoint: shorter than its header/,
 * );
 * ```
 */
export declare function openCheckpointFrom(model: FileSet | ByteSource): Promise<Checkpoint>;
/**
 * Reads the weights of one block as float32.
 *
 * @param checkpoint The checkpoint.
 * @param layer Block index.
 * @returns The block's weights.
 */
export declare function readBlock(checkpoint: Checkpoint, layer: number): Promise<DenseBlockWeights>;
/**
 * Gathers a block's weights from a tensor reader (a checkpoint, or tensors already in memory).
 *
 * @param read Reads a tensor by name as float32.
 * @param layer Block index.
 * @returns The block's weights.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const block = await blockWeights((name) => new Float32Array([name.length]), 0);
 * assert.deepEqual([...block.down], ["model.layers.0.mlp.down_proj.weight".length]);
 * ```
 */
export declare function blockWeights(read: (name: string) => Float32Array | Promise<Float32Array>, layer: number): Promise<DenseBlockWeights>;
/**
 * Reorders the rows of a q or k projection from llama2.c's interleaved rotary pairs (2i, 2i+1)
 * to Hugging Face's halves (i, i + headDim/2), head by head (the permutation of Hugging Face's
 * convert_llama_weights_to_hf.py).
 *
 * @param w (heads·headDim, in) row-major.
 * @param heads Heads.
 * @param headDim Head size.
 * @returns The permuted matrix.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // One head of size 4, one input: rows 0,1,2,3 (pairs (0,1), (2,3)) become 0,2,1,3.
 * assert.deepEqual([...rotaryToHalves(new Float32Array([0, 1, 2, 3]), 1, 4)], [0, 2, 1, 3]);
 * ```
 */
export declare function rotaryToHalves(w: Float32Array, heads: number, headDim: number): Float32Array;
