/**
 * Generated refinement problems: a synthetic layer (correlated channels, outliers) with its
 * Gram matrix, channel statistics and a Wanda warm start for a pattern.
 *
 * @module
 */

import { createReferenceKernels } from "../core/backends/reference.ts";
import { type ChannelStatistics, channelStatistics } from "../core/dsnot.ts";
import type { GramHandle, Kernels } from "../core/kernels.ts";
import type { SparsityPattern } from "../core/pattern.ts";
import { type SyntheticLayer, syntheticLayer } from "../core/synthetic.ts";
import { gramDiagonal, warmStartMask } from "../core/warm_start.ts";

/** A layer ready to refine on the reference backend. */
export interface Problem extends SyntheticLayer {
  readonly rows: number;
  readonly d: number;
  readonly pattern: SparsityPattern;
  readonly stats: ChannelStatistics;
  readonly gramDiagonal: Float64Array;
  /** Wanda warm start. */
  readonly mask: Uint8Array;
  /** What refineSparseSwaps needs besides maxIters. */
  readonly operands: {
    readonly kernels: Kernels;
    readonly gram: GramHandle;
    readonly weight: Float32Array;
    readonly rows: number;
    readonly d: number;
    readonly mask: Uint8Array;
    readonly pattern: SparsityPattern;
  };
}

export async function problem(
  rows: number,
  d: number,
  seed: number,
  pattern: SparsityPattern,
): Promise<Problem> {
  const layer = syntheticLayer({ rows, d, tokens: 4 * d, seed });
  const kernels = createReferenceKernels();
  const diagonal = gramDiagonal(layer.gram, d);
  const mask = warmStartMask({
    method: "wanda",
    weight: layer.weight,
    rows,
    d,
    gramDiagonal: diagonal,
    pattern,
  });
  const gram = await kernels.createGram({ d, values: layer.gram });
  return {
    ...layer,
    rows,
    d,
    pattern,
    stats: channelStatistics(layer.x, 4 * d, d),
    gramDiagonal: diagonal,
    mask,
    operands: { kernels, gram, weight: layer.weight, rows, d, mask, pattern },
  };
}
