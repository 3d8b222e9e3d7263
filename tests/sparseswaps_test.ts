import assert, { assertClose } from "./assert.ts";
import { allSwaps, layerRowErrors, rowError } from "./_oracle.ts";
import { createReferenceKernels } from "../core/backends/reference.ts";
import type { ApplySwapsOptions, Kernels } from "../core/kernels.ts";
import { rowsBreakingPattern, type SparsityPattern, swapBlocks } from "../core/pattern.ts";
import { layerErrors, refineSparseSwaps } from "../core/sparseswaps.ts";
import { syntheticLayer } from "../core/synthetic.ts";
import { problem } from "./_problems.ts";

const PATTERNS: readonly SparsityPattern[] = [
  { kind: "per-row", sparsity: 0.5 },
  { kind: "per-row", sparsity: 0.6 },
  { kind: "n:m", n: 2, m: 4 },
  { kind: "n:m", n: 4, m: 8 },
];

Deno.test("pair search chooses u and p jointly: the coupling term can beat the separately best u and p", async () => {
  // Channels 0 and 1 are almost the same input and w_0, w_1 have opposite signs: pruning w_1
  // alone cancels pruned w_0 (smallest a_u), restoring w_0 alone removes its error (smallest
  // b_p), but doing both just moves the error from channel 0 to channel 1 and grows it.
  const d = 4;
  const gram = new Float64Array([
    [1, 0.95, 0, 0],
    [0.95, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ].flat());
  const weight = new Float32Array([-1, 1.25, 0.125, 0.0625]);
  const mask = new Uint8Array([0, 1, 1, 0]); // keeps w_1 and w_2, prunes w_0 and w_3
  const kernels = createReferenceKernels();
  const g = await kernels.createGram({ d, values: gram });
  const batch = await kernels.loadRows({ weight, mask, rows: 1, d });
  await kernels.correlate({ gram: g, batch });
  const proposal = await kernels.bestSwaps({
    gram: g,
    batch,
    active: new Uint32Array([0]),
    blockLength: d,
  });
  const swaps = allSwaps(weight, mask, gram, d, d);
  // Separately: the u with the smallest a_u and the p with the smallest b_p.
  const c = (j: number) => gram[j * d] * weight[0] + gram[j * d + 3] * weight[3]; // c = G q
  const a = (u: number) => 2 * weight[u] * c(u) + weight[u] ** 2 * gram[u * d + u];
  const b = (p: number) => -2 * weight[p] * c(p) + weight[p] ** 2 * gram[p * d + p];
  const uAlone = [1, 2].reduce((x, y) => (a(x) <= a(y) ? x : y));
  const pAlone = [0, 3].reduce((x, y) => (b(x) <= b(y) ? x : y));
  const separate = swaps.find((s) => s.u === uAlone && s.p === pAlone)!;
  const joint = swaps.find((s) => s.u === proposal.prune[0] && s.p === proposal.restore[0])!;
  assert.ok(separate.delta > 0, `separate choice (${uAlone}, ${pAlone}) should make it worse`);
  assert.ok(joint.delta < 0, "joint choice should improve");
  assert.deepEqual([proposal.prune[0], proposal.restore[0]], [2, 0]);
  assert.equal(joint.delta, Math.min(...swaps.map((s) => s.delta)));
});

/** Wraps kernels so every applySwaps is checked against the brute-force error. */
function checkingKernels(
  inner: Kernels,
  weight: Float32Array,
  gram: Float64Array,
  d: number,
  pattern: SparsityPattern,
  firstRowOf: () => number,
): Kernels & { checked: number } {
  const wrapped = {
    ...inner,
    checked: 0,
    async applySwaps(options: ApplySwapsOptions) {
      const before = await inner.readMask(options.batch);
      const first = firstRowOf();
      await inner.applySwaps(options);
      const after = await inner.readMask(options.batch);
      for (let k = 0; k < options.rows.length; k++) {
        const r = options.rows[k];
        const w = weight.subarray((first + r) * d, (first + r + 1) * d);
        const eBefore = rowError(w, before.subarray(r * d, (r + 1) * d), gram, d);
        const eAfter = rowError(w, after.subarray(r * d, (r + 1) * d), gram, d);
        assert.ok(eAfter < eBefore, `swap in row ${first + r} raised the error`);
        wrapped.checked++;
      }
      assert.deepEqual(rowsBreakingPattern(after, options.batch.rows, d, pattern), []);
    },
  };
  return wrapped;
}

Deno.test("every accepted swap lowers its row's error and keeps per-row counts and N:M blocks exact", async () => {
  for (const pattern of PATTERNS) {
    const p = await problem(24, 32, 5, pattern);
    let first = 0;
    const kernels = checkingKernels(
      p.operands.kernels,
      p.weight,
      p.gram,
      p.d,
      pattern,
      () => first,
    );
    const result = await refineSparseSwaps({
      ...p.operands,
      kernels,
      maxIters: 20,
      batchRows: 8,
      onProgress: ({ rowsDone }) => (first = rowsDone),
    });
    assert.equal(kernels.checked, result.swaps);
    assert.ok(result.swaps > 0, `${pattern.kind}: expected some swaps`);
    assert.deepEqual(rowsBreakingPattern(result.mask, p.rows, p.d, pattern), []);
    const oracle = layerRowErrors(p.weight, result.mask, p.gram, p.rows, p.d);
    for (let r = 0; r < p.rows; r++) {
      assertClose(result.errorAfter[r], oracle[r], 1e-9, `row ${r} error after`);
      assert.ok(result.errorAfter[r] <= result.errorBefore[r]);
    }
  }
});

Deno.test("with maxIters Infinity no improving 1-swap is left in any row", async () => {
  for (const pattern of PATTERNS) {
    const p = await problem(16, 24, 9, pattern);
    const result = await refineSparseSwaps({
      ...p.operands,
      maxIters: Infinity,
    });
    assert.equal(result.convergedRows, p.rows);
    const { length } = swapBlocks(pattern, p.d);
    for (let r = 0; r < p.rows; r++) {
      const w = p.weight.subarray(r * p.d, (r + 1) * p.d);
      const m = result.mask.subarray(r * p.d, (r + 1) * p.d);
      const error = rowError(w, m, p.gram, p.d);
      for (const swap of allSwaps(w, m, p.gram, p.d, length)) {
        assert.ok(
          swap.delta >= -1e-9 * error,
          `${pattern.kind} row ${r}: swap (${swap.u}, ${swap.p}) still improves by ${swap.delta}`,
        );
      }
    }
  }
});

Deno.test("on updated weights, swaps restore dense values, errors match the returned layer and no improving swap is left", async () => {
  for (const pattern of PATTERNS) {
    const p = await problem(12, 24, 21, pattern);
    // Kept weights moved as an update would move them (scaled per row and channel).
    const values = p.weight.map((w, i) => w * (0.5 + ((i * 7919) % 13) / 12));
    const result = await refineSparseSwaps({ ...p.operands, values, maxIters: Infinity });
    assert.ok(result.swaps > 0, `${pattern.kind}: the refinement did something`);
    const { length } = swapBlocks(pattern, p.d);
    for (let r = 0; r < p.rows; r++) {
      const row = <T extends Float32Array | Uint8Array>(a: T) =>
        a.subarray(r * p.d, (r + 1) * p.d) as T;
      const w = row(p.weight);
      const m = row(result.mask);
      const refined = row(result.weight);
      const before = rowError(w, row(p.mask), p.gram, p.d, row(values));
      assertClose(result.errorBefore[r], before, 1e-9, `row ${r} error before`);
      const after = rowError(w, m, p.gram, p.d, refined);
      assertClose(result.errorAfter[r], after, 1e-9, `row ${r} error after`, before);
      assert.ok(after <= before * (1 + 1e-12), `row ${r} got worse`);
      for (let j = 0; j < p.d; j++) {
        if (m[j] === 0) assert.ok(Object.is(refined[j], 0), `row ${r}: pruned ${j} is not 0`);
        else if (p.mask[r * p.d + j]) {
          assert.ok(refined[j] === row(values)[j] || refined[j] === w[j], `row ${r}: kept ${j}`);
        } else assert.equal(refined[j], w[j], `row ${r}: restored ${j} is not at its dense value`);
      }
      for (const swap of allSwaps(w, m, p.gram, p.d, length, refined)) {
        assert.ok(
          swap.delta >= -1e-9 * after,
          `${pattern.kind} row ${r}: swap (${swap.u}, ${swap.p}) still improves by ${swap.delta}`,
        );
      }
    }
  }
});

Deno.test("maxIters 0 returns the warm start unchanged with equal errors before and after", async () => {
  const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.6 };
  const p = await problem(10, 20, 3, pattern);
  const result = await refineSparseSwaps({
    ...p.operands,
    maxIters: 0,
  });
  assert.deepEqual(result.mask, p.mask);
  assert.deepEqual(result.errorAfter, result.errorBefore);
  assert.equal(result.swaps, 0);
  assert.equal(result.iterations, 0);
});

Deno.test("result does not depend on the row batch size and runs are deterministic", async () => {
  const pattern: SparsityPattern = { kind: "n:m", n: 2, m: 4 };
  const p = await problem(13, 16, 21, pattern);
  const run = (batchRows: number) =>
    refineSparseSwaps({
      ...p.operands,
      maxIters: 50,
      batchRows,
    });
  const one = await run(1);
  const five = await run(5);
  const all = await run(13);
  assert.deepEqual(one.mask, all.mask);
  assert.deepEqual(five.mask, all.mask);
  assert.equal(one.swaps, all.swaps);
  assert.deepEqual(one.errorAfter, all.errorAfter);
});

Deno.test("iteration budget caps swaps per row and iterations reports the most any row used", async () => {
  const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.5 };
  const p = await problem(8, 32, 17, pattern);
  const result = await refineSparseSwaps({
    ...p.operands,
    maxIters: 2,
  });
  assert.equal(result.iterations, 2);
  assert.ok(result.swaps <= 2 * p.rows);
  // Each swap changes two mask entries; with at most 2 swaps per row at most 4 change per row.
  for (let r = 0; r < p.rows; r++) {
    let changed = 0;
    for (let j = 0; j < p.d; j++) changed += p.mask[r * p.d + j] ^ result.mask[r * p.d + j];
    assert.ok(changed <= 4);
  }
});

Deno.test("refinement cuts the total error substantially on correlated inputs with outliers", async () => {
  const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.6 };
  const p = await problem(16, 64, 2, pattern);
  const result = await refineSparseSwaps({
    ...p.operands,
    maxIters: 100,
  });
  const before = result.errorBefore.reduce((a, b) => a + b);
  const after = result.errorAfter.reduce((a, b) => a + b);
  assert.ok(after < 0.9 * before, `expected ≥ 10% reduction, got ${1 - after / before}`);
});

Deno.test("layerErrors matches qᵀGq from the definition", async () => {
  const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.5 };
  const p = await problem(7, 12, 4, pattern);
  const errors = await layerErrors({ ...p.operands, batchRows: 3 });
  const oracle = layerRowErrors(p.weight, p.mask, p.gram, p.rows, p.d);
  for (let r = 0; r < p.rows; r++) assertClose(errors[r], oracle[r], 1e-12);
});

Deno.test("rows with zero weights or zero error never swap", async () => {
  const d = 8;
  const kernels = createReferenceKernels();
  const layer = syntheticLayer({ rows: 1, d, tokens: 32, seed: 1 });
  const gram = await kernels.createGram({ d, values: layer.gram });
  const weight = new Float32Array(2 * d);
  weight.set([0, 0, 0, 0, 1, 2, 3, 4], d); // row 1 keeps its non-zeros: error 0
  const mask = new Uint8Array(2 * d);
  mask.set([1, 1, 1, 1, 0, 0, 0, 0]);
  mask.set([0, 0, 0, 0, 1, 1, 1, 1], d);
  const result = await refineSparseSwaps({
    kernels,
    gram,
    weight,
    rows: 2,
    d,
    mask,
    pattern: { kind: "per-row", sparsity: 0.5 },
    maxIters: Infinity,
  });
  assert.equal(result.swaps, 0);
  assert.deepEqual(result.mask, mask);
  assert.deepEqual([...result.errorAfter], [0, 0]);
  assert.equal(result.convergedRows, 2);
});

Deno.test("a warm start that breaks the pattern is refused with the offending rows named", async () => {
  const kernels = createReferenceKernels();
  const gram = await kernels.createGram({ d: 4, values: new Float64Array(16) });
  await assert.rejects(
    () =>
      refineSparseSwaps({
        kernels,
        gram,
        weight: new Float32Array(8),
        rows: 2,
        d: 4,
        mask: new Uint8Array([1, 1, 0, 0, 1, 1, 1, 0]),
        pattern: { kind: "per-row", sparsity: 0.5 },
        maxIters: 1,
      }),
    /breaks pattern 50% in 1 row: 1/,
  );
});

Deno.test("maxIters Infinity terminates on kernels that report false gains; those rows are stalled, not converged", async () => {
  const p = await problem(5, 16, 21, { kind: "per-row", sparsity: 0.5 });
  const inner = p.operands.kernels;
  // Always proposes swapping the first kept and the first pruned index with a large "gain":
  // every swap is accepted, the true error only oscillates.
  const lying: Kernels = {
    ...inner,
    async bestSwaps(options) {
      const mask = await inner.readMask(options.batch);
      const n = options.active.length;
      const prune = new Int32Array(n);
      const restore = new Int32Array(n);
      options.active.forEach((row, k) => {
        const m = mask.subarray(row * p.d, (row + 1) * p.d);
        prune[k] = m.indexOf(1);
        restore[k] = m.indexOf(0);
      });
      return { gain: new Float64Array(n).fill(-1e9), prune, restore };
    },
  };
  const result = await refineSparseSwaps({ ...p.operands, kernels: lying, maxIters: Infinity });
  assert.equal(result.stalledRows, p.rows);
  assert.equal(result.convergedRows, 0);
  // A row stops at the first recomputation (every recomputeEvery iterations) that finds its
  // error did not fall since the one before.
  assert.ok(result.iterations <= 2 * inner.recomputeEvery, `${result.iterations} iterations`);
});

Deno.test("rows stopped by the accept guard with an improving swap left are stalled; converged rows have none", async () => {
  const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.5 };
  const p = await problem(12, 16, 22, pattern);
  // A guard far coarser than float64 noise, as a float32 backend's is.
  const coarse: Kernels = { ...p.operands.kernels, gainTolerance: 0.5 };
  const result = await refineSparseSwaps({ ...p.operands, kernels: coarse, maxIters: Infinity });
  let improvable = 0;
  for (let r = 0; r < p.rows; r++) {
    const weight = p.weight.subarray(r * p.d, (r + 1) * p.d);
    const mask = result.mask.subarray(r * p.d, (r + 1) * p.d);
    const best = Math.min(...allSwaps(weight, mask, p.gram, p.d, p.d).map((s) => s.delta));
    if (best < -1e-10 * result.errorAfter[r]) improvable++;
  }
  assert.ok(improvable > 0, "the coarse guard should leave some improving swaps");
  assert.equal(result.stalledRows, improvable);
  assert.equal(result.convergedRows, p.rows - improvable);
});

Deno.test("a Gram matrix that is not positive semidefinite is refused once a row error is negative", async () => {
  const kernels = createReferenceKernels();
  // Passes every 2 × 2 minor test, but q = (1, −1, −1, 0) has qᵀGq = 3 − 3 · 1.8 = −2.4.
  const gram = await kernels.createGram({
    d: 4,
    values: new Float64Array([1, 0.9, 0.9, 0, 0.9, 1, -0.9, 0, 0.9, -0.9, 1, 0, 0, 0, 0, 1]),
  });
  await assert.rejects(
    () =>
      refineSparseSwaps({
        kernels,
        gram,
        weight: new Float32Array([1, -1, -1, 5]),
        rows: 1,
        d: 4,
        mask: new Uint8Array([0, 0, 0, 1]),
        pattern: { kind: "per-row", sparsity: 0.75 },
        maxIters: 10,
        label: "Layer L",
      }),
    /Layer L: the Gram matrix is not positive semidefinite: row 0 has error qᵀGq = -2\.4/,
  );
});

Deno.test("rows whose errors overflow float32 pair searches, and non-finite rows, are refused", async () => {
  const kernels = createReferenceKernels();
  const gram = await kernels.createGram({ d: 2, values: new Float64Array([1e300, 0, 0, 1e300]) });
  const refine = (weight: Float32Array) =>
    refineSparseSwaps({
      kernels,
      gram,
      weight,
      rows: 1,
      d: 2,
      mask: new Uint8Array([1, 0]),
      pattern: { kind: "per-row", sparsity: 0.5 },
      maxIters: 10,
    });
  await assert.rejects(
    () => refine(new Float32Array([3e38, 3e38])),
    /row 0 can reach an error of Infinity .*scale G down/,
  );
  await assert.rejects(
    () => refine(new Float32Array([NaN, 1])),
    /row 0 of W or diag\(G\) is not finite/,
  );
});

Deno.test("an aborted signal stops the refinement with its reason", async () => {
  const p = await problem(4, 16, 23, { kind: "per-row", sparsity: 0.5 });
  const controller = new AbortController();
  controller.abort(new Error("stop here"));
  await assert.rejects(
    () => refineSparseSwaps({ ...p.operands, maxIters: 5, signal: controller.signal }),
    /stop here/,
  );
});
