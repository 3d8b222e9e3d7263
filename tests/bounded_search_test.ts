/**
 * The bounded pair search against brute force: the same chosen pair at every step and the same
 * final masks, on layers built to stress the bounds (correlated and outlier channels, exact ties,
 * zero rows, dead channels, float32 near-ties), at several sparsities; and its building blocks
 * (neighbour lists, lower envelope) against their definitions.
 */

import assert from "./assert.ts";
import { allSwaps } from "./_oracle.ts";
import { correlation, gramNeighbours, LowerEnvelope } from "../core/bounds.ts";
import { createReferenceKernels, gramOf } from "../core/backends/reference.ts";
import { createWasmKernels } from "../core/backends/wasm.ts";
import { createWebGpuKernels } from "../core/backends/webgpu.ts";
import type { Kernels, PairSearch } from "../core/kernels.ts";
import type { SparsityPattern } from "../core/pattern.ts";
import { refineSparseSwaps } from "../core/sparseswaps.ts";
import { createRandom, syntheticLayer } from "../core/synthetic.ts";
import { gramDiagonal, warmStartMask } from "../core/warm_start.ts";

/** A layer to refine: W (rows, d) and G (d, d). */
interface Case {
  readonly label: string;
  readonly rows: number;
  readonly d: number;
  readonly weight: Float32Array;
  readonly gram: Float64Array;
}

function fromInputs(
  label: string,
  rows: number,
  d: number,
  weight: Float32Array,
  x: Float32Array,
): Case {
  return { label, rows, d, weight, gram: gramOf(x, x.length / d, d) };
}

/** Layers that stress the bounds. */
function cases(): Case[] {
  const random = createRandom(42);
  const normal = (n: number, scale = 1) =>
    Float32Array.from({ length: n }, () => scale * random.normal());
  const list: Case[] = [];
  for (const [d, seed] of [[24, 1], [64, 2], [96, 3]]) {
    const layer = syntheticLayer({ rows: 12, d, tokens: 3 * d, seed });
    list.push({ label: `correlated with outliers, d = ${d}`, rows: 12, d, ...layer });
  }
  list.push(fromInputs("independent channels", 10, 40, normal(400), normal(200 * 40)));
  {
    // Integer weights and inputs: many exactly equal gains.
    const d = 24;
    const weight = Float32Array.from({ length: 8 * d }, () => random.integer(3) - 1);
    const x = Float32Array.from({ length: 48 * d }, () => random.integer(2));
    list.push(fromInputs("exact ties", 8, d, weight, x));
  }
  {
    const d = 32;
    const weight = normal(8 * d);
    weight.fill(0, 0, d); // row 0 is zero
    weight.fill(0, 3 * d, 3 * d + d / 2); // half of row 3 is zero
    const x = normal(96 * d);
    for (let t = 0; t < 96; t++) for (const j of [1, 5, 6, 30]) x[t * d + j] = 0; // dead channels
    list.push(fromInputs("zero rows and dead channels", 8, d, weight, x));
  }
  {
    // Channels that are exact copies, with weights that differ by one float32 ulp.
    const d = 32;
    const base = normal(96 * (d / 2));
    const x = new Float32Array(96 * d);
    for (let t = 0; t < 96; t++) {
      for (let j = 0; j < d / 2; j++) {
        x[t * d + 2 * j] = base[t * (d / 2) + j];
        x[t * d + 2 * j + 1] = base[t * (d / 2) + j];
      }
    }
    const weight = normal(6 * d);
    for (let i = 0; i < weight.length; i += 2) {
      weight[i + 1] = -weight[i] * (1 + 2 ** -23);
    }
    list.push(fromInputs("duplicated channels, float32 near-ties", 6, d, weight, x));
  }
  return list;
}

const SPARSITIES = [0.3, 0.5, 0.6, 0.8];

async function refine(kernels: Kernels, c: Case, pattern: SparsityPattern, search: PairSearch) {
  const gram = await kernels.createGram({ d: c.d, values: c.gram });
  const mask = warmStartMask({
    method: "wanda",
    weight: c.weight,
    rows: c.rows,
    d: c.d,
    gramDiagonal: gramDiagonal(c.gram, c.d),
    pattern,
  });
  const result = await refineSparseSwaps({
    kernels,
    gram,
    weight: c.weight,
    rows: c.rows,
    d: c.d,
    mask,
    pattern,
    maxIters: Infinity,
    search,
  });
  kernels.release(gram);
  return result;
}

for (const c of cases()) {
  Deno.test(`bounded search ends in brute force's masks and errors: ${c.label}`, async () => {
    const kernels = createReferenceKernels();
    for (const sparsity of SPARSITIES) {
      const pattern: SparsityPattern = { kind: "per-row", sparsity };
      const brute = await refine(kernels, c, pattern, "brute-force");
      const bounded = await refine(kernels, c, pattern, "bounded");
      assert.deepEqual(bounded.mask, brute.mask, `${sparsity}: masks`);
      assert.deepEqual(bounded.errorAfter, brute.errorAfter, `${sparsity}: errors`);
      assert.equal(bounded.swaps, brute.swaps);
      assert.equal(bounded.convergedRows, brute.convergedRows);
      assert.equal(brute.pairsEvaluated, brute.pairsBruteForce);
      assert.equal(bounded.pairsBruteForce, brute.pairsBruteForce);
    }
  });
}

Deno.test("wasm: the bounded search ends in the wasm brute force's masks (1 thread, and 2 threads with every call split)", async () => {
  for (const options of [{ threads: 1 }, { threads: 2, splitEveryCall: true }]) {
    const kernels = await createWasmKernels(options);
    try {
      for (const c of cases()) {
        for (const sparsity of SPARSITIES) {
          const pattern: SparsityPattern = { kind: "per-row", sparsity };
          const brute = await refine(kernels, c, pattern, "brute-force");
          const bounded = await refine(kernels, c, pattern, "bounded");
          assert.deepEqual(bounded.mask, brute.mask, `${c.label} ${sparsity}: masks`);
          assert.deepEqual(bounded.errorAfter, brute.errorAfter, `${c.label} ${sparsity}`);
          assert.equal(bounded.swaps, brute.swaps);
        }
      }
    } finally {
      kernels.dispose();
    }
  }
});

// Float32 ranking (wasm) resolves gains to about 1e-7 of their terms; float64 to far less.
for (
  const [label, create, resolution] of [
    ["reference", () => Promise.resolve(createReferenceKernels()), 1e-9],
    ["wasm", () => createWasmKernels({ threads: 1 }), 1e-5],
  ] as const
) {
  Deno.test(`${label}: bounded search proposes brute force's pair, ties included, from random masks`, async () => {
    const kernels = await create();
    try {
      await proposalsMatch(kernels, resolution);
    } finally {
      kernels.dispose();
    }
  });
}

async function proposalsMatch(kernels: Kernels, resolution: number): Promise<void> {
  const random = createRandom(7);
  for (const c of cases()) {
    const gram = await kernels.createGram({ d: c.d, values: c.gram });
    for (let trial = 0; trial < 4; trial++) {
      const mask = Uint8Array.from(
        { length: c.rows * c.d },
        () => (random.uniform() < 0.5 ? 1 : 0),
      );
      // Every row keeps one and prunes one at least.
      for (let r = 0; r < c.rows; r++) {
        mask[r * c.d] = 1;
        mask[r * c.d + 1] = 0;
      }
      const batch = await kernels.loadRows({ weight: c.weight, mask, rows: c.rows, d: c.d });
      await kernels.correlate({ gram, batch });
      const active = Uint32Array.from({ length: c.rows }, (_, i) => i);
      const search = (s: PairSearch) =>
        kernels.bestSwaps({ gram, batch, active, blockLength: c.d, search: s });
      const [brute, bounded] = [await search("brute-force"), await search("bounded")];
      assert.deepEqual(bounded.prune, brute.prune, c.label);
      assert.deepEqual(bounded.restore, brute.restore, c.label);
      assert.deepEqual(bounded.gain, brute.gain, c.label);
      // Where the best true gain is unambiguous at the backend's resolution, it is the choice.
      for (let r = 0; r < c.rows; r++) {
        const w = c.weight.subarray(r * c.d, (r + 1) * c.d);
        const swaps = allSwaps(w, mask.subarray(r * c.d, (r + 1) * c.d), c.gram, c.d, c.d);
        const lowest = Math.min(...swaps.map((s) => s.delta));
        const scale = Math.max(1e-300, ...swaps.map((s) => Math.abs(s.delta)));
        const first = swaps.find((s) => s.delta <= lowest + resolution * scale)!;
        if (swaps.filter((s) => Math.abs(s.delta - lowest) <= resolution * scale).length === 1) {
          assert.deepEqual([bounded.prune[r], bounded.restore[r]], [first.u, first.p], c.label);
        }
      }
      kernels.release(batch);
    }
    kernels.release(gram);
  }
}

Deno.test("a row at a 1-swap optimum is confirmed with a small share of the pairs", async () => {
  const kernels = createReferenceKernels();
  const layer = syntheticLayer({ rows: 16, d: 128, tokens: 384, seed: 9 });
  const c: Case = { label: "synthetic", rows: 16, d: 128, ...layer };
  const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.6 };
  const converged = await refine(kernels, c, pattern, "bounded");
  assert.equal(converged.convergedRows, c.rows);
  // One more search from the converged masks: nothing below the threshold, cheaply.
  const gram = await kernels.createGram({ d: c.d, values: c.gram });
  const batch = await kernels.loadRows({
    weight: c.weight,
    mask: converged.mask,
    rows: c.rows,
    d: c.d,
  });
  const errors = await kernels.correlate({ gram, batch });
  const active = Uint32Array.from({ length: c.rows }, (_, i) => i);
  const confirm = await kernels.bestSwaps({
    gram,
    batch,
    active,
    blockLength: c.d,
    threshold: errors.map((e) => -1e-10 * e),
  });
  assert.ok(confirm.gain.every((g) => !(g < 0)), "no improving swap left");
  const brute = c.rows * 51 * 77;
  assert.ok(confirm.pairsEvaluated! < 0.5 * brute, `${confirm.pairsEvaluated} of ${brute} pairs`);
  assert.ok(converged.pairsEvaluated < 0.6 * converged.pairsBruteForce);
});

Deno.test("neighbour lists hold the K most correlated channels and ρ bounds every other one", () => {
  for (const c of cases()) {
    const { d, gram } = c;
    const n = gramNeighbours(gram, d, 4);
    for (let u = 0; u < d; u++) {
      const inList = new Set([...n.index.subarray(u * 4, u * 4 + 4)]);
      for (let v = 0; v < d; v++) {
        if (v === u || inList.has(v)) continue;
        const cuv = correlation(gram[u * d + v], n.root[u], n.root[v]);
        assert.ok(cuv <= n.rho[u], `${c.label}: C[${u},${v}] = ${cuv} > ρ = ${n.rho[u]}`);
        for (const j of inList) {
          assert.ok(correlation(gram[u * d + j], n.root[u], n.root[j]) >= cuv);
        }
      }
    }
  }
});

Deno.test("the lower envelope is the minimum over all its lines", () => {
  const random = createRandom(3);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + random.integer(20);
    const lines = Array.from({ length: n }, () => ({
      beta: random.integer(4) === 0 ? 0 : Math.abs(random.normal()) * (random.integer(3) + 1),
      b: random.normal() * 3,
    })).sort((x, y) => y.beta - x.beta);
    const f = LowerEnvelope.build(lines.map((l) => l.beta), lines.map((l) => l.b), n);
    for (const x of [0, 1e-3, 0.1, 0.5, 1, 2, 10, 1e6, random.uniform() * 5]) {
      const exact = Math.min(...lines.map((l) => l.b - 2 * x * l.beta));
      assert.ok(Math.abs(f.at(x) - exact) <= 1e-12 * (1 + Math.abs(exact)), `x = ${x}`);
    }
  }
});

Deno.test("bounds stay exact on matrices that are not Gram matrices: zero or negative G_jj with correlations, NaN entries", async () => {
  const d = 16;
  const random = createRandom(11);
  const base = syntheticLayer({ rows: 6, d, tokens: 48, seed: 12 });
  const gram = base.gram.slice();
  gram[3 * d + 3] = 0; // a channel with no scale that still correlates
  gram[7 * d + 7] = -gram[7 * d + 7]; // a negative diagonal entry
  gram[2 * d + 9] = gram[9 * d + 2] = NaN; // one undefined pair
  for (const kernels of [createReferenceKernels(), await createWasmKernels({ threads: 1 })]) {
    try {
      const g = await kernels.createGram({ d, values: gram });
      for (let trial = 0; trial < 8; trial++) {
        const mask = Uint8Array.from({ length: 6 * d }, () => (random.uniform() < 0.5 ? 1 : 0));
        for (let r = 0; r < 6; r++) {
          mask[r * d] = 1;
          mask[r * d + 1] = 0;
        }
        const batch = await kernels.loadRows({ weight: base.weight, mask, rows: 6, d });
        await kernels.correlate({ gram: g, batch });
        const active = Uint32Array.from({ length: 6 }, (_, i) => i);
        const search = (s: PairSearch) =>
          kernels.bestSwaps({ gram: g, batch, active, blockLength: d, search: s });
        const [brute, bounded] = [await search("brute-force"), await search("bounded")];
        assert.deepEqual(bounded.prune, brute.prune, `${kernels.name} trial ${trial}`);
        assert.deepEqual(bounded.restore, brute.restore, `${kernels.name} trial ${trial}`);
        kernels.release(batch);
      }
      kernels.release(g);
    } finally {
      kernels.dispose();
    }
  }
});

const adapter = await navigator.gpu?.requestAdapter();
Deno.test({
  name: adapter
    ? "webgpu: the bounded search (bound_rows + scan_active) ends where the dense search does, with fewer pairs"
    : "webgpu: the bounded search ends where the dense search does SKIPPED (no WebGPU adapter)",
  ignore: !adapter,
  sanitizeResources: false,
  fn: async () => {
    const kernels = await createWebGpuKernels({ allowFallback: true });
    try {
      for (const c of cases()) {
        for (const sparsity of [0.5, 0.8]) {
          const pattern: SparsityPattern = { kind: "per-row", sparsity };
          const brute = await refine(kernels, c, pattern, "brute-force");
          const bounded = await refine(kernels, c, pattern, "bounded");
          const total = (r: typeof brute) => r.errorAfter.reduce((a, b) => a + b, 0);
          const scale = Math.max(total(brute), 1e-30);
          assert.ok(
            Math.abs(total(bounded) - total(brute)) <= 1e-4 * scale,
            `${c.label} ${sparsity}: ${total(bounded)} vs ${total(brute)}`,
          );
          // Adversarial layers (ties, zero weights) defeat the bounds; correlated ones do not.
          if (c.label.startsWith("correlated")) {
            assert.ok(bounded.pairsEvaluated < bounded.pairsBruteForce, c.label);
          }
        }
      }
    } finally {
      kernels.dispose();
    }
  },
});
