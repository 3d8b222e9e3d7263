/**
 * Seeded random numbers and synthetic layers for tests and benchmarks: inputs with correlated
 * channels, a few outlier channels and non-zero channel means, as real LLM activations have.
 *
 * @module
 */
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
export declare function createRandom(seed: number): Random;
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
export declare function syntheticLayer(options: SyntheticLayerOptions): SyntheticLayer;
