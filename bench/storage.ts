// deno-lint-ignore-file no-console
/**
 * Checkpoint sizes, dense against compressed-tensors (`prune --format compressed`), computed
 * from the format for real model shapes: every linear layer of every block pruned (per-row
 * sparsity keeps d − floor(d · s) weights per row; 2:4 keeps half), embeddings, norms and head
 * kept dense. Sizes are tensor data bytes (safetensors headers, a few KiB, excluded). A pruned
 * model's report.json gives the measured sizes, which differ only where a kept weight is exactly
 * zero (sparse-bitmask does not store it).
 *
 *     deno task bench:storage
 *
 * @module
 */

import { sparseBytes, sparseFormatFor } from "../core/compressed.ts";
import { expectedTensors, isLinearWeight } from "../core/model/checkpoint.ts";
import type { LlamaConfig } from "../core/model/config.ts";
import { patternLabel, type SparsityPattern } from "../core/pattern.ts";
import { type Dtype, DTYPE_BYTES } from "../core/safetensors.ts";
import { TINYLLAMA } from "./_shared.ts";

const COMMON = { rmsNormEps: 1e-5, ropeTheta: 10000, maxSeqLen: 2048 };

/** Shapes: stories15M (its llama2.c header), TinyLlama-1.1B and LLaMA-3-8B (their config.json). */
const MODELS: [string, LlamaConfig, Dtype][] = [
  ["stories15M", {
    ...COMMON,
    dim: 288,
    hiddenDim: 768,
    nLayers: 6,
    nHeads: 6,
    nKvHeads: 6,
    headDim: 48,
    vocabSize: 32000,
    tieWordEmbeddings: true,
  }, "F32"],
  ["TinyLlama-1.1B", TINYLLAMA, "BF16"],
  ["LLaMA-3-8B", {
    ...COMMON,
    dim: 4096,
    hiddenDim: 14336,
    nLayers: 32,
    nHeads: 32,
    nKvHeads: 8,
    headDim: 128,
    vocabSize: 128256,
    tieWordEmbeddings: false,
  }, "BF16"],
];

const PATTERNS: SparsityPattern[] = [
  { kind: "per-row", sparsity: 0.5 },
  { kind: "per-row", sparsity: 0.6 },
  { kind: "per-row", sparsity: 0.7 },
  { kind: "n:m", n: 2, m: 4 },
];

/** Weights a row of width d keeps. */
function keptPerRow(pattern: SparsityPattern, d: number): number {
  return pattern.kind === "per-row"
    ? d - Math.floor(d * pattern.sparsity)
    : (d / pattern.m) * pattern.n;
}

const gib = (bytes: number) => bytes / 2 ** 30;
const size = (bytes: number) =>
  bytes >= 2 ** 30 ? `${gib(bytes).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;

console.log("Computed from the format (not measured): tensor data bytes, dense → compressed.\n");
console.log("| model | dtype | pattern | format | linear layers | whole model | whole / dense |");
console.log("|---|---|---|---|---|---|---|");
for (const [name, config, dtype] of MODELS) {
  for (const pattern of PATTERNS) {
    const format = sparseFormatFor(pattern);
    let linearDense = 0;
    let linearCompressed = 0;
    let other = 0;
    for (const { name: tensor, shape } of expectedTensors(config)) {
      const bytes = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
      if (!isLinearWeight(tensor)) {
        other += bytes;
        continue;
      }
      const [rows, d] = shape;
      linearDense += bytes;
      linearCompressed += sparseBytes(dtype, shape, rows * keptPerRow(pattern, d), format);
    }
    const dense = linearDense + other;
    const compressed = linearCompressed + other;
    console.log(
      `| ${name} | ${dtype} | ${patternLabel(pattern)} | ${format} | ${size(linearDense)} → ${
        size(linearCompressed)
      } | ${size(dense)} → ${size(compressed)} | ${(100 * compressed / dense).toFixed(1)}% |`,
    );
  }
}
