/**
 * What several benchmarks share: TinyLlama-1.1B's architecture, the weights of a model the
 * pipeline handed over in memory, and paired differences over calibration seeds.
 *
 * @module
 */

import { blockWeights } from "../core/model/checkpoint.ts";
import type { LlamaConfig } from "../core/model/config.ts";
import type { ModelWeights } from "../core/model/transformer.ts";
import { type Tensor, toFloat32 } from "../core/safetensors.ts";

/** TinyLlama-1.1B's architecture (its config.json), for the benchmarks of real model shapes. */
export const TINYLLAMA: LlamaConfig = {
  dim: 2048,
  hiddenDim: 5632,
  nLayers: 22,
  nHeads: 32,
  nKvHeads: 4,
  headDim: 64,
  vocabSize: 32000,
  maxSeqLen: 2048,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
};

/** The pruned model's weights, from the tensors `pruneModel` wrote to memory. */
export function prunedWeights(config: LlamaConfig, tensors: Map<string, Tensor>): ModelWeights {
  const read = (name: string) => toFloat32(tensors.get(name)!);
  const embedding = read("model.embed_tokens.weight");
  return {
    config,
    embedding,
    norm: read("model.norm.weight"),
    head: config.tieWordEmbeddings ? embedding : read("lm_head.weight"),
    block: (l) => blockWeights(read, l),
  };
}

/** Mean ± standard error over seeds of the per-seed differences a − b, with `digits` decimals. */
export function paired(a: readonly number[], b: readonly number[], digits: number): string {
  const differences = a.map((x, i) => x - b[i]);
  const n = differences.length;
  const mean = differences.reduce((s, x) => s + x, 0) / n;
  const variance = differences.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, n - 1);
  return `${mean >= 0 ? "+" : ""}${mean.toFixed(digits)} ± ${
    Math.sqrt(variance / n).toFixed(digits)
  }`;
}
