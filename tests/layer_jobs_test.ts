/**
 * Layer jobs: `prune --plan`, the jobs run in parallel, `prune --assemble` give the bytes a
 * one-shot `prune --calibration dense` writes; unfinished, foreign and corrupt job results and
 * wrong flags are refused with messages naming the job or flag.
 */

import assert from "./assert.ts";
import { runCli } from "./_cli.ts";
import { TINY_TEXT_MODEL, writeTinyTextModel } from "./_tiny_model.ts";
import type { PruneReport } from "../core/report.ts";
import { SafetensorsFile } from "../core/safetensors.ts";

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-jobs-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs every job of a plan, `parallel` at a time, each in-process like a separate command. */
async function runJobs(jobdir: string, parallel: number): Promise<void> {
  const lines = (await Deno.readTextFile(`${jobdir}/jobs.txt`)).trim().split("\n");
  for (let first = 0; first < lines.length; first += parallel) {
    const batch = lines.slice(first, first + parallel).map(async (line) => {
      // "deno run -A '…/mod.ts' job --index N": the CLI part after the entry.
      const args = line.slice(line.indexOf(" job ") + 1).split(" ");
      const result = await runCli([...args, "--dir", jobdir, "--quiet"]);
      assert.equal(result.code, 0, `${line}: ${result.stderr}`);
    });
    await Promise.all(batch);
  }
}

const SETTINGS: Record<string, string[]> = {
  "Wanda + SparseSwaps": [],
  "OWL + ADMM-Grad + SparseSwaps + rebuild": [
    "--layer-sparsity",
    "owl",
    "--warm-start",
    "admm-grad",
    "--update",
    "rebuild",
  ],
};

for (const [label, flags] of Object.entries(SETTINGS)) {
  Deno.test(`plan → parallel jobs → assemble writes the one-shot dense prune's bytes (${label})`, async () => {
    await withDir(async (dir) => {
      const model = await writeTinyTextModel(dir, 7, { ...TINY_TEXT_MODEL, nLayers: 3 });
      const common = [
        "prune",
        "--model",
        model,
        "--nsamples",
        "4",
        "--seqlen",
        "16",
        "--eval-windows",
        "2",
        "--calibration",
        "dense",
        "--backend",
        "wasm",
        "--threads",
        "1",
        "--quiet",
        ...flags,
      ];
      const oneShot = await runCli([...common, "--out", `${dir}/one-shot`]);
      assert.equal(oneShot.code, 0, oneShot.stderr);
      const jobdir = `${dir}/jobs`;
      // The plan keeps its hidden states on disk; the one-shot run in memory.
      const plan = await runCli([...common, "--hidden-states", "disk", "--plan", jobdir]);
      assert.equal(plan.code, 0, plan.stderr);
      const lines = (await Deno.readTextFile(`${jobdir}/jobs.txt`)).trim().split("\n");
      assert.equal(lines.length, 3 * 7);
      lines.forEach((line, i) =>
        assert.match(line, new RegExp(`^deno run -A '.*mod\\.ts' job --index ${i}$`))
      );
      await runJobs(jobdir, 4);
      // A job run again rewrites the same result (its report's seconds aside).
      const result = async () => {
        using file = await SafetensorsFile.open(`${jobdir}/results/00003.safetensors`);
        return (await file.read("mask")).bytes;
      };
      const before = await result();
      assert.equal((await runCli(["job", "--dir", jobdir, "--index", "3", "--quiet"])).code, 0);
      assert.deepEqual(await result(), before);

      const assembled = await runCli([
        "prune",
        "--assemble",
        jobdir,
        "--out",
        `${dir}/assembled`,
        "--quiet",
        "--json",
      ]);
      assert.equal(assembled.code, 0, assembled.stderr);
      for (const file of ["model.safetensors", "masks.safetensors", "config.json"]) {
        assert.deepEqual(
          await Deno.readFile(`${dir}/assembled/${file}`),
          await Deno.readFile(`${dir}/one-shot/${file}`),
          file,
        );
      }
      const read = async (out: string): Promise<PruneReport> =>
        JSON.parse(await Deno.readTextFile(`${dir}/${out}/report.json`));
      const [a, b] = [await read("assembled"), await read("one-shot")];
      assert.deepEqual(a.perplexity, b.perplexity);
      assert.deepEqual(a.settings, b.settings);
      const errors = (r: PruneReport) =>
        r.layers.map((l) => [l.errorWarm, l.errorRefined, l.errorUpdated]);
      assert.deepEqual(errors(a), errors(b));
    });
  });
}

Deno.test("layer jobs refuse wrong flags, unfinished, foreign and corrupt results, and a changed model", async () => {
  await withDir(async (dir) => {
    const model = await writeTinyTextModel(dir, 8);
    const common = ["prune", "--model", model, "--nsamples", "2", "--seqlen", "8", "--quiet"];
    const jobdir = `${dir}/jobs`;

    const notDense = await runCli([...common, "--plan", jobdir]);
    assert.equal(notDense.code, 2);
    assert.match(notDense.stderr, /--plan needs --calibration dense/);

    await Deno.mkdir(`${dir}/busy`);
    await Deno.writeTextFile(`${dir}/busy/notes.txt`, "mine");
    const busy = await runCli([...common, "--calibration", "dense", "--plan", `${dir}/busy`]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /not empty and holds no plan \(notes\.txt\)/);
    assert.equal(await Deno.readTextFile(`${dir}/busy/notes.txt`), "mine");

    const planArgs = [...common, "--calibration", "dense", "--eval-windows", "1", "--plan", jobdir];
    const plan = await runCli(planArgs);
    assert.equal(plan.code, 0, plan.stderr);
    const assemble = ["prune", "--assemble", jobdir, "--out", `${dir}/out`, "--quiet"];
    // A plan cut short (no plan.json yet) leaves a directory a new plan may replace.
    await Deno.remove(`${jobdir}/plan.json`);
    const again = await runCli(planArgs);
    assert.equal(again.code, 0, again.stderr);

    const unfinished = await runCli(assemble);
    assert.equal(unfinished.code, 1);
    assert.match(
      unfinished.stderr,
      /14 of 14 jobs in ".*" have not finished: job 0 \(model\.layers\.0\.self_attn\.q_proj\.weight\)/,
    );
    assert.ok(!(await Deno.stat(`${dir}/out`).then(() => true, () => false)), "nothing written");

    await runJobs(jobdir, 7);
    const outOfRange = await runCli(["job", "--dir", jobdir, "--index", "14"]);
    assert.equal(outOfRange.code, 2);
    assert.match(outOfRange.stderr, /--index 14: the plan in ".*" has jobs 0 to 13/);

    const methodFlag = await runCli([...assemble, "--sparsity", "0.5"]);
    assert.equal(methodFlag.code, 2);
    assert.match(
      methodFlag.stderr,
      /--assemble takes the plan's settings: --sparsity belongs to prune --plan/,
    );

    // A result cut short: refused, naming the job; running it again mends it.
    const result = `${jobdir}/results/00005.safetensors`;
    const bytes = await Deno.readFile(result);
    await Deno.writeFile(result, bytes.subarray(0, bytes.length - 8));
    const corrupt = await runCli(assemble);
    assert.equal(corrupt.code, 1);
    assert.match(
      corrupt.stderr,
      /job 5 \(model\.layers\.0\.mlp\.up_proj\.weight\).*run the job again/,
    );
    assert.equal((await runCli(["job", "--dir", jobdir, "--index", "5", "--quiet"])).code, 0);

    // Results of an earlier plan in the same directory are not this plan's.
    const planFile = `${jobdir}/plan.json`;
    const planJson = JSON.parse(await Deno.readTextFile(planFile));
    await Deno.writeTextFile(planFile, JSON.stringify({ ...planJson, id: "another" }));
    const foreign = await runCli(assemble);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /job 0 .* was made for another plan; run the job again/);
    await Deno.writeTextFile(planFile, JSON.stringify(planJson));

    // The model changed after the plan.
    const modelFile = `${model}/model.safetensors`;
    await Deno.utime(modelFile, new Date(), new Date(Date.now() + 60_000));
    const changed = await runCli(assemble);
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, /is not the one planned in .*plan again/);

    const noPlan = await runCli(["job", "--dir", `${dir}/busy`, "--index", "0"]);
    assert.equal(noPlan.code, 1);
    assert.match(noPlan.stderr, /holds no plan\.json: not a job directory made by prune --plan/);
  });
});
