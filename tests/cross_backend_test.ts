/**
 * The wasm and WebGPU backends against the float64 reference on LLM-like generated layers
 * (correlated channels, outlier channels) and adversarial ones: same swaps wherever the choice
 * is unambiguous, same final error, exact patterns; for wasm, results independent of the thread
 * count. WebGPU runs wherever an adapter exists (llvmpipe on our machines: small shapes), also
 * with bindings shrunk so G is split into panels.
 */

import assert, { assertClose } from "./assert.ts";
import { rowError } from "./_oracle.ts";
import { createReferenceKernels, gramOf } from "../core/backends/reference.ts";
import { createWasmKernels } from "../core/backends/wasm.ts";
import { createWebGpuKernels } from "../core/backends/webgpu.ts";
import type { Kernels } from "../core/kernels.ts";
import { rowsBreakingPattern, type SparsityPattern, swapBlocks } from "../core/pattern.ts";
import { refineSparseSwaps } from "../core/sparseswaps.ts";
import { attentionByProducts } from "../core/attention.ts";
import { bfloat16ToFloat32, float32ToBfloat16 } from "../core/float16.ts";
import { createRandom, syntheticLayer } from "../core/synthetic.ts";
import { rebuildRowsFloat64 } from "../core/update.ts";
import { gramDiagonal, warmStartMask } from "../core/warm_start.ts";

/** Final errors of the two backends may differ by this much, relative (the bound). */
const FINAL_ERROR_TOLERANCE = 1e-4;
/**
 * Two different proposed pairs count as a tie when their exact gains differ by less than this
 * fraction of the row's error plus the gain terms' size: both backends rank pairs in float32.
 */
const RANKING_TOLERANCE = 1e-5;

/** A backend under test and how close its gains are to float64. */
interface Candidate {
  readonly label: string;
  readonly kernels: Kernels;
  /** Same pair: |gain − reference gain| ≤ this · |reference gain| (wasm: exact float64 gains). */
  readonly gainTolerance: number;
  /** Or, for float32 gains, ≤ RANKING_TOLERANCE · (row error + gain terms). */
  readonly float32Gains: boolean;
}

interface Layer {
  readonly weight: Float32Array;
  /** Updated values of the kept weights (see core/kernels.ts), when the test gives them. */
  readonly values?: Float32Array;
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
  candidate: Candidate,
): Promise<{ rows: number; differing: number }> {
  const reference = createReferenceKernels();
  const backend = candidate.kernels;
  const { rows, d } = layer;
  const blockLength = swapBlocks(pattern, d).length;
  let mask = warmStart(layer, pattern);
  const sides = await Promise.all([reference, backend].map(async (kernels) => {
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
      if (same && !candidate.float32Gains) {
        const floor = Math.abs(ref.gain[r]) + 1e-300;
        assertClose(got.gain[r], ref.gain[r], candidate.gainTolerance, `row ${r} gain`, floor);
        continue;
      }
      if (!same) differing++;
      if (ref.prune[r] < 0 || got.prune[r] < 0) {
        assert.equal(got.prune[r], ref.prune[r], `row ${r}: feasible pairs disagree`);
        continue;
      }
      const error = rowError(layer.weight.subarray(r * d), mask.subarray(r * d), layer.gram, d);
      const scale = error + gainTermsSize(layer, mask, r, ref.prune[r], ref.restore[r]) +
        gainTermsSize(layer, mask, r, got.prune[r], got.restore[r]);
      assert.ok(
        Math.abs(got.gain[r] - ref.gain[r]) <= RANKING_TOLERANCE * scale,
        `iteration ${t} row ${r}: ${candidate.label} chose (${got.prune[r]}, ${
          got.restore[r]
        }) with gain ${got.gain[r]}, reference (${ref.prune[r]}, ${ref.restore[r]}) with ${
          ref.gain[r]
        }`,
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
    assert.deepEqual(await backend.readMask(sides[1].batch), mask);
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
    const { weight, values, rows, d } = layer;
    return await refineSparseSwaps({
      kernels,
      gram,
      weight,
      values,
      rows,
      d,
      mask,
      pattern,
      maxIters,
    });
  } finally {
    kernels.release(gram);
  }
}

const total = (errors: Float64Array) => errors.reduce((a, b) => a + b, 0);

async function compareRefinement(
  layer: Layer,
  pattern: SparsityPattern,
  maxIters: number,
  candidate: Candidate,
  mask?: Uint8Array,
): Promise<void> {
  const ref = await refineWith(createReferenceKernels(), layer, pattern, maxIters, mask);
  const got = await refineWith(candidate.kernels, layer, pattern, maxIters, mask);
  assert.deepEqual(rowsBreakingPattern(got.mask, layer.rows, layer.d, pattern), []);
  const refAfter = total(ref.errorAfter);
  const gotAfter = total(got.errorAfter);
  const before = total(ref.errorBefore);
  assertClose(
    total(got.errorBefore),
    before,
    candidate.float32Gains ? 1e-5 : 1e-9,
    "error before",
    1e-300,
  );
  assertClose(gotAfter, refAfter, FINAL_ERROR_TOLERANCE, "error after", before * 1e-12);
  for (let r = 0; r < layer.rows; r++) {
    const slack = candidate.float32Gains ? 1e-5 : 1e-12;
    assert.ok(got.errorAfter[r] <= got.errorBefore[r] * (1 + slack) + 1e-300, `row ${r} got worse`);
  }
  // The refined layer the result returns has the error the refinement reports.
  const { rows, d } = layer;
  const oracle = Array.from(
    { length: rows },
    (_, r) =>
      rowError(
        layer.weight.subarray(r * d, (r + 1) * d),
        got.mask.subarray(r * d, (r + 1) * d),
        layer.gram,
        d,
        got.weight.subarray(r * d, (r + 1) * d),
      ),
  );
  assertClose(gotAfter, oracle.reduce((a, b) => a + b, 0), 1e-5, "error of the returned weight");
}

const wasm: Candidate = {
  label: "wasm",
  kernels: await createWasmKernels({ threads: 2 }),
  gainTolerance: 1e-9,
  float32Gains: false,
};

/** The WebGPU candidates, or why none can run here (reported in the test names). */
async function webGpuCandidates(): Promise<Candidate[] | string> {
  try {
    const whole = await createWebGpuKernels({ allowFallback: true });
    // 32 KiB bindings split a 128-wide G into 64-row panels.
    const panels = await createWebGpuKernels({ allowFallback: true, maxBindingBytes: 32768 });
    return [
      { label: "webgpu", kernels: whole, gainTolerance: 1e-5, float32Gains: true },
      { label: "webgpu in G panels", kernels: panels, gainTolerance: 1e-5, float32Gains: true },
    ];
  } catch (error) {
    return (error as Error).message;
  }
}
const gpu = await webGpuCandidates();

/** Adversarial layers: exact ties, zero rows, dead input channels, huge dynamic range. */
function adversarialLayers(rows: number, d: number): [string, Layer][] {
  const random = createRandom(99);
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
  return layers;
}

const PATTERNS = [
  { kind: "per-row", sparsity: 0.5 },
  { kind: "per-row", sparsity: 0.6 },
  { kind: "n:m", n: 2, m: 4 },
  { kind: "n:m", n: 4, m: 8 },
] as const;

/** The same suite for every backend, at sizes it can run in reasonable time. */
function crossBackendSuite(candidate: Candidate, size: "large" | "small"): void {
  const large = size === "large";
  Deno.test({
    name: `${candidate.label} proposes the reference's swaps wherever they are unambiguous`,
    sanitizeResources: false,
    fn: async () => {
      const cases: [Layer, SparsityPattern, number][] = large
        ? [
          [generated(768, 1024, 1), { kind: "per-row", sparsity: 0.6 }, 2],
          [generated(256, 512, 2), { kind: "per-row", sparsity: 0.5 }, 6],
          [generated(256, 512, 3), { kind: "n:m", n: 2, m: 4 }, 6],
          [generated(256, 512, 4), { kind: "n:m", n: 4, m: 8 }, 6],
          [generated(64, 101, 7), { kind: "per-row", sparsity: 0.5 }, 5],
        ]
        : [
          [generated(48, 128, 1), { kind: "per-row", sparsity: 0.6 }, 4],
          [generated(48, 128, 3), { kind: "n:m", n: 2, m: 4 }, 4],
          [generated(32, 101, 7), { kind: "per-row", sparsity: 0.5 }, 3],
        ];
      for (const [layer, pattern, iterations] of cases) {
        const { rows, differing } = await compareProposals(layer, pattern, iterations, candidate);
        assert.ok(
          differing <= Math.max(1, rows * 0.01),
          `${differing} of ${rows} proposals differ`,
        );
      }
    },
  });

  Deno.test({
    name: `${candidate.label} reaches the reference's final error within 1e-4 with exact patterns`,
    sanitizeResources: false,
    fn: async () => {
      const layer = large ? generated(192, 384, 5) : generated(32, 128, 5);
      for (const pattern of PATTERNS) {
        await compareRefinement(layer, pattern, large ? 40 : 20, candidate);
      }
      // d not a multiple of the SIMD width exercises every scalar tail; inf runs to convergence.
      const odd = large ? generated(48, 99, 6) : generated(16, 99, 6);
      await compareRefinement(odd, { kind: "per-row", sparsity: 0.6 }, Infinity, candidate);
    },
  });

  Deno.test({
    name:
      `${candidate.label} refines updated weights (a rebuild of the warm start) to the reference's final error`,
    sanitizeResources: false,
    fn: async () => {
      const layer = large ? generated(96, 256, 12) : generated(24, 96, 12);
      for (const pattern of PATTERNS) {
        const mask = warmStart(layer, pattern);
        const { weight: values } = rebuildRowsFloat64({ ...layer, mask, damping: 0.1 });
        await compareRefinement({ ...layer, values }, pattern, large ? 30 : 10, candidate, mask);
      }
    },
  });

  Deno.test({
    name:
      `${candidate.label} on adversarial layers: exact ties, zero rows, zero Gram columns, huge dynamic range`,
    sanitizeResources: false,
    fn: async () => {
      for (const [label, layer] of adversarialLayers(large ? 40 : 16, 64)) {
        for (const pattern of [PATTERNS[1], PATTERNS[2]]) {
          try {
            await compareRefinement(layer, pattern, large ? 30 : 10, candidate);
            await compareProposals(layer, pattern, large ? 4 : 2, candidate);
          } catch (error) {
            throw new Error(`${label}, ${JSON.stringify(pattern)}: ${(error as Error).message}`);
          }
        }
      }
    },
  });
}

crossBackendSuite(wasm, "large");
if (typeof gpu === "string") {
  Deno.test({ name: `webgpu cross-backend tests SKIPPED (${gpu})`, ignore: true, fn: () => {} });
} else {
  for (const candidate of gpu) crossBackendSuite(candidate, "small");
}

Deno.test("wasm results do not depend on the number of threads or how calls are split", async () => {
  const layer = generated(96, 203, 10);
  const nmLayer = generated(96, 200, 10);
  const x = syntheticLayer({ rows: 1, d: 203, tokens: 150, seed: 11 }).x;
  const outputs = [];
  for (
    const [threads, splitEveryCall] of [[1, false], [2, false], [3, false], [2, true]] as const
  ) {
    const kernels = await createWasmKernels({ threads, variant: "simd", splitEveryCall });
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

Deno.test("wasm attention in one kernel call gives the bits of two matmul calls per head (attentionByProducts), on any thread count", async () => {
  const random = createRandom(12);
  const fill = (n: number) => Float32Array.from({ length: n }, () => 2 * random.uniform() - 1);
  // (batch, tokens, start, capacity, nHeads, nKvHeads, headDim): a prompt, a generation step deep
  // in a cache, grouped-query heads of an odd size.
  const shapes = [[3, 7, 0, 7, 4, 2, 8], [5, 1, 40, 64, 6, 3, 16], [2, 4, 9, 20, 4, 1, 13]];
  for (const [index, shape] of shapes.entries()) {
    const [batch, tokens, start, capacity, nHeads, nKvHeads, headDim] = shape;
    const cached = batch * nKvHeads * capacity * headDim;
    const options = {
      q: fill(batch * tokens * nHeads * headDim),
      keys: fill(cached),
      // Values past the visible positions are zero in a cache.
      values: fill(cached).map((v, i) => (i % capacity) < start + tokens ? v : 0),
      batch,
      tokens,
      start,
      capacity,
      nHeads,
      nKvHeads,
      headDim,
    };
    for (const threads of [1, 3]) {
      const kernels = await createWasmKernels({ threads, splitEveryCall: threads > 1 });
      try {
        assert.deepEqual(
          await kernels.attention(options),
          await attentionByProducts((o) => kernels.matmul(o), options),
          `shape ${index}, ${threads} threads`,
        );
      } finally {
        kernels.dispose();
      }
    }
  }
});

/** Gram accumulation (in two calls) and matmul of a backend against float64 at width d. */
function gramAndMatmulSuite(candidate: Candidate, d: number, tokens: number): void {
  Deno.test({
    name:
      `${candidate.label} Gram accumulation and matmul match float64 within 1e-5 relative at d = ${d}`,
    sanitizeResources: false,
    fn: async () => {
      const kernels = candidate.kernels;
      const { x, weight } = syntheticLayer({ rows: 64, d, tokens, seed: 12 });
      const exact = gramOf(x, tokens, d);
      const gram = await kernels.createGram({ d });
      await kernels.gramAccumulate({ gram, x: x.subarray(0, 100 * d), tokens: 100 });
      await kernels.gramAccumulate({ gram, x: x.subarray(100 * d), tokens: tokens - 100 });
      const got = await kernels.readGram(gram);
      kernels.release(gram);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          // |G_ij| ≤ sqrt(G_ii G_jj): relative to that bound, as cancellation can make G_ij ≈ 0.
          const bound = Math.sqrt(exact[i * d + i] * exact[j * d + j]);
          assertClose(got[i * d + j], exact[i * d + j], 1e-5, `G[${i},${j}]`, bound);
        }
      }
      const y = await kernels.matmul({ x, w: weight, n: tokens, k: d, m: 64 });
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
}

gramAndMatmulSuite(wasm, 1024, 192);
if (typeof gpu !== "string") {
  // With 32 KiB bindings and d = 128: two G panels, X in chunks of 64 tokens, x of 64 rows.
  gpu.forEach((candidate, i) => gramAndMatmulSuite(candidate, i === 0 ? 256 : 128, 150));
}

if (typeof gpu !== "string") {
  const { kernels } = gpu[1];
  Deno.test("webgpu in panels multiplies a bfloat16 matrix exactly as its float32 widening, even and odd widths", async () => {
    const random = createRandom(31);
    // 32 KiB bindings: 600 rows of 16 weights in panels of 512 rows; of 17, in panels of 384 (an
    // odd width moves bfloat16 panels to 128-row steps: at 64-row steps the second panel, at row
    // 448, would start at byte 15232, not 256-aligned).
    for (const k of [16, 17]) {
      const m = 600;
      const bits = float32ToBfloat16(Float32Array.from({ length: m * k }, () => random.normal()));
      const matrix = await kernels.createMatrix({ values: bits, rows: m, cols: k });
      const x = Float32Array.from({ length: 3 * k }, () => random.normal());
      const widened = bfloat16ToFloat32(bits);
      assert.deepEqual(
        await kernels.matmul({ x, w: matrix, n: 3, k, m }),
        await kernels.matmul({ x, w: widened, n: 3, k, m }),
        `k = ${k}`,
      );
      kernels.release(matrix);
    }
  });
}

globalThis.addEventListener("unload", () => {
  wasm.kernels.dispose();
  if (typeof gpu !== "string") gpu.forEach((c) => c.kernels.dispose());
});
