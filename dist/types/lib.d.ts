/**
 * The library without the command line: kernels and backends, warm starts, SparseSwaps, DSnoT,
 * weight updates, SparseGPT, ADMM-Grad, OWL and one layer's method, and a whole model's run
 * (`pruneInMemory`) over files from any platform (`blobSource`, `memoryFileSet`,
 * `openModelSource`). This is the entry of the bundle for browsers and Node
 * (`deno task build:web`, dist/); the same names as mod.ts exports.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { createKernels, refineSparseSwaps, warmStartMask } from "./lib.js";
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
export * from "./core/errors.js";
export type * from "./core/kernels.js";
export * from "./core/backend.js";
export { createReferenceKernels, gramOf } from "./core/backends/reference.js";
export { createWasmKernels, type WasmOptions } from "./core/backends/wasm.js";
export { createWebGpuKernels, type WebGpuOptions } from "./core/backends/webgpu.js";
export * from "./core/pattern.js";
export * from "./core/warm_start.js";
export * from "./core/sparseswaps.js";
export * from "./core/dsnot.js";
export * from "./core/update.js";
export * from "./core/layer.js";
export * from "./core/linear_algebra.js";
export * from "./core/sparsegpt.js";
export * from "./core/owl.js";
export * from "./core/synthetic.js";
export * from "./core/memory_plan.js";
export * from "./core/files.js";
export * from "./core/run.js";
export * from "./core/flags.js";
export * from "./core/refine_files.js";
export * from "./core/pipeline.js";
export { CHUNK_BYTES, chunkSequences } from "./core/model/forward_chunks.js";
export * from "./core/report.js";
export { type Checkpoint, type CheckpointTensor, expectedTensors, isLinearWeight, LINEAR_LAYERS, type LinearLayer, linearName, openCheckpointFrom, } from "./core/model/checkpoint.js";
export type { LlamaConfig } from "./core/model/config.js";
export { type ModelFiles, type ModelSource, openModelSource, pickedModelFiles, } from "./core/model/source.js";
export { loadHuggingFaceTokenizer, parseLlama2cTokenizer, type Tokenizer, } from "./core/model/tokenizer.js";
export { type Dtype, encodeSafetensors, SafetensorsFile, type Tensor, toFloat32, } from "./core/safetensors.js";
