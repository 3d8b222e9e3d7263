/**
 * pruneInMemory, the run the web page makes from picked files: the same output files as
 * `prune --format dense` with the same settings, byte for byte, from Blobs instead of paths.
 */

import { runCli } from "./_cli.ts";
import { OUTPUT_MARKER } from "../core/cli/output_dir.ts";
import assert from "./assert.ts";
import {
  llama2cBytes,
  TINY_TEXT_MODEL,
  tinyTokenizerBytes,
  tinyWeights,
  withTinyModels,
} from "./_tiny_model.ts";
import { createKernels } from "../core/backend.ts";
import { blobSource, memoryFileSet } from "../core/files.ts";
import { openModelSource } from "../core/model/source.ts";
import { mobyDick } from "../core/model/stories15m.ts";
import { type MemoryRunOptions, pruneInMemory, type RunSettings } from "../core/run.ts";

const SETTINGS: RunSettings = {
  pattern: { kind: "per-row", sparsity: 0.5 },
  warmStart: "wanda",
  layerSparsity: "uniform",
  refiner: "sparseswaps",
  maxIters: 10,
  nsamples: 4,
  seqlen: 16,
  seed: 3,
  calibrationMode: "sequential",
  evalWindows: 2,
};
const FLAGS = [
  "--sparsity",
  "0.5",
  "--max-iters",
  "10",
  "--nsamples",
  "4",
  "--seqlen",
  "16",
  "--seed",
  "3",
  "--eval-windows",
  "2",
  "--backend",
  "reference",
  "--quiet",
];

/** Files on disk as the page gets them: Blobs keyed by name. */
async function picked(dir: string, names: string[]): Promise<Map<string, Blob>> {
  return new Map(
    await Promise.all(
      names.map(async (n) => [n, new Blob([await Deno.readFile(`${dir}/${n}`)])] as const),
    ),
  );
}

for (const format of ["huggingface", "llama2c"] as const) {
  Deno.test(`pruneInMemory on a ${format} model picked as Blobs writes what prune --format dense writes, byte for byte`, async () => {
    await withTinyModels(async (dir) => {
      const model = format === "huggingface" ? `${dir}/hf` : `${dir}/tiny.bin`;
      const cli = await runCli(["prune", "--model", model, "--out", `${dir}/out`, ...FLAGS]);
      assert.equal(cli.code, 0, cli.stderr);

      const files = format === "huggingface"
        ? {
          model: memoryFileSet(
            "hf",
            await picked(`${dir}/hf`, ["config.json", "model.safetensors", "tokenizer.bin"]),
          ),
        }
        : {
          model: blobSource("tiny.bin", (await picked(dir, ["tiny.bin"])).get("tiny.bin")!),
          tokenizer: blobSource(
            "tokenizer.bin",
            (await picked(dir, ["tokenizer.bin"])).get("tokenizer.bin")!,
          ),
        };
      const source = await openModelSource({ name: "tiny", ...files });
      const kernels = await createKernels("reference");
      const steps = new Set<string>();
      let layersSeen = 0;
      const result = await pruneInMemory({
        kernels,
        source,
        settings: SETTINGS,
        modelName: model,
        mobyDick,
        onProgress: (step) => steps.add(step),
        onLayer: (_report, done, total) => {
          layersSeen = done;
          assert.equal(total, 7 * TINY_TEXT_MODEL.nLayers);
        },
      });
      kernels.dispose();
      source.checkpoint.close();

      // The marker is how prune recognises its own output directory: no file of the model.
      const written = [...Deno.readDirSync(`${dir}/out`)].map((e) => e.name)
        .filter((name) => name !== OUTPUT_MARKER).sort();
      assert.deepEqual([...result.files.keys()].sort(), written);
      for (const name of written.filter((n) => !n.startsWith("report") && !n.endsWith(".svg"))) {
        const expected = await Deno.readFile(`${dir}/out/${name}`);
        assert.ok(
          expected.length === result.files.get(name)!.length &&
            expected.every((b, i) => b === result.files.get(name)![i]),
          `${name} differs from prune's`,
        );
      }
      const cliReport = JSON.parse(await Deno.readTextFile(`${dir}/out/report.json`));
      const { report } = result;
      assert.deepEqual(report.model, cliReport.model);
      assert.deepEqual(report.perplexity, cliReport.perplexity);
      assert.deepEqual(report.storage, cliReport.storage);
      assert.deepEqual(
        report.layers.map(({ seconds: _, ...rest }) => rest),
        cliReport.layers.map(({ seconds: _, ...rest }: { seconds: number }) => rest),
      );
      assert.deepEqual({ ...report.settings }, cliReport.settings);
      assert.deepEqual(Object.keys(report.perplexity).sort(), ["in_domain", "moby_dick"]);
      assert.ok(report.perplexity.in_domain.pruned > 0);
      assert.equal(layersSeen, 7 * TINY_TEXT_MODEL.nLayers);
      assert.deepEqual([...steps].sort(), [
        "calibration samples",
        "evaluate dense in_domain",
        "evaluate dense moby_dick",
        "evaluate pruned in_domain",
        "evaluate pruned moby_dick",
        "held-out samples",
        "prune",
      ]);
      const svg = new TextDecoder().decode(result.files.get("error_reduction.svg"));
      assert.equal(svg, await Deno.readTextFile(`${dir}/out/error_reduction.svg`));
    }, 5);
  });
}

/** The tiny llama2.c model, from Blobs as a page has them. */
async function tinySource() {
  const w = tinyWeights(5, TINY_TEXT_MODEL);
  const blob = (bytes: Uint8Array) => new Blob([bytes as Uint8Array<ArrayBuffer>]);
  return await openModelSource({
    name: "tiny",
    model: blobSource("tiny.bin", blob(llama2cBytes(w, TINY_TEXT_MODEL))),
    tokenizer: blobSource("tokenizer.bin", blob(tinyTokenizerBytes())),
  });
}

Deno.test("pruneInMemory refuses, before any work and with the numbers, a sequence length the model cannot take and a model too large for its memory limit", async () => {
  const source = await tinySource();
  const kernels = await createKernels("reference");
  const refusals: [Partial<MemoryRunOptions>, RegExp][] = [
    [{ settings: { ...SETTINGS, seqlen: 64 } }, /--seqlen 64 exceeds the model's 32 positions/],
    [
      { memoryLimit: 10_000 },
      /Pruning this model in memory needs about 0\.\d\d GiB \(the weights in float32, twice while sampling 0\.\d\d GiB, .*\), more than the 0\.00 GiB allowed here: prune it with the command line/,
    ],
  ];
  for (const [options, message] of refusals) {
    let progressed = false;
    await assert.rejects(
      pruneInMemory({
        kernels,
        source,
        settings: SETTINGS,
        onProgress: () => (progressed = true),
        ...options,
      }),
      message,
    );
    assert.equal(progressed, false);
  }
  // The same run within a limit that fits goes ahead.
  const result = await pruneInMemory({
    kernels,
    source,
    settings: { ...SETTINGS, evalWindows: 0 },
    memoryLimit: 2 ** 30,
  });
  assert.equal(result.report.layers.length, 7 * TINY_TEXT_MODEL.nLayers);
  kernels.dispose();
  source.checkpoint.close();
});
