/**
 * Generated layers with the correlation structure of real LLM layer inputs, for the CPU
 * benchmark at widths where the test generator (core/synthetic.ts) would be too slow: inputs
 * x = s ⊙ (A z + 0.5 ε + μ) with a rank-64 factor A, log-normal channel scales s (σ = 0.5) and a
 * few outlier channels (×20), G accumulated by a backend's Gram kernel; W Gaussian with row
 * scales varying 4×.
 *
 * @module
 */

import type { Kernels } from "../core/kernels.ts";
import { createRandom } from "../core/synthetic.ts";

/** A benchmark layer. */
export interface BenchLayer {
  readonly rows: number;
  readonly d: number;
  /** W (rows, d). */
  readonly weight: Float32Array;
  /** G (d, d). */
  readonly gram: Float64Array;
  /** Calibration tokens G sums over. */
  readonly tokens: number;
}

const RANK = 64;

/**
 * Generates a layer; G is accumulated by `kernels` (the wasm backend does d = 4096 with 8192
 * tokens in seconds).
 *
 * @param kernels Backend whose Gram kernel accumulates G.
 * @param rows Rows of W.
 * @param d Input width.
 * @param seed Seed.
 * @returns W and G.
 */
export async function realisticLayer(
  kernels: Kernels,
  rows: number,
  d: number,
  seed: number,
): Promise<BenchLayer> {
  const random = createRandom(seed);
  const tokens = Math.min(2 * d, 8192);
  const factors = Float32Array.from({ length: d * RANK }, () => random.normal() / Math.sqrt(RANK));
  const scale = Float32Array.from({ length: d }, () => Math.exp(0.5 * random.normal()));
  for (let k = 0; k < Math.max(1, d >> 8); k++) scale[random.integer(d)] *= 20;
  const mean = Float32Array.from({ length: d }, () => 0.3 * random.normal());
  const gram = await kernels.createGram({ d });
  const chunk = 512;
  const x = new Float32Array(chunk * d);
  const z = new Float32Array(RANK);
  for (let t0 = 0; t0 < tokens; t0 += chunk) {
    const count = Math.min(chunk, tokens - t0);
    for (let t = 0; t < count; t++) {
      for (let f = 0; f < RANK; f++) z[f] = random.normal();
      for (let j = 0; j < d; j++) {
        let v = 0;
        const row = j * RANK;
        for (let f = 0; f < RANK; f++) v += factors[row + f] * z[f];
        x[t * d + j] = scale[j] * (v + 0.5 * random.normal() + mean[j]);
      }
    }
    await kernels.gramAccumulate({ gram, x, tokens: count });
  }
  const values = await kernels.readGram(gram);
  kernels.release(gram);
  const weight = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const rowScale = 0.02 * (0.5 + 1.5 * random.uniform());
    for (let j = 0; j < d; j++) weight[r * d + j] = rowScale * random.normal();
  }
  return { rows, d, weight, gram: values, tokens };
}
