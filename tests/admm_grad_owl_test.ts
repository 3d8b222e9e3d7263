/**
 * ADMM-Grad as a warm start and OWL layer-wise sparsity, in the library and through `prune`:
 * exact patterns, ADMM-Grad's weights kept while its mask stands, OWL's block sparsities from
 * outlier ratios with the target as their mean.
 */

import assert, { assertClose } from "./assert.ts";
import { runCli } from "./_cli.ts";
import { TINY_TEXT_MODEL, writeTinyTextModel } from "./_tiny_model.ts";
import { createReferenceKernels } from "../core/backends/reference.ts";
import { outlierRatio, owlSparsities } from "../core/owl.ts";
import { rowsBreakingPattern, type SparsityPattern } from "../core/pattern.ts";
import type { PruneReport } from "../core/report.ts";
import { SafetensorsFile, toFloat32 } from "../core/safetensors.ts";
import { syntheticLayer } from "../core/synthetic.ts";
import { admmGrad, admmUpdate, rebuildRowsFloat64 } from "../core/update.ts";

Deno.test("ADMM-Grad ends at the exact pattern with its weights zero outside the mask and a fitted update", async () => {
  const [rows, d] = [8, 32];
  const layer = syntheticLayer({ rows, d, tokens: 96, seed: 21 });
  const kernels = createReferenceKernels();
  const gram = await kernels.createGram({ d, values: layer.gram });
  const patterns: SparsityPattern[] = [
    { kind: "per-row", sparsity: 0.6 },
    { kind: "n:m", n: 2, m: 4 },
  ];
  for (const pattern of patterns) {
    const result = await admmGrad({
      kernels,
      gram,
      weight: layer.weight,
      rows,
      d,
      damping: 0.1,
      pattern,
    });
    assert.deepEqual(rowsBreakingPattern(result.mask, rows, d, pattern), []);
    result.mask.forEach((m, i) => assert.ok(m === 1 || Object.is(result.weight[i], 0)));
    // Its weights are ADMM's on its final mask: 5 more fixed-mask iterations from them move
    // little, and they are far better than the mask alone.
    const maskOnly = rebuildRowsFloat64({
      gram: layer.gram,
      weight: layer.weight,
      mask: result.mask,
      rows,
      d,
      damping: 1e12, // infinite damping: the kept weights do not move
    });
    const total = (errors: Float64Array) => errors.reduce((a, b) => a + b, 0);
    assert.ok(total(result.errors) < 0.8 * total(maskOnly.errors), `${JSON.stringify(pattern)}`);
    const again = await admmUpdate({
      kernels,
      gram,
      weight: layer.weight,
      mask: result.mask,
      rows,
      d,
      damping: 0.1,
      iterations: 40,
    });
    assertClose(total(again.errors), total(result.errors), 0.05);
  }
});

Deno.test("OWL: outlier ratios over a block's layers, sparsities centred on the target within ± λ", () => {
  // Two layers, one with an outlier input channel: its scores dominate the block's mean.
  const energy = [1, 1, 1, 400];
  const flat = new Float32Array(16).fill(1);
  const ratio = outlierRatio([
    { weight: flat, d: 4, inputEnergy: energy },
    { weight: flat, d: 4, inputEnergy: [1, 1, 1, 1] },
  ]);
  // Scores: 12 ones and 4 twenties in the first layer, 16 ones in the second: mean 108 / 32 =
  // 3.375; the 4 twenties are above 5 × 3.375, not above 7 × 3.375.
  assert.equal(ratio, 12.5);
  assert.equal(
    outlierRatio([
      { weight: flat, d: 4, inputEnergy: energy },
      { weight: flat, d: 4, inputEnergy: [1, 1, 1, 1] },
    ], 7),
    0,
  );
  const ratios = [3, 9, 1, 4, 4, 7];
  const sparsities = owlSparsities(ratios, 0.7);
  assertClose(sparsities.reduce((a, b) => a + b, 0) / ratios.length, 0.7, 1e-12);
  assertClose(Math.max(...sparsities) - Math.min(...sparsities), 0.16, 1e-12);
  // More outliers, less pruning; equal ratios, equal sparsities.
  ratios.forEach((ri, i) =>
    ratios.forEach((rj, j) => {
      if (ri > rj) assert.ok(sparsities[i] < sparsities[j], `blocks ${i}, ${j}`);
      if (ri === rj) assertClose(sparsities[i], sparsities[j], 1e-12);
    })
  );
  assert.deepEqual(owlSparsities([2, 2, 2], 0.5), [0.5, 0.5, 0.5]);
});

Deno.test("prune --layer-sparsity owl --warm-start admm-grad: per-block sparsities, ADMM-Grad's weights written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-owl-" });
  try {
    const config = { ...TINY_TEXT_MODEL, nLayers: 4 };
    const model = await writeTinyTextModel(dir, 6, config);
    const out = `${dir}/out`;
    const result = await runCli([
      "prune",
      "--model",
      model,
      "--nsamples",
      "4",
      "--seqlen",
      "16",
      "--eval-windows",
      "1",
      "--sparsity",
      "0.5",
      "--layer-sparsity",
      "owl",
      "--warm-start",
      "admm-grad",
      "--refine",
      "none",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report: PruneReport = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
    assert.equal(report.settings.layer_sparsity, "owl");
    const byBlock = new Map<number, Set<number>>();
    for (const layer of report.layers) {
      byBlock.set(layer.block, (byBlock.get(layer.block) ?? new Set()).add(layer.sparsity));
      // The warm start's own weights are the layer: no refinement, no further update.
      assert.equal(layer.errorRefined, layer.errorWarm);
      assert.equal(layer.errorUpdated, undefined);
    }
    // Each block one per-row sparsity, spread over blocks (⌊d·s⌋ of these 16- and 24-wide rows
    // rounds down by up to 1/16).
    const blockMeans = [...byBlock.keys()].sort().map((b) => {
      const layers = report.layers.filter((l) => l.block === b);
      return layers.reduce((a, l) => a + l.sparsity * l.rows * l.d, 0) /
        layers.reduce((a, l) => a + l.rows * l.d, 0);
    });
    assert.ok(Math.max(...blockMeans) - Math.min(...blockMeans) > 0.05, `${blockMeans}`);
    assert.ok(blockMeans.every((s) => s > 0.5 - 0.08 - 1 / 16 && s <= 0.5 + 0.08), `${blockMeans}`);
    // ADMM-Grad's weights are what was written: zero where pruned, most kept ones moved.
    using written = await SafetensorsFile.open(`${out}/model.safetensors`);
    using masks = await SafetensorsFile.open(`${out}/masks.safetensors`);
    using dense = await SafetensorsFile.open(`${model}/model.safetensors`);
    for (const name of masks.names) {
      const mask = (await masks.read(name)).bytes;
      const w = toFloat32(await written.read(name));
      const original = toFloat32(await dense.read(name));
      mask.forEach((m, i) => assert.ok(m === 1 || Object.is(w[i], 0), `${name}[${i}]`));
      const moved = mask.filter((m, i) => m === 1 && w[i] !== original[i]).length;
      assert.ok(moved > 0.5 * mask.filter((m) => m === 1).length, `${name}: ${moved} kept moved`);
    }
    const refused = await runCli(["prune", "--layer-sparsity", "owl", "--pattern", "2:4"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--layer-sparsity owl .* needs --sparsity/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
