/**
 * `--calibration dense`: every block is calibrated on the dense model's activations, so what is
 * measured for a layer does not depend on how earlier blocks were pruned; `sequential` (the
 * default) calibrates on the pruned blocks before it. Either way the sequences may go through a
 * block in chunks (bounded memory) with the same result.
 */

import assert, { assertClose } from "./assert.ts";
import { runCli } from "./_cli.ts";
import { TINY_TEXT_MODEL, withTinyModels, writeTinyTextModel } from "./_tiny_model.ts";
import type { PruneReport } from "../core/report.ts";
import { createReferenceKernels } from "../core/backends/reference.ts";
import { openLocalFile } from "../core/local_files.ts";
import { type ModelSource, openModelSource } from "../core/model/source.ts";
import { type CalibrationMode, pruneModel } from "../core/pipeline.ts";
import { createRandom } from "../core/synthetic.ts";
import { createWasmKernels } from "../core/backends/wasm.ts";
import { createWebGpuKernels } from "../core/backends/webgpu.ts";
import { backendHiddenStates, type HiddenStates, readAllHidden } from "../core/hidden_states.ts";
import type { Kernels } from "../core/kernels.ts";

Deno.test("with dense calibration a layer's warm start does not depend on earlier blocks' pruning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-calibration-" });
  try {
    const config = { ...TINY_TEXT_MODEL, nLayers: 3 };
    const model = await writeTinyTextModel(dir, 8, config);
    const run = async (mode: string, refine: string) => {
      const out = `${dir}/${mode}-${refine}`;
      const result = await runCli([
        "prune",
        "--model",
        model,
        "--nsamples",
        "4",
        "--seqlen",
        "16",
        "--eval-windows",
        "0",
        "--calibration",
        mode,
        "--refine",
        refine,
        "--out",
        out,
      ]);
      assert.equal(result.code, 0, result.stderr);
      const report: PruneReport = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
      assert.equal(report.settings.calibration_mode, mode);
      return report.layers;
    };
    // Wanda's warm-start error depends only on the layer's calibration inputs: with dense
    // calibration it is the same whether earlier blocks were refined or not.
    const [denseNone, denseSwaps] = [await run("dense", "none"), await run("dense", "sparseswaps")];
    denseNone.forEach((layer, i) => assert.equal(denseSwaps[i].errorWarm, layer.errorWarm, `${i}`));
    const [seqNone, seqSwaps] = [
      await run("sequential", "none"),
      await run("sequential", "sparseswaps"),
    ];
    // Block 0 sees the same inputs either way; later blocks see their pruned predecessors.
    seqNone.forEach((layer, i) => {
      if (layer.block === 0) assert.equal(seqSwaps[i].errorWarm, layer.errorWarm);
      else assert.notEqual(seqSwaps[i].errorWarm, layer.errorWarm, `${i}`);
    });
    denseNone.forEach((layer, i) => {
      if (layer.block === 0) assert.equal(seqNone[i].errorWarm, layer.errorWarm);
    });
    const refused = await runCli(["prune", "--calibration", "pruned"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--calibration must be one of sequential, dense/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Options of {@linkcode calibrateTiny}. */
interface TinyRunOptions {
  readonly kernels: Kernels;
  readonly source: ModelSource;
  readonly calibration: Int32Array[];
  readonly mode: CalibrationMode;
  readonly maxIters: number;
  readonly chunkBytes?: number;
  readonly hiddenStates?: HiddenStates;
}

/**
 * Prunes the tiny model at 50% (Wanda + SparseSwaps) and keeps its masks, the hidden states after
 * every block, and the layer reports without their timings.
 */
async function calibrateTiny(options: TinyRunOptions) {
  const masks = new Map<string, Uint8Array>();
  const hidden: Float32Array[] = [];
  const { layers } = await pruneModel({
    ...options,
    checkpoint: options.source.checkpoint,
    calibrationMode: options.mode,
    pattern: { kind: "per-row", sparsity: 0.5 },
    warmStart: "wanda",
    refiner: "sparseswaps",
    output: {
      writeTensor: () => Promise.resolve(),
      writeMask: (n, m) => Promise.resolve(void masks.set(n, m)),
    },
    events: { onBlockDone: async ({ hidden: h }) => void hidden.push(await readAllHidden(h!)) },
  });
  return { masks, hidden, layers: layers.map(({ seconds: _, ...rest }) => rest) };
}

/** The tiny llama2.c model withTinyModels wrote to `dir`. */
async function openTiny(dir: string): Promise<ModelSource> {
  return await openModelSource({
    name: "tiny",
    model: await openLocalFile(`${dir}/tiny.bin`),
    tokenizer: await openLocalFile(`${dir}/tokenizer.bin`),
  });
}

Deno.test("calibrating one sequence at a time gives the whole batch's hidden states, masks and errors", async () => {
  await withTinyModels(async (dir) => {
    const source = await openTiny(dir);
    const kernels = createReferenceKernels();
    const random = createRandom(4);
    const calibration = Array.from(
      { length: 5 },
      () => Int32Array.from({ length: 12 }, () => random.integer(TINY_TEXT_MODEL.vocabSize)),
    );
    const run = (mode: CalibrationMode, chunkBytes?: number) =>
      calibrateTiny({ kernels, source, calibration, mode, maxIters: 20, chunkBytes });
    for (const mode of ["sequential", "dense"] as const) {
      const whole = await run(mode);
      // One byte a chunk: every sequence is a chunk of its own.
      const single = await run(mode, 1);
      assert.deepEqual(single.hidden, whole.hidden, `${mode}: hidden states`);
      assert.deepEqual(single.masks, whole.masks, `${mode}: masks`);
      single.layers.forEach((layer, i) => {
        assertClose(layer.errorWarm, whole.layers[i].errorWarm, 1e-12, `${mode} ${i}`);
        assertClose(layer.outputEnergy, whole.layers[i].outputEnergy, 1e-12, `${mode} ${i}`);
      });
    }
    source.checkpoint.close();
  });
});

Deno.test("hidden states held by the backend (on the GPU with webgpu) give the hidden states, masks and errors of states in memory", async (t) => {
  await withTinyModels(async (dir) => {
    const source = await openTiny(dir);
    const { config } = source.checkpoint;
    const random = createRandom(9);
    const tokens = 12;
    const calibration = Array.from(
      { length: 5 },
      () => Int32Array.from({ length: tokens }, () => random.integer(config.vocabSize)),
    );
    // Chunks of 2 sequences: 2 + 2 + 1.
    const widest = Math.max(config.dim, config.hiddenDim, config.nHeads * config.headDim);
    const chunkBytes = 2 * 4 * tokens * widest;
    const run = async (kernels: Kernels, held: boolean, mode: CalibrationMode) => {
      using states = held
        ? await backendHiddenStates(kernels, calibration.length, tokens, config.dim, 2)
        : undefined;
      // Counts the chunks the forward pass ran where they were held.
      let heldChunks = 0;
      const hiddenStates = states && {
        ...states,
        held: (first: number, count: number) => {
          const chunk = states.held!(first, count);
          heldChunks += chunk ? 1 : 0;
          return chunk;
        },
      };
      const options = { kernels, source, calibration, mode, maxIters: 10, chunkBytes };
      return { ...await calibrateTiny({ ...options, hiddenStates }), heldChunks };
    };
    const backends: [string, () => Promise<Kernels>][] = [
      ["wasm", () => createWasmKernels({ threads: 1 })],
      ["webgpu", () => createWebGpuKernels({ allowFallback: true })],
    ];
    for (const [name, create] of backends) {
      let kernels: Kernels;
      try {
        kernels = await create();
      } catch (error) {
        // Reported in the step's name, never silently.
        await t.step({
          name: `${name} SKIPPED (${(error as Error).message})`,
          ignore: true,
          fn: () => {},
        });
        continue;
      }
      await t.step(name, async () => {
        try {
          for (const mode of ["sequential", "dense"] as const) {
            const inMemory = await run(kernels, false, mode);
            const held = await run(kernels, true, mode);
            // Every chunk of every block's passes (two a block when sequential, one when dense).
            const passes = mode === "sequential" ? 2 : 1;
            assert.equal(held.heldChunks, 3 * passes * config.nLayers);
            assert.equal(held.hidden.length, config.nLayers);
            assert.deepEqual(held.hidden, inMemory.hidden, `${mode}: hidden states`);
            assert.deepEqual(held.masks, inMemory.masks, `${mode}: masks`);
            assert.deepEqual(held.layers, inMemory.layers, `${mode}: layer reports`);
            assert.equal(inMemory.heldChunks, 0);
          }
        } finally {
          kernels.dispose();
        }
      });
    }
    source.checkpoint.close();
  });
});
