/**
 * SparseGPT: its blocked update with the Cholesky factor of H⁻¹ equals column-by-column Optimal
 * Brain Surgeon with the inverse recomputed for the columns still to visit (the paper's lemma,
 * checked against that slow oracle), masks are row-balanced or exactly N:M (or, as published,
 * balanced over each block of all rows), and the update beats the mask alone.
 */

import assert, { assertClose } from "./assert.ts";
import { runCli } from "./_cli.ts";
import { refineArgs, writeLayerFiles } from "./_files.ts";
import { SafetensorsFile, toFloat32 } from "../core/safetensors.ts";
import { rowsBreakingPattern, type SparsityPattern } from "../core/pattern.ts";
import { sparseGpt } from "../core/sparsegpt.ts";
import { syntheticLayer } from "../core/synthetic.ts";
import { writeTinyTextModel } from "./_tiny_model.ts";

/** Inverse of a small symmetric positive definite matrix by Gauss-Jordan elimination. */
function invert(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const pivot = m[c][c];
    for (let k = 0; k < 2 * n; k++) m[c][k] /= pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let k = 0; k < 2 * n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row) => row.slice(n));
}

/** Column-by-column OBS with a given mask: the definition SparseGPT computes faster. */
function obs(gram: Float64Array, weight: Float32Array, mask: Uint8Array, rows: number, d: number) {
  let trace = 0;
  for (let j = 0; j < d; j++) trace += gram[j * d + j];
  const h = (i: number, j: number) => gram[i * d + j] + (i === j ? 0.01 * trace / d : 0);
  const w = Float64Array.from(weight);
  for (let j = 0; j < d; j++) {
    const rest = Array.from(
      { length: d - j },
      (_, a) => Array.from({ length: d - j }, (_, b) => h(j + a, j + b)),
    );
    const inverse = invert(rest);
    for (let r = 0; r < rows; r++) {
      if (mask[r * d + j]) continue;
      const error = w[r * d + j] / inverse[0][0];
      for (let k = j; k < d; k++) w[r * d + k] -= error * inverse[0][k - j];
      w[r * d + j] = 0;
    }
  }
  return w;
}

Deno.test("SparseGPT's blocked update equals column-by-column OBS for its mask", () => {
  const [rows, d] = [5, 20];
  const layer = syntheticLayer({ rows, d, tokens: 60, seed: 31 });
  const patterns: SparsityPattern[] = [{ kind: "per-row", sparsity: 0.55 }, {
    kind: "n:m",
    n: 2,
    m: 4,
  }];
  for (const pattern of patterns) {
    const result = sparseGpt({ gram: layer.gram, weight: layer.weight, rows, d, pattern });
    assert.deepEqual(rowsBreakingPattern(result.mask, rows, d, pattern), []);
    const expected = obs(layer.gram, layer.weight, result.mask, rows, d);
    const scale = Math.max(...layer.weight.map(Math.abs));
    for (let i = 0; i < rows * d; i++) {
      assert.ok(Math.abs(result.weight[i] - expected[i]) < 1e-5 * scale, `${pattern.kind} [${i}]`);
      if (!result.mask[i]) assert.ok(Object.is(result.weight[i], 0));
    }
    // The update keeps the layer's output closer than the mask alone.
    for (let r = 0; r < rows; r++) {
      let maskOnly = 0;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          const qi = result.mask[r * d + i] ? 0 : layer.weight[r * d + i];
          const qj = result.mask[r * d + j] ? 0 : layer.weight[r * d + j];
          maskOnly += qi * layer.gram[i * d + j] * qj;
        }
      }
      assert.ok(result.errors[r] < maskOnly, `row ${r}`);
    }
  }
});

Deno.test("SparseGPT on widths past one block: row-balanced counts add up to ⌊d·s⌋", () => {
  const [rows, d] = [3, 300];
  const layer = syntheticLayer({ rows, d, tokens: 400, seed: 32 });
  const result = sparseGpt({
    gram: layer.gram,
    weight: layer.weight,
    rows,
    d,
    pattern: { kind: "per-row", sparsity: 0.6 },
  });
  for (let r = 0; r < rows; r++) {
    const kept = result.mask.subarray(r * d, (r + 1) * d).reduce((a, b) => a + b, 0);
    assert.equal(kept, d - Math.floor(d * 0.6));
  }
  assert.ok(result.weight.every(Number.isFinite));
  assert.ok(result.errors.every((e) => Number.isFinite(e) && e >= 0));
});

Deno.test("refine --warm-start sparsegpt --max-iters 0 writes SparseGPT's mask and weights", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-sparsegpt-" });
  try {
    const [rows, d] = [4, 16];
    const layer = await writeLayerFiles(dir, rows, d, 12);
    const out = `${dir}/out.safetensors`;
    const result = await runCli([
      ...refineArgs(layer),
      "--pattern",
      "2:4",
      "--warm-start",
      "sparsegpt",
      "--max-iters",
      "0",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    assert.equal(summary.update, "sparsegpt");
    const expected = sparseGpt({
      gram: layer.gram,
      weight: layer.weight,
      rows,
      d,
      pattern: { kind: "n:m", n: 2, m: 4 },
    });
    using file = await SafetensorsFile.open(out);
    assert.deepEqual((await file.read("mask")).bytes, expected.mask);
    assert.deepEqual(toFloat32(await file.read("weight")), expected.weight);
    // Its weights are the layer: the error reported is theirs, no update ran after them.
    assertClose(summary.error_after, expected.errors.reduce((a, b) => a + b, 0), 1e-9);
    assert.equal(summary.error_before, summary.error_after);
    assert.equal(summary.error_updated, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SparseGPT as published: each block prunes its smallest saliencies over all rows, so rows differ; the update is OBS for that mask", () => {
  const [rows, d] = [5, 20];
  const layer = syntheticLayer({ rows, d, tokens: 60, seed: 33 });
  const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.55 };
  const result = sparseGpt({ ...layer, rows, d, pattern, rowBalanced: false });
  const pruned = result.mask.reduce((a, m) => a + (m ? 0 : 1), 0);
  assert.equal(pruned, Math.floor(rows * d * 0.55));
  const perRow = Array.from(
    { length: rows },
    (_, r) => result.mask.subarray(r * d, (r + 1) * d).reduce((a, m) => a + m, 0),
  );
  assert.ok(new Set(perRow).size > 1, `rows keep ${perRow}: not balanced`);
  // One block (d < 128): saliency w² / [H⁻¹]_jj of the original weights, H = G + 1% mean diag.
  let trace = 0;
  for (let j = 0; j < d; j++) trace += layer.gram[j * d + j];
  // [H⁻¹]_jj as SparseGPT sees column j: after the columns before it are eliminated.
  const pivot = Array.from({ length: d }, (_, j) => {
    const rest = Array.from(
      { length: d - j },
      (_, a) =>
        Array.from(
          { length: d - j },
          (_, b) => layer.gram[(j + a) * d + j + b] + (a === b ? 0.01 * trace / d : 0),
        ),
    );
    return invert(rest)[0][0];
  });
  const saliency = (i: number) => layer.weight[i] ** 2 / pivot[i % d];
  let largestPruned = -Infinity;
  let smallestKept = Infinity;
  for (let i = 0; i < rows * d; i++) {
    if (result.mask[i]) smallestKept = Math.min(smallestKept, saliency(i));
    else largestPruned = Math.max(largestPruned, saliency(i));
  }
  assert.ok(largestPruned <= smallestKept * (1 + 1e-9), `${largestPruned} > ${smallestKept}`);
  const expected = obs(layer.gram, layer.weight, result.mask, rows, d);
  const scale = Math.max(...layer.weight.map(Math.abs));
  for (let i = 0; i < rows * d; i++) {
    assert.ok(Math.abs(result.weight[i] - expected[i]) < 1e-5 * scale, `[${i}]`);
  }
});

Deno.test("prune --warm-start sparsegpt-unbalanced writes the published mask with --refine none, and refuses a refiner", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-sparsegpt-" });
  try {
    const model = await writeTinyTextModel(dir, 4);
    const out = `${dir}/out`;
    const args = ["prune", "--model", model, "--nsamples", "4", "--seqlen", "16"];
    const result = await runCli([
      ...args,
      "--eval-windows",
      "1",
      "--sparsity",
      "0.5",
      "--warm-start",
      "sparsegpt-unbalanced",
      "--refine",
      "none",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    using masks = await SafetensorsFile.open(`${out}/masks.safetensors`);
    let unbalanced = 0;
    for (const name of masks.names) {
      const tensor = await masks.read(name);
      const [rows, d] = tensor.shape;
      const kept = Array.from(
        { length: rows },
        (_, r) => tensor.bytes.subarray(r * d, (r + 1) * d).reduce((a, m) => a + m, 0),
      );
      // Exactly half of every block of 128 columns (or the rest of the row) over all rows.
      assert.equal(kept.reduce((a, b) => a + b, 0), rows * d - Math.floor(rows * d * 0.5), name);
      if (new Set(kept).size > 1) unbalanced++;
    }
    assert.ok(unbalanced > 0);
    const refused = await runCli([...args, "--warm-start", "sparsegpt-unbalanced", "--out", out]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /use --refine none/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
