/**
 * Tokenizers: llama2.c's `tokenizer.bin` (encoded as run.c's `encode` does: dummy prefix space,
 * one token per UTF-8 character with byte fallback, then greedy merges of the adjacent pair whose
 * concatenation has the highest score), and Hugging Face `tokenizer.json` through the npm
 * package `@huggingface/tokenizers` (pure JavaScript, works offline under Deno).
 *
 * @module
 */

import { describeFsError, InputError } from "../errors.ts";
import { type FileSet, readAll } from "../files.ts";

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

/** llama2.c's first three ids: <unk>, <s>, </s>; then 256 byte-fallback tokens. */
const LLAMA2C_BOS = 1;
const BYTE_TOKENS_START = 3;
const BYTE_TOKENS_END = 259;

/** Bytes as a string of char codes 0–255: an exact, cheap map key for byte sequences. */
function byteKey(bytes: Uint8Array): string {
  let key = "";
  for (const b of bytes) key += String.fromCharCode(b);
  return key;
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
export function parseLlama2cTokenizer(
  bytes: Uint8Array,
  vocabSize: number,
  file: string,
): Tokenizer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (detail: string): never => {
    throw new InputError(`Invalid llama2.c tokenizer "${file}": ${detail}`);
  };
  if (bytes.length < 4) fail("shorter than its header");
  if (vocabSize < BYTE_TOKENS_END) {
    fail(`the model's vocabulary (${vocabSize}) cannot hold the 3 special and 256 byte tokens`);
  }
  const maxLength = view.getInt32(0, true);
  const pieces: Uint8Array[] = [];
  const scores = new Float64Array(vocabSize);
  let offset = 4;
  for (let id = 0; id < vocabSize; id++) {
    if (offset + 8 > bytes.length) fail(`ends after ${id} of ${vocabSize} tokens`);
    scores[id] = view.getFloat32(offset, true);
    const length = view.getInt32(offset + 4, true);
    offset += 8;
    if (length < 0 || length > maxLength || offset + length > bytes.length) {
      fail(`token ${id} has an invalid length ${length}`);
    }
    pieces.push(bytes.slice(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.length) {
    fail(`${bytes.length - offset} bytes after the last of ${vocabSize} tokens`);
  }
  // Some pieces repeat (a byte-fallback token spells the same bytes as a regular one); run.c's
  // binary search picks either, we take the regular piece, as SentencePiece does.
  const keys = pieces.map(byteKey);
  const ids = new Map<string, number>();
  keys.forEach((key, id) => ids.set(key, id));
  return {
    kind: "llama2c",
    vocabSize,
    bos: LLAMA2C_BOS,
    encode: (text) => encodeLlama2c(text, { ids, keys, scores }),
    decode: (tokens) => decodeLlama2c(tokens, pieces),
    files: new Map([["tokenizer.bin", bytes]]),
  };
}

/** A llama2.c vocabulary: id of each piece, piece (as a byte key) and score of each id. */
interface Vocabulary {
  readonly ids: ReadonlyMap<string, number>;
  readonly keys: readonly string[];
  readonly scores: Float64Array;
}

function encodeLlama2c(text: string, vocabulary: Vocabulary): Int32Array {
  const { ids } = vocabulary;
  const tokens: number[] = [LLAMA2C_BOS];
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > 0) {
    const space = ids.get(" ");
    if (space !== undefined) tokens.push(space);
  }
  // One token per UTF-8 character, or its bytes (+3) when the character is not a token.
  for (let i = 0; i < bytes.length;) {
    let end = i + 1;
    while (end < bytes.length && end - i < 4 && (bytes[end] & 0xc0) === 0x80) end++;
    const id = ids.get(byteKey(bytes.subarray(i, end)));
    if (id !== undefined) tokens.push(id);
    else for (let j = i; j < end; j++) tokens.push(bytes[j] + BYTE_TOKENS_START);
    i = end;
  }
  return Int32Array.from([LLAMA2C_BOS, ...mergePairs(tokens.slice(1), vocabulary)]);
}

/**
 * run.c's merge loop — repeatedly merge the leftmost adjacent pair with the highest score —
 * with a heap of candidate pairs over a linked list, O(n log n) instead of O(n²).
 */
function mergePairs(start: number[], { ids, keys, scores }: Vocabulary): number[] {
  const n = start.length;
  const id = Int32Array.from(start);
  const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
  const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
  const alive = new Uint8Array(n).fill(1);
  // Heap entries: [score, left node, left id, right id]; best score first, then leftmost.
  const heap: [number, number, number, number][] = [];
  const better = (a: [number, number, number, number], b: [number, number, number, number]) =>
    a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]);
  const push = (entry: [number, number, number, number]) => {
    heap.push(entry);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!better(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < heap.length && better(heap[l], heap[best])) best = l;
        if (r < heap.length && better(heap[r], heap[best])) best = r;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best], heap[i]];
        i = best;
      }
    }
    return top;
  };
  const consider = (left: number) => {
    const right = left >= 0 ? next[left] : -1;
    if (left < 0 || right < 0) return;
    const merged = ids.get(keys[id[left]] + keys[id[right]]);
    if (merged !== undefined) push([scores[merged], left, id[left], id[right]]);
  };
  for (let i = 0; i + 1 < n; i++) consider(i);
  while (heap.length > 0) {
    const [, left, leftId, rightId] = pop();
    const right = next[left];
    if (!alive[left] || right < 0 || id[left] !== leftId || id[right] !== rightId) continue;
    id[left] = ids.get(keys[leftId] + keys[rightId])!;
    alive[right] = 0;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    consider(prev[left]);
    consider(left);
  }
  const out: number[] = [];
  for (let i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out.push(id[i]);
  return out;
}

function decodeLlama2c(tokens: ArrayLike<number>, pieces: Uint8Array[]): string {
  const bytes: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i];
    if (id < BYTE_TOKENS_START || id >= pieces.length) continue;
    if (id < BYTE_TOKENS_END) {
      bytes.push(id - BYTE_TOKENS_START);
      continue;
    }
    let piece = pieces[id];
    // run.c drops the space a piece starts with right after BOS (the dummy prefix).
    if ((i === 0 || tokens[i - 1] === LLAMA2C_BOS) && piece[0] === 0x20) piece = piece.subarray(1);
    bytes.push(...piece);
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/**
 * Reads a Hugging Face tokenizer (`tokenizer.json`, optional `tokenizer_config.json`) with
 * `@huggingface/tokenizers`.
 *
 * @param model The model directory's files.
 * @param bos The BOS id from the model's config, used when the tokenizer does not add one.
 * @returns The tokenizer.
 */
export async function loadHuggingFaceTokenizer(model: FileSet, bos: number): Promise<Tokenizer> {
  const dir = model.path;
  const files = new Map<string, Uint8Array>();
  for (const name of ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]) {
    using source = await model.open(name);
    if (source) files.set(name, await readAll(source));
  }
  const json = files.get("tokenizer.json");
  if (!json) {
    throw new InputError(`Model directory "${dir}" has no tokenizer.json or tokenizer.bin`);
  }
  const parse = (name: string) => {
    const bytes = files.get(name);
    if (!bytes) return {};
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new InputError(`"${dir}/${name}" is not valid JSON: ${(error as Error).message}`);
    }
  };
  const definition = parse("tokenizer.json");
  const { Tokenizer: HfTokenizer } = await import("@huggingface/tokenizers");
  let tokenizer: InstanceType<typeof HfTokenizer>;
  try {
    tokenizer = new HfTokenizer(definition, parse("tokenizer_config.json"));
  } catch (error) {
    throw new InputError(
      `Cannot load tokenizer "${dir}/tokenizer.json": ${(error as Error).message}`,
    );
  }
  return {
    kind: "huggingface",
    vocabSize: tokenizerVocabSize(definition),
    bos,
    encode: (text) => {
      const ids = tokenizer.encode(text).ids as number[];
      return Int32Array.from(ids[0] === bos ? ids : [bos, ...ids]);
    },
    decode: (ids) => tokenizer.decode(Array.from(ids), { skip_special_tokens: true }),
    files,
  };
}

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
export function tokenizerVocabSize(definition: unknown): number {
  const d = definition as {
    model?: { vocab?: unknown };
    added_tokens?: unknown;
  } | undefined;
  let largest = -1;
  const vocab = d?.model?.vocab;
  if (Array.isArray(vocab)) largest = vocab.length - 1;
  else if (vocab && typeof vocab === "object") {
    for (const id of Object.values(vocab)) {
      if (typeof id === "number") largest = Math.max(largest, id);
    }
  }
  if (Array.isArray(d?.added_tokens)) {
    for (const token of d.added_tokens) {
      if (typeof token?.id === "number") largest = Math.max(largest, token.id);
    }
  }
  return largest + 1;
}

/**
 * Reads a llama2.c `tokenizer.bin` file.
 *
 * @param file The file.
 * @param vocabSize Tokens the model expects.
 * @returns The tokenizer.
 */
export async function loadLlama2cTokenizer(file: string, vocabSize: number): Promise<Tokenizer> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (error) {
    throw new InputError(`Cannot read tokenizer "${file}": ${describeFsError(error)}`);
  }
  return parseLlama2cTokenizer(bytes, vocabSize, file);
}
