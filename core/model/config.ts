/**
 * The LLaMA architecture's hyper-parameters, and reading them from a Hugging Face `config.json`
 * (LlamaConfig) with every field checked.
 *
 * @module
 */

import { InputError } from "../errors.ts";

/** Rotary embedding frequency scaling of LLaMA 3.1 (`rope_scaling.rope_type = "llama3"`). */
export interface Llama3RopeScaling {
  /** Overall factor (8 for LLaMA 3.1). */
  readonly factor: number;
  /** Wavelengths longer than original/low_freq_factor are divided by factor. */
  readonly lowFreqFactor: number;
  /** Wavelengths shorter than original/high_freq_factor are kept. */
  readonly highFreqFactor: number;
  /** Context length the model was first trained with. */
  readonly originalMaxPositions: number;
}

/** A LLaMA-family model's shape. */
export interface LlamaConfig {
  /** Hidden size (`hidden_size`). */
  readonly dim: number;
  /** MLP inner size (`intermediate_size`). */
  readonly hiddenDim: number;
  /** Transformer blocks (`num_hidden_layers`). */
  readonly nLayers: number;
  /** Query heads (`num_attention_heads`). */
  readonly nHeads: number;
  /** Key/value heads (`num_key_value_heads`; fewer than nHeads for GQA). */
  readonly nKvHeads: number;
  /** Size of one head (`head_dim`, default dim / nHeads). */
  readonly headDim: number;
  /** Vocabulary size. */
  readonly vocabSize: number;
  /** Longest sequence (`max_position_embeddings`). */
  readonly maxSeqLen: number;
  /** RMSNorm epsilon. */
  readonly rmsNormEps: number;
  /** Rotary base. */
  readonly ropeTheta: number;
  /** LLaMA 3.1 rotary scaling, if any. */
  readonly ropeScaling?: Llama3RopeScaling;
  /** Whether the output head shares the token embedding. */
  readonly tieWordEmbeddings: boolean;
}

type Json = Record<string, unknown>;

/**
 * Validates a parsed Hugging Face `config.json` of a LLaMA-family model.
 *
 * @param json The parsed file.
 * @param file Its path, for messages.
 * @returns The configuration.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = parseLlamaConfig({
 *   architectures: ["LlamaForCausalLM"], hidden_size: 64, intermediate_size: 128,
 *   num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 100,
 *   max_position_embeddings: 32, rms_norm_eps: 1e-5,
 * }, "config.json");
 * assert.equal(config.headDim, 16);
 * assert.equal(config.ropeTheta, 10000);
 * assert.throws(() => parseLlamaConfig({ architectures: ["GPT2LMHeadModel"] }, "config.json"));
 * ```
 */
export function parseLlamaConfig(json: unknown, file: string): LlamaConfig {
  const fail = (detail: string): never => {
    throw new InputError(`Invalid model config "${file}": ${detail}`);
  };
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return fail("not a JSON object");
  }
  const c = json as Json;
  const architectures = c.architectures;
  const supported = ["LlamaForCausalLM", "MistralForCausalLM"];
  if (Array.isArray(architectures) && !architectures.some((a) => supported.includes(a))) {
    fail(
      `unsupported architecture ${JSON.stringify(architectures)} (supported: ${
        supported.join(", ")
      })`,
    );
  }
  if (!Array.isArray(architectures) && c.model_type !== "llama") {
    fail(`unsupported model_type ${JSON.stringify(c.model_type)}: expected "llama"`);
  }
  for (const flag of ["attention_bias", "mlp_bias"]) {
    if (c[flag] === true) fail(`${flag} = true is not supported`);
  }
  if (c.hidden_act !== undefined && c.hidden_act !== "silu") {
    fail(`hidden_act ${JSON.stringify(c.hidden_act)} is not supported (expected "silu")`);
  }
  const count = (key: string, fallback?: number): number => {
    const value = c[key] ?? fallback;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
      return fail(`${key} must be a positive integer: got ${JSON.stringify(c[key])}`);
    }
    return value;
  };
  const positive = (key: string, fallback: number): number => {
    const value = c[key] ?? fallback;
    if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
      return fail(`${key} must be a positive number: got ${JSON.stringify(c[key])}`);
    }
    return value;
  };
  const dim = count("hidden_size");
  const nHeads = count("num_attention_heads");
  const nKvHeads = count("num_key_value_heads", nHeads);
  if (nHeads % nKvHeads !== 0) {
    fail(`num_attention_heads ${nHeads} is not a multiple of num_key_value_heads ${nKvHeads}`);
  }
  if ((c.head_dim === undefined || c.head_dim === null) && dim % nHeads !== 0) {
    fail(
      `hidden_size ${dim} is not a multiple of num_attention_heads ${nHeads}, and head_dim is not given`,
    );
  }
  const headDim = c.head_dim === null ? dim / nHeads : count("head_dim", dim / nHeads);
  if (headDim % 2 !== 0) fail(`head size ${headDim} must be even for rotary embeddings`);
  return {
    dim,
    hiddenDim: count("intermediate_size"),
    nLayers: count("num_hidden_layers"),
    nHeads,
    nKvHeads,
    headDim,
    vocabSize: count("vocab_size"),
    maxSeqLen: count("max_position_embeddings", 2048),
    rmsNormEps: positive("rms_norm_eps", 1e-6),
    ropeTheta: positive("rope_theta", 10000),
    ropeScaling: parseRopeScaling(c.rope_scaling, fail),
    tieWordEmbeddings: c.tie_word_embeddings === true,
  };
}

function parseRopeScaling(
  value: unknown,
  fail: (detail: string) => never,
): Llama3RopeScaling | undefined {
  if (value === undefined || value === null) return undefined;
  const s = value as Json;
  const type = s.rope_type ?? s.type;
  if (type === "default") return undefined;
  if (type !== "llama3") {
    return fail(`rope_scaling type ${JSON.stringify(type)} is not supported (only "llama3")`);
  }
  const number = (key: string): number => {
    const v = s[key];
    return typeof v === "number" && v > 0
      ? v
      : fail(`rope_scaling.${key} must be a positive number`);
  };
  return {
    factor: number("factor"),
    lowFreqFactor: number("low_freq_factor"),
    highFreqFactor: number("high_freq_factor"),
    originalMaxPositions: number("original_max_position_embeddings"),
  };
}

/**
 * The `config.json` Hugging Face's LlamaForCausalLM loads for a configuration.
 *
 * @param config The configuration.
 * @param dtype The checkpoint's float type, for `torch_dtype`.
 * @returns The JSON object.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const json = llamaConfigJson({
 *   dim: 64, hiddenDim: 128, nLayers: 2, nHeads: 4, nKvHeads: 4, headDim: 16, vocabSize: 100,
 *   maxSeqLen: 32, rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: true,
 * }, "F32");
 * assert.equal(json.hidden_size, 64);
 * assert.deepEqual(parseLlamaConfig(json, "x").nLayers, 2);
 * ```
 */
export function llamaConfigJson(config: LlamaConfig, dtype: "F32" | "F16" | "BF16"): Json {
  const json: Json = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: config.dim,
    intermediate_size: config.hiddenDim,
    num_hidden_layers: config.nLayers,
    num_attention_heads: config.nHeads,
    num_key_value_heads: config.nKvHeads,
    head_dim: config.headDim,
    vocab_size: config.vocabSize,
    max_position_embeddings: config.maxSeqLen,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    tie_word_embeddings: config.tieWordEmbeddings,
    hidden_act: "silu",
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: { F32: "float32", F16: "float16", BF16: "bfloat16" }[dtype],
  };
  if (config.ropeScaling) {
    json.rope_scaling = {
      rope_type: "llama3",
      factor: config.ropeScaling.factor,
      low_freq_factor: config.ropeScaling.lowFreqFactor,
      high_freq_factor: config.ropeScaling.highFreqFactor,
      original_max_position_embeddings: config.ropeScaling.originalMaxPositions,
    };
  }
  return json;
}
