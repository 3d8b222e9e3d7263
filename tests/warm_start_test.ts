import assert from "./assert.ts";
import { rowsBreakingPattern, type SparsityPattern, swapBlocks } from "../core/pattern.ts";
import { createRandom } from "../core/synthetic.ts";
import { warmStartMask, type WarmStartMethod } from "../core/warm_start.ts";

/** Scores straight from the papers' formulas, computed independently of core/warm_start.ts. */
function definitionScores(
  method: WarmStartMethod,
  weight: Float32Array,
  rows: number,
  d: number,
  gramDiagonal: Float64Array,
): number[][] {
  const w = (r: number, j: number) => Math.abs(weight[r * d + j]);
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: d }, (_, j) => {
      const norm = Math.sqrt(gramDiagonal[j]); // ‖X_j‖₂
      if (method === "magnitude") return w(r, j);
      if (method === "wanda") return w(r, j) * norm;
      let columnSum = 0;
      for (let i = 0; i < rows; i++) columnSum += w(i, j);
      let rowSum = 0;
      for (let k = 0; k < d; k++) rowSum += w(r, k);
      return (w(r, j) / columnSum + w(r, j) / rowSum) * Math.pow(norm, 0.5);
    }));
}

/** Prunes, in each segment, the lowest scores; ties prune the lower index (stable sort). */
function definitionMask(scores: number[][], d: number, pattern: SparsityPattern): Uint8Array {
  const { length, kept } = swapBlocks(pattern, d);
  const mask = new Uint8Array(scores.length * d).fill(1);
  scores.forEach((row, r) => {
    for (let start = 0; start < d; start += length) {
      const order = Array.from({ length }, (_, i) => start + i)
        .sort((a, b) => row[a] - row[b] || a - b);
      for (const j of order.slice(0, length - kept)) mask[r * d + j] = 0;
    }
  });
  return mask;
}

const PATTERNS: readonly SparsityPattern[] = [
  { kind: "per-row", sparsity: 0.5 },
  { kind: "per-row", sparsity: 0.6 },
  { kind: "per-row", sparsity: 0.3 },
  { kind: "n:m", n: 2, m: 4 },
  { kind: "n:m", n: 4, m: 8 },
  { kind: "n:m", n: 1, m: 3 },
];

Deno.test("magnitude, Wanda and RIA warm starts keep the largest scores of their definitions, per row and per N:M block", () => {
  const random = createRandom(3);
  for (const method of ["magnitude", "wanda", "ria"] as const) {
    for (const pattern of PATTERNS) {
      const rows = 9;
      const d = 24;
      // Quantised weights make ties common, so the tie rule is exercised too.
      const weight = Float32Array.from(
        { length: rows * d },
        () => (random.integer(9) - 4) / 4,
      );
      const gramDiagonal = Float64Array.from({ length: d }, () => random.integer(4) + 1);
      const mask = warmStartMask({ method, weight, rows, d, gramDiagonal, pattern });
      const expected = definitionMask(
        definitionScores(method, weight, rows, d, gramDiagonal),
        d,
        pattern,
      );
      assert.deepEqual(mask, expected, `${method} ${JSON.stringify(pattern)}`);
      assert.deepEqual(rowsBreakingPattern(mask, rows, d, pattern), []);
    }
  }
});

Deno.test("Wanda warm start differs from magnitude when input norms differ", () => {
  const weight = new Float32Array([1, 2, 3, 4]);
  const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.5 };
  const gramDiagonal = new Float64Array([100, 100, 1, 1]);
  const base = { weight, rows: 1, d: 4, gramDiagonal, pattern };
  assert.deepEqual([...warmStartMask({ ...base, method: "magnitude" })], [0, 0, 1, 1]);
  assert.deepEqual([...warmStartMask({ ...base, method: "wanda" })], [1, 1, 0, 0]);
});

Deno.test("per-row warm start prunes exactly floor(d · sparsity) in every row", () => {
  const random = createRandom(5);
  const d = 37;
  const rows = 4;
  const weight = Float32Array.from({ length: rows * d }, () => random.normal());
  for (const sparsity of [0.1, 0.29, 0.5, 0.6, 0.99]) {
    const mask = warmStartMask({
      method: "magnitude",
      weight,
      rows,
      d,
      pattern: { kind: "per-row", sparsity },
    });
    for (let r = 0; r < rows; r++) {
      const pruned = mask.subarray(r * d, (r + 1) * d).filter((v) => v === 0).length;
      assert.equal(pruned, Math.floor(Math.round(d * sparsity * 1e6) / 1e6), `s=${sparsity}`);
    }
  }
});
