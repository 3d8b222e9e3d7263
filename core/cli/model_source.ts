/**
 * `--model`: the default model by name, a Hugging Face directory, or a llama2.c `.bin` (with
 * `--tokenizer` or a `tokenizer.bin` beside it), opened with its tokenizer.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { InputError } from "../errors.ts";
import { type Checkpoint, openCheckpoint } from "../model/checkpoint.ts";
import { DEFAULT_MODEL, ensureStories15M } from "../model/stories15m.ts";
import {
  loadHuggingFaceTokenizer,
  loadLlama2cTokenizer,
  type Tokenizer,
} from "../model/tokenizer.ts";
import { type CommandIo, progressBar } from "./io.ts";

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

/**
 * Opens `--model`, fetching the default model on first use.
 *
 * @param spec `stories15M`, a directory or a `.bin` file.
 * @param tokenizerPath `--tokenizer`, for llama2.c files.
 * @param io Where download progress goes.
 * @param quiet No progress bar.
 * @returns The model and tokenizer.
 */
export async function openModel(
  spec: string,
  tokenizerPath: string | undefined,
  io: CommandIo,
  quiet: boolean,
): Promise<ModelSource> {
  if (spec === DEFAULT_MODEL) {
    const bar = progressBar(io, "download stories15M", 112, "MB", quiet);
    const files = await ensureStories15M((received, total) => {
      io.signal?.throwIfAborted();
      bar.update(Math.round((received / (total ?? received)) * 112));
    });
    bar.finish();
    const checkpoint = await openCheckpoint(files.checkpoint);
    return {
      name: spec,
      checkpoint,
      tokenizer: await loadLlama2cTokenizer(files.tokenizer, checkpoint.config.vocabSize),
    };
  }
  const checkpoint = await openCheckpoint(spec);
  try {
    const { vocabSize } = checkpoint.config;
    if (checkpoint.format === "llama2c") {
      const path = tokenizerPath ?? join(dirname(spec), "tokenizer.bin");
      return {
        name: basename(spec),
        checkpoint,
        tokenizer: await loadLlama2cTokenizer(path, vocabSize),
      };
    }
    const configJson = await Deno.readFile(join(spec, "config.json"));
    const config = JSON.parse(new TextDecoder().decode(configJson));
    const ownTokenizer = tokenizerPath ?? join(spec, "tokenizer.bin");
    const hasBin = await Deno.stat(ownTokenizer).then(() => true, () => false);
    const tokenizer = hasBin
      ? await loadLlama2cTokenizer(ownTokenizer, vocabSize)
      : await loadHuggingFaceTokenizer(
        spec,
        typeof config.bos_token_id === "number" ? config.bos_token_id : 1,
      );
    if (tokenizer.vocabSize > vocabSize) {
      throw new InputError(
        `The tokenizer of "${spec}" has ${tokenizer.vocabSize} tokens, the model only ${vocabSize}`,
      );
    }
    return { name: basename(spec), checkpoint, tokenizer, configJson };
  } catch (error) {
    checkpoint.close();
    throw error;
  }
}
