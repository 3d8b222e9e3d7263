// deno-lint-ignore-file no-console
/**
 * The float64 inverse of ADMM and SparseGPT (core/linear_algebra.ts invertPositiveDefinite)
 * against the plain column-by-column Cholesky solve it replaced (choleskySubstitute per column,
 * which walks columns of L in its back substitution), side by side on the same SPD matrices:
 * seconds each and whether the bits agree.
 *
 *     deno task bench:inverse [--sizes 1024,2048]
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  choleskyFactor,
  choleskySubstitute,
  invertPositiveDefinite,
} from "../core/linear_algebra.ts";
import { createRandom } from "../core/synthetic.ts";

const { values } = parseArgs({ args: Deno.args, options: { sizes: { type: "string" } } });
const sizes = (values.sizes ?? "1024,2048").split(",").map(Number);
const random = createRandom(3);
console.log("| d | column solves (before) | invertPositiveDefinite | speed-up | same bits |");
console.log("|---|---|---|---|---|");
for (const d of sizes) {
  // A Gram-like matrix: X Xᵀ over 2d samples, plus a little damping.
  const x = Float64Array.from({ length: d * 2 * d }, () => random.normal());
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = i === j ? 0.1 : 0;
      for (let t = 0; t < 2 * d; t++) s += x[i * 2 * d + t] * x[j * 2 * d + t];
      a[i * d + j] = a[j * d + i] = s;
    }
  }
  let started = performance.now();
  const factor = a.slice();
  choleskyFactor(factor, d, "A");
  const before = new Float64Array(d * d);
  const column = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    column.fill(0);
    column[c] = 1;
    choleskySubstitute(factor, column, d);
    for (let r = 0; r < d; r++) before[r * d + c] = column[r];
  }
  const beforeSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const after = invertPositiveDefinite(a, d, "A");
  const afterSeconds = (performance.now() - started) / 1000;
  const same = after.every((v, i) => Object.is(v, before[i]));
  console.log(
    `| ${d} | ${beforeSeconds.toFixed(2)} s | ${afterSeconds.toFixed(2)} s | ${
      (beforeSeconds / afterSeconds).toFixed(1)
    }× | ${same} |`,
  );
}
