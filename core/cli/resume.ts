/**
 * What an interrupted `prune` keeps in its partial directory so that the same command continues
 * where it stopped and writes the same bytes as an uninterrupted run:
 *
 *     resume-state.json          the settings that decide the result, blocks done, their layer
 *                                reports, kept/pruned counts, dense perplexities, timings
 *                                (rewritten atomically after each block, last)
 *     resume-inputs.safetensors  calibration windows and evaluation sets (I32 [windows, seqlen])
 *     resume-hidden.safetensors  h (F32 [tokens, dim]): the last finished block's output
 *
 * The model and mask files being written sit beside them; the state counts a block only after
 * they were synced to disk.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { writeFileAtomic } from "../atomic_write.ts";
import type { LayerReport } from "../pipeline.ts";
import type { PerplexityResult } from "../model/transformer.ts";
import { encodeHeader, SafetensorsFile, writeSafetensors } from "../safetensors.ts";
import type { HiddenStates } from "../hidden_states.ts";

/** The resume files, as they appear in the partial directory. */
export const RESUME_FILES = [
  "resume-state.json",
  "resume-inputs.safetensors",
  "resume-hidden.safetensors",
  "calibration-hidden.f32",
] as const;

const [STATE, INPUTS, HIDDEN] = RESUME_FILES;

/** The working file of hidden states kept on disk (`--hidden-states disk`). */
export const HIDDEN_WORK_FILE: string = RESUME_FILES[3];

/** Bumped when the files above change meaning; other formats are not resumed. */
const FORMAT = 2;

/** The settings and inputs that decide a run's output, as plain JSON values. */
export type RunIdentity = Readonly<Record<string, unknown>>;

/** Progress of a run, as saved after each block. */
export interface ResumeState {
  /** Format of the resume files. */
  readonly format: number;
  /** What decides the output: a run resumes only with the same. */
  readonly identity: RunIdentity;
  /** Blocks finished, synced and counted below. */
  readonly blocksDone: number;
  /** Reports of the finished blocks' layers. */
  readonly layers: readonly LayerReport[];
  /** Pruned weights among `weights`, over the finished layers. */
  readonly zeros: number;
  /** Weights of the finished layers. */
  readonly weights: number;
  /** Dense perplexity per evaluation set. */
  readonly dense: Readonly<Record<string, PerplexityResult>>;
  /** Seconds per phase so far. */
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * SHA-256 of bytes, hex: how a text or tokenizer enters a run's identity.
 *
 * @param parts Bytes or strings, hashed in order.
 * @returns The digest.
 */
export function digest(...parts: (Uint8Array | string)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

/**
 * Names the first setting in which two identities differ, for the message that says why a run
 * starts afresh; undefined when they are the same.
 *
 * @param saved The identity of the interrupted run.
 * @param current The identity of this run.
 * @returns E.g. `max_iters: 100 → 50`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(identityDifference({ a: 1, b: 2 }, { a: 1, b: 3 }), "b: 2 → 3");
 * assert.equal(identityDifference({ a: [1] }, { a: [1] }), undefined);
 * ```
 */
export function identityDifference(saved: RunIdentity, current: RunIdentity): string | undefined {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(current)])];
  for (const key of keys) {
    const a = JSON.stringify(saved[key]);
    const b = JSON.stringify(current[key]);
    if (a !== b) {
      const short = (v: string | undefined) =>
        v === undefined ? "none" : v.length > 60 ? "(changed)" : v;
      return `${key}: ${short(a)} → ${short(b)}`;
    }
  }
  return undefined;
}

/**
 * Saves the progress after a block (atomically; call after syncing the files it counts).
 *
 * @param dir The partial directory.
 * @param state The progress.
 */
export async function saveState(dir: string, state: ResumeState): Promise<void> {
  await writeFileAtomic(join(dir, STATE), [new TextEncoder().encode(JSON.stringify(state))]);
}

/**
 * Reads saved progress.
 *
 * @param dir The partial directory.
 * @returns The progress, or undefined when there is none in this format.
 */
export async function loadState(dir: string): Promise<ResumeState | undefined> {
  try {
    const state = JSON.parse(await Deno.readTextFile(join(dir, STATE)));
    const valid = state?.format === FORMAT && typeof state.identity === "object" &&
      Number.isSafeInteger(state.blocksDone) && Array.isArray(state.layers);
    return valid ? state : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A fresh state: nothing done yet.
 *
 * @param identity What decides the output.
 * @param dense Dense perplexities.
 * @param timings Seconds so far.
 * @returns The state.
 */
export function initialState(
  identity: RunIdentity,
  dense: Readonly<Record<string, PerplexityResult>>,
  timings: Readonly<Record<string, number>>,
): ResumeState {
  return {
    format: FORMAT,
    identity,
    blocksDone: 0,
    layers: [],
    zeros: 0,
    weights: 0,
    dense,
    timings,
  };
}

/** Token windows of equal length as one I32 tensor [windows, length]. */
function windowsTensor(windows: readonly Int32Array[]) {
  const length = windows[0].length;
  const data = new Int32Array(windows.length * length);
  windows.forEach((w, i) => data.set(w, i * length));
  return { dtype: "I32" as const, shape: [windows.length, length], data };
}

/**
 * Saves the calibration windows and evaluation sets.
 *
 * @param dir The partial directory.
 * @param calibration Calibration windows.
 * @param evaluation Evaluation sets by name.
 */
export async function saveInputs(
  dir: string,
  calibration: readonly Int32Array[],
  evaluation: ReadonlyMap<string, readonly Int32Array[]>,
): Promise<void> {
  const tensors: Record<string, ReturnType<typeof windowsTensor>> = {
    calibration: windowsTensor(calibration),
  };
  for (const [name, windows] of evaluation) {
    if (windows.length > 0) tensors[`evaluation.${name}`] = windowsTensor(windows);
  }
  await writeSafetensors(join(dir, INPUTS), tensors);
}

/**
 * Reads what saveInputs saved.
 *
 * @param dir The partial directory.
 * @returns Calibration windows and evaluation sets, or undefined when unreadable.
 */
export async function loadInputs(
  dir: string,
): Promise<{ calibration: Int32Array[]; evaluation: Map<string, Int32Array[]> } | undefined> {
  try {
    using file = await SafetensorsFile.open(join(dir, INPUTS));
    const windows = async (name: string) => {
      const tensor = await file.read(name);
      const [count, length] = tensor.shape;
      const data = new Int32Array(tensor.bytes.slice().buffer);
      return Array.from({ length: count }, (_, i) => data.slice(i * length, (i + 1) * length));
    };
    const evaluation = new Map<string, Int32Array[]>();
    for (const name of file.names) {
      if (name.startsWith("evaluation.")) {
        evaluation.set(name.slice("evaluation.".length), await windows(name));
      }
    }
    return { calibration: await windows("calibration"), evaluation };
  } catch {
    return undefined;
  }
}

/** Sequences of h saved or loaded at a time. */
const HIDDEN_CHUNK_BYTES = 64 * 2 ** 20;

function chunkOf(states: HiddenStates): number {
  return Math.max(1, Math.floor(HIDDEN_CHUNK_BYTES / (states.tokens * states.dim * 4)));
}

/**
 * Saves h, the output of the blocks finished so far (atomically, a chunk of sequences at a time),
 * with their count: saved before the state that counts them, so a run stopped between the two
 * writes must not take this h for the state's.
 *
 * @param dir The partial directory.
 * @param states h.
 * @param blocks Blocks whose output h is.
 */
export async function saveHidden(dir: string, states: HiddenStates, blocks: number): Promise<void> {
  const { sequences, tokens, dim } = states;
  const header = encodeHeader(
    [{ name: "hidden", dtype: "F32", shape: [sequences * tokens, dim] }],
    { blocks: String(blocks) },
  );
  const per = chunkOf(states);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield header.bytes;
    for (let first = 0; first < sequences; first += per) {
      const values = await states.read(first, Math.min(per, sequences - first));
      yield new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    }
  }
  await writeFileAtomic(join(dir, HIDDEN), chunks());
}

/**
 * Loads what saveHidden saved into `states`.
 *
 * @param dir The partial directory.
 * @param states Where h goes (its sizes are the ones expected).
 * @param blocks Blocks the state counts as done.
 * @returns Whether h was there, of these sizes and of this number of blocks.
 */
export async function loadHidden(
  dir: string,
  states: HiddenStates,
  blocks: number,
): Promise<boolean> {
  const { sequences, tokens, dim } = states;
  try {
    using file = await SafetensorsFile.open(join(dir, HIDDEN));
    if (file.header.metadata.blocks !== String(blocks)) return false;
    const info = file.info("hidden");
    if (info.dtype !== "F32" || info.shape[0] !== sequences * tokens || info.shape[1] !== dim) {
      return false;
    }
    const per = chunkOf(states);
    const stride = tokens * dim * 4;
    for (let first = 0; first < sequences; first += per) {
      const count = Math.min(per, sequences - first);
      const bytes = await file.readRange("hidden", first * stride, (first + count) * stride);
      await states.write(
        first,
        new Float32Array(bytes.buffer, bytes.byteOffset, count * stride / 4),
      );
    }
    return true;
  } catch {
    return false;
  }
}
