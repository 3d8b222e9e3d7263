/**
 * Flag values as the command line and the web page's form give them, as strings: parsed and
 * checked into settings with messages that name the flag ("Flag --sparsity must be …"). The
 * web page labels its fields with the same flags, so one parser and one set of messages serve
 * both. Pure: the command line's argv parsing is cli/args.ts.
 *
 * @module
 */
import { type SparsityPattern } from "./pattern.js";
import { type LayerMethod, type Refiner, type WeightUpdate } from "./layer.js";
import { type LayerWarmStart } from "./update.js";
import type { RunSettings } from "./run.js";
/**
 * Returns a string flag's value or fails naming the flag.
 *
 * @param value The parsed value.
 * @param flag The flag's name without dashes.
 * @returns The value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(requireFlag("W.safetensors", "weight"), "W.safetensors");
 * assert.throws(() => requireFlag(undefined, "weight"), /Missing required flag --weight/);
 * ```
 */
export declare function requireFlag(value: string | undefined, flag: string): string;
/**
 * Parses a flag value that must be one of a few words.
 *
 * @param value The parsed value.
 * @param flag The flag's name without dashes.
 * @param choices The accepted words.
 * @returns The value, typed as one of the choices.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseChoice("ria", "warm-start", ["wanda", "ria"] as const), "ria");
 * assert.throws(() => parseChoice("x", "warm-start", ["wanda", "ria"] as const), /one of wanda, ria/);
 * ```
 */
export declare function parseChoice<T extends string>(value: string, flag: string, choices: readonly T[]): T;
/**
 * Parses a flag value that must be a finite number.
 *
 * @param value The parsed value.
 * @param flag The flag's name without dashes.
 * @returns The number.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseNumberFlag("0.6", "sparsity"), 0.6);
 * assert.throws(() => parseNumberFlag("sixty", "sparsity"), /must be a number/);
 * ```
 */
export declare function parseNumberFlag(value: string, flag: string): number;
/**
 * Parses a flag value that must be a whole number ≥ 1.
 *
 * @param value The parsed value.
 * @param flag The flag's name without dashes.
 * @returns The number.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseCount("4", "threads"), 4);
 * assert.throws(() => parseCount("0", "threads"), /whole number ≥ 1/);
 * ```
 */
export declare function parseCount(value: string, flag: string): number;
/**
 * Parses a flag value that must be a whole number ≥ 0.
 *
 * @param value The parsed value.
 * @param flag The flag's name without dashes.
 * @returns The number.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseWholeNumber("0", "eval-windows"), 0);
 * assert.throws(() => parseWholeNumber("inf", "eval-windows"), /whole number ≥ 0: got "inf"/);
 * ```
 */
export declare function parseWholeNumber(value: string, flag: string): number;
/**
 * Parses `--threads`: a whole number from 1 to the CPU threads available here (more threads than
 * cores only add memory and switching).
 *
 * @param value The parsed value, or undefined for the default (every core).
 * @param available Threads available (default `navigator.hardwareConcurrency`).
 * @returns The thread count, or undefined.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseThreads("2", 4), 2);
 * assert.throws(() => parseThreads("1000", 4), /--threads 1000 exceeds the 4 CPU threads available/);
 * ```
 */
export declare function parseThreads(value: string | undefined, available?: number): number | undefined;
/**
 * Parses `--seqlen`: windows need two tokens at least (the first is never predicted).
 *
 * @param value The parsed value.
 * @returns The length.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseSequenceLength("256"), 256);
 * assert.throws(() => parseSequenceLength("1"), /--seqlen must be at least 2/);
 * ```
 */
export declare function parseSequenceLength(value: string): number;
/**
 * Parses the pattern flags: exactly one of `--sparsity S` and `--pattern N:M`, or the default
 * sparsity when neither is given and there is one.
 *
 * @param sparsity `--sparsity`.
 * @param pattern `--pattern`.
 * @param defaultSparsity Used when neither flag is given; without it one is required.
 * @returns The pattern.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parsePatternFlags(undefined, "2:4"), { kind: "n:m", n: 2, m: 4 });
 * assert.deepEqual(parsePatternFlags(undefined, undefined, "0.6"), { kind: "per-row", sparsity: 0.6 });
 * assert.throws(
 *   () => parsePatternFlags("abc", undefined),
 *   (e: Error) => e.message === 'Flag --sparsity must be a number: got "abc"',
 * );
 * assert.throws(() => parsePatternFlags("1.5", undefined), /Flag --sparsity: Sparsity must be in \(0, 1\)/);
 * ```
 */
export declare function parsePatternFlags(sparsity: string | undefined, pattern: string | undefined, defaultSparsity?: string): SparsityPattern;
/**
 * Parses an iteration budget: a whole number ≥ 0, or `inf` for "until converged".
 *
 * @param value The parsed value.
 * @param flag The flag's name without dashes.
 * @returns The budget; `Infinity` for `inf`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseIterations("100", "max-iters"), 100);
 * assert.equal(parseIterations("inf", "max-iters"), Infinity);
 * assert.throws(() => parseIterations("-1", "max-iters"));
 * ```
 */
export declare function parseIterations(value: string, flag: string): number;
/**
 * Parses `--warm-start`, refusing SparseGPT's published (row-unbalanced) per-row masks before a
 * refiner: SparseSwaps and DSnoT keep every row's count, so they need balanced rows.
 *
 * @param value `--warm-start` (default wanda).
 * @param pattern The pattern.
 * @param refiner `--refine` (refine always runs SparseSwaps).
 * @returns The warm start.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const perRow = { kind: "per-row", sparsity: 0.5 } as const;
 * assert.equal(parseWarmStart("sparsegpt-unbalanced", perRow, "none"), "sparsegpt-unbalanced");
 * assert.throws(() => parseWarmStart("sparsegpt-unbalanced", perRow, "sparseswaps"), /--refine none/);
 * ```
 */
export declare function parseWarmStart(value: string | undefined, pattern: SparsityPattern, refiner: string): LayerWarmStart;
/** The flags {@linkcode parseUpdateFlags} reads, as given on the command line. */
export interface UpdateFlags {
    /** `--update`: none, rebuild or admm (default none). */
    readonly update?: string;
    /** `--damping`: α ≥ 0 (default {@linkcode DEFAULT_DAMPING}). */
    readonly damping?: string;
    /** `--admm-iters` (default {@linkcode DEFAULT_ADMM_ITERATIONS}). */
    readonly admmIters?: string;
    /** `--alternate`: swap ↔ update rounds after the first update (default 0). */
    readonly alternate?: string;
    /** `--refine`, where the command has it (default sparseswaps). */
    readonly refiner?: string;
}
/**
 * Parses `--update`, `--damping`, `--admm-iters` and `--alternate` into the weight update to
 * run, refusing combinations that make no sense: `--damping` or `--alternate` without an update,
 * `--admm-iters` without ADMM, a negative damping, an update after `--refine dsnot` (DSnoT is
 * offered as its paper publishes it, a mask-only baseline) and `--alternate` without SparseSwaps.
 *
 * @param flags The flags as given.
 * @returns The update, or undefined for none.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseUpdateFlags({ update: "rebuild", damping: "0.01" }), { method: "rebuild", damping: 0.01 });
 * assert.equal(parseUpdateFlags({}), undefined);
 * assert.throws(() => parseUpdateFlags({ damping: "0.1" }), /--damping applies to a weight update/);
 * assert.throws(() => parseUpdateFlags({ update: "rebuild", refiner: "dsnot" }), /--refine dsnot/);
 * assert.throws(() => parseUpdateFlags({ alternate: "2" }), /--alternate repeats/);
 * ```
 */
export declare function parseUpdateFlags(flags: UpdateFlags): WeightUpdate | undefined;
/** A layer method's flags, as `prune` and `refine` take them (absent: the default). */
export interface MethodFlags {
    /** `--sparsity`. */
    readonly sparsity?: string;
    /** `--pattern N:M`. */
    readonly pattern?: string;
    /** `--warm-start` (default wanda). */
    readonly "warm-start"?: string;
    /** `--max-iters` (default 100). */
    readonly "max-iters"?: string;
    /** `--update` (default none). */
    readonly update?: string;
    /** `--damping`. */
    readonly damping?: string;
    /** `--admm-iters`. */
    readonly "admm-iters"?: string;
    /** `--alternate`. */
    readonly alternate?: string;
}
/**
 * Parses a layer method's flags, refusing combinations that make no sense for the refiner.
 *
 * @param flags The flags as given.
 * @param refiner The refiner that follows the warm start.
 * @param defaultSparsity `--sparsity` when neither it nor `--pattern` is given (none: one is
 *   required).
 * @returns The method.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const method = parseMethodFlags({ pattern: "2:4", "max-iters": "inf" }, "sparseswaps");
 * assert.deepEqual(method.pattern, { kind: "n:m", n: 2, m: 4 });
 * assert.equal(method.maxIters, Infinity);
 * ```
 */
export declare function parseMethodFlags(flags: MethodFlags, refiner: Refiner, defaultSparsity?: string): LayerMethod;
/** A run's settings as flags (absent: the default `prune` uses). */
export interface RunFlags extends MethodFlags {
    /** `--layer-sparsity` (default uniform). */
    readonly "layer-sparsity"?: string;
    /** `--refine` (default sparseswaps). */
    readonly refine?: string;
    /** `--nsamples` (default 32). */
    readonly nsamples?: string;
    /** `--seqlen` (default 256). */
    readonly seqlen?: string;
    /** `--seed` (default 0). */
    readonly seed?: string;
    /** `--calibration` (default sequential). */
    readonly calibration?: string;
    /** `--eval-windows` (default 16). */
    readonly "eval-windows"?: string;
}
/**
 * Parses a run's settings from flags with `prune`'s defaults and checks, refusing combinations
 * that make no sense with the flag named.
 *
 * @param flags The flags as given.
 * @returns The settings.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const settings = parseRunSettings({ sparsity: "0.5", nsamples: "8" });
 * assert.deepEqual(settings.pattern, { kind: "per-row", sparsity: 0.5 });
 * assert.equal(settings.nsamples, 8);
 * assert.equal(settings.warmStart, "wanda");
 * assert.throws(() => parseRunSettings({ pattern: "2:4", "layer-sparsity": "owl" }), /needs --sparsity/);
 * ```
 */
export declare function parseRunSettings(flags: RunFlags): RunSettings;
