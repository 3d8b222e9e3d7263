/**
 * The calibration hidden states between blocks, h (sequences, tokens, dim), read and written by
 * ranges of whole sequences (a forward chunk at a time), so where they live is the caller's
 * choice: memory ({@linkcode memoryHiddenStates}), the backend's memory (the GPU's with WebGPU:
 * {@linkcode backendHiddenStates}), or a file when they would not fit (the command line's,
 * core/cli/hidden_file.ts). The pipeline never holds more of them than one chunk besides.
 *
 * @module
 */

import type { ActivationHandle, Kernels } from "./kernels.ts";

/** h, by ranges of whole sequences. */
export interface HiddenStates {
  /** Sequences (calibration windows). */
  readonly sequences: number;
  /** Tokens per sequence. */
  readonly tokens: number;
  /** Hidden size. */
  readonly dim: number;
  /**
   * Reads sequences [first, first + count).
   *
   * @param first First sequence.
   * @param count Sequences.
   * @returns A copy the caller owns, (count · tokens, dim).
   */
  read(first: number, count: number): Promise<Float32Array>;
  /**
   * Stores sequences from `first` on.
   *
   * @param first First sequence.
   * @param values (count · tokens, dim).
   */
  write(first: number, values: Float32Array): Promise<void>;
  /**
   * Sequences [first, first + count) as activations the backend holds, which the caller may
   * update in place, when the states live on the backend in exactly that chunk; else undefined.
   */
  held?(first: number, count: number): ActivationHandle | undefined;
}

/** Hidden states in memory; `values` is the whole of h. */
export interface MemoryHiddenStates extends HiddenStates {
  /** h (sequences · tokens, dim). */
  readonly values: Float32Array;
}

/**
 * Hidden states in one array.
 *
 * @param sequences Sequences.
 * @param tokens Tokens per sequence.
 * @param dim Hidden size.
 * @param values h to start from (copied); zeros without.
 * @returns The states.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const states = memoryHiddenStates(3, 1, 2);
 * await states.write(1, new Float32Array([5, 6, 7, 8]));
 * assert.deepEqual([...await states.read(2, 1)], [7, 8]);
 * assert.deepEqual([...states.values], [0, 0, 5, 6, 7, 8]);
 * ```
 */
export function memoryHiddenStates(
  sequences: number,
  tokens: number,
  dim: number,
  values?: Float32Array,
): MemoryHiddenStates {
  const h = values ? values.slice() : new Float32Array(sequences * tokens * dim);
  const stride = tokens * dim;
  return {
    sequences,
    tokens,
    dim,
    values: h,
    read: (first, count) => Promise.resolve(h.slice(first * stride, (first + count) * stride)),
    write: (first, chunk) => Promise.resolve(h.set(chunk, first * stride)),
  };
}

/**
 * Reads every sequence (for small states: tests, the in-memory run).
 *
 * @param states The states.
 * @returns h (sequences · tokens, dim).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const states = memoryHiddenStates(2, 1, 1, new Float32Array([1, 2]));
 * assert.deepEqual([...await readAllHidden(states)], [1, 2]);
 * ```
 */
export async function readAllHidden(states: HiddenStates): Promise<Float32Array> {
  return await states.read(0, states.sequences);
}

/** Hidden states on a backend; disposing of them frees the backend's memory. */
export interface BackendHiddenStates extends HiddenStates, Disposable {
  /**
   * A copy of one sequence's states on the backend.
   *
   * @param index The sequence.
   * @returns (tokens, dim) activations; release them.
   */
  sequence(index: number): Promise<ActivationHandle>;
}

/**
 * Hidden states held by a backend in chunks of `per` sequences (the forward pass's chunks, so
 * each block updates them where they are: on the GPU, h never leaves it between blocks).
 * Reads and writes of other ranges go through the chunks they touch.
 *
 * @param kernels The backend.
 * @param sequences Sequences.
 * @param tokens Tokens per sequence.
 * @param dim Hidden size.
 * @param per Sequences per chunk.
 * @returns The states, zeros; dispose of them to free the backend's memory.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createReferenceKernels } from "./backends/reference.ts";
 * using states = await backendHiddenStates(createReferenceKernels(), 3, 1, 2, 2);
 * await states.write(1, new Float32Array([5, 6, 7, 8]));
 * assert.deepEqual([...await readAllHidden(states)], [0, 0, 5, 6, 7, 8]);
 * assert.equal(states.held?.(2, 1)?.rows, 1); // the second chunk: sequence 2
 * assert.equal(states.held?.(1, 1), undefined); // not a chunk
 * const third = await states.sequence(2);
 * assert.deepEqual([...await createReferenceKernels().readActivation(third)], [7, 8]);
 * ```
 */
export async function backendHiddenStates(
  kernels: Kernels,
  sequences: number,
  tokens: number,
  dim: number,
  per: number,
): Promise<BackendHiddenStates> {
  const stride = tokens * dim;
  const chunks: ActivationHandle[] = [];
  try {
    for (let first = 0; first < sequences; first += per) {
      const count = Math.min(per, sequences - first);
      chunks.push(
        await kernels.createActivation({ values: new Float32Array(count * stride), width: dim }),
      );
    }
  } catch (error) {
    chunks.forEach((c) => kernels.release(c));
    throw error;
  }
  /** The chunks a range of sequences touches, with the range's part of each. */
  const touched = (first: number, count: number) => {
    if (first < 0 || count < 0 || first + count > sequences) {
      throw new RangeError(`Sequences [${first}, ${first + count}) of ${sequences}`);
    }
    const parts: { index: number; from: number; to: number }[] = [];
    for (let index = Math.floor(first / per); index * per < first + count; index++) {
      const start = index * per;
      parts.push({
        index,
        from: Math.max(first, start) - start,
        to: Math.min(first + count, start + chunks[index].rows / tokens) - start,
      });
    }
    return parts;
  };
  return {
    sequences,
    tokens,
    dim,
    async read(first, count) {
      const out = new Float32Array(count * stride);
      for (const { index, from, to } of touched(first, count)) {
        const values = await kernels.readActivation(chunks[index]);
        out.set(values.subarray(from * stride, to * stride), (index * per + from - first) * stride);
      }
      return out;
    },
    async write(first, values) {
      for (const { index, from, to } of touched(first, values.length / stride)) {
        const whole = from === 0 && to * tokens === chunks[index].rows;
        const updated = whole
          ? new Float32Array(to * stride)
          : await kernels.readActivation(chunks[index]);
        const at = (index * per + from - first) * stride;
        updated.set(values.subarray(at, at + (to - from) * stride), from * stride);
        const replaced = chunks[index];
        chunks[index] = await kernels.createActivation({ values: updated, width: dim });
        kernels.release(replaced);
      }
    },
    sequence: (index) => {
      touched(index, 1);
      return kernels.sliceRows(chunks[Math.floor(index / per)], (index % per) * tokens, tokens);
    },
    held: (first, count) => {
      const chunk = chunks[first / per];
      return first % per === 0 && chunk?.rows === count * tokens ? chunk : undefined;
    },
    [Symbol.dispose]: () => chunks.forEach((c) => kernels.release(c)),
  };
}
