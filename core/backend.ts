/**
 * Backend selection: the one place that knows which backends exist and which `auto` picks.
 *
 * @module
 */

import { createReferenceKernels } from "./backends/reference.ts";
import { createWasmKernels } from "./backends/wasm.ts";
import { BackendUnavailableError } from "./errors.ts";
import type { BackendName, Kernels } from "./kernels.ts";

/** What `--backend` accepts: a backend, or `auto` for the best one available here. */
export type BackendChoice = BackendName | "auto";

/** The accepted `--backend` values. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "reference", "wasm", "webgpu"];

/** Options of {@linkcode createKernels}. */
export interface BackendOptions {
  /** CPU threads for the wasm backend; default: every core. */
  readonly threads?: number;
}

/**
 * Creates the kernels of a backend. `auto` picks the fastest one that works here: the wasm
 * backend (WebAssembly SIMD on every core), else the reference backend. The WebGPU backend is
 * tracked in issue 4. Call `dispose()` on the result when done.
 *
 * @param choice The backend to create.
 * @param options Threads for the CPU backend.
 * @returns Its kernels.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const kernels = await createKernels("reference");
 * assert.equal(kernels.name, "reference");
 * await assert.rejects(() => createKernels("webgpu"), /not available/);
 * ```
 */
export async function createKernels(
  choice: BackendChoice,
  options: BackendOptions = {},
): Promise<Kernels> {
  switch (choice) {
    case "reference":
      return createReferenceKernels();
    case "wasm":
      return await createWasmKernels({ threads: options.threads });
    case "auto":
      try {
        return await createWasmKernels({ threads: options.threads });
      } catch {
        return createReferenceKernels();
      }
    case "webgpu":
      throw new BackendUnavailableError(choice, "not part of this version yet; use wasm");
  }
}
