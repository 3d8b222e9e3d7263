// deno-lint-ignore-file no-console
/**
 * CPU benchmark (`deno task bench:cpu`): the full SparseSwaps refinement of one fixed generated
 * layer (512 rows × 768, 60% per-row, Wanda warm start, 50 iterations) on the reference backend,
 * the wasm backend on 1 thread and on every core, and a native C build of the same loop
 * (bench/native_refine.c, gcc -O3 -march=native -ffast-math, single thread) when gcc exists.
 * Then Gram accumulation and matmul throughput. Prints markdown tables for the README.
 *
 *     deno task bench:cpu [--skip-reference]
 *
 * @module
 */

import { createReferenceKernels } from "../core/backends/reference.ts";
import { createWasmKernels } from "../core/backends/wasm.ts";
import type { Kernels } from "../core/kernels.ts";
import { prunedPerRow } from "../core/pattern.ts";
import { refineSparseSwaps } from "../core/sparseswaps.ts";
import { syntheticLayer } from "../core/synthetic.ts";
import { gramDiagonal, warmStartMask } from "../core/warm_start.ts";
import { RECOMPUTE_EVERY } from "../core/sparseswaps.ts";

const ROWS = 512;
const D = 768;
const SPARSITY = 0.6;
const ITERATIONS = 50;
const TOKENS = 2048;
const SEED = 0;

const pattern = { kind: "per-row", sparsity: SPARSITY } as const;
const pruned = prunedPerRow(D, SPARSITY);
const pairsPerRow = (D - pruned) * pruned;
const layer = syntheticLayer({ rows: ROWS, d: D, tokens: TOKENS, seed: SEED });
const warm = warmStartMask({
  method: "wanda",
  weight: layer.weight,
  rows: ROWS,
  d: D,
  gramDiagonal: gramDiagonal(layer.gram, D),
  pattern,
});
const threads = navigator.hardwareConcurrency;

interface RefineRun {
  readonly label: string;
  readonly seconds: number;
  readonly pairs: number;
  readonly errorBefore: number;
  readonly errorAfter: number;
}

/** Times createGram + refinement; counts the valid pairs the searches covered. */
async function timeRefinement(label: string, kernels: Kernels): Promise<RefineRun> {
  let pairs = 0;
  const counting: Kernels = {
    ...kernels,
    bestSwaps(options) {
      pairs += options.active.length * pairsPerRow;
      return kernels.bestSwaps(options);
    },
  };
  const start = performance.now();
  const gram = await kernels.createGram({ d: D, values: layer.gram });
  const result = await refineSparseSwaps({
    kernels: counting,
    gram,
    weight: layer.weight,
    rows: ROWS,
    d: D,
    mask: warm,
    pattern,
    maxIters: ITERATIONS,
  });
  const seconds = (performance.now() - start) / 1000;
  kernels.release(gram);
  const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
  return {
    label,
    seconds,
    pairs,
    errorBefore: sum(result.errorBefore),
    errorAfter: sum(result.errorAfter),
  };
}

async function nativeRefinement(): Promise<RefineRun | string> {
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
    const header = new Int32Array([ROWS, D, pruned, ITERATIONS, RECOMPUTE_EVERY]);
    const parts = [header, layer.weight, layer.gram, warm].map((a) =>
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
    );
    const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      file.set(part, offset);
      offset += part.length;
    }
    await Deno.writeFile(`${dir}/problem.bin`, file);
    const run = await new Deno.Command(binary, { args: [`${dir}/problem.bin`] }).output();
    if (run.code !== 0) return `native run failed: ${new TextDecoder().decode(run.stderr)}`;
    const out = JSON.parse(new TextDecoder().decode(run.stdout));
    return {
      label: "native C, 1 thread (gcc -O3 -march=native -ffast-math)",
      seconds: out.seconds,
      pairs: out.pairs,
      errorBefore: out.error_before,
      errorAfter: out.error_after,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function throughput(label: string, kernels: Kernels) {
  const gram = await kernels.createGram({ d: D });
  let start = performance.now();
  await kernels.gramAccumulate({ gram, x: layer.x, tokens: TOKENS });
  await kernels.readGram(gram);
  const gramSeconds = (performance.now() - start) / 1000;
  kernels.release(gram);
  start = performance.now();
  await kernels.matmul({ x: layer.x, w: layer.weight, n: TOKENS, k: D, m: ROWS });
  const matmulSeconds = (performance.now() - start) / 1000;
  return {
    label,
    // Only the upper triangle is computed: tokens · d(d+1)/2 multiply-adds.
    gram: (TOKENS * D * (D + 1)) / gramSeconds / 1e9,
    matmul: (2 * TOKENS * D * ROWS) / matmulSeconds / 1e9,
  };
}

const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
  .match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
console.log(`# CPU benchmark, ${new Date().toISOString().slice(0, 10)}`);
console.log(
  `Machine: ${cpu}, ${threads} threads; Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`,
);
console.log(
  `Problem: ${ROWS} rows × ${D}, ${
    SPARSITY * 100
  }% per-row (${pairsPerRow} valid pairs per row), Wanda warm start, ${ITERATIONS} iterations, seed ${SEED}\n`,
);

const runs: RefineRun[] = [];
const wasmOne = await createWasmKernels({ threads: 1 });
const wasmAll = await createWasmKernels({ threads });
try {
  if (!Deno.args.includes("--skip-reference")) {
    runs.push(await timeRefinement("reference (float64 TypeScript)", createReferenceKernels()));
  }
  runs.push(await timeRefinement(`wasm, 1 thread (${wasmOne.description})`, wasmOne));
  runs.push(await timeRefinement(`wasm, ${threads} threads (${wasmAll.description})`, wasmAll));
  const native = await nativeRefinement();
  if (typeof native === "string") console.log(`native C skipped: ${native}\n`);
  else runs.push(native);

  const nativeRun = typeof native === "string" ? undefined : native;
  const reference = runs.find((r) => r.label.startsWith("reference"));
  console.log(
    "| backend | seconds | valid pairs/s | vs native C | vs reference | error after / before |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const run of runs) {
    const rate = run.pairs / run.seconds;
    const vsNative = nativeRun ? `${(nativeRun.seconds / run.seconds).toFixed(2)}×` : "–";
    const vsReference = reference ? `${(reference.seconds / run.seconds).toFixed(1)}×` : "–";
    console.log(
      `| ${run.label} | ${run.seconds.toFixed(3)} | ${
        rate.toExponential(2)
      } | ${vsNative} | ${vsReference} | ${(run.errorAfter / run.errorBefore).toFixed(6)} |`,
    );
  }

  console.log(
    `\nGram accumulation (${TOKENS} tokens × ${D}) and matmul (${TOKENS} × ${D} · (${ROWS} × ${D})ᵀ):\n`,
  );
  console.log("| backend | Gram GFLOP/s | matmul GFLOP/s |");
  console.log("|---|---|---|");
  const rates = [
    await throughput(`wasm, 1 thread`, wasmOne),
    await throughput(`wasm, ${threads} threads`, wasmAll),
  ];
  if (!Deno.args.includes("--skip-reference")) {
    rates.unshift(await throughput("reference", createReferenceKernels()));
  }
  for (const r of rates) {
    console.log(`| ${r.label} | ${r.gram.toFixed(2)} | ${r.matmul.toFixed(2)} |`);
  }
} finally {
  wasmOne.dispose();
  wasmAll.dispose();
}
