/**
 * `--model`: the default model by name, a Hugging Face directory, or a llama2.c `.bin` (with
 * `--tokenizer` or a `tokenizer.bin` beside it), opened with its tokenizer.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { describeFsError, InputError } from "../errors.ts";
import { localDirectory, openLocalFile } from "../local_files.ts";
import { type ModelSource, openModelSource } from "../model/source.ts";
import { DEFAULT_MODEL, ensureStories15M } from "../model/stories15m.ts";
import { type CommandIo, progressBar } from "./io.ts";

export type { ModelSource };

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
    return await openModelSource({
      name: spec,
      model: await openLocalFile(files.checkpoint),
      tokenizer: await openLocalFile(files.tokenizer),
    });
  }
  let isDirectory: boolean;
  try {
    isDirectory = (await Deno.stat(spec)).isDirectory;
  } catch (error) {
    throw new InputError(`Cannot read model "${spec}": ${describeFsError(error)}`);
  }
  const tokenizer = tokenizerPath ??
    (isDirectory ? undefined : join(dirname(spec), "tokenizer.bin"));
  const model = isDirectory ? localDirectory(spec) : await openLocalFile(spec);
  let tokenizerFile;
  try {
    tokenizerFile = tokenizer === undefined ? undefined : await openLocalFile(tokenizer);
  } catch (error) {
    if ("close" in model) model.close();
    throw error;
  }
  return await openModelSource({ name: basename(spec), model, tokenizer: tokenizerFile });
}
