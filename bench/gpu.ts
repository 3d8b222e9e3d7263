// deno-lint-ignore-file no-console
/**
 * GPU benchmark (`deno task bench:gpu`): SparseSwaps iterations of the WebGPU backend on
 * synthetic LLaMA-3.1-8B layer shapes at 60% sparsity (q, o 4096 × 4096; k, v 1024 × 4096;
 * gate, up 14336 × 4096; down 4096 × 14336), W and G generated with a fixed seed, G accumulated
 * on the GPU. Per shape and search (the bounded search, bound_rows + scan_active, and the dense
 * min-plus brute force): milliseconds per iteration (search, accept, apply), the share of the
 * brute-force pairs the search evaluated, brute-force-equivalent valid pairs per second
 * (rows · kept · pruned per iteration / time), and the projected time of 100 iterations over all
 * 32 blocks of the 8B model. Target on one H200: 2e12 valid pairs/s (100 iterations of the
 * whole model in under 10 minutes).
 *
 * Then the calibration forward pass: one block with resident weights on 8 × 256 tokens, every
 * step on the GPU, in tokens per second (--forward-8b: LLaMA-3.1-8B's block). With --prune-1b,
 * last, the whole prune of the TinyLlama-1.1B shape on the GPU in its own process (bench:scale
 * --offline with the hidden states held on the GPU, 8 × 128 sampled tokens, SparseSwaps 10
 * iterations): seconds per phase and peak host memory.
 *
 *     deno task bench:gpu [--iterations 5] [--smoke] [--forward-8b] [--prune-1b]
 *
 * --smoke runs the same code on shapes 16 times smaller and accepts a software adapter, to
 * check the benchmark itself on machines without a GPU (its figures mean nothing).
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  blockWeights,
  expectedTensors,
  LINEAR_LAYERS,
  LINEAR_ROLES,
  linearName,
} from "../core/model/checkpoint.ts";
import {
  blockForward,
  type BlockWeights,
  type Matrix,
  ropeFrequencies,
} from "../core/model/forward.ts";
import { TINYLLAMA } from "./_shared.ts";
import { createWebGpuKernels } from "../core/backends/webgpu.ts";
import type { PairSearch } from "../core/kernels.ts";
import { prunedPerRow } from "../core/pattern.ts";
import { createRandom } from "../core/synthetic.ts";
import { gramDiagonal, warmStartMask } from "../core/warm_start.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string" },
    smoke: { type: "boolean" },
    "forward-8b": { type: "boolean" },
    "prune-1b": { type: "boolean" },
  },
});
const iterations = Number(values.iterations ?? 5);
const smoke = values.smoke ?? false;
const scale = smoke ? 16 : 1;
const SPARSITY = 0.6;
const TOKENS = smoke ? 64 : 512;
const BLOCKS = 32;

/** LLaMA-3.1-8B's linear layers of one block: rows (outputs) × d (inputs). */
const SHAPES: [string, number, number][] = [
  ["q_proj", 4096, 4096],
  ["k_proj", 1024, 4096],
  ["v_proj", 1024, 4096],
  ["o_proj", 4096, 4096],
  ["gate_proj", 14336, 4096],
  ["up_proj", 14336, 4096],
  ["down_proj", 4096, 14336],
];

const kernels = await createWebGpuKernels({ allowFallback: smoke });
console.log(
  `# GPU benchmark, ${new Date().toISOString().slice(0, 10)}${
    smoke ? " (SMOKE: small shapes, figures meaningless)" : ""
  }`,
);
console.log(`Adapter: ${kernels.description}; Deno ${Deno.version.deno}`);
console.log(
  `60% per-row sparsity, Wanda warm start, ${iterations} timed iterations per shape after one warm-up, G from ${TOKENS} synthetic tokens\n`,
);
console.log(
  "| layer | rows × d | search | ms / iteration | pairs evaluated | valid pairs / s | 100 iterations × 32 blocks |",
);
console.log("|---|---|---|---|---|---|---|");

const random = createRandom(0);
const modelSeconds: Record<PairSearch, number> = { bounded: 0, "brute-force": 0 };
for (const [name, fullRows, fullD] of SHAPES) {
  const rows = fullRows / scale;
  const d = fullD / scale;
  // Inputs: one shared factor (correlated channels), per-channel scales, a few 20× outliers.
  const channelScale = Float32Array.from({ length: d }, () => 0.5 + random.uniform());
  for (let k = 0; k < Math.max(1, d / 512); k++) channelScale[random.integer(d)] = 20;
  const loading = Float32Array.from({ length: d }, () => random.normal());
  const x = new Float32Array(TOKENS * d);
  for (let t = 0; t < TOKENS; t++) {
    const shared = random.normal();
    for (let j = 0; j < d; j++) {
      x[t * d + j] = channelScale[j] * (random.normal() + 0.7 * shared * loading[j]);
    }
  }
  const weight = Float32Array.from({ length: rows * d }, () => 0.02 * random.normal());
  const gram = await kernels.createGram({ d });
  await kernels.gramAccumulate({ gram, x, tokens: TOKENS });
  const pattern = { kind: "per-row", sparsity: SPARSITY } as const;
  const mask = warmStartMask({
    method: "wanda",
    weight,
    rows,
    d,
    gramDiagonal: gramDiagonal(await kernels.readGram(gram), d),
    pattern,
  });
  const pruned = prunedPerRow(d, SPARSITY);
  const pairs = rows * (d - pruned) * pruned;
  for (const search of ["bounded", "brute-force"] as const) {
    const batch = await kernels.loadRows({ weight, mask, rows, d });
    const errors = await kernels.correlate({ gram, batch });
    const active = Uint32Array.from({ length: rows }, (_, i) => i);
    let evaluated = 0;
    const iterate = async () => {
      const threshold = errors.map((e) => -1e-10 * e);
      const proposals = await kernels.bestSwaps({
        gram,
        batch,
        active,
        blockLength: d,
        threshold,
        search,
      });
      evaluated += proposals.pairsEvaluated ?? pairs;
      const accepted = [...active].filter((r) =>
        proposals.gain[r] < -kernels.gainTolerance * errors[r]
      );
      for (const r of accepted) errors[r] += proposals.gain[r];
      await kernels.applySwaps({
        gram,
        batch,
        rows: Uint32Array.from(accepted),
        prune: Int32Array.from(accepted, (r) => proposals.prune[r]),
        restore: Int32Array.from(accepted, (r) => proposals.restore[r]),
      });
      return accepted.length;
    };
    await iterate();
    evaluated = 0;
    const started = performance.now();
    let swaps = 0;
    for (let t = 0; t < iterations; t++) swaps += await iterate();
    const correlateStart = performance.now();
    await kernels.correlate({ gram, batch });
    const correlateMs = performance.now() - correlateStart;
    // The refiner recomputes c every recomputeEvery iterations: charge that share too.
    const ms = (correlateStart - started) / iterations + correlateMs / kernels.recomputeEvery;
    const blockSeconds = (100 * ms) / 1000;
    modelSeconds[search] += blockSeconds * BLOCKS;
    console.log(
      `| ${name} | ${rows} × ${d} | ${search} | ${ms.toFixed(1)} | ${
        (evaluated / (iterations * pairs)).toFixed(3)
      } | ${(pairs / (ms / 1000)).toExponential(2)} | ${
        (blockSeconds * BLOCKS / 60).toFixed(1)
      } min (${swaps} swaps timed) |`,
    );
    kernels.release(batch);
  }
  kernels.release(gram);
}
for (const search of ["bounded", "brute-force"] as const) {
  console.log(
    `\nProjected, ${search}: 100 iterations over all ${BLOCKS} blocks of the 8B model: ${
      (modelSeconds[search] / 60).toFixed(1)
    } minutes (target: under 10).`,
  );
}
await forwardPass();
kernels.dispose();
if (values["prune-1b"]) await prune1b();

/** The whole prune of the 1.1B shape on the GPU, by bench/scale.ts in its own process. */
async function prune1b(): Promise<void> {
  console.log("\nThe whole prune of the TinyLlama-1.1B shape on the GPU (bench/scale.ts):");
  const scale = ["--offline", "--nsamples", "8", "--seqlen", "128"];
  const prune = ["--backend", "webgpu", "--hidden-states", "backend"];
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-A", new URL("scale.ts", import.meta.url).pathname, ...scale, "--", ...prune],
      ...["--refine", "sparseswaps", "--max-iters", "10"],
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) console.log(`bench/scale.ts exited with ${code}`);
}

/**
 * The calibration forward pass on the GPU: one block of TinyLlama-1.1B's shape (of LLaMA-3.1-8B's
 * with --forward-8b) with its weights resident, on 8 sequences of 256 tokens, seeded weights;
 * attention of all heads in one dispatch. Tokens per second per block, and the projected seconds
 * of one calibration pass of the default 32 × 256 tokens over every block.
 */
async function forwardPass(): Promise<void> {
  const base = values["forward-8b"]
    ? {
      ...TINYLLAMA,
      dim: 4096,
      hiddenDim: 14336,
      nLayers: 32,
      nKvHeads: 8,
      headDim: 128,
      vocabSize: 128256,
    }
    : TINYLLAMA;
  const config = smoke
    ? { ...base, dim: base.dim / 16, hiddenDim: base.hiddenDim / 16, nHeads: base.nHeads / 4 }
    : base;
  if (smoke) Object.assign(config, { headDim: config.dim / config.nHeads });
  const tensors = expectedTensors({ ...config, nLayers: 1 })
    .filter((t) => t.name.startsWith("model.layers.0."));
  const weights = new Map(tensors.map((t) => {
    const n = t.shape[0] * (t.shape[1] ?? 1);
    return [
      t.name,
      t.name.endsWith("norm.weight")
        ? new Float32Array(n).fill(1)
        : Float32Array.from({ length: n }, () => 0.02 * random.normal()),
    ];
  }));
  const block: Record<string, Matrix> = { ...await blockWeights((n) => weights.get(n)!, 0) };
  for (const linear of LINEAR_LAYERS) {
    const name = linearName(0, linear);
    const [rows, cols] = tensors.find((t) => t.name === name)!.shape;
    block[LINEAR_ROLES[linear].field] = await kernels.createMatrix({
      values: weights.get(name)!,
      rows,
      cols,
    });
  }
  const resident = block as unknown as BlockWeights;
  const batch = 8;
  const tokens = smoke ? 64 : 256;
  const layout = { batch, tokens, start: 0 };
  const frequencies = ropeFrequencies(config);
  const input = Float32Array.from({ length: batch * tokens * config.dim }, () => random.normal());
  // What calibration does per block and chunk: the input in, the block on the backend, h out.
  const pass = async () => {
    const h = await kernels.createActivation({ values: input, width: config.dim });
    await blockForward(kernels, config, resident, h, layout, frequencies);
    await kernels.readActivation(h);
    kernels.release(h);
  };
  await pass(); // warm-up
  const started = performance.now();
  const repeats = 3;
  for (let r = 0; r < repeats; r++) await pass();
  const seconds = (performance.now() - started) / 1000 / repeats;
  const perSecond = (batch * tokens) / seconds;
  console.log(
    `\nForward pass, one block of ${
      values["forward-8b"] ? "LLaMA-3.1-8B" : "TinyLlama-1.1B"
    }'s shape (hidden ${config.dim}, ${config.nHeads} heads of ${config.headDim}), weights resident, ${batch} × ${tokens} tokens: ${
      (seconds * 1000).toFixed(0)
    } ms, ${
      perSecond.toExponential(2)
    } tokens/s per block; one calibration pass of 32 × 256 tokens over ${config.nLayers} blocks: ${
      ((32 * 256 * config.nLayers) / perSecond).toFixed(1)
    } s.`,
  );
}
