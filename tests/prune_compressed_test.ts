/**
 * `--format compressed` end to end: prune writes compressed-tensors checkpoints whose decoded
 * weights equal the dense output bit for bit (F32 and BF16, unstructured and 2:4), eval and prune
 * read them back, refine writes one layer's parts, and broken compressed checkpoints are refused
 * naming the tensor.
 */

import assert from "./assert.ts";
import { runCli } from "./_cli.ts";
import { refineArgs, writeLayerFiles } from "./_files.ts";
import { type HuggingFaceLayout, TINY_TEXT_MODEL, writeTinyTextModel } from "./_tiny_model.ts";
import { decompressWeight, SPARSE_PARTS, sparseFormatFor } from "../core/compressed.ts";
import { openCheckpoint } from "../core/model/checkpoint.ts";
import type { PruneReport } from "../core/report.ts";
import { parseNmPattern, perRowPattern } from "../core/pattern.ts";
import { SafetensorsFile, type Tensor, writeSafetensors } from "../core/safetensors.ts";

const FAST = ["--nsamples", "4", "--seqlen", "16", "--max-iters", "10", "--eval-windows", "1"];

async function withModel(
  layout: HuggingFaceLayout,
  test: (dir: string, model: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-compressed-" });
  try {
    const model = await writeTinyTextModel(dir, 4, TINY_TEXT_MODEL, layout);
    await test(dir, model);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The parts of prune's --json summary and of JSON files these tests read. */
interface Summary {
  readonly perplexity: Readonly<Record<string, unknown>>;
}

async function prune(args: string[]): Promise<Summary> {
  const result = await runCli(["prune", ...FAST, ...args, "--json"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout.at(-1)!);
}

async function readJson<T = Record<string, unknown>>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path));
}

/** config.json's compressed-tensors entry. */
interface CompressionEntry {
  readonly quant_method: string;
  readonly sparsity_config: {
    readonly format: string;
    readonly sparsity_structure: string;
    readonly global_sparsity: number;
  };
}

/** Prunes one model both ways and compares the two outputs. */
async function compareFormats(dtype: "F32" | "BF16", pattern: string[]): Promise<void> {
  await withModel({ dtype }, async (dir, model) => {
    const dense = `${dir}/dense`;
    const compressed = `${dir}/compressed`;
    const denseRun = await prune(["--model", model, ...pattern, "--out", dense]);
    const compressedRun = await prune([
      "--model",
      model,
      ...pattern,
      "--out",
      compressed,
      "--format",
      "compressed",
    ]);
    // Same pruning, same evaluation of the written checkpoint.
    assert.deepEqual(compressedRun.perplexity, denseRun.perplexity);
    assert.deepEqual(
      await Deno.readFile(`${compressed}/masks.safetensors`),
      await Deno.readFile(`${dense}/masks.safetensors`),
    );

    const patternValue = pattern[0] === "--pattern"
      ? parseNmPattern(pattern[1])
      : perRowPattern(Number(pattern[1]));
    const format = sparseFormatFor(patternValue);
    using denseFile = await SafetensorsFile.open(`${dense}/model.safetensors`);
    using compressedFile = await SafetensorsFile.open(`${compressed}/model.safetensors`);
    using masks = await SafetensorsFile.open(`${dense}/masks.safetensors`);
    const expectedNames: string[] = [];
    for (const name of denseFile.names) {
      if (!masks.header.tensors.has(name)) {
        expectedNames.push(name);
        assert.deepEqual(await compressedFile.read(name), await denseFile.read(name), name);
        continue;
      }
      // Every pruned weight is stored as compressed-tensors parts, never densely, and decodes to
      // the dense output bit for bit.
      const prefix = name.replace(/\.weight$/, "");
      const parts: Record<string, Tensor> = {};
      for (const suffix of SPARSE_PARTS[format]) {
        expectedNames.push(`${prefix}.${suffix}`);
        parts[suffix] = await compressedFile.read(`${prefix}.${suffix}`);
      }
      const original = await denseFile.read(name);
      assert.equal(parts.compressed.dtype, dtype);
      assert.deepEqual(
        decompressWeight(parts, format, original.shape, prefix, compressed),
        original,
        name,
      );
    }
    assert.deepEqual(compressedFile.names, expectedNames);

    // The checkpoint reader decodes it the same way, block by block.
    using fromDense = await openCheckpoint(dense);
    using fromCompressed = await openCheckpoint(compressed);
    assert.equal(fromCompressed.storage, format);
    assert.deepEqual(fromCompressed.tensors, fromDense.tensors);
    for (const { name } of fromDense.tensors) {
      assert.deepEqual(await fromCompressed.read(name), await fromDense.read(name), name);
    }

    // config.json: the input's, plus compressed-tensors' sparsity-only quantization_config.
    const config = await readJson(`${compressed}/config.json`);
    const { quantization_config, ...rest } = config;
    const q = quantization_config as CompressionEntry;
    assert.deepEqual(rest, await readJson(`${model}/config.json`));
    assert.equal(q.quant_method, "compressed-tensors");
    assert.equal(q.sparsity_config.format, format);
    assert.equal(
      q.sparsity_config.sparsity_structure,
      format === "sparse-24-bitmask" ? "2:4" : "unstructured",
    );

    // The report's sizes are the file's: data bytes of every part.
    const report = await readJson<PruneReport>(`${compressed}/report.json`);
    const dataBytes = (file: SafetensorsFile) =>
      [...file.header.tensors.values()].reduce(
        (a, t) => a + t.dataOffsets[1] - t.dataOffsets[0],
        0,
      );
    assert.equal(report.storage.written, "compressed");
    assert.equal(report.storage.model.compressed_bytes, dataBytes(compressedFile));
    assert.equal(report.storage.model.dense_bytes, dataBytes(denseFile));
    assert.ok(report.storage.model.compressed_bytes < report.storage.model.dense_bytes);
    assert.equal(report.storage.layers.length, masks.names.length);
    const denseReport = await readJson<PruneReport>(`${dense}/report.json`);
    assert.equal(denseReport.storage.written, "dense");
    assert.deepEqual(denseReport.storage.layers, report.storage.layers);
    // global_sparsity: zeros among all parameters, in percent, as llm-compressor counts them.
    let zeros = 0;
    let parameters = 0;
    for (const { name } of fromDense.tensors) {
      const t = await fromDense.read(name);
      const words = dtype === "F32"
        ? Array.from(new Float32Array(t.bytes.slice().buffer))
        : Array.from(new Uint16Array(t.bytes.slice().buffer), (w) => w & 0x7fff);
      zeros += words.filter((w) => w === 0).length;
      parameters += words.length;
    }
    assert.ok(Math.abs(q.sparsity_config.global_sparsity - (100 * zeros) / parameters) < 1e-9);
    assert.match(await Deno.readTextFile(`${compressed}/report.md`), /## Storage/);

    // eval reads the compressed checkpoint and scores it as the dense one.
    await Deno.writeTextFile(
      `${dir}/text.txt`,
      "the cat sat on the mat, and the dog ran. ".repeat(8),
    );
    const scores = [];
    for (const out of [dense, compressed]) {
      const evaluated = await runCli([
        "eval",
        "--model",
        out,
        "--text",
        `${dir}/text.txt`,
        "--seqlen",
        "16",
        "--json",
      ]);
      assert.equal(evaluated.code, 0, evaluated.stderr);
      scores.push(JSON.parse(evaluated.stdout.at(-1)!).perplexity);
    }
    assert.equal(scores[1], scores[0]);
  });
}

Deno.test("prune --format compressed: F32 at 60% as sparse-bitmask, decoding to the dense output", async () => {
  await compareFormats("F32", ["--sparsity", "0.6"]);
});

Deno.test("prune --format compressed: BF16 at 2:4 as sparse-24-bitmask, decoding to the dense output", async () => {
  await compareFormats("BF16", ["--pattern", "2:4"]);
});

Deno.test("prune --format compressed: BF16 at 50% and F32 at 2:4", async () => {
  await compareFormats("BF16", ["--sparsity", "0.5"]);
  await compareFormats("F32", ["--pattern", "2:4"]);
});

Deno.test("prune takes a compressed checkpoint as its model and writes what the dense one gives", async () => {
  await withModel({ dtype: "BF16", shards: 2 }, async (dir, model) => {
    await prune(["--model", model, "--out", `${dir}/dense`]);
    await prune(["--model", model, "--out", `${dir}/compressed`, "--format", "compressed"]);
    for (const from of ["dense", "compressed"]) {
      await prune(["--model", `${dir}/${from}`, "--sparsity", "0.7", "--out", `${dir}/${from}-70`]);
    }
    for (const file of ["model.safetensors", "masks.safetensors"]) {
      assert.deepEqual(
        await Deno.readFile(`${dir}/compressed-70/${file}`),
        await Deno.readFile(`${dir}/dense-70/${file}`),
        file,
      );
    }
    // Dense output of a compressed input: its quantization_config is gone, the rest kept.
    const config = await readJson(`${dir}/compressed-70/config.json`);
    assert.equal(config.quantization_config, undefined);
    assert.deepEqual(config, await readJson(`${dir}/dense-70/config.json`));
  });
});

/** Rewrites one tensor of a compressed checkpoint. */
async function tamper(out: string, name: string, change: (t: Tensor) => Tensor): Promise<void> {
  const tensors: Record<
    string,
    { dtype: Tensor["dtype"]; shape: readonly number[]; data: Uint8Array }
  > = {};
  {
    using file = await SafetensorsFile.open(`${out}/model.safetensors`);
    for (const n of file.names) {
      const t = n === name ? change(await file.read(n)) : await file.read(n);
      tensors[n] = { dtype: t.dtype, shape: t.shape, data: t.bytes };
    }
  }
  await writeSafetensors(`${out}/model.safetensors`, tensors);
}

Deno.test("a compressed checkpoint whose parts disagree is refused naming the tensor", async () => {
  await withModel({}, async (dir, model) => {
    const out = `${dir}/out`;
    await prune(["--model", model, "--out", out, "--format", "compressed", "--eval-windows", "0"]);
    const evalOf = () =>
      runCli(["eval", "--model", out, "--text", `${model}/config.json`, "--seqlen", "8"]);
    const original = await Deno.readFile(`${out}/model.safetensors`);
    const originalConfig = await Deno.readTextFile(`${out}/config.json`);
    const cases: [() => Promise<void>, RegExp][] = [
      [
        () =>
          tamper(out, "model.layers.1.mlp.up_proj.row_offsets", (t) => {
            const offsets = new BigInt64Array(t.bytes.slice().buffer);
            offsets[5] = offsets[3];
            return { ...t, bytes: new Uint8Array(offsets.buffer) };
          }),
        /Tensor "model\.layers\.1\.mlp\.up_proj\.row_offsets" of model ".*" decreases at row 5/,
      ],
      [
        () =>
          tamper(out, "model.layers.0.self_attn.q_proj.bitmask", (t) => ({
            ...t,
            bytes: t.bytes.map((b, i) => i === 7 ? b ^ 0x10 : b),
          })),
        /Tensor "model\.layers\.0\.self_attn\.q_proj\.(row_offsets|compressed)" of model/,
      ],
      [
        () =>
          tamper(out, "model.layers.0.mlp.down_proj.shape", (t) => ({
            ...t,
            bytes: new Uint8Array(new BigInt64Array([24n, 16n]).buffer),
          })),
        /Tensor "model\.layers\.0\.mlp\.down_proj\.shape" .* says \[24,16\]; the config implies \[16,24\]/,
      ],
      [
        () =>
          Deno.writeTextFile(
            `${out}/config.json`,
            originalConfig.replace('"sparse-bitmask"', '"sparse-4-bitmask"'),
          ),
        /config\.json": quantization_config has sparsity_config\.format "sparse-4-bitmask"/,
      ],
      [
        () =>
          Deno.writeTextFile(
            `${out}/config.json`,
            originalConfig.replace('"sparse-bitmask"', '"sparse-24-bitmask"'),
          ),
        /Tensor "model\.layers\.0\.self_attn\.q_proj\.compressed" .* sparse-24-bitmask stores \[16,8\]/,
      ],
    ];
    for (const [breakIt, message] of cases) {
      await breakIt();
      const result = await evalOf();
      assert.equal(result.code, 1, `${message}: exit code`);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, / {4}at /, "no stack trace");
      await Deno.writeFile(`${out}/model.safetensors`, original);
      await Deno.writeTextFile(`${out}/config.json`, originalConfig);
    }
  });
});

Deno.test("refine --format compressed writes the pruned weight's parts beside the mask", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-refine-compressed-" });
  try {
    for (
      const [pattern, format] of [[["--sparsity", "0.6"], "sparse-bitmask"], [
        ["--pattern", "2:4"],
        "sparse-24-bitmask",
      ]] as const
    ) {
      const layer = await writeLayerFiles(dir, 6, 20, 2);
      const out = `${dir}/out.safetensors`;
      const result = await runCli([
        ...refineArgs(layer),
        ...pattern,
        "--format",
        "compressed",
        "--out",
        out,
        "--json",
      ]);
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout.at(-1)!);
      assert.equal(summary.format, format);
      using file = await SafetensorsFile.open(out);
      assert.deepEqual(file.names.sort(), ["mask", ...SPARSE_PARTS[format]].sort());
      const parts: Record<string, Tensor> = {};
      for (const suffix of SPARSE_PARTS[format]) parts[suffix] = await file.read(suffix);
      assert.equal(
        summary.compressed_bytes,
        Object.values(parts).reduce((a, p) => a + p.bytes.length, 0),
      );
      const decoded = new Float32Array(
        decompressWeight(parts, format, [6, 20], "", out).bytes.buffer,
      );
      const mask = (await file.read("mask")).bytes;
      mask.forEach((m, i) =>
        assert.ok(Object.is(decoded[i], m ? layer.weight[i] : 0), `element ${i}`)
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
