/**
 * Command-line flag parsing: the one place that imports `parseArgs` (from `node:util`, since
 * JSR's `@std/cli` is out of reach), turning its errors into {@linkcode UsageError}s.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";

/** Flag declarations: each flag takes a string value or is a boolean switch. */
export type FlagSpec = Readonly<Record<string, "string" | "boolean">>;

/** Parsed flags: string flags map to their value, boolean flags to true, absent to undefined. */
export type Flags<S extends FlagSpec> = {
  readonly [K in keyof S]?: S[K] extends "string" ? string : boolean;
};

/**
 * Parses `--flag value` / `--flag=value` / `--switch` arguments strictly: unknown flags, missing
 * values and positional arguments are usage errors.
 *
 * @param argv The arguments after the command name.
 * @param spec The accepted flags.
 * @returns The flags that were given.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const flags = parseFlags(["--sparsity", "0.6", "--json"], { sparsity: "string", json: "boolean" });
 * assert.deepEqual({ ...flags }, { sparsity: "0.6", json: true });
 * assert.throws(() => parseFlags(["--sparse", "1"], { sparsity: "string" }), /Unknown flag: --sparse/);
 * ```
 */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): Flags<S> {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, type] of Object.entries(spec)) options[name] = { type };
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) {
      throw new UsageError(`Unexpected argument: ${positionals[0]}`);
    }
    return values as Flags<S>;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const flag = /'([^']+)'/.exec(message)?.[1] ?? message;
      throw new UsageError(`Unknown flag: ${flag}`);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const flag = /'(--[\w-]+)/.exec(message)?.[1] ?? "";
      if (message.includes("ambiguous")) {
        throw new UsageError(
          `Flag ${flag} is followed by something that looks like a flag; write ${flag}=VALUE for a value starting with "-"`,
        );
      }
      throw new UsageError(
        message.includes("argument missing")
          ? `Flag ${flag} needs a value`
          : `Flag ${flag} does not take a value`,
      );
    }
    throw error;
  }
}

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
export function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new UsageError(`Missing required flag --${flag}`);
  return value;
}

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
export function parseChoice<T extends string>(
  value: string,
  flag: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`Flag --${flag} must be one of ${choices.join(", ")}: got "${value}"`);
  }
  return value as T;
}

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
export function parseNumberFlag(value: string, flag: string): number {
  const number = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(number)) {
    throw new UsageError(`Flag --${flag} must be a number: got "${value}"`);
  }
  return number;
}

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
export function parseCount(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`Flag --${flag} must be a whole number ≥ 1: got "${value}"`);
  }
  return Number(value);
}

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
export function parseIterations(value: string, flag: string): number {
  if (value === "inf") return Infinity;
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`Flag --${flag} must be a whole number ≥ 0 or inf: got "${value}"`);
  }
  return Number(value);
}
