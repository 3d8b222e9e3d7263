/**
 * Backend selection: the one place that knows which backends exist and which `auto` picks.
 *
 * @module
 */
import type { BackendName, Kernels } from "./kernels.js";
/** What `--backend` accepts: a backend, or `auto` for the best one available here. */
export type BackendChoice = BackendName | "auto";
/** The accepted `--backend` values. */
export declare const BACKEND_CHOICES: readonly BackendChoice[];
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
export declare function createKernels(choice: BackendChoice, options?: BackendOptions): Promise<Kernels>;
