/**
 * A model and its tokenizer, opened from any platform's files: what `prune` and `eval` run on
 * and what the web page opens from picked or fetched files.
 *
 * @module
 */
import { type ByteSource, type FileSet } from "../files.js";
import { type Checkpoint } from "./checkpoint.js";
import { type Tokenizer } from "./tokenizer.js";
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
 * import { memoryFileSet } from "../files.js";
 * await assert.rejects(
 *   openModelSource({ name: "picked", model: memoryFileSet("picked files", new Map()) }),
 *   /Cannot read "picked files\/config.json": no such file or directory/,
 * );
 * ```
 */
export declare function openModelSource(files: ModelFiles): Promise<ModelSource>;
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
export declare function pickedModelFiles(files: readonly File[], name: string): ModelFiles;
