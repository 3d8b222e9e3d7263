// deno-lint-ignore-file no-console
/**
 * Weight updates and the methods built on them, paired over calibration seeds on stories15M:
 * `prune` (default settings otherwise: 60%, Wanda, SparseSwaps 100 iterations, 32 × 256 sampled
 * calibration tokens, 16 evaluation windows) with each setting's flags, on several seeds. Prints
 * each run's error of the written weights (Σ error / Σ output energy) and perplexities, and each
 * setting's paired difference to the first (the baseline): mean over seeds ± its standard error,
 * since seeds move perplexity by about as much as close methods differ.
 *
 *     deno task bench:update [--seeds 0,1,2] [--settings "label: flags; label: flags; …"]
 *       [-- flags for every run, e.g. --sparsity 0.7]
 *
 * Default settings: no update; rebuild; admm; ADMM-Grad (its own mask and weights); ADMM-Grad
 * warm start refined by SparseSwaps, then rebuilt.
 *
 * @module
 */

import { paired } from "./_shared.ts";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { seeds: { type: "string" }, settings: { type: "string" } },
  allowPositionals: true,
});
const seeds = (values.seeds ?? "0,1,2").split(",").map(Number);
/** "label: flags; label: flags", the first the baseline the others are paired against. */
const DEFAULT_SETTINGS = [
  "no update:",
  "rebuild α=0.1: --update rebuild",
  "admm α=0.1: --update admm",
  "ADMM-Grad: --warm-start admm-grad --refine none",
  "ADMM-Grad + swaps + rebuild: --warm-start admm-grad --update rebuild",
].join(";");
const settings: [string, string[]][] = (values.settings ?? DEFAULT_SETTINGS).split(";").map(
  (entry) => {
    // The label ends at the first colon; flags may hold more (--pattern 2:4).
    const at = entry.indexOf(":");
    const flags = entry.slice(at + 1).trim().split(/\s+/).filter((f) => f !== "");
    return [entry.slice(0, at).trim(), flags];
  },
);
const baseline = settings[0][0];

interface Run {
  readonly error: number;
  readonly inDomain: number;
  readonly mobyDick: number;
  readonly seconds: number;
}

const mod = new URL("../mod.ts", import.meta.url).pathname;
const out = await Deno.makeTempDir({ prefix: "sparseswaps-bench-update-" });
const runs = new Map<string, Run[]>();
console.log(
  `Command per run: deno run -A mod.ts prune --seed S [the setting's flags] ${
    positionals.join(" ")
  }`.trim(),
);
console.log("| setting | seed | error / energy | in-domain ppl | Moby-Dick ppl | seconds |");
console.log("|---|---|---|---|---|---|");
try {
  for (const seed of seeds) {
    for (const [label, flags] of settings) {
      const result = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          mod,
          "prune",
          "--quiet",
          "--json",
          "--seed",
          String(seed),
          ...flags,
          ...positionals,
          "--out",
          `${out}/run`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (result.code !== 0) {
        console.error(new TextDecoder().decode(result.stderr));
        Deno.exit(1);
      }
      const summary = JSON.parse(
        new TextDecoder().decode(result.stdout).trim().split("\n").at(-1)!,
      );
      const run: Run = {
        error: summary.relative_error_updated ?? summary.relative_error_refined,
        inDomain: summary.perplexity.in_domain.pruned,
        mobyDick: summary.perplexity.moby_dick.pruned,
        seconds: summary.seconds,
      };
      runs.set(label, [...(runs.get(label) ?? []), run]);
      console.log(
        `| ${label} | ${seed} | ${run.error.toExponential(3)} | ${run.inDomain.toFixed(3)} | ${
          run.mobyDick.toFixed(1)
        } | ${run.seconds.toFixed(1)} |`,
      );
    }
  }
} finally {
  await Deno.remove(out, { recursive: true });
}

const base = runs.get(baseline)!;
console.log(`\nPaired against ${baseline} over seeds ${seeds.join(", ")} (mean ± standard error):`);
console.log("| setting | error / energy ratio | in-domain ppl | Moby-Dick ppl |");
console.log("|---|---|---|---|");
for (const [label] of settings.slice(1)) {
  const these = runs.get(label)!;
  const ratio = these.reduce((s, r, i) => s + r.error / base[i].error, 0) / these.length;
  console.log(
    `| ${label} | ${ratio.toFixed(3)} | ${
      paired(these.map((r) => r.inDomain), base.map((r) => r.inDomain), 3)
    } | ${paired(these.map((r) => r.mobyDick), base.map((r) => r.mobyDick), 3)} |`,
  );
}
