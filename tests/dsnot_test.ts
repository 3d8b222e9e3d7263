import assert from "./assert.ts";
import { layerRowErrors } from "./_oracle.ts";
import { type DsnotOptions, refineDsnot } from "../core/dsnot.ts";
import { rowsBreakingPattern, type SparsityPattern } from "../core/pattern.ts";
import { refineSparseSwaps } from "../core/sparseswaps.ts";
import { type Problem, problem } from "./_problems.ts";

/** DSnoT on a generated problem with its own statistics, and any option overridden. */
function dsnotOn(s: Problem, options: Partial<DsnotOptions> = {}) {
  return refineDsnot({
    weight: s.weight,
    rows: s.rows,
    d: s.d,
    mask: s.mask,
    pattern: s.pattern,
    inputMean: s.stats.mean,
    inputVariance: s.stats.variance,
    gramDiagonal: s.gramDiagonal,
    ...options,
  });
}

/** e = Σ_{j pruned} w_j μ_j per row, from the definition. */
function meanShift(
  weight: Float32Array,
  mask: Uint8Array,
  mean: Float64Array,
  d: number,
  r: number,
) {
  let e = 0;
  for (let j = 0; j < d; j++) if (mask[r * d + j] === 0) e += weight[r * d + j] * mean[j];
  return e;
}

const PATTERNS: readonly SparsityPattern[] = [
  { kind: "per-row", sparsity: 0.6 },
  { kind: "n:m", n: 2, m: 4 },
];

Deno.test("DSnoT keeps the pattern and shrinks |e| without flipping its sign or exceeding maxCycles", async () => {
  for (const pattern of PATTERNS) {
    const rows = 32;
    const d = 64;
    const s = await problem(rows, d, 8, pattern);
    // The synthetic weights are small (0.02 scale), so DSnoT's absolute threshold is scaled too.
    const result = dsnotOn(s, { maxCycles: 5, updateThreshold: 0.001 });
    assert.deepEqual(rowsBreakingPattern(result.mask, rows, d, pattern), []);
    assert.ok(result.swaps > 0, `${pattern.kind}: DSnoT should move some weights`);
    for (let r = 0; r < rows; r++) {
      const before = meanShift(s.weight, s.mask, s.stats.mean, d, r);
      const after = meanShift(s.weight, result.mask, s.stats.mean, d, r);
      assert.ok(Math.abs(result.shiftBefore[r] - before) < 1e-9);
      assert.ok(Math.abs(result.shiftAfter[r] - after) < 1e-9);
      assert.ok(Math.abs(after) <= Math.abs(before) + 1e-12, `row ${r}: |e| grew`);
      assert.ok(after === 0 || Math.sign(after) === Math.sign(before), `row ${r}: e flipped sign`);
      let changed = 0;
      for (let j = 0; j < d; j++) changed += s.mask[r * d + j] ^ result.mask[r * d + j];
      assert.ok(changed <= 2 * 5, `row ${r}: more than maxCycles swaps`);
    }
  }
});

Deno.test("DSnoT leaves rows alone once |e| is within the update threshold", async () => {
  const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.6 };
  const s = await problem(8, 32, 4, pattern);
  const result = dsnotOn(s, { updateThreshold: Infinity });
  assert.equal(result.swaps, 0);
  assert.deepEqual(result.mask, s.mask);
});

Deno.test("DSnoT regrows by w·μ/σ² and prunes the lowest-Wanda kept weight of the opposite sign", () => {
  // Pruned: w_1 (shift 0.5, σ² 4 → 0.125) and w_3 (shift 0.25, σ² 1 → 0.25): e = 0.75 > 0, so
  // w_3 is regrown (higher ratio) although w_1 moves the mean more. Kept with negative shift:
  // w_0 (Wanda 0.5 · 1) and w_2 (Wanda 0.25 · 1): w_2 is pruned. e = 0.75 − 0.25 − 0.25 = 0.25.
  const result = refineDsnot({
    weight: new Float32Array([-0.5, 0.5, -0.25, 0.25]),
    rows: 1,
    d: 4,
    mask: new Uint8Array([1, 0, 1, 0]),
    pattern: { kind: "per-row", sparsity: 0.5 },
    inputMean: new Float64Array([1, 1, 1, 1]),
    inputVariance: new Float64Array([1, 4, 1, 1]),
    gramDiagonal: new Float64Array([1, 1, 1, 1]),
    maxCycles: 1,
  });
  assert.deepEqual([...result.mask], [1, 0, 0, 1]);
  assert.equal(result.shiftAfter[0], 0.25);
});

Deno.test("on correlated activations DSnoT reduces the true error less than SparseSwaps", async () => {
  for (const pattern of PATTERNS) {
    const rows = 32;
    const d = 64;
    const s = await problem(rows, d, 12, pattern);
    const dsnot = dsnotOn(s, { updateThreshold: 0.001 });
    const swaps = await refineSparseSwaps({ ...s.operands, maxIters: 50 });
    const total = (mask: Uint8Array) =>
      layerRowErrors(s.weight, mask, s.gram, rows, d).reduce((a, b) => a + b);
    const warm = total(s.mask);
    const afterDsnot = total(dsnot.mask);
    const afterSwaps = total(swaps.mask);
    assert.ok(dsnot.swaps > 0);
    assert.ok(
      afterSwaps < afterDsnot,
      `${pattern.kind}: SparseSwaps ${afterSwaps} should beat DSnoT ${afterDsnot} (warm ${warm})`,
    );
    assert.ok(afterSwaps < 0.95 * warm);
  }
});
