/**
 * Seeded random numbers and synthetic layers for tests and benchmarks: inputs with correlated
 * channels, a few outlier channels and non-zero channel means, as real LLM activations have.
 *
 * @module
 */

import { gramOf } from "./backends/reference.ts";

/** A seeded pseudo-random source. */
export interface Random {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** Uniform integer in [0, n). */
  integer(n: number): number;
}

/**
 * Creates a seeded generator (mulberry32: 32-bit state, fast, good enough for test data).
 *
 * @param seed Any integer.
 * @returns The generator; the same seed gives the same sequence everywhere.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = createRandom(7);
 * const b = createRandom(7);
 * assert.equal(a.uniform(), b.uniform());
 * ```
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    // Box–Muller; 1 − u keeps the logarithm finite.
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
    integer: (n) => Math.floor(uniform() * n),
  };
}

/** Options of {@linkcode syntheticLayer}. */
export interface SyntheticLayerOptions {
  /** Output features (rows of W). */
  readonly rows: number;
  /** Input features (columns of W, side of G). */
  readonly d: number;
  /** Calibration tokens (columns of X). */
  readonly tokens: number;
  /** Seed. */
  readonly seed: number;
  /** Channels scaled up 20×, like the massive activations of LLMs; default d / 64, at least 1. */
  readonly outlierChannels?: number;
}

/** A generated layer. */
export interface SyntheticLayer {
  /** W (rows, d). */
  readonly weight: Float32Array;
  /** X (tokens, d): one input vector per token. */
  readonly x: Float32Array;
  /** G (d, d) = Σ_tokens x xᵀ, accumulated in float64. */
  readonly gram: Float64Array;
}

/**
 * Generates a layer: x = A z + noise + mean, with z from d/8 latent factors (so channels are
 * correlated), a few outlier channels, and W with row scales varying 4×.
 *
 * @param options Shape and seed.
 * @returns W, X and G.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const layer = syntheticLayer({ rows: 4, d: 8, tokens: 16, seed: 1 });
 * assert.equal(layer.gram.length, 64);
 * assert.equal(layer.gram[1], layer.gram[8]); // symmetric
 * ```
 */
export function syntheticLayer(options: SyntheticLayerOptions): SyntheticLayer {
  const { rows, d, tokens, seed } = options;
  const random = createRandom(seed);
  const factors = Math.max(1, Math.floor(d / 8));
  const mixing = Float64Array.from({ length: d * factors }, () => random.normal());
  const scale = new Float64Array(d).fill(1);
  const outliers = options.outlierChannels ?? Math.max(1, Math.floor(d / 64));
  for (let k = 0; k < outliers; k++) scale[random.integer(d)] = 20;
  const mean = Float64Array.from({ length: d }, () => 0.5 * random.normal());
  const x = new Float32Array(tokens * d);
  const z = new Float64Array(factors);
  for (let t = 0; t < tokens; t++) {
    for (let f = 0; f < factors; f++) z[f] = random.normal();
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let f = 0; f < factors; f++) v += mixing[j * factors + f] * z[f];
      x[t * d + j] = scale[j] * (v / Math.sqrt(factors) + 0.3 * random.normal() + mean[j]);
    }
  }
  const weight = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const rowScale = 0.02 * (0.5 + 1.5 * random.uniform());
    for (let j = 0; j < d; j++) weight[r * d + j] = rowScale * random.normal();
  }
  return { weight, x, gram: gramOf(x, tokens, d) };
}
