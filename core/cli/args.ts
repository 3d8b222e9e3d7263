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
