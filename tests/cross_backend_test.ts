/**
 * The wasm backend against the float64 reference on LLM-like generated layers (correlated
 * channels, outlier channels) and adversarial ones: same swaps wherever the choice is
 * unambiguous, same final error, exact patterns, and results independent of the thread count.
 */

import assert, { assertClose } from "./assert.ts";
import { rowError } from "./_oracle.ts";
import { createReferenceKernels, gramOf } from "../core/backends/reference.ts";
import { createWasmKernels } from "../core/backends/wasm.ts";
import type { Kernels } from "../core/kernels.ts";
import { rowsBreakingPattern, type SparsityPattern, swapBlocks } from "../core/pattern.ts";
import { refineSparseSwaps } from "../core/sparseswaps.ts";
import { createRandom, syntheticLayer } from "../core/synthetic.ts";
import { gramDiagonal, warmStartMask } from "../core/warm_start.ts";

/** Final errors of the two backends may differ by this much, relative (the bound). */
const FINAL_ERROR_TOLERANCE = 1e-4;
/**
 * Two different proposed pairs count as a tie when their exact gains differ by less than this
 * fraction of the row's error plus the gain terms' size: the wasm search ranks pairs in float32.
 */
const RANKING_TOLERANCE = 1e-5;

interface Layer {
  readonly weight: Float32Array;
  readonly gram: Float64Array;
  readonly rows: number;
  readonly d: number;
}

function generated(rows: number, d: number, seed: number): Layer {
  const layer = syntheticLayer({ rows, d, tokens: 2 * d, seed });
  return { weight: layer.weight, gram: layer.gram, rows, d };
}

function warmStart(layer: Layer, pattern: SparsityPattern): Uint8Array {
  return warmStartMask({
    method: "wanda",
    ...layer,
    gramDiagonal: gramDiagonal(layer.gram, layer.d),
    pattern,
  });
}

/** |a_u| + |b_p| + |2 w_u w_p G_up| for one pair, from c computed by definition. */
function gainTermsSize(layer: Layer, mask: Uint8Array, r: number, u: number, p: number): number {
  const { weight, gram, d } = layer;
  const c = (i: number) => {
    let sum = 0;
    for (let j = 0; j < d; j++) {
      if (mask[r * d + j] === 0) sum += gram[i * d + j] * weight[r * d + j];
    }
    return sum;
  };
  const wu = weight[r * d + u];
  const wp = weight[r * d + p];
  return Math.abs(2 * wu * c(u) + wu * wu * gram[u * d + u]) +
    Math.abs(-2 * wp * c(p) + wp * wp * gram[p * d + p]) +
    Math.abs(2 * wu * wp * gram[u * d + p]);
}

/**
 * Runs both backends in lockstep for `iterations` rounds, applying the reference's swaps to
 * both, and checks every proposal: the same pair, or a tie within float32 ranking tolerance.
 */
async function compareProposals(
  layer: Layer,
  pattern: SparsityPattern,
  iterations: number,
  wasm: Kernels,
): Promise<{ rows: number; differing: number }> {
  const reference = createReferenceKernels();
  const { rows, d } = layer;
  const blockLength = swapBlocks(pattern, d).length;
  let mask = warmStart(layer, pattern);
  const sides = await Promise.all([reference, wasm].map(async (kernels) => {
    const gram = await kernels.createGram({ d, values: layer.gram });
    const batch = await kernels.loadRows({ weight: layer.weight, mask, rows, d });
    await kernels.correlate({ gram, batch });
    return { kernels, gram, batch };
  }));
  const active = Uint32Array.from({ length: rows }, (_, i) => i);
  let differing = 0;
  for (let t = 0; t < iterations; t++) {
    const [ref, got] = await Promise.all(
      sides.map((s) => s.kernels.bestSwaps({ gram: s.gram, batch: s.batch, active, blockLength })),
    );
    for (let r = 0; r < rows; r++) {
      const same = ref.prune[r] === got.prune[r] && ref.restore[r] === got.restore[r];
      if (same) {
        assertClose(
          got.gain[r],
          ref.gain[r],
          1e-9,
          `row ${r} gain`,
          Math.abs(ref.gain[r]) + 1e-300,
        );
        continue;
      }
      differing++;
      const error = rowError(layer.weight.subarray(r * d), mask.subarray(r * d), layer.gram, d);
      const scale = error + gainTermsSize(layer, mask, r, ref.prune[r], ref.restore[r]) +
        gainTermsSize(layer, mask, r, got.prune[r], got.restore[r]);
      assert.ok(
        Math.abs(got.gain[r] - ref.gain[r]) <= RANKING_TOLERANCE * scale,
        `iteration ${t} row ${r}: wasm chose (${got.prune[r]}, ${got.restore[r]}) with gain ${
          got.gain[r]
        }, reference (${ref.prune[r]}, ${ref.restore[r]}) with ${ref.gain[r]}`,
      );
    }
    const improving = [...active].filter((r) => ref.gain[r] < 0);
    const chosen = Uint32Array.from(improving);
    const prune = Int32Array.from(improving, (r) => ref.prune[r]);
    const restore = Int32Array.from(improving, (r) => ref.restore[r]);
    for (const s of sides) {
      await s.kernels.applySwaps({ gram: s.gram, batch: s.batch, rows: chosen, prune, restore });
    }
    mask = await reference.readMask(sides[0].batch);
    assert.deepEqual(await wasm.readMask(sides[1].batch), mask);
  }
  for (const s of sides) {
    s.kernels.release(s.batch);
    s.kernels.release(s.gram);
  }
  return { rows: rows * iterations, differing };
}

async function refineWith(
  kernels: Kernels,
  layer: Layer,
  pattern: SparsityPattern,
  maxIters: number,
  mask = warmStart(layer, pattern),
) {
  const gram = await kernels.createGram({ d: layer.d, values: layer.gram });
  try {
    const { weight, rows, d } = layer;
    return await refineSparseSwaps({ kernels, gram, weight, rows, d, mask, pattern, maxIters });
  } finally {
    kernels.release(gram);
  }
}

const total = (errors: Float64Array) => errors.reduce((a, b) => a + b, 0);

async function compareRefinement(
  layer: Layer,
  pattern: SparsityPattern,
  maxIters: number,
  wasm: Kernels,
  mask?: Uint8Array,
): Promise<void> {
  const ref = await refineWith(createReferenceKernels(), layer, pattern, maxIters, mask);
  const got = await refineWith(wasm, layer, pattern, maxIters, mask);
  assert.deepEqual(rowsBreakingPattern(got.mask, layer.rows, layer.d, pattern), []);
  const refAfter = total(ref.errorAfter);
  const gotAfter = total(got.errorAfter);
  const before = total(ref.errorBefore);
  assertClose(total(got.errorBefore), before, 1e-9, "error before", 1e-300);
  assertClose(gotAfter, refAfter, FINAL_ERROR_TOLERANCE, "error after", before * 1e-12);
  for (let r = 0; r < layer.rows; r++) {
    assert.ok(got.errorAfter[r] <= got.errorBefore[r] * (1 + 1e-12) + 1e-300, `row ${r} got worse`);
  }
}

const wasm = await createWasmKernels({ threads: 2 });

Deno.test({
  name:
    "wasm proposes the reference's swaps wherever they are unambiguous (768 × 1024 and 256 × 512 layers)",
  sanitizeResources: false,
  fn: async () => {
    const cases: [Layer, SparsityPattern, number][] = [
      [generated(768, 1024, 1), { kind: "per-row", sparsity: 0.6 }, 2],
      [generated(256, 512, 2), { kind: "per-row", sparsity: 0.5 }, 6],
      [generated(256, 512, 3), { kind: "n:m", n: 2, m: 4 }, 6],
      [generated(256, 512, 4), { kind: "n:m", n: 4, m: 8 }, 6],
    ];
    for (const [layer, pattern, iterations] of cases) {
      const { rows, differing } = await compareProposals(layer, pattern, iterations, wasm);
      assert.ok(differing <= rows * 0.01, `${differing} of ${rows} proposals differ`);
    }
  },
});

Deno.test({
  name:
    "wasm reaches the reference's final error within 1e-4 with exact patterns (50%, 60%, 2:4, 4:8)",
  sanitizeResources: false,
  fn: async () => {
    const layer = generated(192, 384, 5);
    for (
      const pattern of [
        { kind: "per-row", sparsity: 0.5 },
        { kind: "per-row", sparsity: 0.6 },
        { kind: "n:m", n: 2, m: 4 },
        { kind: "n:m", n: 4, m: 8 },
      ] as const
    ) {
      await compareRefinement(layer, pattern, 40, wasm);
    }
    // d not a multiple of the SIMD width exercises every scalar tail.
    await compareRefinement(
      generated(48, 99, 6),
      { kind: "per-row", sparsity: 0.6 },
      Infinity,
      wasm,
    );
    await compareProposals(generated(64, 101, 7), { kind: "per-row", sparsity: 0.5 }, 5, wasm);
  },
});

Deno.test({
  name: "adversarial layers: exact ties, zero rows, zero Gram columns, huge dynamic range",
  sanitizeResources: false,
  fn: async () => {
    const random = createRandom(99);
    const rows = 40;
    const d = 64;
    // Exact ties: weights from {±1, ±2}, G = identity plus equal correlations in pairs.
    const tieWeight = Float32Array.from(
      { length: rows * d },
      () => (random.integer(2) + 1) * (random.integer(2) ? 1 : -1),
    );
    const tieGram = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      tieGram[i * d + i] = 2;
      tieGram[i * d + (i ^ 1)] = 1;
    }
    // Zero rows and zero Gram columns (dead input channels).
    const base = generated(rows, d, 7);
    const zeroWeight = base.weight.slice();
    zeroWeight.fill(0, 0, 5 * d);
    const x = syntheticLayer({ rows: 1, d, tokens: 128, seed: 8 }).x;
    for (let t = 0; t < 128; t++) for (const j of [3, 17, 40]) x[t * d + j] = 0;
    const deadGram = gramOf(x, 128, d);
    // Huge dynamic range: weights over 9 decades, channels over 8.
    const wideWeight = Float32Array.from(
      { length: rows * d },
      () => random.normal() * 10 ** (random.uniform() * 9 - 6),
    );
    const scale = Float64Array.from({ length: d }, () => 10 ** (random.uniform() * 4 - 2));
    for (let t = 0; t < 128; t++) for (let j = 0; j < d; j++) x[t * d + j] *= scale[j];
    const wideGram = gramOf(x, 128, d);
    const layers: [string, Layer][] = [
      ["ties", { weight: tieWeight, gram: tieGram, rows, d }],
      ["zero rows", { weight: zeroWeight, gram: base.gram, rows, d }],
      ["dead channels", { weight: base.weight, gram: deadGram, rows, d }],
      ["dynamic range", { weight: wideWeight, gram: wideGram, rows, d }],
    ];
    for (const [label, layer] of layers) {
      for (
        const pattern of [{ kind: "per-row", sparsity: 0.6 }, { kind: "n:m", n: 2, m: 4 }] as const
      ) {
        try {
          await compareRefinement(layer, pattern, 30, wasm);
          await compareProposals(layer, pattern, 4, wasm);
        } catch (error) {
          throw new Error(`${label}, ${JSON.stringify(pattern)}: ${(error as Error).message}`);
        }
      }
    }
  },
});

Deno.test("wasm results do not depend on the number of threads", async () => {
  const layer = generated(96, 203, 10);
  const nmLayer = generated(96, 200, 10);
  const x = syntheticLayer({ rows: 1, d: 203, tokens: 150, seed: 11 }).x;
  const outputs = [];
  for (const threads of [1, 2, 3]) {
    const kernels = await createWasmKernels({ threads, variant: "simd" });
    try {
      const perRow = await refineWith(kernels, layer, { kind: "per-row", sparsity: 0.6 }, 25);
      const nm = await refineWith(kernels, nmLayer, { kind: "n:m", n: 2, m: 4 }, 25);
      const gram = await kernels.createGram({ d: 203 });
      await kernels.gramAccumulate({ gram, x, tokens: 150 });
      const g = await kernels.readGram(gram);
      const y = await kernels.matmul({ x, w: layer.weight, n: 150, k: 203, m: 96 });
      outputs.push({ perRow, nm, g, y });
    } finally {
      kernels.dispose();
    }
  }
  for (const other of outputs.slice(1)) {
    assert.deepEqual(other.perRow.mask, outputs[0].perRow.mask);
    assert.deepEqual(other.perRow.errorAfter, outputs[0].perRow.errorAfter);
    assert.deepEqual(other.nm.mask, outputs[0].nm.mask);
    assert.deepEqual(other.g, outputs[0].g);
    assert.deepEqual(other.y, outputs[0].y);
  }
});

Deno.test({
  name: "wasm Gram accumulation and matmul match float64 within 1e-5 relative at d = 1024",
  sanitizeResources: false,
  fn: async () => {
    const d = 1024;
    const tokens = 192;
    const { x, weight } = syntheticLayer({ rows: 64, d, tokens, seed: 12 });
    const exact = gramOf(x, tokens, d);
    const gram = await wasm.createGram({ d });
    await wasm.gramAccumulate({ gram, x: x.subarray(0, 100 * d), tokens: 100 });
    await wasm.gramAccumulate({ gram, x: x.subarray(100 * d), tokens: tokens - 100 });
    const got = await wasm.readGram(gram);
    wasm.release(gram);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        // |G_ij| ≤ sqrt(G_ii G_jj): relative to that bound, as cancellation can make G_ij ≈ 0.
        const bound = Math.sqrt(exact[i * d + i] * exact[j * d + j]);
        assertClose(got[i * d + j], exact[i * d + j], 1e-5, `G[${i},${j}]`, bound);
      }
    }
    const y = await wasm.matmul({ x, w: weight, n: tokens, k: d, m: 64 });
    for (let i = 0; i < tokens; i++) {
      for (let o = 0; o < 64; o++) {
        let sum = 0;
        let size = 0;
        for (let j = 0; j < d; j++) {
          sum += x[i * d + j] * weight[o * d + j];
          size += Math.abs(x[i * d + j] * weight[o * d + j]);
        }
        assertClose(y[i * 64 + o], sum, 1e-5, `y[${i},${o}]`, size);
      }
    }
  },
});

globalThis.addEventListener("unload", () => wasm.dispose());
