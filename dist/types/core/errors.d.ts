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
export declare class InputError extends Error {
    /**
     * @param message What is wrong, naming the file, tensor or flag.
     * @param options Standard error options (`cause`).
     */
    constructor(message: string, options?: ErrorOptions);
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
export declare class UsageError extends InputError {
    /**
     * @param message What is wrong with the command line.
     * @param options Standard error options (`cause`).
     */
    constructor(message: string, options?: ErrorOptions);
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
export declare class SafetensorsError extends InputError {
    /** The file the problem is in. */
    readonly file: string;
    /**
     * @param file Path of the offending file.
     * @param detail What is wrong with it.
     * @param options Standard error options (`cause`).
     */
    constructor(file: string, detail: string, options?: ErrorOptions);
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
export declare class BackendUnavailableError extends InputError {
    readonly reason: string;
    /**
     * @param backend The backend that was asked for.
     * @param reason Why it cannot be used (kept as `reason`).
     */
    constructor(backend: string, reason: string);
}
/**
 * A backend that failed while running, for a reason outside the program: the GPU ran out of
 * memory or its device was lost. Running again, or on another backend, may succeed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const error = new BackendFailedError("webgpu", "out of memory while allocating G");
 * assert.equal(error.message, 'Backend "webgpu" failed: out of memory while allocating G');
 * assert.ok(error instanceof InputError);
 * ```
 */
export declare class BackendFailedError extends InputError {
    /**
     * @param backend The backend.
     * @param reason What went wrong.
     */
    constructor(backend: string, reason: string);
}
/**
 * The user stopped the run (SIGINT or SIGTERM). Not a failure of the run: the CLI exits with
 * 128 + the signal's number, as shells do for a process a signal ended.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const error = new InterruptedError("SIGINT");
 * assert.equal(error.exitCode, 130);
 * assert.equal(error.message, "Interrupted by SIGINT");
 * ```
 */
export declare class InterruptedError extends Error {
    /** The signal that stopped the run. */
    readonly signal: "SIGINT" | "SIGTERM";
    /**
     * @param signal The signal that stopped the run.
     */
    constructor(signal: "SIGINT" | "SIGTERM");
    /** The exit code a shell reports for a process this signal ended (130 or 143). */
    get exitCode(): number;
}
/**
 * Turns a file-system error into a short reason for a message ("no such file or directory").
 *
 * @param error What Deno or Node threw.
 * @returns A lower-case reason.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(describeFsError(new Deno.errors.NotFound("x")), "no such file or directory");
 * assert.equal(describeFsError(Object.assign(new Error("x"), { code: "EACCES" })), "permission denied");
 * ```
 */
export declare function describeFsError(error: unknown): string;
