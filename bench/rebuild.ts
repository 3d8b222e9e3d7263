// deno-lint-ignore-file no-console
/**
 * The exact weight update's solver, side by side on stories15M's layer shapes at 60%: the
 * TypeScript float64 Cholesky (what the reference and WebGPU backends run) against the wasm
 * backend's (f64x2 inner products, rows split over threads), 1 thread against 1 thread and on
 * every thread. Synthetic layers (seeded), best of 3.
 *
 *     deno task bench:rebuild
 *
 * @module
 */

import { createWasmKernels } from "../core/backends/wasm.ts";
import { syntheticLayer } from "../core/synthetic.ts";
import { rebuildRowsFloat64 } from "../core/update.ts";
import { warmStartMask } from "../core/warm_start.ts";

const SHAPES: [string, number, number][] = [
  ["q/k/v/o 288 × 288", 288, 288],
  ["gate/up 768 × 288", 768, 288],
  ["down 288 × 768", 288, 768],
];

async function best(run: () => Promise<unknown> | unknown): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await run();
    fastest = Math.min(fastest, (performance.now() - t0) / 1000);
  }
  return fastest;
}

const threads = navigator.hardwareConcurrency;
const one = await createWasmKernels({ threads: 1 });
const all = await createWasmKernels({ threads });
console.log(`| layer | TypeScript (1 thread) | wasm, 1 thread | wasm, ${threads} threads |`);
console.log("|---|---|---|---|");
for (const [label, rows, d] of SHAPES) {
  const layer = syntheticLayer({ rows, d, tokens: 2 * d, seed: 1 });
  const mask = warmStartMask({
    method: "magnitude",
    weight: layer.weight,
    rows,
    d,
    pattern: { kind: "per-row", sparsity: 0.6 },
  });
  const operands = { weight: layer.weight, mask, rows, d, damping: 0.1 };
  const typescript = await best(() => rebuildRowsFloat64({ ...operands, gram: layer.gram }));
  const times = [];
  for (const kernels of [one, all]) {
    const gram = await kernels.createGram({ d, values: layer.gram });
    times.push(await best(() => kernels.rebuildRows({ ...operands, gram })));
    kernels.release(gram);
  }
  console.log(
    `| ${label} | ${typescript.toFixed(3)} s | ${times[0].toFixed(3)} s (${
      (typescript / times[0]).toFixed(1)
    }×) | ${times[1].toFixed(3)} s (${(typescript / times[1]).toFixed(1)}×) |`,
  );
}
one.dispose();
all.dispose();
