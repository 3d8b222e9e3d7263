/**
 * The float64 linear algebra the weight updates and SparseGPT build on: the inverse is the
 * column-by-column Cholesky solve, bit for bit, however its loops are arranged for speed.
 */

import assert from "./assert.ts";
import {
  choleskyFactor,
  choleskySubstitute,
  invertPositiveDefinite,
} from "../core/linear_algebra.ts";
import { createRandom } from "../core/synthetic.ts";

Deno.test("invertPositiveDefinite gives the column-by-column Cholesky solves' bits, and A·A⁻¹ = I", () => {
  const random = createRandom(11);
  for (const d of [1, 2, 7, 64, 97]) {
    // A = X Xᵀ + I with entries of both signs (zeros of both signs appear in the products).
    const x = Float64Array.from({ length: d * (d + 3) }, () => random.normal());
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let s = i === j ? 1 : 0;
        for (let t = 0; t < d + 3; t++) s += x[i * (d + 3) + t] * x[j * (d + 3) + t];
        a[i * d + j] = a[j * d + i] = s;
      }
    }
    const inverse = invertPositiveDefinite(a, d, "A");
    const factor = a.slice();
    choleskyFactor(factor, d, "A");
    for (let c = 0; c < d; c++) {
      const column = new Float64Array(d);
      column[c] = 1;
      choleskySubstitute(factor, column, d);
      for (let r = 0; r < d; r++) {
        assert.ok(
          Object.is(inverse[r * d + c], column[r]),
          `d = ${d}: [${r}, ${c}] ${inverse[r * d + c]} ≠ ${column[r]}`,
        );
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += a[i * d + t] * inverse[t * d + j];
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-9, `d = ${d}: (A·A⁻¹)[${i}, ${j}] = ${s}`);
      }
    }
  }
});
