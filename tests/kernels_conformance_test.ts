/**
 * The kernel conformance suite: every backend, every kernel, against brute-force oracles.
 * A backend that cannot run here is reported as skipped in the test name, never silently.
 */

import assert, { assertClose } from "./assert.ts";
import { allSwaps, rowError } from "./_oracle.ts";
import { createKernels } from "../core/backend.ts";
import { createWasmKernels } from "../core/backends/wasm.ts";
import { createWebGpuKernels } from "../core/backends/webgpu.ts";
import type { BackendName, GramHandle, Kernels } from "../core/kernels.ts";
import { type SparsityPattern, swapBlocks } from "../core/pattern.ts";
import { createRandom, type SyntheticLayer, syntheticLayer } from "../core/synthetic.ts";
import { gramOf } from "../core/backends/reference.ts";
import { bfloat16ToFloat32, float32ToBfloat16 } from "../core/float16.ts";

/**
 * Relative tolerances per backend and quantity, with the reason for each:
 * - reference: float64 throughout, only summation-order rounding (≪ 1e-12); its matmul output
 *   is float32 (1e-6).
 * - wasm: Gram sums float32 tiles of 64 tokens in float64 (≈ 64 · 2⁻²⁴ worst case); matmul is
 *   float32; gains and errors are float64 from float64 c, so near-exact.
 * - webgpu: float32 with Kahan-compensated sums (Gram, c, errors); gains are float32 candidates,
 *   judged relative to the row error (their terms can be larger than it).
 */
const TOLERANCES: Record<
  BackendName,
  { gram: number; matmul: number; gain: number; error: number }
> = {
  reference: { gram: 1e-12, matmul: 1e-6, gain: 1e-9, error: 1e-12 },
  wasm: { gram: 1e-6, matmul: 1e-5, gain: 1e-9, error: 1e-9 },
  webgpu: { gram: 1e-5, matmul: 1e-5, gain: 1e-4, error: 1e-5 },
};

const PATTERNS: readonly SparsityPattern[] = [
  { kind: "per-row", sparsity: 0.5 },
  { kind: "per-row", sparsity: 0.6 },
  { kind: "n:m", n: 2, m: 4 },
  { kind: "n:m", n: 4, m: 8 },
];

/** Random feasible masks: each block keeps `kept` random positions. */
function randomMask(rows: number, d: number, pattern: SparsityPattern, seed: number): Uint8Array {
  const random = createRandom(seed);
  const { length, kept } = swapBlocks(pattern, d);
  const mask = new Uint8Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let start = 0; start < d; start += length) {
      const order = Array.from({ length }, (_, i) => i);
      for (let i = length - 1; i > 0; i--) {
        const j = random.integer(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const i of order.slice(0, kept)) mask[r * d + start + i] = 1;
    }
  }
  return mask;
}

/**
 * Checks attention outputs against float64 softmax(q·kᵀ/√d)·v: `key(block, s, j)` and
 * `value(block, s, j)` read position s of key/value head `block` (= b · nKvHeads + kv head).
 */
function expectAttention(
  out: Float32Array,
  q: Float32Array,
  key: (block: number, s: number, j: number) => number,
  value: (block: number, s: number, j: number) => number,
  shape: readonly number[],
  tolerance: number,
): void {
  const [batch, tokens, start, nHeads, nKvHeads, headDim] = shape;
  assert.equal(out.length, q.length);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < nHeads; h++) {
      const block = b * nKvHeads + Math.floor(h / (nHeads / nKvHeads));
      for (let t = 0; t < tokens; t++) {
        const at = ((b * tokens + t) * nHeads + h) * headDim;
        const visible = start + t + 1;
        const scores = Array.from({ length: visible }, (_, s) => {
          let dot = 0;
          for (let j = 0; j < headDim; j++) dot += q[at + j] * key(block, s, j);
          return dot / Math.sqrt(headDim);
        });
        const top = Math.max(...scores);
        const weights = scores.map((x) => Math.exp(x - top));
        const total = weights.reduce((a, x) => a + x, 0);
        for (let j = 0; j < headDim; j++) {
          let exact = 0;
          let magnitude = 0;
          for (let s = 0; s < visible; s++) {
            const term = (weights[s] / total) * value(block, s, j);
            exact += term;
            magnitude += Math.abs(term);
          }
          assertClose(out[at + j], exact, tolerance, `out[${b},${t},${h},${j}]`, magnitude);
        }
      }
    }
  }
}

/**
 * A backend's attention over a cache against float64, for (batch, tokens, start, capacity,
 * nHeads, nKvHeads, headDim).
 */
async function checkAttention(
  kernels: Kernels,
  tolerance: number,
  shape: readonly number[],
): Promise<void> {
  const [batch, tokens, start, capacity, nHeads, nKvHeads, headDim] = shape;
  const random = createRandom(17);
  const fill = (n: number) => Float32Array.from({ length: n }, () => 2 * random.uniform() - 1);
  const q = fill(batch * tokens * nHeads * headDim);
  const keys = fill(batch * nKvHeads * capacity * headDim);
  const values = fill(batch * nKvHeads * headDim * capacity);
  const options = { q, keys, values, batch, tokens, start, capacity, nHeads, nKvHeads, headDim };
  expectAttention(
    await kernels.attention(options),
    q,
    (block, s, j) => keys[(block * capacity + s) * headDim + j],
    (block, s, j) => values[(block * headDim + j) * capacity + s],
    [batch, tokens, start, nHeads, nKvHeads, headDim],
    tolerance,
  );
}

/**
 * The forward-pass operations on activations against their float64 definitions: 2 sequences
 * of 5 tokens, 4 query heads over 2 key/value heads of 8, width 24.
 */
async function checkForwardSteps(kernels: Kernels, tolerance: number): Promise<void> {
  const [batch, tokens, nHeads, nKvHeads, headDim, dim] = [2, 5, 4, 2, 8, 24];
  const rows = batch * tokens;
  const layout = { batch, tokens, start: 0 };
  const random = createRandom(23);
  const fill = (n: number) => Float32Array.from({ length: n }, () => 2 * random.uniform() - 1);
  const make = (values: Float32Array, width: number) => kernels.createActivation({ values, width });
  // Relative to the magnitude of each value's terms (default: the value), as sums cancel.
  const close = (
    got: Float32Array,
    exact: ArrayLike<number>,
    what: string,
    magnitude: ArrayLike<number> = Array.from(exact, Math.abs),
  ) => {
    assert.equal(got.length, exact.length, what);
    for (let i = 0; i < exact.length; i++) {
      assertClose(got[i], exact[i], tolerance, `${what}[${i}]`, magnitude[i]);
    }
  };

  const hValues = fill(rows * dim);
  const h = await make(hValues, dim);
  assert.deepEqual([h.rows, h.width], [rows, dim]);
  assert.deepEqual(await kernels.readActivation(h), hValues);
  const slice = await kernels.sliceRows(h, 3, 4);
  assert.deepEqual(await kernels.readActivation(slice), hValues.slice(3 * dim, 7 * dim));

  const gain = fill(dim);
  const normed = await kernels.rmsNorm({ x: h, weight: gain, eps: 1e-5 });
  close(
    await kernels.readActivation(normed),
    Array.from(hValues, (v, i) => {
      const row = Math.floor(i / dim);
      let squares = 0;
      for (let j = 0; j < dim; j++) squares += hValues[row * dim + j] ** 2;
      return (v / Math.sqrt(squares / dim + 1e-5)) * gain[i % dim];
    }),
    "rmsNorm",
  );

  const w = fill(nHeads * headDim * dim);
  const q = await kernels.linear(h, w);
  const products = (i: number) => {
    const [r, o] = [Math.floor(i / (nHeads * headDim)), i % (nHeads * headDim)];
    return Array.from({ length: dim }, (_, j) => hValues[r * dim + j] * w[o * dim + j]);
  };
  const length = rows * nHeads * headDim;
  const qValues = await kernels.readActivation(q);
  close(
    qValues,
    Array.from({ length }, (_, i) => products(i).reduce((a, x) => a + x, 0)),
    "linear",
    Array.from({ length }, (_, i) => products(i).reduce((a, x) => a + Math.abs(x), 0)),
  );

  const frequencies = Float64Array.from({ length: headDim / 2 }, (_, i) => 0.3 / (i + 1));
  await kernels.rotary({ x: q, heads: nHeads, headDim, layout, frequencies });
  const half = headDim / 2;
  // x_i' = x_i cos − x_{i+half} sin, x_{i+half}' = x_{i+half} cos + x_i sin.
  const rotation = (i: number) => {
    const [row, inHead] = [Math.floor(i / (nHeads * headDim)), i % headDim];
    const angle = (row % tokens) * frequencies[inHead % half];
    const partner = inHead < half ? -qValues[i + half] : qValues[i - half];
    return [qValues[i] * Math.cos(angle), partner * Math.sin(angle)];
  };
  close(
    await kernels.readActivation(q),
    Array.from({ length }, (_, i) => rotation(i)[0] + rotation(i)[1]),
    "rotary",
    Array.from({ length }, (_, i) => Math.abs(rotation(i)[0]) + Math.abs(rotation(i)[1])),
  );

  const kValues = fill(rows * nKvHeads * headDim);
  const vValues = fill(rows * nKvHeads * headDim);
  const [k, v] = await Promise.all([
    make(kValues, nKvHeads * headDim),
    make(vValues, nKvHeads * headDim),
  ]);
  const qRotated = await kernels.readActivation(q);
  const mixed = await kernels.causalAttention({ q, k, v, layout, nHeads, nKvHeads, headDim });
  const at = (block: number, s: number, j: number) =>
    ((Math.floor(block / nKvHeads) * tokens + s) * nKvHeads + (block % nKvHeads)) * headDim + j;
  expectAttention(
    await kernels.readActivation(mixed),
    qRotated,
    (block, s, j) => kValues[at(block, s, j)],
    (block, s, j) => vValues[at(block, s, j)],
    [batch, tokens, 0, nHeads, nKvHeads, headDim],
    tolerance,
  );

  const upValues = fill(rows * dim);
  const up = await make(upValues, dim);
  const gated = await kernels.swiglu(h, up);
  close(
    await kernels.readActivation(gated),
    Array.from(hValues, (g, i) => (g / (1 + Math.exp(-g))) * upValues[i]),
    "swiglu",
  );

  await kernels.addInPlace(h, up);
  close(await kernels.readActivation(h), Array.from(hValues, (x, i) => x + upValues[i]), "add");

  // Moments add to running totals, as calibration accumulates them chunk by chunk.
  const sum = new Float64Array(dim).fill(1);
  const squares = new Float64Array(dim).fill(2);
  await kernels.channelMoments({ x: up, sum, squares });
  const column = (j: number) => Array.from({ length: rows }, (_, r) => upValues[r * dim + j]);
  close(
    Float32Array.from(sum),
    Array.from({ length: dim }, (_, j) => 1 + column(j).reduce((a, x) => a + x, 0)),
    "sum",
  );
  close(
    Float32Array.from(squares),
    Array.from({ length: dim }, (_, j) => 2 + column(j).reduce((a, x) => a + x * x, 0)),
    "squares",
  );

  // Losses of the first rows (a window's last row has no next token), against float64.
  const vocab = 37;
  const logitValues = Float32Array.from(fill(rows * vocab), (x) => 8 * x);
  const scores = await make(logitValues, vocab);
  const targets = Int32Array.from({ length: rows - 1 }, (_, r) => (7 * r + 3) % vocab);
  close(
    Float32Array.from(await kernels.tokenLosses(scores, targets)),
    Array.from(targets, (target, r) => {
      const row = logitValues.subarray(r * vocab, (r + 1) * vocab);
      const top = Math.max(...row);
      return Math.log(row.reduce((a, x) => a + Math.exp(x - top), 0)) + top - row[target];
    }),
    "tokenLosses",
  );
  await assert.rejects(
    () => kernels.tokenLosses(scores, Int32Array.of(vocab)),
    /Target 37 \(row 0\) is not one of 37 tokens/,
  );

  // G from resident activations equals G from the same array.
  const fromActivation = await kernels.createGram({ d: dim });
  const fromArray = await kernels.createGram({ d: dim });
  await kernels.gramAccumulate({ gram: fromActivation, x: up, tokens: rows });
  await kernels.gramAccumulate({ gram: fromArray, x: upValues, tokens: rows });
  assert.deepEqual(await kernels.readGram(fromActivation), await kernels.readGram(fromArray));
  for (
    const handle of [h, slice, normed, q, k, v, mixed, up, gated, scores, fromActivation, fromArray]
  ) {
    kernels.release(handle);
  }
}

/**
 * A cache held by the backend, filled over two chunks (5 tokens, then 3 at position 5), against
 * float64 attention over every position so far: 2 sequences, 4 query heads over 2 key/value heads
 * of 8.
 */
async function checkCachedAttention(
  kernels: Kernels,
  tolerance: number,
  inHostMemory: boolean,
): Promise<void> {
  const [batch, nHeads, nKvHeads, headDim, capacity] = [2, 4, 2, 8, 12];
  const width = nKvHeads * headDim;
  const random = createRandom(41);
  const fill = (n: number) => Float32Array.from({ length: n }, () => 2 * random.uniform() - 1);
  const cache = await kernels.createKvCache({ batch, capacity, nKvHeads, headDim, inHostMemory });
  // Every position's key and value so far, per sequence: (batch, capacity, width).
  const keys = new Float32Array(batch * capacity * width);
  const values = new Float32Array(batch * capacity * width);
  for (const [start, tokens] of [[0, 5], [5, 3]]) {
    const [q, k, v] = [
      fill(batch * tokens * nHeads * headDim),
      fill(batch * tokens * width),
      fill(batch * tokens * width),
    ];
    for (let b = 0; b < batch; b++) {
      keys.set(
        k.subarray(b * tokens * width, (b + 1) * tokens * width),
        (b * capacity + start) * width,
      );
      values.set(
        v.subarray(b * tokens * width, (b + 1) * tokens * width),
        (b * capacity + start) * width,
      );
    }
    const [qa, ka, va] = await Promise.all([
      kernels.createActivation({ values: q, width: nHeads * headDim }),
      kernels.createActivation({ values: k, width }),
      kernels.createActivation({ values: v, width }),
    ]);
    const layout = { batch, tokens, start };
    const out = await kernels.attendCached({
      q: qa,
      k: ka,
      v: va,
      cache,
      layout,
      nHeads,
      nKvHeads,
      headDim,
    });
    const at = (block: number, s: number, j: number) =>
      (Math.floor(block / nKvHeads) * capacity + s) * width + (block % nKvHeads) * headDim + j;
    expectAttention(
      await kernels.readActivation(out),
      q,
      (block, s, j) => keys[at(block, s, j)],
      (block, s, j) => values[at(block, s, j)],
      [batch, tokens, start, nHeads, nKvHeads, headDim],
      tolerance,
    );
    [qa, ka, va, out].forEach((a) => kernels.release(a));
  }
  // Positions past the capacity are refused, not written over the next sequence's.
  const [qa, ka, va] = await Promise.all([
    kernels.createActivation({
      values: fill(batch * 5 * nHeads * headDim),
      width: nHeads * headDim,
    }),
    kernels.createActivation({ values: fill(batch * 5 * width), width }),
    kernels.createActivation({ values: fill(batch * 5 * width), width }),
  ]);
  const layout = { batch, tokens: 5, start: 8 };
  await assert.rejects(
    () => kernels.attendCached({ q: qa, k: ka, v: va, cache, layout, nHeads, nKvHeads, headDim }),
    /Positions \[8, 13\) of 2 sequences in a cache of 2 × 12/,
  );
  [qa, ka, va].forEach((a) => kernels.release(a));
  kernels.release(cache);
}

/** Causal attention within a chunk of heads larger than the GPU shader takes (264). */
async function checkWideHeads(kernels: Kernels, tolerance: number): Promise<void> {
  const [batch, tokens, nHeads, nKvHeads, headDim] = [2, 3, 2, 1, 264];
  const random = createRandom(43);
  const fill = (n: number) => Float32Array.from({ length: n }, () => 2 * random.uniform() - 1);
  const [q, k, v] = [
    fill(batch * tokens * nHeads * headDim),
    fill(batch * tokens * headDim),
    fill(batch * tokens * headDim),
  ];
  const [qa, ka, va] = await Promise.all([
    kernels.createActivation({ values: q, width: nHeads * headDim }),
    kernels.createActivation({ values: k, width: headDim }),
    kernels.createActivation({ values: v, width: headDim }),
  ]);
  const layout = { batch, tokens, start: 0 };
  const out = await kernels.causalAttention({
    q: qa,
    k: ka,
    v: va,
    layout,
    nHeads,
    nKvHeads,
    headDim,
  });
  const at = (block: number, s: number, j: number) => (block * tokens + s) * headDim + j;
  expectAttention(
    await kernels.readActivation(out),
    q,
    (block, s, j) => k[at(block, s, j)],
    (block, s, j) => v[at(block, s, j)],
    [batch, tokens, 0, nHeads, nKvHeads, headDim],
    tolerance,
  );
  [qa, ka, va, out].forEach((a) => kernels.release(a));
}

async function conformance(t: Deno.TestContext, kernels: Kernels): Promise<void> {
  const tolerance = TOLERANCES[kernels.name];
  const rows = 10;
  const d = 24;
  const layer = syntheticLayer({ rows, d, tokens: 50, seed: 31 });

  await t.step("gramAccumulate over two token chunks equals Xᵀ X, diagonal included", async () => {
    const gram = await kernels.createGram({ d });
    await kernels.gramAccumulate({ gram, x: layer.x.subarray(0, 20 * d), tokens: 20 });
    await kernels.gramAccumulate({ gram, x: layer.x.subarray(20 * d), tokens: 30 });
    const got = await kernels.readGram(gram);
    const scale = Math.max(...layer.gram.map(Math.abs));
    for (let i = 0; i < d * d; i++) {
      assertClose(got[i], layer.gram[i], tolerance.gram, `G[${i}]`, scale);
    }
    const diagonal = await kernels.readGramDiagonal(gram);
    for (let j = 0; j < d; j++) {
      assertClose(diagonal[j], layer.gram[j * d + j], tolerance.gram, `diag G[${j}]`, scale);
    }
    kernels.release(gram);
  });

  await t.step("createGram with values reads back the same matrix", async () => {
    const gram = await kernels.createGram({ d, values: layer.gram });
    const got = await kernels.readGram(gram);
    for (let i = 0; i < d * d; i++) assertClose(got[i], layer.gram[i], tolerance.gram, `G[${i}]`);
    kernels.release(gram);
  });

  await t.step("matmul equals x · wᵀ computed in float64", async () => {
    const n = 7;
    const x = layer.x.subarray(0, n * d);
    const y = await kernels.matmul({ x, w: layer.weight, n, k: d, m: rows });
    for (let i = 0; i < n; i++) {
      for (let o = 0; o < rows; o++) {
        let exact = 0;
        let magnitude = 0;
        for (let j = 0; j < d; j++) {
          exact += x[i * d + j] * layer.weight[o * d + j];
          magnitude += Math.abs(x[i * d + j] * layer.weight[o * d + j]);
        }
        assertClose(y[i * rows + o], exact, tolerance.matmul, `y[${i},${o}]`, magnitude);
      }
    }
  });

  await t.step(
    "causal grouped-query attention over every head equals float64 softmax(q·kᵀ/√d)·v, from a chunk within a cache, short and long",
    async () => {
      // 2 sequences, 4 query heads over 2 key/value heads of 8, a chunk of 5 tokens at position
      // 3 of a cache of 12: query t sees positions [0, 3 + t]. Then a long cache (positions in
      // three of the GPU's tiles of 256) and a head of 96 (two dimensions per GPU thread).
      await checkAttention(kernels, tolerance.matmul, [2, 5, 3, 12, 4, 2, 8]);
      await checkAttention(kernels, tolerance.matmul, [1, 3, 600, 610, 2, 2, 96]);
    },
  );

  await t.step(
    "forward steps on activations (norm, linear, rotary, causal attention, SwiGLU, residual, moments, losses, Gram) equal their float64 definitions",
    () => checkForwardSteps(kernels, tolerance.matmul),
  );

  await t.step(
    "attention over a key/value cache the backend holds (or keeps in host memory), filled over two chunks, equals float64 attention over every position so far",
    async () => {
      await checkCachedAttention(kernels, tolerance.matmul, false);
      await checkCachedAttention(kernels, tolerance.matmul, true);
    },
  );

  await t.step(
    "causal attention of heads larger than the GPU shader takes (264) equals float64 attention",
    () => checkWideHeads(kernels, tolerance.matmul),
  );

  await t.step(
    "matmul with a resident matrix equals matmul with the array, for few and many rows",
    async () => {
      const matrix = await kernels.createMatrix({ values: layer.weight, rows, cols: d });
      for (const n of [1, 3, 50]) {
        const x = layer.x.subarray(0, n * d);
        const direct = await kernels.matmul({ x, w: layer.weight, n, k: d, m: rows });
        assert.deepEqual(await kernels.matmul({ x, w: matrix, n, k: d, m: rows }), direct);
      }
      kernels.release(matrix);
    },
  );

  await t.step(
    "a matrix given as bfloat16 bits multiplies exactly as its float32 widening, for few and many rows, odd sizes",
    async () => {
      const [m, k] = [9, 23];
      const random = createRandom(29);
      const bits = float32ToBfloat16(Float32Array.from({ length: m * k }, () => random.normal()));
      const widened = bfloat16ToFloat32(bits);
      const matrix = await kernels.createMatrix({ values: bits, rows: m, cols: k });
      // The reference backend widens them; wasm and WebGPU keep the bits.
      assert.equal(matrix.bytes, (kernels.name === "reference" ? 4 : 2) * m * k);
      for (const n of [1, 3, 50]) {
        const x = Float32Array.from({ length: n * k }, () => random.normal());
        assert.deepEqual(
          await kernels.matmul({ x, w: matrix, n, k, m }),
          await kernels.matmul({ x, w: widened, n, k, m }),
          `${n} rows`,
        );
      }
      kernels.release(matrix);
    },
  );

  const gram = await kernels.createGram({ d, values: gramOf(layer.x, 50, d) });
  // Updated values of the kept weights (as a weight update leaves them); the pruned entries hold
  // junk that the kernels must ignore.
  const random = createRandom(5);
  const updated = Float32Array.from(layer.weight, (w) => w * (0.4 + 1.2 * random.uniform()));
  for (const pattern of PATTERNS) {
    for (const values of [undefined, updated]) {
      const label = `${pattern.kind === "n:m" ? `${pattern.n}:${pattern.m}` : pattern.sparsity}${
        values ? ", updated values" : ""
      }`;
      const { length } = swapBlocks(pattern, d);
      const mask = randomMask(rows, d, pattern, 7 + length);
      const junk = values?.map((v, i) => (mask[i] ? v : 1e3));
      await patternSteps(t, kernels, gram, layer, mask, length, label, junk);
    }
  }
  kernels.release(gram);
}

/** correlate, bestSwaps and applySwaps on one mask (and, when given, updated kept values). */
async function patternSteps(
  t: Deno.TestContext,
  kernels: Kernels,
  gram: GramHandle,
  layer: SyntheticLayer,
  mask: Uint8Array,
  length: number,
  label: string,
  values?: Float32Array,
): Promise<void> {
  const tolerance = TOLERANCES[kernels.name];
  const { weight } = layer;
  const d = Math.sqrt(layer.gram.length);
  const rows = weight.length / d;
  const active = Uint32Array.from({ length: rows }, (_, i) => i);
  const row = <T extends Float32Array | Uint8Array>(a: T, r: number) =>
    a.subarray(r * d, (r + 1) * d) as T;
  const error = (m: Uint8Array, v: Float32Array | undefined, r: number) =>
    rowError(row(weight, r), row(m, r), layer.gram, d, v ? row(v, r) : undefined);

  await t.step(`correlate returns qᵀGq per row (${label})`, async () => {
    const batch = await kernels.loadRows({ weight, values, mask, rows, d });
    const errors = await kernels.correlate({ gram, batch });
    for (let r = 0; r < rows; r++) {
      assertClose(errors[r], error(mask, values, r), tolerance.error, `row ${r}`);
    }
    kernels.release(batch);
  });

  await t.step(
    `bestSwaps returns the brute-force best feasible pair and its gain (${label})`,
    async () => {
      const batch = await kernels.loadRows({ weight, values, mask, rows, d });
      await kernels.correlate({ gram, batch });
      const proposals = await kernels.bestSwaps({ gram, batch, active, blockLength: length });
      for (let r = 0; r < rows; r++) {
        const v = values ? row(values, r) : undefined;
        const swaps = allSwaps(row(weight, r), row(mask, r), layer.gram, d, length, v);
        const chosen = swaps.find((s) =>
          s.u === proposals.prune[r] && s.p === proposals.restore[r]
        );
        assert.ok(
          chosen,
          `row ${r}: proposed pair (${proposals.prune[r]}, ${
            proposals.restore[r]
          }) is not feasible`,
        );
        const scale = error(mask, values, r);
        assertClose(proposals.gain[r], chosen.delta, tolerance.gain, `row ${r} gain`, scale);
        const best = Math.min(...swaps.map((s) => s.delta));
        assertClose(chosen.delta, best, tolerance.gain, `row ${r} optimality`, scale);
      }
      kernels.release(batch);
    },
  );

  await t.step(
    `applySwaps updates the mask and c like a fresh load of the swapped mask; rowErrors reads qᵀGq from that c (${label})`,
    async () => {
      const batch = await kernels.loadRows({ weight, values, mask, rows, d });
      await kernels.correlate({ gram, batch });
      const proposals = await kernels.bestSwaps({ gram, batch, active, blockLength: length });
      const chosen = Uint32Array.from([1, 4, 5, 9]);
      const prune = Int32Array.from(chosen, (r) => proposals.prune[r]);
      const restore = Int32Array.from(chosen, (r) => proposals.restore[r]);
      await kernels.applySwaps({ gram, batch, rows: chosen, prune, restore });
      const expected = mask.slice();
      // A restored weight comes back at its dense value.
      const expectedValues = values?.slice();
      chosen.forEach((r, k) => {
        expected[r * d + prune[k]] = 0;
        expected[r * d + restore[k]] = 1;
        if (expectedValues) expectedValues[r * d + restore[k]] = weight[r * d + restore[k]];
      });
      assert.deepEqual(await kernels.readMask(batch), expected);
      // The updated c must give the same next proposals as c computed from scratch.
      const incremental = await kernels.bestSwaps({ gram, batch, active, blockLength: length });
      const fresh = await kernels.loadRows({
        weight,
        values: expectedValues,
        mask: expected,
        rows,
        d,
      });
      await kernels.correlate({ gram, batch: fresh });
      const scratch = await kernels.bestSwaps({ gram, batch: fresh, active, blockLength: length });
      for (let r = 0; r < rows; r++) {
        const scale = error(expected, expectedValues, r);
        assertClose(incremental.gain[r], scratch.gain[r], tolerance.gain, `row ${r}`, scale);
      }
      // rowErrors from the updated c: qᵀGq of the swapped mask.
      const errors = await kernels.rowErrors({ gram, batch });
      for (let r = 0; r < rows; r++) {
        assertClose(
          errors[r],
          error(expected, expectedValues, r),
          tolerance.error,
          `row ${r} error`,
        );
      }
      if (values) {
        // A pruned weight's value is reset: swapping u straight back restores it at w_u.
        const back = Int32Array.from(chosen, (_, k) => restore[k]);
        const again = Int32Array.from(chosen, (_, k) => prune[k]);
        await kernels.applySwaps({ gram, batch, rows: chosen, prune: back, restore: again });
        chosen.forEach((r, k) => {
          expected[r * d + prune[k]] = 1;
          expected[r * d + restore[k]] = 0;
          expectedValues![r * d + prune[k]] = weight[r * d + prune[k]];
        });
        const undone = await kernels.rowErrors({ gram, batch });
        for (let r = 0; r < rows; r++) {
          assertClose(
            undone[r],
            error(expected, expectedValues, r),
            tolerance.error,
            `row ${r} back`,
          );
        }
      }
      kernels.release(batch);
      kernels.release(fresh);
    },
  );
}

/** Every backend configuration the suite runs against. */
const BACKENDS: readonly { label: string; create: () => Promise<Kernels> }[] = [
  { label: "reference", create: () => createKernels("reference") },
  {
    label: "wasm simd, 1 thread",
    create: () => createWasmKernels({ threads: 1, variant: "simd" }),
  },
  {
    label: "wasm relaxed simd, 2 threads, every call split over the workers",
    create: () => createWasmKernels({ threads: 2, variant: "relaxed", splitEveryCall: true }),
  },
  {
    label: "webgpu (any adapter, llvmpipe included)",
    create: () => createWebGpuKernels({ allowFallback: true }),
  },
];

for (const backend of BACKENDS) {
  let kernels: Kernels | undefined;
  let reason = "";
  try {
    kernels = await backend.create();
  } catch (error) {
    reason = (error as Error).message;
  }
  Deno.test({
    name: kernels
      ? `kernel conformance: ${backend.label}`
      : `kernel conformance: ${backend.label} SKIPPED (${reason})`,
    ignore: kernels === undefined,
    fn: async (t) => {
      try {
        await conformance(t, kernels!);
      } finally {
        kernels!.dispose();
      }
    },
  });
}
