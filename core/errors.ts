/**
 * Error classes. Library code throws these; only the CLI turns them into messages and exit
 * codes. Messages are capitalised, have no trailing period and put details after a colon.
 *
 * @module
 */

/**
 * A problem with what the user gave us (a file, a tensor, a flag, an option): never a bug.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const error = new InputError("Flag --sparsity must be in (0, 1): got 1.5");
 * assert.equal(error.name, "InputError");
 * assert.ok(error instanceof Error);
 * ```
 */
export class InputError extends Error {
  /**
   * @param message What is wrong, naming the file, tensor or flag.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InputError";
  }
}

/**
 * A command line that cannot be run: unknown flag, missing or conflicting flags.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const error = new UsageError("Unknown flag: --sparse");
 * assert.ok(error instanceof InputError);
 * assert.equal(error.name, "UsageError");
 * ```
 */
export class UsageError extends InputError {
  /**
   * @param message What is wrong with the command line.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/**
 * A file that is not a valid safetensors file, or lacks a tensor we need.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const error = new SafetensorsError("W.safetensors", "header length 99 exceeds file size 12");
 * assert.equal(error.message, 'Invalid safetensors file "W.safetensors": header length 99 exceeds file size 12');
 * assert.equal(error.file, "W.safetensors");
 * ```
 */
export class SafetensorsError extends InputError {
  /** The file the problem is in. */
  readonly file: string;
  /**
   * @param file Path of the offending file.
   * @param detail What is wrong with it.
   * @param options Standard error options (`cause`).
   */
  constructor(file: string, detail: string, options?: ErrorOptions) {
    super(`Invalid safetensors file "${file}": ${detail}`, options);
    this.name = "SafetensorsError";
    this.file = file;
  }
}

/**
 * A backend that cannot run here (not built, no adapter, failed to initialise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const error = new BackendUnavailableError("webgpu", "no adapter found");
 * assert.equal(error.message, 'Backend "webgpu" is not available: no adapter found');
 * ```
 */
export class BackendUnavailableError extends InputError {
  /**
   * @param backend The backend that was asked for.
   * @param reason Why it cannot be used.
   */
  constructor(backend: string, reason: string) {
    super(`Backend "${backend}" is not available: ${reason}`);
    this.name = "BackendUnavailableError";
  }
}
