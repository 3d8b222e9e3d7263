/**
 * Tokenizers: llama2.c's `tokenizer.bin` (encoded as run.c's `encode` does: dummy prefix space,
 * one token per UTF-8 character with byte fallback, then greedy merges of the adjacent pair whose
 * concatenation has the highest score), and Hugging Face `tokenizer.json` through the npm
 * package `@huggingface/tokenizers` (pure JavaScript, works offline under Deno).
 *
 * @module
 */
import { type FileSet } from "../files.js";
/** Turns text into token ids and back. */
export interface Tokenizer {
    /** Which format it was read from. */
    readonly kind: "llama2c" | "huggingface";
    /** Tokens in the vocabulary. */
    readonly vocabSize: number;
    /** The beginning-of-sequence token. */
    readonly bos: number;
    /** Token ids of `text`, BOS first. */
    encode(text: string): Int32Array;
    /** Text of token ids (special tokens dropped). */
    decode(ids: ArrayLike<number>): string;
    /** The files that define it, to copy next to a written model: name → bytes. */
    readonly files: ReadonlyMap<string, Uint8Array>;
}
/**
 * Parses a llama2.c `tokenizer.bin`: int32 max token length, then per token float32 score,
 * int32 length and the token's bytes.
 *
 * @param bytes The file.
 * @param vocabSize Tokens the model expects.
 * @param file Path, for messages.
 * @returns The tokenizer.
 */
export declare function parseLlama2cTokenizer(bytes: Uint8Array, vocabSize: number, file: string): Tokenizer;
/**
 * Reads a Hugging Face tokenizer (`tokenizer.json`, optional `tokenizer_config.json`) with
 * `@huggingface/tokenizers`.
 *
 * @param model The model directory's files.
 * @param bos The BOS id from the model's config, used when the tokenizer does not add one.
 * @returns The tokenizer.
 */
export declare function loadHuggingFaceTokenizer(model: FileSet, bos: number): Promise<Tokenizer>;
/**
 * The ids a Hugging Face tokenizer can produce: its largest id + 1, over the model's vocabulary
 * (`{token: id}` for BPE and WordPiece, `[[piece, score], …]` for Unigram) and the added tokens,
 * which often repeat ids of the vocabulary (`<unk>`, `<s>`, `</s>` in LLaMA 2).
 *
 * @param definition The parsed tokenizer.json.
 * @returns Largest id + 1 (0 for an empty tokenizer).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const definition = {
 *   model: { vocab: { "<unk>": 0, "<s>": 1, "</s>": 2, "a": 3 } },
 *   added_tokens: [{ id: 0 }, { id: 1 }, { id: 2 }],
 * };
 * assert.equal(tokenizerVocabSize(definition), 4);
 * ```
 */
export declare function tokenizerVocabSize(definition: unknown): number;
/**
 * Reads a llama2.c `tokenizer.bin` file.
 *
 * @param file The file.
 * @param vocabSize Tokens the model expects.
 * @returns The tokenizer.
 */
export declare function loadLlama2cTokenizer(file: string, vocabSize: number): Promise<Tokenizer>;
