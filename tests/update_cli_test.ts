/**
 * `--update rebuild` end to end: refine writes the updated weight and its error, prune writes
 * updated weights in the model's dtype with exact zeros where pruned and reports both errors, and
 * conflicting flags stop with exit 2.
 */

import assert, { assertClose } from "./assert.ts";
import { runCli } from "./_cli.ts";
import { refineArgs, writeLayerFiles } from "./_files.ts";
import { checkOutput } from "./_outputs.ts";
import { TINY_TEXT_MODEL, writeTinyTextModel } from "./_tiny_model.ts";
import { decompressWeight, SPARSE_PARTS } from "../core/compressed.ts";
import { openCheckpoint } from "../core/model/checkpoint.ts";
import type { PruneReport } from "../core/report.ts";
import { SafetensorsFile, toFloat32 } from "../core/safetensors.ts";
import { createReferenceKernels } from "../core/backends/reference.ts";
import { admmUpdate, rebuildRowsFloat64 } from "../core/update.ts";

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-update-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("refine --update rebuild writes the float64 optimum for the refined mask and its error", async () => {
  await withDir(async (dir) => {
    const [rows, d] = [6, 24];
    const layer = await writeLayerFiles(dir, rows, d, 5);
    const out = `${dir}/out.safetensors`;
    const result = await runCli([
      ...refineArgs(layer),
      "--sparsity",
      "0.5",
      "--update",
      "rebuild",
      "--damping",
      "0.05",
      "--backend",
      "reference",
      "--format",
      "compressed",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    assert.equal(summary.update, "rebuild");
    assert.equal(summary.damping, 0.05);
    assert.ok(summary.error_updated < summary.error_after, "the update lowers the error");
    using file = await SafetensorsFile.open(out);
    const mask = (await file.read("mask")).bytes;
    const weight = await file.read("weight");
    assert.equal(weight.dtype, "F32");
    const expected = rebuildRowsFloat64({
      gram: layer.gram,
      weight: layer.weight,
      mask,
      rows,
      d,
      damping: 0.05,
    });
    assert.deepEqual(toFloat32(weight), expected.weight);
    assertClose(
      summary.error_updated,
      expected.errors.reduce((a, b) => a + b, 0),
      1e-12,
    );
    // The compressed parts hold the updated weight too.
    const parts = Object.fromEntries(
      await Promise.all(
        SPARSE_PARTS["sparse-bitmask"].map(async (s) => [s, await file.read(s)] as const),
      ),
    );
    const decoded = decompressWeight(parts, "sparse-bitmask", [rows, d], "", out);
    assert.deepEqual(toFloat32(decoded), expected.weight);
  });
});

Deno.test("prune --update rebuild writes updated BF16 weights, zero where pruned, with both errors reported", async () => {
  await withDir(async (dir) => {
    const model = await writeTinyTextModel(dir, 2, TINY_TEXT_MODEL, { dtype: "BF16" });
    const out = `${dir}/out`;
    const args = ["--nsamples", "4", "--seqlen", "16", "--max-iters", "10", "--eval-windows", "1"];
    const result = await runCli([
      "prune",
      "--model",
      model,
      ...args,
      "--update",
      "rebuild",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    assert.ok(summary.relative_error_updated < summary.relative_error_refined);
    const report: PruneReport = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
    assert.equal(report.settings.update, "rebuild");
    assert.equal(report.settings.damping, 0.1);
    for (const layer of report.layers) {
      assert.ok(layer.errorUpdated !== undefined && layer.errorUpdated <= layer.errorRefined);
    }
    assert.match(await Deno.readTextFile(`${out}/report.md`), /with the updated weights/);

    // Pruned entries exactly zero, kept ones moved, dtype kept.
    using source = await openCheckpoint(model);
    using pruned = await openCheckpoint(out);
    using masks = await SafetensorsFile.open(`${out}/masks.safetensors`);
    let moved = 0;
    let kept = 0;
    for (const name of masks.names) {
      const mask = (await masks.read(name)).bytes;
      const after = await pruned.read(name);
      assert.equal(after.dtype, "BF16");
      const a = toFloat32(await source.read(name));
      const b = toFloat32(after);
      mask.forEach((m, i) => {
        if (!m) assert.ok(Object.is(b[i], 0), `${name}[${i}]`);
        else {
          kept++;
          if (b[i] !== a[i]) moved++;
        }
      });
    }
    assert.ok(moved > 0.9 * kept, `${moved} of ${kept} kept weights updated`);
    // Without the update, the same command writes the mask-only output the usual checks accept.
    const plain = await runCli(["prune", "--model", model, ...args, "--out", `${dir}/plain`]);
    assert.equal(plain.code, 0, plain.stderr);
    await checkOutput(model, `${dir}/plain`, { kind: "per-row", sparsity: 0.6 });
  });
});

Deno.test("conflicting update flags stop with exit 2 and say why", async () => {
  const cases: [string[], RegExp][] = [
    [["--update", "rebuild", "--refine", "dsnot"], /--update cannot follow --refine dsnot/],
    [["--damping", "0.1"], /--damping applies to a weight update/],
    [["--update", "rebuild", "--damping=-1"], /--damping must be ≥ 0/],
    [["--update", "admm2"], /--update/],
    [["--update", "rebuild", "--admm-iters", "5"], /--admm-iters applies to --update admm/],
    [["--update", "admm", "--admm-iters", "0"], /--admm-iters must be a whole number ≥ 1/],
    [["--alternate", "2"], /--alternate repeats SparseSwaps ↔ weight update rounds/],
    [["--update", "rebuild", "--refine", "none", "--alternate", "2"], /needs --refine sparseswaps/],
    [["--update", "rebuild", "--alternate", "-1"], /--alternate/],
  ];
  for (const [flags, message] of cases) {
    const result = await runCli(["prune", ...flags, "--out", "never-written"]);
    assert.equal(result.code, 2, flags.join(" "));
    assert.match(result.stderr, message);
  }
  const refine = await runCli([
    "refine",
    "--weight",
    "W",
    "--gram",
    "G",
    "--out",
    "o",
    "--sparsity",
    "0.5",
    "--damping",
    "x",
  ]);
  assert.equal(refine.code, 2);
  assert.match(refine.stderr, /--damping applies to a weight update/);
});

Deno.test("refine --update admm writes Boža's ADMM update with the iterations asked for", async () => {
  await withDir(async (dir) => {
    const [rows, d] = [5, 16];
    const layer = await writeLayerFiles(dir, rows, d, 3);
    const out = `${dir}/out.safetensors`;
    const args = [...refineArgs(layer), "--pattern", "2:4", "--backend", "reference"];
    const result = await runCli([
      ...args,
      "--update",
      "admm",
      "--admm-iters",
      "7",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    assert.equal(summary.update, "admm");
    assert.equal(summary.admm_iters, 7);
    using file = await SafetensorsFile.open(out);
    const mask = (await file.read("mask")).bytes;
    const kernels = createReferenceKernels();
    const gram = await kernels.createGram({ d, values: layer.gram });
    const expected = await admmUpdate({
      kernels,
      gram,
      weight: layer.weight,
      mask,
      rows,
      d,
      damping: 0.1,
      iterations: 7,
    });
    assert.deepEqual(toFloat32(await file.read("weight")), expected.weight);
    assert.equal(summary.error_updated, expected.errors.reduce((a, b) => a + b, 0));
  });
});
