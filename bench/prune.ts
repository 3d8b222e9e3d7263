// deno-lint-ignore-file no-console
/**
 * Wall time and peak memory of the default job, `deno run -A mod.ts prune` (stories15M, 60%,
 * Wanda, SparseSwaps 100 iterations, default calibration, evaluation included), measured with
 * GNU time around a fresh process. Targets on a 2-core machine without GPU: under 3 minutes
 * and under 2 GB.
 *
 *     deno task bench:prune [extra prune flags]
 *
 * @module
 */

const out = await Deno.makeTempDir({ prefix: "sparseswaps-bench-prune-" });
const mod = new URL("../mod.ts", import.meta.url).pathname;
const args = [
  "run",
  "-A",
  mod,
  "prune",
  "--quiet",
  "--json",
  "--out",
  `${out}/pruned`,
  ...Deno.args,
];
const hasGnuTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);
const command = hasGnuTime
  ? new Deno.Command("/usr/bin/time", {
    args: ["-v", Deno.execPath(), ...args],
    stdout: "piped",
    stderr: "piped",
  })
  : new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" });
const started = performance.now();
const result = await command.output();
const seconds = (performance.now() - started) / 1000;
const stderr = new TextDecoder().decode(result.stderr);
const stdout = new TextDecoder().decode(result.stdout).trim().split("\n");
const timings = result.code === 0
  ? JSON.parse(await Deno.readTextFile(`${out}/pruned/report.json`)).timings as Record<
    string,
    number
  >
  : {};
await Deno.remove(out, { recursive: true });
if (result.code !== 0) {
  console.error(stderr);
  Deno.exit(1);
}
const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]);
const summary = JSON.parse(stdout.at(-1)!);
console.log(`Command: deno run -A mod.ts prune ${Deno.args.join(" ")}`.trim());
console.log(
  `Wall time: ${seconds.toFixed(1)} s (prune's own total ${summary.seconds.toFixed(1)} s)`,
);
console.log(
  hasGnuTime
    ? `Peak memory (max RSS): ${(peak / 1024).toFixed(0)} MiB`
    : "Peak memory: /usr/bin/time not found",
);
console.log(
  `Phases (report.json): ${
    Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", ")
  }`,
);
console.log(
  `Backend: ${summary.backend}; mean relative error reduction ${
    (100 * summary.mean_relative_reduction).toFixed(2)
  }%`,
);
for (
  const [name, p] of Object.entries(
    summary.perplexity as Record<string, { dense: number; pruned: number }>,
  )
) {
  console.log(`Perplexity ${name}: dense ${p.dense.toFixed(3)}, pruned ${p.pruned.toFixed(3)}`);
}
