/**
 * core/layer.ts: SparseSwaps on a warm start's updated weights, and alternating swap ↔ update
 * rounds that never raise a layer's error, checked against float64 recomputation.
 */

import assert, { assertClose } from "./assert.ts";
import { layerRowErrors, rowError } from "./_oracle.ts";
import { createReferenceKernels } from "../core/backends/reference.ts";
import { createWasmKernels } from "../core/backends/wasm.ts";
import { pruneLayer, type PruneLayerOptions, total } from "../core/layer.ts";
import type { Kernels } from "../core/kernels.ts";
import type { SparsityPattern } from "../core/pattern.ts";
import { syntheticLayer } from "../core/synthetic.ts";
import { rebuildRowsFloat64, warmStartLayer } from "../core/update.ts";
import { gramDiagonal } from "../core/warm_start.ts";

const PATTERNS: readonly SparsityPattern[] = [
  { kind: "per-row", sparsity: 0.6 },
  { kind: "n:m", n: 2, m: 4 },
];

async function layerOptions(
  kernels: Kernels,
  rows: number,
  d: number,
  seed: number,
  pattern: SparsityPattern,
) {
  const layer = syntheticLayer({ rows, d, tokens: 2 * d, seed });
  const gram = await kernels.createGram({ d, values: layer.gram });
  const options = {
    kernels,
    gram,
    gramDiagonal: gramDiagonal(layer.gram, d),
    weight: layer.weight,
    rows,
    d,
    pattern,
    warmStart: "wanda",
    refiner: "sparseswaps",
    maxIters: 50,
  } satisfies PruneLayerOptions;
  return { layer, options };
}

Deno.test("SparseSwaps refines SparseGPT's and ADMM-Grad's updated weights: never worse, every restored weight at its dense value", async () => {
  const kernels = createReferenceKernels();
  for (const pattern of PATTERNS) {
    for (const method of ["sparsegpt", "admm-grad"] as const) {
      await refinesUpdatedWeights(kernels, pattern, method);
    }
  }
});

async function refinesUpdatedWeights(
  kernels: Kernels,
  pattern: SparsityPattern,
  method: "sparsegpt" | "admm-grad",
): Promise<void> {
  const { layer, options } = await layerOptions(kernels, 12, 32, 3, pattern);
  const warm = await warmStartLayer({ ...options, method, damping: 0.1 });
  const pruned = await pruneLayer({ ...options, warmStart: method });
  assert.equal(pruned.weightSource, method);
  // SparseGPT's weights leave plenty to swap; ADMM-Grad's are often 1-swap optimal already
  // on these small generated layers.
  if (method === "sparsegpt") assert.ok(pruned.swaps > 0);
  const { rows, d } = options;
  const oracle = layerRowErrors(layer.weight, warm.mask, layer.gram, rows, d);
  // The warm error is the warm start's with its own weights, not its mask's with the dense ones.
  for (let r = 0; r < rows; r++) {
    const own = rowError(
      layer.weight.subarray(r * d, (r + 1) * d),
      warm.mask.subarray(r * d, (r + 1) * d),
      layer.gram,
      d,
      warm.updated!.weight.subarray(r * d, (r + 1) * d),
    );
    assertClose(pruned.errorWarm[r], own, 1e-9, `row ${r} warm error`);
    assert.ok(own < oracle[r], `row ${r}: ${method}'s weights beat its mask alone`);
    const refined = rowError(
      layer.weight.subarray(r * d, (r + 1) * d),
      pruned.mask.subarray(r * d, (r + 1) * d),
      layer.gram,
      d,
      pruned.weight!.subarray(r * d, (r + 1) * d),
    );
    assertClose(pruned.errorRefined[r], refined, 1e-9, `row ${r} refined error`, own);
    assert.ok(refined <= own * (1 + 1e-12), `row ${r} got worse`);
  }
  if (method === "sparsegpt") assert.ok(total(pruned.errorRefined) < total(pruned.errorWarm));
  for (let i = 0; i < rows * d; i++) {
    if (pruned.mask[i] === 0) assert.ok(Object.is(pruned.weight![i], 0), `${i} not zeroed`);
    else if (warm.mask[i] === 0) assert.equal(pruned.weight![i], layer.weight[i], `${i}`);
  }
}

Deno.test("alternating rounds never raise the error: more rounds, lower or equal error, each update exact for its mask", async () => {
  const kernels = createReferenceKernels();
  let dropped = 0;
  for (const pattern of PATTERNS) {
    for (const damping of [0.01, 0.1, 3]) {
      for (const seed of [1, 2]) {
        const { layer, options } = await layerOptions(kernels, 8, 32, seed, pattern);
        let previous = Infinity;
        for (const alternate of [0, 1, 2, 4]) {
          const pruned = await pruneLayer({
            ...options,
            update: { method: "rebuild", damping, alternate },
          });
          const error = total(pruned.errorUpdated!);
          const where = `${
            JSON.stringify(pattern)
          } damping ${damping} seed ${seed} rounds ${alternate}`;
          assert.ok(error <= previous, `${where}: ${error} > ${previous}`);
          assert.ok(pruned.rounds <= alternate, where);
          if (pruned.rounds < alternate) dropped++;
          previous = error;
          // The written weights are the update of the final mask, and the reported errors theirs.
          const expected = rebuildRowsFloat64({
            ...options,
            gram: layer.gram,
            mask: pruned.mask,
            damping,
          });
          assert.deepEqual(pruned.weight, expected.weight, where);
          const oracle = Array.from({ length: options.rows }, (_, r) => {
            const d = options.d;
            return rowError(
              layer.weight.subarray(r * d, (r + 1) * d),
              pruned.mask.subarray(r * d, (r + 1) * d),
              layer.gram,
              d,
              pruned.weight!.subarray(r * d, (r + 1) * d),
            );
          });
          assertClose(error, oracle.reduce((a, b) => a + b, 0), 1e-9, where);
        }
      }
    }
  }
  // Some layers run out of improving rounds before the budget: the stopping rule was exercised.
  assert.ok(dropped > 0);
});

Deno.test("alternating rounds give the same layer on the wasm backend as on the reference", async () => {
  const reference = createReferenceKernels();
  const wasm = await createWasmKernels({ threads: 2 });
  try {
    const pattern = PATTERNS[0];
    const update = { method: "rebuild", damping: 0.1, alternate: 2 } as const;
    const a = await layerOptions(reference, 16, 48, 7, pattern);
    const b = await layerOptions(wasm, 16, 48, 7, pattern);
    const got = await pruneLayer({ ...b.options, update });
    const expected = await pruneLayer({ ...a.options, update });
    assert.deepEqual(got.mask, expected.mask);
    assert.equal(got.rounds, expected.rounds);
    assertClose(total(got.errorUpdated!), total(expected.errorUpdated!), 1e-6);
  } finally {
    wasm.dispose();
  }
});
