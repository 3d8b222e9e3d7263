// deno-lint-ignore-file no-console
/**
 * CPU benchmark (`deno task bench:cpu`):
 *
 * 1. The full SparseSwaps refinement of one fixed generated layer (512 rows × 768, 60% per-row,
 *    Wanda warm start, 100 iterations) on the reference backend, the wasm backend on 1 thread and
 *    on every core, each with the bounded and the brute-force pair search, and a native C build
 *    of the brute-force loop (bench/native_refine.c, gcc -O3 -march=native -ffast-math, single
 *    thread) when gcc exists.
 * 2. The bounded search against native C brute force on layers with realistic correlation
 *    (bench/_layers.ts) at d = 768, 2048 and 4096: pairs evaluated, seconds, ratios.
 * 3. The bounds' neighbours per channel, K = 4, 8, 16: share of pairs and seconds.
 * 4. Gram accumulation and matmul throughput (w as an array, resident in float32, resident in
 *    BF16).
 * 5. Attention: the wasm kernel (one call for every head) against two matmul calls per head.
 *
 * Prints markdown tables for the README.
 *
 *     deno task bench:cpu [--skip-reference] [--only bounded|throughput|attention]
 *
 * @module
 */

import { createReferenceKernels } from "../core/backends/reference.ts";
import { createWasmKernels } from "../core/backends/wasm.ts";
import { attentionByProducts } from "../core/attention.ts";
import { float32ToBfloat16 } from "../core/float16.ts";
import type { Kernels, MatrixHandle, PairSearch } from "../core/kernels.ts";
import { prunedPerRow } from "../core/pattern.ts";
import { refineSparseSwaps } from "../core/sparseswaps.ts";
import { createRandom, syntheticLayer } from "../core/synthetic.ts";
import { gramDiagonal, warmStartMask } from "../core/warm_start.ts";
import { type BenchLayer, realisticLayer } from "./_layers.ts";

const SPARSITY = 0.6;
/** The paper's setting and prune's default. */
const ITERATIONS = 100;
const SEED = 0;
const pattern = { kind: "per-row", sparsity: SPARSITY } as const;
const threads = navigator.hardwareConcurrency;
const skipReference = Deno.args.includes("--skip-reference");
const only = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : "";
const onlyBounded = only === "bounded";

interface RefineRun {
  readonly label: string;
  readonly seconds: number;
  /** Pair gains evaluated (bookkeeping included). */
  readonly pairs: number;
  /** Pair gains brute force evaluates over the same rows and iterations. */
  readonly brutePairs: number;
  readonly errorBefore: number;
  readonly errorAfter: number;
}

function warmStart(layer: BenchLayer): Uint8Array {
  return warmStartMask({
    method: "wanda",
    weight: layer.weight,
    rows: layer.rows,
    d: layer.d,
    gramDiagonal: gramDiagonal(layer.gram, layer.d),
    pattern,
  });
}

/**
 * Times createGram + refinement (every c recomputation included), the faster of two runs: the
 * first also pays for V8 compiling the wasm functions' optimised code, and the machine is shared
 * and noisy; a pruning run refines hundreds of layers, so the steady state is what users see.
 */
async function timeRefinement(
  label: string,
  kernels: Kernels,
  layer: BenchLayer,
  search: PairSearch,
): Promise<RefineRun> {
  const { rows, d } = layer;
  const mask = warmStart(layer);
  let best: RefineRun | undefined;
  for (let run = 0; run < 2; run++) {
    const start = performance.now();
    const gram = await kernels.createGram({ d, values: layer.gram });
    const result = await refineSparseSwaps({
      kernels,
      gram,
      weight: layer.weight,
      rows,
      d,
      mask,
      pattern,
      maxIters: ITERATIONS,
      search,
    });
    const seconds = (performance.now() - start) / 1000;
    kernels.release(gram);
    const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
    if (!best || seconds < best.seconds) {
      best = {
        label,
        seconds,
        pairs: result.pairsEvaluated,
        brutePairs: result.pairsBruteForce,
        errorBefore: sum(result.errorBefore),
        errorAfter: sum(result.errorAfter),
      };
    }
  }
  return best!;
}

/** The brute-force loop in C, built here with gcc; a string says why it could not run. */
async function nativeRefinement(
  layer: BenchLayer,
  recomputeEvery: number,
): Promise<RefineRun | string> {
  const gcc = await new Deno.Command("gcc", { args: ["--version"] }).output().catch(() => null);
  if (!gcc || gcc.code !== 0) return "gcc not found";
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-bench-" });
  try {
    const binary = `${dir}/native_refine`;
    const source = new URL("./native_refine.c", import.meta.url).pathname;
    const build = await new Deno.Command("gcc", {
      args: ["-O3", "-march=native", "-ffast-math", "-o", binary, source],
    }).output();
    if (build.code !== 0) return `gcc failed: ${new TextDecoder().decode(build.stderr)}`;
    const { rows, d } = layer;
    const header = new Int32Array([
      rows,
      d,
      prunedPerRow(d, SPARSITY),
      ITERATIONS,
      recomputeEvery,
    ]);
    const parts = [header, layer.weight, layer.gram, warmStart(layer)].map((a) =>
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
    );
    const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      file.set(part, offset);
      offset += part.length;
    }
    await Deno.writeFile(`${dir}/problem.bin`, file);
    // The faster of two runs, as for the wasm runs.
    let out:
      | { seconds: number; pairs: number; error_before: number; error_after: number }
      | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const run = await new Deno.Command(binary, { args: [`${dir}/problem.bin`] }).output();
      if (run.code !== 0) return `native run failed: ${new TextDecoder().decode(run.stderr)}`;
      const parsed = JSON.parse(new TextDecoder().decode(run.stdout));
      if (!out || parsed.seconds < out.seconds) out = parsed;
    }
    if (!out) return "native run failed";
    return {
      label: "native C brute force, 1 thread",
      seconds: out.seconds,
      pairs: out.pairs,
      brutePairs: out.pairs,
      errorBefore: out.error_before,
      errorAfter: out.error_after,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function refinementTable(runs: readonly RefineRun[]): void {
  const native = runs.find((r) => r.label.startsWith("native"));
  console.log(
    "| run | seconds | pairs evaluated | share of brute force | vs native C | error after / before |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const run of runs) {
    const vsNative = native ? `${(native.seconds / run.seconds).toFixed(2)}×` : "–";
    console.log(
      `| ${run.label} | ${run.seconds.toFixed(3)} | ${run.pairs.toExponential(2)} | ${
        (run.pairs / run.brutePairs).toFixed(3)
      } | ${vsNative} | ${(run.errorAfter / run.errorBefore).toFixed(6)} |`,
    );
  }
  const errors = new Set(runs.map((r) => (r.errorAfter / r.errorBefore).toFixed(6)));
  console.log(
    errors.size === 1 ? "\nEvery run reaches the same final error.\n" : "\nFinal errors DIFFER.\n",
  );
}

/** Attention shapes: (batch, tokens, start, capacity, nHeads, nKvHeads, headDim). */
const ATTENTION_CASES: [string, number[]][] = [
  ["sampling step at position 128 of 256, 32 sequences", [32, 1, 128, 256, 6, 6, 48]],
  ["a window of 256 tokens, 16 windows (perplexity)", [16, 256, 0, 256, 6, 6, 48]],
];

/** Milliseconds of attentionByProducts and of the wasm kernel on one shape, and whether they agree. */
async function timeAttention(kernels: Kernels, shape: number[]) {
  const [batch, tokens, start, capacity, nHeads, nKvHeads, headDim] = shape;
  const random = createRandom(SEED);
  const fill = (n: number) => Float32Array.from({ length: n }, () => random.normal());
  const cached = batch * nKvHeads * capacity * headDim;
  const options = {
    q: fill(batch * tokens * nHeads * headDim),
    keys: fill(cached),
    values: fill(cached).map((v, i) => (i % capacity < start + tokens ? v : 0)),
    ...{ batch, tokens, start, capacity, nHeads, nKvHeads, headDim },
  };
  const timed = async (run: () => Promise<Float32Array>) => {
    await run(); // warm-up
    const started = performance.now();
    const repeats = 5;
    let out: Float32Array = new Float32Array(0);
    for (let r = 0; r < repeats; r++) out = await run();
    return { ms: (performance.now() - started) / repeats, out };
  };
  const products = await timed(() => attentionByProducts((o) => kernels.matmul(o), options));
  const kernel = await timed(() => kernels.attention(options));
  const same = products.out.every((v, i) => Object.is(v, kernel.out[i]));
  return {
    products: products.ms,
    kernel: kernel.ms,
    same,
    cached: await timeCached(kernels, shape),
  };
}

/**
 * Milliseconds of a generation step over a cache the backend holds (what sampling runs: no
 * copy of the cache), after a prompt fills positions [0, start); undefined for a prompt shape.
 */
async function timeCached(kernels: Kernels, shape: number[]): Promise<number | undefined> {
  const [batch, tokens, start, capacity, nHeads, nKvHeads, headDim] = shape;
  if (tokens !== 1) return undefined;
  const random = createRandom(SEED + 1);
  const activation = (rows: number, width: number) =>
    kernels.createActivation({
      values: Float32Array.from({ length: rows * width }, () => random.normal()),
      width,
    });
  const cache = await kernels.createKvCache({ batch, capacity, nKvHeads, headDim });
  const step = async (layout: { batch: number; tokens: number; start: number }) => {
    const rows = layout.batch * layout.tokens;
    const q = await activation(rows, nHeads * headDim);
    const k = await activation(rows, nKvHeads * headDim);
    const v = await activation(rows, nKvHeads * headDim);
    const started = performance.now();
    await kernels.attendCached({ q, k, v, cache, layout, nHeads, nKvHeads, headDim });
    return performance.now() - started;
  };
  await step({ batch, tokens: start, start: 0 });
  await step({ batch, tokens: 1, start }); // warm-up
  let total = 0;
  for (let r = 0; r < 5; r++) total += await step({ batch, tokens: 1, start });
  kernels.release(cache);
  return total / 5;
}

async function throughput(label: string, kernels: Kernels, layer: BenchLayer, x: Float32Array) {
  const { d, rows } = layer;
  const tokens = x.length / d;
  const gram = await kernels.createGram({ d });
  const start = performance.now();
  await kernels.gramAccumulate({ gram, x, tokens });
  await kernels.readGram(gram);
  const gramSeconds = (performance.now() - start) / 1000;
  kernels.release(gram);
  // w as an array (copied in for the call), then resident on the backend as sampling keeps it:
  // float32, and the same weights rounded to bfloat16 and kept as such (a BF16 checkpoint's).
  const product = async (w: Float32Array | MatrixHandle) => {
    const start = performance.now();
    await kernels.matmul({ x, w, n: tokens, k: d, m: rows });
    return (2 * tokens * d * rows) / ((performance.now() - start) / 1000) / 1e9;
  };
  const resident = async (values: Float32Array | Uint16Array) => {
    const w = await kernels.createMatrix({ values, rows, cols: d });
    try {
      return await product(w);
    } finally {
      kernels.release(w);
    }
  };
  return {
    label,
    // Only the upper triangle is computed: tokens · d(d+1)/2 multiply-adds.
    gram: (tokens * d * (d + 1)) / gramSeconds / 1e9,
    matmul: await product(layer.weight),
    resident: await resident(layer.weight),
    residentBf16: await resident(float32ToBfloat16(layer.weight)),
  };
}

const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
  .match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
console.log(`# CPU benchmark, ${new Date().toISOString().slice(0, 10)}`);
console.log(
  `Machine: ${cpu}, ${threads} threads; Deno ${Deno.version.deno} (V8 ${Deno.version.v8})\n`,
);

const wasmOne = await createWasmKernels({ threads: 1 });
const wasmAll = await createWasmKernels({ threads });
try {
  // 1. The fixed problem.
  const fixed = syntheticLayer({ rows: 512, d: 768, tokens: 2048, seed: SEED });
  const fixedLayer: BenchLayer = {
    rows: 512,
    d: 768,
    weight: fixed.weight,
    gram: fixed.gram,
    tokens: 2048,
  };
  if (only === "") {
    console.log(
      `## 1. One generated layer, 512 rows × 768, ${
        SPARSITY * 100
      }% per row, Wanda warm start, ${ITERATIONS} iterations\n`,
    );
    const runs: RefineRun[] = [];
    const searches: PairSearch[] = ["bounded", "brute-force"];
    if (!skipReference) {
      for (const search of searches) {
        runs.push(
          await timeRefinement(
            `reference, ${search}`,
            createReferenceKernels(),
            fixedLayer,
            search,
          ),
        );
      }
    }
    for (const search of searches) {
      runs.push(await timeRefinement(`wasm 1 thread, ${search}`, wasmOne, fixedLayer, search));
      runs.push(
        await timeRefinement(`wasm ${threads} threads, ${search}`, wasmAll, fixedLayer, search),
      );
    }
    const native = await nativeRefinement(fixedLayer, wasmOne.recomputeEvery);
    if (typeof native === "string") console.log(`native C skipped: ${native}\n`);
    else runs.push(native);
    refinementTable(runs);
  }

  if (only === "" || onlyBounded) {
    // 2. Bounded search against native brute force at realistic widths.
    console.log(
      `## 2. Realistic layers (bench/_layers.ts), ${
        SPARSITY * 100
      }% per row, Wanda warm start, ${ITERATIONS} iterations\n`,
    );
    const shapes: [number, number][] = [[768, 256], [2048, 96], [4096, 48]];
    const layers = new Map<number, BenchLayer>();
    for (const [d, rows] of shapes) {
      const layer = await realisticLayer(wasmAll, rows, d, SEED + d);
      layers.set(d, layer);
      console.log(`### d = ${d}, ${rows} rows, G from ${layer.tokens} tokens\n`);
      const runs: RefineRun[] = [];
      const native = await nativeRefinement(layer, wasmOne.recomputeEvery);
      if (typeof native === "string") console.log(`native C skipped: ${native}\n`);
      else runs.push(native);
      if (!onlyBounded) {
        runs.push(
          await timeRefinement("wasm 1 thread, brute force", wasmOne, layer, "brute-force"),
        );
      }
      runs.push(await timeRefinement("wasm 1 thread, bounded", wasmOne, layer, "bounded"));
      runs.push(
        await timeRefinement(`wasm ${threads} threads, bounded`, wasmAll, layer, "bounded"),
      );
      refinementTable(runs);
    }

    // 3. Neighbours per channel.
    console.log("## 3. Neighbours per channel K (wasm 1 thread, bounded)\n");
    console.log("| d | K | seconds | share of brute force |");
    console.log("|---|---|---|---|");
    for (const d of [768, 2048, 4096]) {
      for (const neighbours of [4, 8, 16]) {
        const kernels = await createWasmKernels({ threads: 1, neighbours });
        try {
          const run = await timeRefinement(`K = ${neighbours}`, kernels, layers.get(d)!, "bounded");
          console.log(
            `| ${d} | ${neighbours} | ${run.seconds.toFixed(3)} | ${
              (run.pairs / run.brutePairs).toFixed(4)
            } |`,
          );
        } finally {
          kernels.dispose();
        }
      }
    }
  }

  // 4. Throughput.
  if (only === "" || only === "throughput") {
    console.log(
      `\n## 4. Gram accumulation (2048 tokens × 768) and matmul (2048 × 768 · (512 × 768)ᵀ)\n`,
    );
    console.log(
      "| backend | Gram GFLOP/s | matmul GFLOP/s | w resident | w resident in BF16 |",
    );
    console.log("|---|---|---|---|---|");
    const rates = [
      await throughput(`wasm, 1 thread`, wasmOne, fixedLayer, fixed.x),
      await throughput(`wasm, ${threads} threads`, wasmAll, fixedLayer, fixed.x),
    ];
    if (!skipReference) {
      rates.unshift(await throughput("reference", createReferenceKernels(), fixedLayer, fixed.x));
    }
    for (const r of rates) {
      console.log(
        `| ${r.label} | ${r.gram.toFixed(2)} | ${r.matmul.toFixed(2)} | ${
          r.resident.toFixed(2)
        } | ${r.residentBf16.toFixed(2)} |`,
      );
    }
  }

  // 5. Attention.
  if (only === "" || only === "attention") {
    console.log(
      "\n## 5. Attention (stories15M's heads): one kernel call against two products per head\n",
    );
    console.log(
      "| case | threads | products per head (ms) | one call (ms) | speed-up | same bits | one call, cache resident (ms) |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (const [label, shape] of ATTENTION_CASES) {
      for (const kernels of [wasmOne, wasmAll]) {
        const row = await timeAttention(kernels, shape);
        console.log(
          `| ${label} | ${kernels === wasmOne ? 1 : threads} | ${row.products.toFixed(2)} | ${
            row.kernel.toFixed(2)
          } | ${(row.products / row.kernel).toFixed(2)} | ${row.same ? "yes" : "NO"} | ${
            row.cached?.toFixed(2) ?? "–"
          } |`,
        );
      }
    }
  }
} finally {
  wasmOne.dispose();
  wasmAll.dispose();
}
