/**
 * `--calibration dense`: every block is calibrated on the dense model's activations, so what is
 * measured for a layer does not depend on how earlier blocks were pruned; `sequential` (the
 * default) calibrates on the pruned blocks before it.
 */

import assert from "./assert.ts";
import { runCli } from "./_cli.ts";
import { TINY_TEXT_MODEL, writeTinyTextModel } from "./_tiny_model.ts";
import type { PruneReport } from "../core/report.ts";

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
