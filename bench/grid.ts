// deno-lint-ignore-file no-console
/**
 * The README's warm start × refiner grid for stories15M: {50%, 60%, 2:4} × warm start
 * {magnitude, Wanda, RIA} × refiner {none, DSnoT, SparseSwaps with 100 iterations}, without
 * weight updates: mean per-layer relative error
 * reduction and both perplexities, plus the dense perplexities. Calibration (32 × 256 tokens
 * sampled with seed 0), the held-out in-domain samples (16 × 256, seed 1) and 16 Moby-Dick
 * windows are made once and shared by every configuration, exactly as `prune` makes them.
 *
 *     deno task bench:grid [--max-iters 100] [--eval-windows 16]
 *
 * @module
 */

import { prunedWeights } from "./_shared.ts";
import { parseArgs } from "node:util";
import { createKernels } from "../core/backend.ts";
import type { Kernels } from "../core/kernels.ts";
import { openCheckpoint } from "../core/model/checkpoint.ts";
import { ensureStories15M, mobyDick } from "../core/model/stories15m.ts";
import { loadLlama2cTokenizer } from "../core/model/tokenizer.ts";
import {
  checkpointWeights,
  type ModelWeights,
  residentWeights,
} from "../core/model/transformer.ts";
import { calibrationWindows, evaluationSets, perplexities } from "../core/model/datasets.ts";
import type { SparsityPattern } from "../core/pattern.ts";
import type { Refiner } from "../core/layer.ts";
import { pruneModel } from "../core/pipeline.ts";
import type { Tensor } from "../core/safetensors.ts";
import type { WarmStartMethod } from "../core/warm_start.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { "max-iters": { type: "string" }, "eval-windows": { type: "string" } },
});
const maxIters = Number(values["max-iters"] ?? 100);
const evalWindows = Number(values["eval-windows"] ?? 16);
const SEQLEN = 256;
const NSAMPLES = 32;

const PATTERNS: [string, SparsityPattern][] = [
  ["50%", { kind: "per-row", sparsity: 0.5 }],
  ["60%", { kind: "per-row", sparsity: 0.6 }],
  ["2:4", { kind: "n:m", n: 2, m: 4 }],
];
const WARM_STARTS: WarmStartMethod[] = ["magnitude", "wanda", "ria"];
const REFINERS: Refiner[] = ["none", "dsnot", "sparseswaps"];

const started = performance.now();
const kernels: Kernels = await createKernels("auto");
const files = await ensureStories15M();
using checkpoint = await openCheckpoint(files.checkpoint);
const tokenizer = await loadLlama2cTokenizer(files.tokenizer, checkpoint.config.vocabSize);
const dense = await checkpointWeights(checkpoint);
const resident = await residentWeights(kernels, dense);
const shared = { kernels, weights: resident.weights, tokenizer, seqlen: SEQLEN, seed: 0 };
const calibration = await calibrationWindows({ ...shared, nsamples: NSAMPLES });
const sets = await evaluationSets({ ...shared, windows: evalWindows, mobyDick: await mobyDick() });
resident.release();

async function evaluate(weights: ModelWeights): Promise<number[]> {
  return Object.values(await perplexities(kernels, weights, sets)).map((p) => p.perplexity);
}

const [denseInDomain, denseMoby] = await evaluate(dense);
const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(
  /model name\s*:\s*(.*)/,
)?.[1];
console.log(`# stories15M results, ${new Date().toISOString().slice(0, 10)}`);
console.log(
  `Machine: ${
    cpu ?? "unknown CPU"
  }, ${navigator.hardwareConcurrency} threads, backend ${kernels.description}`,
);
console.log(
  `Calibration ${NSAMPLES} × ${SEQLEN} tokens sampled from the dense model (seed 0); evaluation ${evalWindows} windows × ${SEQLEN} of held-out samples (seed 1) and of Moby-Dick; SparseSwaps ${maxIters} iterations.\n`,
);
console.log(
  `Dense perplexity: in-domain ${denseInDomain.toFixed(3)}, Moby-Dick ${denseMoby.toFixed(2)}\n`,
);
console.log(
  "| sparsity | warm start | refiner | mean rel. error reduction | in-domain ppl | Moby-Dick ppl | seconds |",
);
console.log("|---|---|---|---|---|---|---|");
for (const [label, pattern] of PATTERNS) {
  for (const warmStart of WARM_STARTS) {
    for (const refiner of REFINERS) {
      const t0 = performance.now();
      const tensors = new Map<string, Tensor>();
      const { layers } = await pruneModel({
        kernels,
        checkpoint,
        calibration,
        pattern,
        warmStart,
        refiner,
        maxIters,
        output: {
          writeTensor: (name, tensor) => Promise.resolve(void tensors.set(name, tensor)),
          writeMask: () => Promise.resolve(),
        },
      });
      const [inDomain, moby] = await evaluate(prunedWeights(checkpoint.config, tensors));
      const reduction = layers.reduce((a, l) => a + l.relativeReduction, 0) / layers.length;
      const name = refiner === "sparseswaps"
        ? `SparseSwaps (${maxIters})`
        : refiner === "dsnot"
        ? "DSnoT"
        : "–";
      console.log(
        `| ${label} | ${warmStart} | ${name} | ${(100 * reduction).toFixed(2)}% | ${
          inDomain.toFixed(3)
        } | ${moby.toFixed(2)} | ${((performance.now() - t0) / 1000).toFixed(1)} |`,
      );
    }
  }
}
console.log(`\nTotal ${((performance.now() - started) / 1000 / 60).toFixed(1)} minutes.`);
kernels.dispose();
