/**
 * The LLaMA architecture's hyper-parameters, and reading them from a Hugging Face `config.json`
 * (LlamaConfig) with every field checked.
 *
 * @module
 */
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
export declare function parseLlamaConfig(json: unknown, file: string): LlamaConfig;
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
export declare function llamaConfigJson(config: LlamaConfig, dtype: "F32" | "F16" | "BF16"): Json;
export {};
