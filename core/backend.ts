/**
 * Backend selection: the one place that knows which backends exist and which `auto` picks.
 *
 * @module
 */

import { createReferenceKernels } from "./backends/reference.ts";
import { BackendUnavailableError } from "./errors.ts";
import type { BackendName, Kernels } from "./kernels.ts";

/** What `--backend` accepts: a backend, or `auto` for the best one available here. */
export type BackendChoice = BackendName | "auto";

/** The accepted `--backend` values. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "reference", "wasm", "webgpu"];

/**
 * Creates the kernels of a backend. `auto` picks the fastest usable one; today that is the
 * reference backend, the only one built so far (wasm and webgpu are tracked in issues 3 and 4).
 *
 * @param choice The backend to create.
 * @returns Its kernels.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal((await createKernels("auto")).name, "reference");
 * await assert.rejects(() => createKernels("webgpu"), /not available/);
 * ```
 */
export function createKernels(choice: BackendChoice): Promise<Kernels> {
  switch (choice) {
    case "auto":
    case "reference":
      return Promise.resolve(createReferenceKernels());
    case "wasm":
    case "webgpu":
      return Promise.reject(
        new BackendUnavailableError(choice, "not part of this version yet; use reference"),
      );
  }
}
