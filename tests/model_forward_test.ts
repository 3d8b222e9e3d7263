import assert from "./assert.ts";
import { llama2cBytes, oracleLogits, TINY, tinyWeights, writeHuggingFace } from "./_tiny_model.ts";
import { createReferenceKernels } from "../core/backends/reference.ts";
import { createWasmKernels } from "../core/backends/wasm.ts";
import { createWebGpuKernels } from "../core/backends/webgpu.ts";
import type { Kernels, MatrixHandle } from "../core/kernels.ts";
import { openCheckpoint } from "../core/model/checkpoint.ts";
import { blockForward, embed, logits, ropeFrequencies } from "../core/model/forward.ts";
import {
  checkpointWeights,
  type ModelWeights,
  perplexity,
  residentWeights,
  sampleSequences,
} from "../core/model/transformer.ts";
import { createRandom } from "../core/synthetic.ts";

async function forwardLogits(kernels: Kernels, weights: ModelWeights, sequences: number[][]) {
  const { config } = weights;
  const length = sequences[0].length;
  const h = await kernels.createActivation({
    values: embed(weights.embedding, sequences.flat(), config.dim),
    width: config.dim,
  });
  const layout = { batch: sequences.length, tokens: length, start: 0 };
  for (let l = 0; l < config.nLayers; l++) {
    await blockForward(kernels, config, await weights.block(l), h, layout, ropeFrequencies(config));
  }
  const scores = await logits(kernels, config, h, weights.norm, weights.head);
  kernels.release(h);
  return scores;
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function withModels(
  body: (paths: { bin: string; hf: string }, w: ReturnType<typeof tinyWeights>) => Promise<void>,
  tied = true,
) {
  const dir = await Deno.makeTempDir();
  const config = { ...TINY, tieWordEmbeddings: tied };
  const w = tinyWeights(5, config);
  try {
    await Deno.writeFile(`${dir}/tiny.bin`, llama2cBytes(w, config));
    await writeHuggingFace(`${dir}/hf`, w, config);
    await body({ bin: `${dir}/tiny.bin`, hf: `${dir}/hf` }, w);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const SEQUENCES = [[1, 5, 9, 13, 2, 38, 7, 7, 0, 21], [1, 30, 4, 4, 4, 17, 22, 3, 9, 11]];

/** WebGPU on any adapter (llvmpipe here), or why there is none. */
async function webGpu(): Promise<Kernels | string> {
  return await createWebGpuKernels({ allowFallback: true }).catch((e) => (e as Error).message);
}
const gpuProbe = await webGpu();
const gpuNote = typeof gpuProbe === "string" ? ` (webgpu SKIPPED: ${gpuProbe})` : "";
if (typeof gpuProbe !== "string") gpuProbe.dispose();

for (const tied of [true, false]) {
  Deno.test(`forward logits match run.c's float64 forward within 1e-4 on every backend${gpuNote} (${tied ? "tied" : "separate"} output head)`, async () => {
    await withModels(async ({ bin }, w) => {
      const config = { ...TINY, tieWordEmbeddings: tied };
      using checkpoint = await openCheckpoint(bin);
      assert.deepEqual(checkpoint.config, config);
      const weights = await checkpointWeights(checkpoint);
      const wasm = await createWasmKernels({ threads: 2 });
      const gpu = await webGpu();
      try {
        const backends = [
          createReferenceKernels(),
          wasm,
          ...(typeof gpu === "string" ? [] : [gpu]),
        ];
        for (const kernels of backends) {
          const got = await forwardLogits(kernels, weights, SEQUENCES);
          SEQUENCES.forEach((tokens, b) => {
            const expected = oracleLogits(w, tokens, config);
            expected.forEach((row, t) => {
              const start = (b * tokens.length + t) * config.vocabSize;
              const diff = maxAbsDifference(got.subarray(start, start + config.vocabSize), row);
              assert.ok(
                diff < 1e-4,
                `${kernels.name}: sequence ${b} token ${t} differs by ${diff}`,
              );
            });
          });
        }
      } finally {
        wasm.dispose();
        if (typeof gpu !== "string") gpu.dispose();
      }
    }, tied);
  });
}

Deno.test(
  `perplexity on WebGPU (attention in one dispatch, resident weights) equals the wasm backend's within 1e-3 relative${gpuNote}`,
  {
    ignore: typeof gpuProbe === "string",
  },
  async () => {
    await withModels(async ({ bin }) => {
      using checkpoint = await openCheckpoint(bin);
      const weights = await checkpointWeights(checkpoint);
      const windows = [...SEQUENCES, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]].map((s) =>
        Int32Array.from(s)
      );
      const wasm = await createWasmKernels({ threads: 2 });
      const gpu = await webGpu() as Kernels;
      try {
        const expected = await perplexity(wasm, weights, windows);
        const resident = await residentWeights(gpu, weights);
        const got = await perplexity(gpu, resident.weights, windows);
        resident.release();
        assert.equal(got.tokens, expected.tokens);
        assert.ok(
          Math.abs(got.perplexity - expected.perplexity) < 1e-3 * expected.perplexity,
          `webgpu ${got.perplexity} against wasm ${expected.perplexity}`,
        );
      } finally {
        wasm.dispose();
        gpu.dispose();
      }
    });
  },
);

Deno.test("llama2.c and Hugging Face layouts of the same weights give the same logits", async () => {
  await withModels(async ({ bin, hf }) => {
    const kernels = createReferenceKernels();
    using a = await openCheckpoint(bin);
    using b = await openCheckpoint(hf);
    assert.equal(a.format, "llama2c");
    assert.equal(b.format, "huggingface");
    assert.deepEqual(a.tensors.map((t) => t.name), b.tensors.map((t) => t.name));
    for (const t of a.tensors) {
      assert.deepEqual((await a.read(t.name)).bytes, (await b.read(t.name)).bytes, t.name);
    }
    const la = await forwardLogits(kernels, await checkpointWeights(a), SEQUENCES);
    const lb = await forwardLogits(kernels, await checkpointWeights(b), SEQUENCES);
    assert.deepEqual(la, lb);
  });
});

Deno.test("token-by-token generation with the key/value cache (on the GPU with WebGPU) computes the same logits as a whole window", async (t) => {
  const gpu = await webGpu();
  const backends: [string, Kernels | string][] = [["reference", createReferenceKernels()], [
    "webgpu",
    gpu,
  ]];
  for (const [name, kernels] of backends) {
    if (typeof kernels === "string") {
      await t.step({ name: `${name} SKIPPED (${kernels})`, ignore: true, fn: () => {} });
    } else await t.step(name, () => checkGeneration(kernels));
  }
});

/** Sampling and cached generation on one backend against whole windows and the oracle. */
async function checkGeneration(kernels: Kernels): Promise<void> {
  await withModels(async ({ bin }, w) => {
    using checkpoint = await openCheckpoint(bin);
    const { weights, release } = await residentWeights(
      kernels,
      await checkpointWeights(checkpoint),
    );
    // Sample with a seed, then check each sampled token was drawn from the oracle's distribution
    // support and that re-scoring the sampled sequence reproduces the oracle logits.
    const samples = await sampleSequences(kernels, weights, 3, 10, createRandom(1));
    const again = await sampleSequences(kernels, weights, 3, 10, createRandom(1));
    assert.deepEqual(samples, again);
    for (const s of samples) {
      assert.equal(s[0], 1);
      assert.ok(s.every((t) => t >= 0 && t < TINY.vocabSize));
    }
    const different = await sampleSequences(kernels, weights, 3, 10, createRandom(2));
    assert.notDeepEqual(samples, different);
    // Sequences start with the tokenizer's BOS, whatever its id.
    const fromBos7 = await sampleSequences(kernels, weights, 3, 4, createRandom(1), { bos: 7 });
    assert.deepEqual(fromBos7.map((s) => s[0]), [7, 7, 7]);
    const sequences = samples.map((s) => [...s]);
    const whole = await forwardLogits(kernels, weights, sequences);
    // The cached path, one position at a time, against the whole-window logits.
    const { config } = weights;
    const caches = await Promise.all(
      Array.from(
        { length: config.nLayers },
        () => kernels.createKvCache({ batch: 3, capacity: 10, ...config }),
      ),
    );
    for (let position = 0; position < 10; position++) {
      const h = await kernels.createActivation({
        values: embed(weights.embedding, sequences.map((s) => s[position]), config.dim),
        width: config.dim,
      });
      for (let l = 0; l < config.nLayers; l++) {
        await blockForward(
          kernels,
          config,
          await weights.block(l),
          h,
          { batch: 3, tokens: 1, start: position },
          ropeFrequencies(config),
          { cache: caches[l] },
        );
      }
      const step = await logits(kernels, config, h, weights.norm, weights.head);
      kernels.release(h);
      for (let b = 0; b < 3; b++) {
        const start = (b * 10 + position) * config.vocabSize;
        const diff = maxAbsDifference(
          step.subarray(b * config.vocabSize, (b + 1) * config.vocabSize),
          whole.subarray(start, start + config.vocabSize),
        );
        assert.ok(diff < 1e-5, `position ${position} sequence ${b}: ${diff}`);
      }
    }
    release();
    sequences.forEach((tokens, b) => {
      oracleLogits(w, tokens).forEach((row, t) => {
        const start = (b * tokens.length + t) * TINY.vocabSize;
        assert.ok(maxAbsDifference(whole.subarray(start, start + TINY.vocabSize), row) < 1e-4);
      });
    });
  });
  kernels.dispose();
}

Deno.test("perplexity is exp of the mean negative log-likelihood of every predicted token", async () => {
  await withModels(async ({ bin }, w) => {
    using checkpoint = await openCheckpoint(bin);
    const result = await perplexity(
      createReferenceKernels(),
      await checkpointWeights(checkpoint),
      SEQUENCES.map((s) => Int32Array.from(s)),
    );
    let total = 0;
    let count = 0;
    for (const tokens of SEQUENCES) {
      oracleLogits(w, tokens).forEach((row, t) => {
        if (t + 1 >= tokens.length) return;
        const max = Math.max(...row);
        const logSum = Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max;
        total += logSum - row[tokens[t + 1]];
        count++;
      });
    }
    assert.equal(result.tokens, count);
    assert.equal(result.windows, 2);
    assert.ok(Math.abs(result.perplexity - Math.exp(total / count)) < 1e-4 * result.perplexity);
  });
});

Deno.test("perplexity over windows in chunks of one (bounded memory) equals the windows in one chunk, on every backend", async () => {
  await withModels(async ({ bin }) => {
    using checkpoint = await openCheckpoint(bin);
    const weights = await checkpointWeights(checkpoint);
    const random = createRandom(3);
    const windows = Array.from(
      { length: 5 },
      () => Int32Array.from({ length: 10 }, () => random.integer(TINY.vocabSize)),
    );
    const gpu = await webGpu();
    const backends = [createReferenceKernels(), await createWasmKernels({ threads: 1 })];
    if (typeof gpu !== "string") backends.push(gpu);
    for (const kernels of backends) {
      const whole = await perplexity(kernels, weights, windows);
      // One byte of activations a chunk: every window is a chunk of its own.
      const single = await perplexity(kernels, weights, windows, undefined, 1);
      assert.equal(single.tokens, whole.tokens);
      assert.equal(single.perplexity, whole.perplexity, kernels.name);
      kernels.dispose();
    }
  });
});

Deno.test("a BF16 checkpoint's matrices stay on the backend as BF16 (half the bytes on wasm and WebGPU) and sample and score exactly as float32 ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-bf16-" });
  try {
    const config = { ...TINY, tieWordEmbeddings: false };
    await writeHuggingFace(dir, tinyWeights(5, config), config, { dtype: "BF16" });
    using checkpoint = await openCheckpoint(dir);
    const weights = await checkpointWeights(checkpoint);
    // The same values without the BF16 bits: residentWeights keeps them in float32.
    const float32: ModelWeights = { ...weights, bfloat16Bits: undefined };
    const gpu = await webGpu();
    const backends = [createReferenceKernels(), await createWasmKernels({ threads: 2 })];
    if (typeof gpu !== "string") backends.push(gpu);
    for (const kernels of backends) {
      const kept = await residentWeights(kernels, weights);
      const wide = await residentWeights(kernels, float32);
      const q = (await kept.weights.block(0)).q as MatrixHandle;
      const q32 = (await wide.weights.block(0)).q as MatrixHandle;
      // wasm and WebGPU keep bfloat16 bits; the reference backend widens them.
      assert.equal(q.bytes, (kernels.name === "reference" ? 4 : 2) * config.dim * config.dim);
      assert.equal(q32.bytes, 4 * config.dim * config.dim);
      assert.equal(
        (kept.weights.head as MatrixHandle).bytes,
        q.bytes / config.dim * config.vocabSize,
      );
      const sample = (w: ModelWeights) => sampleSequences(kernels, w, 3, 10, createRandom(4));
      const expected = await sample(wide.weights);
      assert.deepEqual(await sample(kept.weights), expected, kernels.name);
      const score = (w: ModelWeights) => perplexity(kernels, w, expected);
      assert.deepEqual(await score(kept.weights), await score(wide.weights), kernels.name);
      kept.release();
      wide.release();
      kernels.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("weights kept resident only as far as a budget goes sample and score exactly as fully resident ones (wasm)", async () => {
  await withModels(async ({ bin }) => {
    using checkpoint = await openCheckpoint(bin);
    const weights = await checkpointWeights(checkpoint);
    const kernels = await createWasmKernels({ threads: 2 });
    try {
      const all = await residentWeights(kernels, weights);
      // Room for about half of the matrices: the rest are copied in for each product.
      const half = await residentWeights(kernels, weights, 4 * TINY.dim * TINY.hiddenDim * 3);
      const sample = (w: ModelWeights) => sampleSequences(kernels, w, 3, 10, createRandom(2));
      const expected = await sample(all.weights);
      assert.deepEqual(await sample(half.weights), expected);
      const score = (w: ModelWeights) => perplexity(kernels, w, expected);
      assert.deepEqual(await score(half.weights), await score(all.weights));
      // The budget kept some matrices out.
      const block = await half.weights.block(TINY.nLayers - 1);
      assert.ok(block.down instanceof Float32Array);
      assert.ok(!((await half.weights.block(0)).q instanceof Float32Array));
      all.release();
      half.release();
    } finally {
      kernels.dispose();
    }
  });
});
