/**
 * Calibration hidden states in a file (the command line's, when they would take too much of the
 * memory): h (sequences · tokens, dim) float32, read and written a chunk of sequences at a time.
 *
 * @module
 */

import { describeFsError, InputError } from "../errors.ts";
import type { HiddenStates } from "../hidden_states.ts";

/** Hidden states in a file; close (or dispose) to close the file. */
export interface FileHiddenStates extends HiddenStates, Disposable {
  /** The file. */
  readonly path: string;
  /** Closes the file (it stays on disk). */
  close(): void;
}

/**
 * Creates (or empties) a file of h's size and keeps the hidden states in it.
 *
 * @param path The file.
 * @param sequences Sequences.
 * @param tokens Tokens per sequence.
 * @param dim Hidden size.
 * @returns The states.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * using states = await fileHiddenStates(`${dir}/h.f32`, 3, 1, 2);
 * await states.write(1, new Float32Array([5, 6, 7, 8]));
 * assert.deepEqual([...await states.read(1, 2)], [5, 6, 7, 8]);
 * assert.equal((await Deno.stat(`${dir}/h.f32`)).size, 24);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function fileHiddenStates(
  path: string,
  sequences: number,
  tokens: number,
  dim: number,
): Promise<FileHiddenStates> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true, truncate: true });
    await file.truncate(sequences * tokens * dim * 4);
  } catch (error) {
    throw new InputError(`Cannot write "${path}": ${describeFsError(error)}`, { cause: error });
  }
  const stride = tokens * dim * 4;
  // Reads and writes seek the one handle, so they take turns.
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const next = turn.then(work);
    turn = next.catch(() => {});
    return next;
  };
  const close = () => file.close();
  return {
    path,
    sequences,
    tokens,
    dim,
    read: (first, count) =>
      inTurn(async () => {
        const bytes = new Uint8Array(count * stride);
        await file.seek(first * stride, Deno.SeekMode.Start);
        for (let filled = 0; filled < bytes.length;) {
          const n = await file.read(bytes.subarray(filled));
          if (n === null) throw new InputError(`"${path}" ended before sequence ${first + count}`);
          filled += n;
        }
        return new Float32Array(bytes.buffer);
      }),
    write: (first, values) =>
      inTurn(async () => {
        const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        await file.seek(first * stride, Deno.SeekMode.Start);
        for (let written = 0; written < bytes.length;) {
          written += await file.write(bytes.subarray(written));
        }
      }),
    close,
    [Symbol.dispose]: close,
  };
}
