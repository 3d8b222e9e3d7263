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

import {
  checkpointStorage,
  checkSparseParts,
  checkSparseShape,
  decompressWeight,
  SPARSE_PARTS,
  type SparseFormat,
} from "../compressed.ts";
import { describeFsError, InputError } from "../errors.ts";
import { type ByteSource, type FileSet, readJsonFile } from "../files.ts";
import { localDirectory, openLocalFile } from "../local_files.ts";
import { type Dtype, SafetensorsFile, type Tensor, toFloat32 } from "../safetensors.ts";
import { checkTensorFinite } from "../validate.ts";
import { type LlamaConfig, parseLlamaConfig } from "./config.ts";
import type { DenseBlockWeights, LinearInput } from "./forward.ts";

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
export const LINEAR_LAYERS = [
  "self_attn.q_proj",
  "self_attn.k_proj",
  "self_attn.v_proj",
  "self_attn.o_proj",
  "mlp.gate_proj",
  "mlp.up_proj",
  "mlp.down_proj",
] as const;

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
export const LINEAR_ROLES: Readonly<Record<LinearLayer, LinearRole>> = {
  "self_attn.q_proj": { field: "q", input: "attention" },
  "self_attn.k_proj": { field: "k", input: "attention" },
  "self_attn.v_proj": { field: "v", input: "attention" },
  "self_attn.o_proj": { field: "o", input: "output" },
  "mlp.gate_proj": { field: "gate", input: "mlp" },
  "mlp.up_proj": { field: "up", input: "mlp" },
  "mlp.down_proj": { field: "down", input: "down" },
};

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
export function isLinearWeight(name: string): boolean {
  const match = /^model\.layers\.\d+\.(.+)\.weight$/.exec(name);
  return match !== null && (LINEAR_LAYERS as readonly string[]).includes(match[1]);
}

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
export function expectedTensors(config: LlamaConfig): { name: string; shape: number[] }[] {
  const { dim, hiddenDim, nHeads, nKvHeads, headDim, vocabSize } = config;
  const shapes: Record<LinearLayer, number[]> = {
    "self_attn.q_proj": [nHeads * headDim, dim],
    "self_attn.k_proj": [nKvHeads * headDim, dim],
    "self_attn.v_proj": [nKvHeads * headDim, dim],
    "self_attn.o_proj": [dim, nHeads * headDim],
    "mlp.gate_proj": [hiddenDim, dim],
    "mlp.up_proj": [hiddenDim, dim],
    "mlp.down_proj": [dim, hiddenDim],
  };
  const tensors = [{ name: "model.embed_tokens.weight", shape: [vocabSize, dim] }];
  for (let layer = 0; layer < config.nLayers; layer++) {
    const prefix = `model.layers.${layer}`;
    tensors.push({ name: `${prefix}.input_layernorm.weight`, shape: [dim] });
    for (const linear of LINEAR_LAYERS) {
      tensors.push({ name: `${prefix}.${linear}.weight`, shape: shapes[linear] });
      if (linear === "self_attn.o_proj") {
        tensors.push({ name: `${prefix}.post_attention_layernorm.weight`, shape: [dim] });
      }
    }
  }
  tensors.push({ name: "model.norm.weight", shape: [dim] });
  if (!config.tieWordEmbeddings) tensors.push({ name: "lm_head.weight", shape: [vocabSize, dim] });
  return tensors;
}

/**
 * Name of a block's linear layer weight.
 *
 * @param layer Block index.
 * @param linear Module name.
 * @returns The tensor name.
 */
export function linearName(layer: number, linear: LinearLayer): string {
  return `model.layers.${layer}.${linear}.weight`;
}

/**
 * Opens a local checkpoint: a Hugging Face directory or a llama2.c `.bin` file.
 *
 * @param path Directory or file.
 * @returns The checkpoint, validated (config, tensor names, shapes and dtypes; every tensor's
 *   values when it is read).
 */
export async function openCheckpoint(path: string): Promise<Checkpoint> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new InputError(`Cannot read model "${path}": ${describeFsError(error)}`);
  }
  return await openCheckpointFrom(
    info.isDirectory ? localDirectory(path) : await openLocalFile(path),
  );
}

/**
 * Opens a checkpoint from any platform's files: a Hugging Face directory as a file set, or a
 * llama2.c `.bin` as one file (files picked in a page, Blobs, bytes).
 *
 * @param model The directory's files, or the `.bin` file (closed with the checkpoint).
 * @returns The checkpoint, validated as {@linkcode openCheckpoint}'s.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesSource } from "../files.ts";
 * await assert.rejects(
 *   openCheckpointFrom(bytesSource("notes.txt", new TextEncoder().encode("hello"))),
 *   /Model "notes.txt" is not a llama2.c checkpoint: shorter than its header/,
 * );
 * ```
 */
export async function openCheckpointFrom(model: FileSet | ByteSource): Promise<Checkpoint> {
  const checkpoint = "open" in model ? await openHuggingFace(model) : await openLlama2c(model);
  const read = checkpoint.read;
  return {
    ...checkpoint,
    read: async (name) => {
      const tensor = await read(name);
      checkTensorFinite(tensor, `Tensor "${name}" of model "${model.path}"`);
      return tensor;
    },
  };
}

/**
 * Reads the weights of one block as float32.
 *
 * @param checkpoint The checkpoint.
 * @param layer Block index.
 * @returns The block's weights.
 */
export async function readBlock(checkpoint: Checkpoint, layer: number): Promise<DenseBlockWeights> {
  return await blockWeights(async (name) => toFloat32(await checkpoint.read(name)), layer);
}

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
export async function blockWeights(
  read: (name: string) => Float32Array | Promise<Float32Array>,
  layer: number,
): Promise<DenseBlockWeights> {
  const block: Partial<Record<keyof DenseBlockWeights, Float32Array>> = {
    attnNorm: await read(`model.layers.${layer}.input_layernorm.weight`),
    ffnNorm: await read(`model.layers.${layer}.post_attention_layernorm.weight`),
  };
  for (const linear of LINEAR_LAYERS) {
    block[LINEAR_ROLES[linear].field] = await read(linearName(layer, linear));
  }
  return block as DenseBlockWeights;
}

/** A JSON file the directory must have. */
async function requiredJson(files: FileSet, name: string): Promise<unknown> {
  const json = await readJsonFile(files, name);
  if (!json) throw new InputError(`Cannot read "${files.path}/${name}": no such file or directory`);
  return json.value;
}

async function openHuggingFace(files: FileSet): Promise<Checkpoint> {
  const dir = files.path;
  const configPath = `${dir}/config.json`;
  const configJson = await requiredJson(files, "config.json");
  const config = parseLlamaConfig(configJson, configPath);
  const storage = checkpointStorage(configJson, configPath);
  const format = storage.kind === "sparse" ? storage.format : undefined;
  const indexName = "model.safetensors.index.json";
  const indexJson = await readJsonFile(files, indexName);
  let shardOf: Record<string, string> | undefined;
  const opened = new Map<string, SafetensorsFile>();
  if (indexJson) {
    const index = indexJson.value as { weight_map?: Record<string, string> };
    if (typeof index?.weight_map !== "object" || index.weight_map === null) {
      throw new InputError(`Invalid "${dir}/${indexName}": no weight_map`);
    }
    shardOf = index.weight_map;
  } else {
    const single = await files.open("model.safetensors");
    if (!single) {
      throw new InputError(
        `Model directory "${dir}" has neither model.safetensors nor ${indexName}`,
      );
    }
    opened.set("model.safetensors", await SafetensorsFile.from(single));
  }
  const open = async (shard: string) => {
    let file = opened.get(shard);
    if (!file) {
      const source = await files.open(shard);
      if (!source) {
        throw new InputError(`Cannot read "${dir}/${shard}": no such file or directory`);
      }
      file = await SafetensorsFile.from(source);
      opened.set(shard, file);
    }
    return file;
  };
  /** The file holding a stored tensor, or undefined when no file has it. */
  const locate = async (name: string) => {
    const shard = shardOf ? shardOf[name] : "model.safetensors";
    if (shard === undefined) return undefined;
    const file = await open(shard);
    return file.header.tensors.has(name) ? file : undefined;
  };
  const missing = (name: string, looked: string): never => {
    const where = shardOf ? (shardOf[name] ?? "no shard of the index") : "model.safetensors";
    throw new InputError(`Model "${dir}" is missing tensor "${name}" (${looked} ${where})`);
  };
  const close = () => opened.forEach((file) => file.close());
  try {
    const tensors: CheckpointTensor[] = [];
    /** Weights stored compressed: the file of each part, by the dense name. */
    const sparse = new Map<string, Map<string, SafetensorsFile>>();
    const used = new Set<SafetensorsFile>();
    for (const { name, shape } of expectedTensors(config)) {
      const file = await locate(name);
      const prefix = name.replace(/\.weight$/, "");
      if (!file && format && await locate(`${prefix}.compressed`)) {
        const parts = new Map<string, SafetensorsFile>();
        for (const suffix of SPARSE_PARTS[format]) {
          const part = await locate(`${prefix}.${suffix}`);
          parts.set(
            suffix,
            part ?? missing(`${prefix}.${suffix}`, `a ${format} weight; looked in`),
          );
          used.add(parts.get(suffix)!);
        }
        // A wrong shape or dtype is found before any work: from the headers and P.shape.
        const layouts = Object.fromEntries(
          [...parts].map(([suffix, part]) => [suffix, part.info(`${prefix}.${suffix}`)]),
        );
        checkSparseParts(layouts, format, shape, prefix, dir);
        checkSparseShape(await parts.get("shape")!.read(`${prefix}.shape`), shape, prefix, dir);
        sparse.set(name, parts);
        tensors.push({ name, dtype: layouts.compressed.dtype, shape });
        continue;
      }
      if (!file) missing(name, "looked in");
      used.add(file!);
      const info = file!.info(name);
      checkTensor(dir, name, info.dtype, info.shape, shape);
      tensors.push({ name, dtype: info.dtype, shape: info.shape });
    }
    const shapes = new Map(tensors.map((t) => [t.name, t.shape]));
    const read = async (name: string): Promise<Tensor> => {
      const parts = sparse.get(name);
      if (parts && format) {
        const prefix = name.replace(/\.weight$/, "");
        const stored: Record<string, Tensor> = {};
        for (const [suffix, file] of parts) stored[suffix] = await file.read(`${prefix}.${suffix}`);
        return decompressWeight(stored, format, shapes.get(name)!, prefix, dir);
      }
      const file = await locate(name);
      if (!file) throw new InputError(`Model "${dir}" has no tensor "${name}"`);
      return await file.read(name);
    };
    return {
      path: dir,
      format: "huggingface",
      storage: format ?? "dense",
      config,
      tensors,
      files: [configPath, ...[...used].map((f) => f.path)],
      read,
      close,
      [Symbol.dispose]: close,
    };
  } catch (error) {
    close();
    throw error;
  }
}

function checkTensor(
  model: string,
  name: string,
  dtype: Dtype,
  shape: readonly number[],
  expected: readonly number[],
): void {
  if (!["F32", "F16", "BF16"].includes(dtype)) {
    throw new InputError(
      `Tensor "${name}" of model "${model}" has dtype ${dtype}; expected F32, F16 or BF16`,
    );
  }
  if (shape.length !== expected.length || shape.some((n, i) => n !== expected[i])) {
    throw new InputError(
      `Tensor "${name}" of model "${model}" has shape [${shape}]; the config implies [${expected}]`,
    );
  }
}

/** The llama2.c header's 7 int32, in bytes. */
const LLAMA2C_HEADER_BYTES = 28;

async function openLlama2c(file: ByteSource): Promise<Checkpoint> {
  const { path, size } = file;
  try {
    if (size < LLAMA2C_HEADER_BYTES) {
      throw new InputError(`Model "${path}" is not a llama2.c checkpoint: shorter than its header`);
    }
    const header = new Int32Array((await file.read(0, LLAMA2C_HEADER_BYTES)).buffer);
    const config = llama2cConfig(path, header);
    const layout = llama2cLayout(config);
    if (layout.bytes !== size) {
      throw new InputError(
        `Model "${path}" is not a valid llama2.c checkpoint: its header implies ${layout.bytes} bytes, the file has ${size}`,
      );
    }
    const shapes = new Map(expectedTensors(config).map((t) => [t.name, t.shape]));
    const read = async (name: string): Promise<Tensor> => {
      const place = layout.places.get(name);
      const shape = shapes.get(name);
      if (!place || !shape) throw new InputError(`Model "${path}" has no tensor "${name}"`);
      const values = new Float32Array((await file.read(place.offset, place.length * 4)).buffer);
      const permuted = place.rotary
        ? rotaryToHalves(values, shape[0] / config.headDim, config.headDim)
        : values;
      return { dtype: "F32", shape, bytes: new Uint8Array(permuted.buffer) };
    };
    const close = () => file.close();
    return {
      path,
      format: "llama2c",
      storage: "dense",
      files: [path],
      config,
      tensors: expectedTensors(config).map(({ name, shape }) => ({ name, dtype: "F32", shape })),
      read,
      close,
      [Symbol.dispose]: close,
    };
  } catch (error) {
    file.close();
    throw error;
  }
}

/** The configuration a llama2.c header describes (run.c's Config, and its constants). */
function llama2cConfig(path: string, header: Int32Array): LlamaConfig {
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, signedVocab, seqLen] = header;
  const valid = [dim, hiddenDim, nLayers, nHeads, nKvHeads, seqLen].every((v) => v > 0) &&
    signedVocab !== 0 && dim % nHeads === 0 && nHeads % nKvHeads === 0 && (dim / nHeads) % 2 === 0;
  if (!valid) {
    throw new InputError(
      `Model "${path}" is not a llama2.c checkpoint: implausible header [${[...header]}]`,
    );
  }
  return {
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    headDim: dim / nHeads,
    vocabSize: Math.abs(signedVocab),
    maxSeqLen: seqLen,
    // run.c's constants.
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    tieWordEmbeddings: signedVocab > 0,
  };
}

interface Place {
  readonly offset: number;
  readonly length: number;
  readonly rotary: boolean;
}

/** Where each tensor lies in a llama2.c file (run.c's memory_map_weights order). */
function llama2cLayout(config: LlamaConfig): { places: Map<string, Place>; bytes: number } {
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, maxSeqLen } = config;
  const places = new Map<string, Place>();
  let offset = LLAMA2C_HEADER_BYTES;
  const take = (length: number) => {
    const at = offset;
    offset += length * 4;
    return at;
  };
  const perLayer = (name: (l: number) => string, length: number, rotary = false) => {
    for (let l = 0; l < nLayers; l++) places.set(name(l), { offset: take(length), length, rotary });
  };
  const layer = (l: number, module: string) => `model.layers.${l}.${module}.weight`;
  places.set("model.embed_tokens.weight", {
    offset: take(vocabSize * dim),
    length: vocabSize * dim,
    rotary: false,
  });
  perLayer((l) => layer(l, "input_layernorm"), dim);
  perLayer((l) => layer(l, "self_attn.q_proj"), dim * nHeads * headDim, true);
  perLayer((l) => layer(l, "self_attn.k_proj"), dim * nKvHeads * headDim, true);
  perLayer((l) => layer(l, "self_attn.v_proj"), dim * nKvHeads * headDim);
  perLayer((l) => layer(l, "self_attn.o_proj"), nHeads * headDim * dim);
  perLayer((l) => layer(l, "post_attention_layernorm"), dim);
  perLayer((l) => layer(l, "mlp.gate_proj"), hiddenDim * dim); // w1
  perLayer((l) => layer(l, "mlp.down_proj"), dim * hiddenDim); // w2
  perLayer((l) => layer(l, "mlp.up_proj"), hiddenDim * dim); // w3
  places.set("model.norm.weight", { offset: take(dim), length: dim, rotary: false });
  take(maxSeqLen * (headDim / 2) * 2); // freq_cis_real and freq_cis_imag, recomputed instead
  if (!config.tieWordEmbeddings) {
    places.set("lm_head.weight", {
      offset: take(vocabSize * dim),
      length: vocabSize * dim,
      rotary: false,
    });
  }
  return { places, bytes: offset };
}

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
export function rotaryToHalves(w: Float32Array, heads: number, headDim: number): Float32Array {
  const inDim = w.length / (heads * headDim);
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let c = 0; c < 2; c++) {
        const from = (h * headDim + 2 * i + c) * inDim;
        const to = (h * headDim + c * half + i) * inDim;
        out.set(w.subarray(from, from + inDim), to);
      }
    }
  }
  return out;
}
