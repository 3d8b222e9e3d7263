// deno-lint-ignore-file no-console
/**
 * Every method at every sparsity on several calibration seeds, compared honestly: for each seed,
 * calibration windows and evaluation sets are made once (as `prune` makes them: 32 × 256 tokens
 * sampled with the seed, in-domain samples with seed + 1, Moby-Dick) and every method prunes
 * stories15M with them; each method's in-domain and Moby-Dick perplexities are then compared to
 * ADMM-Grad's on the same seed, and the paired differences summarised as mean ± standard error
 * over seeds. A method is better only where that difference exceeds its spread.
 *
 *     deno task bench:results [--seeds 0,1,2] [--patterns 50%,60%,70%,2:4]
 *       [--methods NAME,NAME…] [--eval-windows 16]
 *
 * @module
 */

import { paired, prunedWeights } from "./_shared.ts";
import { parseArgs } from "node:util";
import { createKernels } from "../core/backend.ts";
import { openCheckpoint } from "../core/model/checkpoint.ts";
import { calibrationWindows, evaluationSets, perplexities } from "../core/model/datasets.ts";
import { ensureStories15M, mobyDick } from "../core/model/stories15m.ts";
import { loadLlama2cTokenizer } from "../core/model/tokenizer.ts";
import { checkpointWeights, residentWeights } from "../core/model/transformer.ts";
import { parseNmPattern, perRowPattern, type SparsityPattern } from "../core/pattern.ts";
import type { Refiner, WeightUpdate } from "../core/layer.ts";
import { owlBlockPatterns, pruneModel, type PruneOptions } from "../core/pipeline.ts";
import type { Tensor } from "../core/safetensors.ts";
import type { LayerWarmStart } from "../core/update.ts";

/** A method: warm start, refiner, update, and whether OWL spreads the sparsity. */
interface Method {
  readonly warmStart: LayerWarmStart;
  readonly refiner: Refiner;
  readonly update?: WeightUpdate;
  readonly owl?: boolean;
}

const REBUILD: WeightUpdate = { method: "rebuild", damping: 0.1 };
const ADMM: WeightUpdate = { method: "admm", damping: 0.1, iterations: 20 };
const METHODS: Readonly<Record<string, Method>> = {
  "Wanda": { warmStart: "wanda", refiner: "none" },
  "Wanda + SparseSwaps": { warmStart: "wanda", refiner: "sparseswaps" },
  "Wanda + SparseSwaps + rebuild": { warmStart: "wanda", refiner: "sparseswaps", update: REBUILD },
  "Wanda + SparseSwaps + ADMM": { warmStart: "wanda", refiner: "sparseswaps", update: ADMM },
  "SparseGPT": { warmStart: "sparsegpt", refiner: "none" },
  "Wanda + SparseSwaps ↔ rebuild (2 rounds)": {
    warmStart: "wanda",
    refiner: "sparseswaps",
    update: { ...REBUILD, alternate: 2 },
  },
  "SparseGPT + SparseSwaps": { warmStart: "sparsegpt", refiner: "sparseswaps" },
  "SparseGPT as published (rows unbalanced)": {
    warmStart: "sparsegpt-unbalanced",
    refiner: "none",
  },
  "ADMM-Grad": { warmStart: "admm-grad", refiner: "none" },
  "ADMM-Grad + SparseSwaps": { warmStart: "admm-grad", refiner: "sparseswaps" },
  "ADMM-Grad + SparseSwaps + rebuild": {
    warmStart: "admm-grad",
    refiner: "sparseswaps",
    update: REBUILD,
  },
  "OWL + ADMM-Grad": { warmStart: "admm-grad", refiner: "none", owl: true },
  "OWL + ADMM-Grad + SparseSwaps": { warmStart: "admm-grad", refiner: "sparseswaps", owl: true },
  "OWL + SparseSwaps + rebuild": {
    warmStart: "wanda",
    refiner: "sparseswaps",
    update: REBUILD,
    owl: true,
  },
};
const REFERENCE = "ADMM-Grad";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seeds: { type: "string" },
    patterns: { type: "string" },
    methods: { type: "string" },
    "eval-windows": { type: "string" },
  },
});
const seeds = (values.seeds ?? "0,1,2").split(",").map(Number);
const patterns: [string, SparsityPattern][] = (values.patterns ?? "50%,60%,70%,2:4").split(",")
  .map((label) => [
    label,
    label.endsWith("%") ? perRowPattern(Number(label.slice(0, -1)) / 100) : parseNmPattern(label),
  ]);
const methods = values.methods?.split(",") ?? Object.keys(METHODS);
const unknown = methods.find((m) => !(m in METHODS));
if (unknown) throw new Error(`Unknown method "${unknown}"; methods: ${Object.keys(METHODS)}`);
if (!methods.includes(REFERENCE)) methods.unshift(REFERENCE);
const evalWindows = Number(values["eval-windows"] ?? 16);

const started = performance.now();
const kernels = await createKernels("auto");
const files = await ensureStories15M();
using checkpoint = await openCheckpoint(files.checkpoint);
const tokenizer = await loadLlama2cTokenizer(files.tokenizer, checkpoint.config.vocabSize);
const dense = await checkpointWeights(checkpoint);
const moby = await mobyDick();

interface Result {
  readonly inDomain: number;
  readonly mobyDick: number;
  readonly error: number;
  readonly seconds: number;
}

/** results[pattern][method][seed index] */
const results = new Map<string, Map<string, Result[]>>();
console.log(`Backend: ${kernels.description}; seeds ${seeds.join(", ")}\n`);
for (const seed of seeds) {
  const resident = await residentWeights(kernels, dense);
  const shared = { kernels, weights: resident.weights, tokenizer, seqlen: 256, seed };
  const calibration = await calibrationWindows({ ...shared, nsamples: 32 });
  const sets = await evaluationSets({ ...shared, windows: evalWindows, mobyDick: moby });
  resident.release();
  const densePpl = await perplexities(kernels, dense, sets);
  console.log(
    `Seed ${seed}: dense in-domain ${densePpl.in_domain.perplexity.toFixed(3)}, Moby-Dick ${
      densePpl.moby_dick.perplexity.toFixed(1)
    }`,
  );
  for (const [label, pattern] of patterns) {
    const owl = pattern.kind === "per-row"
      ? await owlBlockPatterns({ kernels, checkpoint, calibration, sparsity: pattern.sparsity })
      : undefined;
    for (const name of methods) {
      const method = METHODS[name];
      if (method.owl && !owl) continue;
      const t0 = performance.now();
      const tensors = new Map<string, Tensor>();
      const options: PruneOptions = {
        kernels,
        checkpoint,
        calibration,
        pattern,
        warmStart: method.warmStart,
        refiner: method.refiner,
        maxIters: 100,
        update: method.update,
        blockPatterns: method.owl ? owl : undefined,
        output: {
          writeTensor: (n, tensor) => Promise.resolve(void tensors.set(n, tensor)),
          writeMask: () => Promise.resolve(),
        },
      };
      const { layers } = await pruneModel(options);
      const seconds = (performance.now() - t0) / 1000;
      const ppl = await perplexities(kernels, prunedWeights(checkpoint.config, tensors), sets);
      const energy = layers.reduce((a, l) => a + l.outputEnergy, 0);
      const result: Result = {
        inDomain: ppl.in_domain.perplexity,
        mobyDick: ppl.moby_dick.perplexity,
        error: layers.reduce((a, l) => a + (l.errorUpdated ?? l.errorRefined), 0) / energy,
        seconds,
      };
      const byMethod = results.get(label) ?? new Map<string, Result[]>();
      byMethod.set(name, [...(byMethod.get(name) ?? []), result]);
      results.set(label, byMethod);
      console.log(
        `  ${label} ${name}: in-domain ${result.inDomain.toFixed(3)}, Moby-Dick ${
          result.mobyDick.toFixed(1)
        }, error/energy ${result.error.toExponential(3)}, ${seconds.toFixed(1)} s`,
      );
    }
  }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

console.log(
  `\nPaired against ${REFERENCE} on the same seed (mean over seeds ${
    seeds.join(", ")
  } ± standard error)\n`,
);
console.log(
  "| sparsity | method | in-domain ppl | vs ADMM-Grad | Moby-Dick ppl | vs ADMM-Grad | error / energy | seconds |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const [label, byMethod] of results) {
  const reference = byMethod.get(REFERENCE)!;
  for (const [name, runs] of byMethod) {
    const inDomain = runs.map((r) => r.inDomain);
    const mobyDick = runs.map((r) => r.mobyDick);
    console.log(
      `| ${label} | ${name} | ${mean(inDomain).toFixed(3)} | ${
        name === REFERENCE ? "–" : paired(inDomain, reference.map((r) => r.inDomain), 2)
      } | ${mean(mobyDick).toFixed(1)} | ${
        name === REFERENCE ? "–" : paired(mobyDick, reference.map((r) => r.mobyDick), 2)
      } | ${mean(runs.map((r) => r.error)).toExponential(3)} | ${
        mean(runs.map((r) => r.seconds)).toFixed(1)
      } |`,
    );
  }
}
console.log(`\nTotal ${((performance.now() - started) / 60000).toFixed(1)} minutes.`);
kernels.dispose();
