/**
 * Runs the CLI in-process and captures what it prints.
 *
 * @module
 */

import { main } from "../core/cli/main.ts";

/** Exit code and output of one CLI run. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string;
}

/** Runs `deno run -A mod.ts <args>` in-process. */
export async function runCli(args: string[]): Promise<CliRun> {
  const stdout: string[] = [];
  let stderr = "";
  const code = await main(args, {
    stdout: (line) => stdout.push(line),
    stderr: (text) => (stderr += text),
    stderrIsTerminal: false,
  });
  return { code, stdout, stderr };
}
