/**
 * sparseswaps: prune LLaMA-family models and refine pruning masks with SparseSwaps, exact
 * best-improvement 1-swaps on the Gram matrix of each layer's inputs (arXiv 2512.10922).
 *
 * As a library:
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKernels, refineSparseSwaps, warmStartMask } from "./mod.ts";
 *
 * const kernels = await createKernels("auto");
 * const d = 4;
 * const gramValues = new Float64Array([4, 3, 0, 0, 3, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
 * const gram = await kernels.createGram({ d, values: gramValues });
 * const weight = new Float32Array([1, -1, 1.5, 0.2]);
 * const pattern = { kind: "per-row", sparsity: 0.75 } as const;
 * const mask = warmStartMask({ method: "wanda", weight, rows: 1, d, gramDiagonal: new Float64Array([4, 4, 1, 1]), pattern });
 * const result = await refineSparseSwaps({ kernels, gram, weight, rows: 1, d, mask, pattern, maxIters: 100 });
 * assert.ok(result.errorAfter[0] < result.errorBefore[0]);
 * ```
 *
 * As a command: `deno run -A mod.ts prune` (the whole job on the default model), `eval`, and
 * `refine`; each has `--help`.
 *
 * @module
 */

// The library (the bundles' entry), then what needs files, models and the command line.
export * from "./lib.ts";
export * from "./core/safetensors.ts";
export * from "./core/compressed.ts";
export * from "./core/model/sparse_checkpoint.ts";
export * from "./core/validate.ts";
export { writeFileAtomic } from "./core/atomic_write.ts";
export * from "./core/local_files.ts";
export * from "./core/model/config.ts";
export * from "./core/model/checkpoint.ts";
export * from "./core/model/forward.ts";
export * from "./core/model/transformer.ts";
export * from "./core/model/tokenizer.ts";
export * from "./core/model/datasets.ts";
export {
  DEFAULT_MODEL,
  ensureMobyDick,
  ensureStories15M,
  mobyDick,
} from "./core/model/stories15m.ts";
export { cacheDirectory } from "./core/model/npm_fetch.ts";
export { main } from "./core/cli/main.ts";

import { main } from "./core/cli/main.ts";
import { consoleIo, interruptSignal } from "./core/cli/io.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args, { ...consoleIo(), signal: interruptSignal() }));
}
