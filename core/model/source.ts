/**
 * A model and its tokenizer, opened from any platform's files: what `prune` and `eval` run on
 * and what the web page opens from picked or fetched files.
 *
 * @module
 */

import { InputError } from "../errors.ts";
import {
  blobSource,
  type ByteSource,
  type FileSet,
  memoryFileSet,
  readAll,
  readJsonFile,
} from "../files.ts";
import { type Checkpoint, openCheckpointFrom } from "./checkpoint.ts";
import { loadHuggingFaceTokenizer, parseLlama2cTokenizer, type Tokenizer } from "./tokenizer.ts";

/** An opened model and its tokenizer. */
export interface ModelSource {
  /** What the user named. */
  readonly name: string;
  /** The weights. */
  readonly checkpoint: Checkpoint;
  /** The tokenizer. */
  readonly tokenizer: Tokenizer;
  /** config.json bytes to copy verbatim into an output (Hugging Face inputs). */
  readonly configJson?: Uint8Array;
}

/** What {@linkcode openModelSource} opens. */
export interface ModelFiles {
  /** What to call the model (an output's default name, the report). */
  readonly name: string;
  /** A Hugging Face directory's files, or a llama2.c `.bin`. */
  readonly model: FileSet | ByteSource;
  /**
   * A llama2.c `tokenizer.bin`: required with a `.bin` model; for a directory, instead of its
   * own tokenizer.bin or tokenizer.json.
   */
  readonly tokenizer?: ByteSource;
}

/**
 * Opens a model and its tokenizer, and checks that they fit each other.
 *
 * @param files The model's files.
 * @returns The model; close its checkpoint when done.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryFileSet } from "../files.ts";
 * await assert.rejects(
 *   openModelSource({ name: "picked", model: memoryFileSet("picked files", new Map()) }),
 *   /Cannot read "picked files\/config.json": no such file or directory/,
 * );
 * ```
 */
export async function openModelSource(files: ModelFiles): Promise<ModelSource> {
  const { name, model } = files;
  let checkpoint: Checkpoint;
  try {
    checkpoint = await openCheckpointFrom(model);
  } catch (error) {
    files.tokenizer?.close();
    throw error;
  }
  try {
    const { vocabSize } = checkpoint.config;
    const llama2cTokenizer = async (source: ByteSource) => {
      try {
        return parseLlama2cTokenizer(await readAll(source), vocabSize, source.path);
      } finally {
        source.close();
      }
    };
    if (!("open" in model)) {
      if (!files.tokenizer) {
        throw new InputError(`Model "${model.path}" is a llama2.c file: it needs a tokenizer.bin`);
      }
      return { name, checkpoint, tokenizer: await llama2cTokenizer(files.tokenizer) };
    }
    const config = (await readJsonFile(model, "config.json"))!;
    const ownBin = files.tokenizer ?? await model.open("tokenizer.bin");
    const bos = (config.value as { bos_token_id?: unknown }).bos_token_id;
    const tokenizer = ownBin
      ? await llama2cTokenizer(ownBin)
      : await loadHuggingFaceTokenizer(model, typeof bos === "number" ? bos : 1);
    if (tokenizer.vocabSize > vocabSize) {
      throw new InputError(
        `The tokenizer of "${model.path}" has ${tokenizer.vocabSize} tokens, the model only ${vocabSize}`,
      );
    }
    return { name, checkpoint, tokenizer, configJson: config.bytes };
  } catch (error) {
    checkpoint.close();
    throw error;
  }
}

/**
 * Which of the files a user picked (in a page, by name) form a model: a llama2.c `.bin` with its
 * `tokenizer.bin`, or a Hugging Face model's files (config.json, model.safetensors or shards with
 * model.safetensors.index.json, and tokenizer.json or tokenizer.bin).
 *
 * @param files The picked files (their names are the model directory's file names).
 * @param name What to call the model (a folder's name).
 * @returns The model's files, for {@linkcode openModelSource}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bin = new File([new Uint8Array(28)], "model.bin");
 * assert.throws(() => pickedModelFiles([bin], "picked"), /needs its tokenizer\.bin/);
 * assert.throws(() => pickedModelFiles([new File(["x"], "notes.txt")], "picked"), /got: notes\.txt/);
 * const files = pickedModelFiles([bin, new File([new Uint8Array(4)], "tokenizer.bin")], "picked");
 * assert.equal((files.model as { path: string }).path, "model.bin");
 * ```
 */
export function pickedModelFiles(files: readonly File[], name: string): ModelFiles {
  const byName = new Map(files.map((file) => [file.name, file]));
  if (byName.has("config.json")) {
    return { name, model: memoryFileSet(name, byName) };
  }
  const bins = files.filter((f) => f.name.endsWith(".bin") && f.name !== "tokenizer.bin");
  if (bins.length === 1) {
    const tokenizer = byName.get("tokenizer.bin");
    if (!tokenizer) {
      throw new InputError(
        `"${bins[0].name}" is a llama2.c model: it needs its tokenizer.bin picked with it`,
      );
    }
    return {
      name: bins[0].name.replace(/\.bin$/, ""),
      model: blobSource(bins[0].name, bins[0]),
      tokenizer: blobSource(tokenizer.name, tokenizer),
    };
  }
  throw new InputError(
    `Pick a model: a llama2.c .bin with its tokenizer.bin, or a Hugging Face model's config.json, model.safetensors (or its shards with model.safetensors.index.json) and tokenizer.json; got: ${
      files.map((f) => f.name).join(", ") || "no files"
    }`,
  );
}
