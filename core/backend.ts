/**
 * Backend selection: the one place that knows which backends exist and which `auto` picks.
 *
 * @module
 */

import { createReferenceKernels } from "./backends/reference.ts";
import { createWasmKernels } from "./backends/wasm.ts";
import { createWebGpuKernels } from "./backends/webgpu.ts";
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
  /** Told, for `auto`, of each backend it passed over and why (no GPU adapter, no SIMD, …). */
  readonly onSkip?: (backend: BackendName, reason: string) => void;
}

/**
 * Creates the kernels of a backend. `auto` picks the fastest one that works here: WebGPU on a
 * hardware adapter, else the wasm backend (WebAssembly SIMD on every core), else the reference
 * backend. `webgpu` asked for by name also accepts a software adapter (llvmpipe: correct, slow).
 * Call `dispose()` on the result when done.
 *
 * @param choice The backend to create.
 * @param options Threads for the CPU backend; where `auto` reports the backends it skipped.
 * @returns Its kernels.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const kernels = await createKernels("reference");
 * assert.equal(kernels.name, "reference");
 * kernels.dispose();
 * const skipped: string[] = [];
 * const auto = await createKernels("auto", { onSkip: (name, why) => skipped.push(`${name}: ${why}`) });
 * assert.ok(auto.name === "webgpu" || skipped.some((s) => s.startsWith("webgpu: ")));
 * auto.dispose();
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
    case "webgpu":
      return await createWebGpuKernels({ allowFallback: true });
    case "auto": {
      const candidates: [BackendName, () => Promise<Kernels>][] = [
        ["webgpu", () => createWebGpuKernels()],
        ["wasm", () => createWasmKernels({ threads: options.threads })],
      ];
      for (const [name, create] of candidates) {
        try {
          return await create();
        } catch (error) {
          // Not usable here: say why and try the next one. Anything else (a shader that does
          // not compile) is a bug, and must not pass for a missing GPU.
          if (!(error instanceof BackendUnavailableError)) throw error;
          options.onSkip?.(name, error.reason);
        }
      }
      return createReferenceKernels();
    }
  }
}
