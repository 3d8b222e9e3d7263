/**
 * The library without the command line: kernels and backends, warm starts, SparseSwaps, DSnoT,
 * weight updates, SparseGPT, ADMM-Grad, OWL and one layer's method, and a whole model's run
 * (`pruneInMemory`) over files from any platform (`blobSource`, `memoryFileSet`,
 * `openModelSource`). This is the entry of the bundle for browsers and Node
 * (`deno task build:web`, dist/); the same names as mod.ts exports.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKernels, refineSparseSwaps, warmStartMask } from "./lib.ts";
 *
 * const kernels = await createKernels("reference");
 * const gram = await kernels.createGram({ d: 2, values: new Float64Array([2, 1, 1, 2]) });
 * const weight = new Float32Array([1, -1]);
 * const pattern = { kind: "per-row", sparsity: 0.5 } as const;
 * const mask = warmStartMask({ method: "magnitude", weight, rows: 1, d: 2, gramDiagonal: new Float64Array([2, 2]), pattern });
 * const result = await refineSparseSwaps({ kernels, gram, weight, rows: 1, d: 2, mask, pattern, maxIters: 10 });
 * assert.equal(result.mask.reduce((a, b) => a + b, 0), 1);
 * ```
 *
 * @module
 */

export * from "./core/errors.ts";
export type * from "./core/kernels.ts";
export * from "./core/backend.ts";
export { createReferenceKernels, gramOf } from "./core/backends/reference.ts";
export { createWasmKernels, type WasmOptions } from "./core/backends/wasm.ts";
export { createWebGpuKernels, type WebGpuOptions } from "./core/backends/webgpu.ts";
export * from "./core/pattern.ts";
export * from "./core/warm_start.ts";
export * from "./core/sparseswaps.ts";
export * from "./core/dsnot.ts";
export * from "./core/update.ts";
export * from "./core/layer.ts";
export * from "./core/linear_algebra.ts";
export * from "./core/sparsegpt.ts";
export * from "./core/owl.ts";
export * from "./core/synthetic.ts";
export * from "./core/memory_plan.ts";
export * from "./core/files.ts";
export * from "./core/run.ts";
export * from "./core/flags.ts";
export * from "./core/refine_files.ts";
export * from "./core/pipeline.ts";
export { CHUNK_BYTES, chunkSequences } from "./core/model/forward_chunks.ts";
export * from "./core/report.ts";
export {
  type Checkpoint,
  type CheckpointTensor,
  expectedTensors,
  isLinearWeight,
  LINEAR_LAYERS,
  type LinearLayer,
  linearName,
  openCheckpointFrom,
} from "./core/model/checkpoint.ts";
export type { LlamaConfig } from "./core/model/config.ts";
export {
  type ModelFiles,
  type ModelSource,
  openModelSource,
  pickedModelFiles,
} from "./core/model/source.ts";
export {
  loadHuggingFaceTokenizer,
  parseLlama2cTokenizer,
  type Tokenizer,
} from "./core/model/tokenizer.ts";
export {
  type Dtype,
  encodeSafetensors,
  SafetensorsFile,
  type Tensor,
  toFloat32,
} from "./core/safetensors.ts";
