// deno-lint-ignore-file no-console
/**
 * A model of real size end to end on the CPU: a seeded synthetic checkpoint of a real shape is
 * written once to the cache (BF16, three shards with model.safetensors.index.json; weights uniform
 * in ±0.02, norms 1), then `prune` runs on it in a fresh process under GNU time with calibration
 * windows cut from Moby-Dick: peak memory (max RSS) and seconds per phase. Shapes:
 *
 *     tinyllama    TinyLlama-1.1B: hidden 2048, intermediate 5632, 22 blocks, 32 heads, 4 KV heads
 *     wide-heads   a head size other than hidden / heads (as Mistral-NeMo and Qwen3 have): hidden
 *                  1536, 16 heads of 128 (q and o are 2048 × 1536 and 1536 × 2048), 4 KV heads,
 *                  intermediate 4096, 16 blocks
 *
 *     deno task bench:scale [--shape tinyllama|wide-heads] [--nsamples 2] [--seqlen 64]
 *       [--jobs q,o,gate,down] [--offline] [-- extra prune flags]
 *
 * --offline needs no registry (a lent GPU machine reaches none): the checkpoint gets a synthetic
 * llama2.c tokenizer instead of stories15M's, and the calibration windows are sampled from the
 * model instead of cut from Moby-Dick (which keeps every weight resident on the backend: at the
 * 1.1B shape in float32 more than the wasm backend's 4 GiB, so a GPU run:
 * `-- --backend webgpu`). Without GNU time (/usr/bin/time) the peak memory is not reported.
 *
 * With `--jobs`, the model is planned as layer jobs instead (`prune --plan`, dense calibration,
 * prune's default method) and the named jobs of block 0 run one by one, each timed in its own
 * process: what one job of a batch system needs.
 *
 * Defaults keep the run to minutes on two cores: two windows of 64 tokens, Wanda warm start, no
 * refinement, no evaluation (sampling and evaluation would hold the model resident: see the
 * README). Add flags after `--` to do more (`--refine sparseswaps --max-iters 2`).
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { expectedTensors } from "../core/model/checkpoint.ts";
import { type LlamaConfig, llamaConfigJson } from "../core/model/config.ts";
import { cacheDirectory } from "../core/model/npm_fetch.ts";
import { ensureStories15M, mobyDick } from "../core/model/stories15m.ts";
import { float32ToBfloat16 } from "../core/float16.ts";
import { SafetensorsFile, SafetensorsWriter } from "../core/safetensors.ts";
import { createRandom } from "../core/synthetic.ts";
import { TINYLLAMA } from "./_shared.ts";

const SHARDS = 3;

/** The shapes, by name. */
const SHAPES: Readonly<Record<string, LlamaConfig>> = {
  tinyllama: TINYLLAMA,
  "wide-heads": {
    ...TINYLLAMA,
    dim: 1536,
    hiddenDim: 4096,
    nLayers: 16,
    nHeads: 16,
    nKvHeads: 4,
    headDim: 128,
  },
};

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    shape: { type: "string", default: "tinyllama" },
    nsamples: { type: "string" },
    seqlen: { type: "string" },
    jobs: { type: "string" },
    offline: { type: "boolean" },
  },
  allowPositionals: true,
});
const config = SHAPES[values.shape!];
if (!config) throw new Error(`--shape: one of ${Object.keys(SHAPES).join(", ")}`);

/** Writes the synthetic checkpoint unless a complete one is there. */
async function syntheticCheckpoint(dir: string): Promise<void> {
  const done = join(dir, "complete");
  if (await Deno.stat(done).then(() => true, () => false)) return;
  await Deno.mkdir(dir, { recursive: true });
  const tensors = expectedTensors(config);
  const per = Math.ceil(tensors.length / SHARDS);
  const weightMap: Record<string, string> = {};
  const random = createRandom(2026);
  const started = performance.now();
  for (let s = 0; s < SHARDS; s++) {
    const file = `model-${String(s + 1).padStart(5, "0")}-of-${
      String(SHARDS).padStart(5, "0")
    }.safetensors`;
    const part = tensors.slice(s * per, (s + 1) * per);
    const writer = await SafetensorsWriter.create(
      join(dir, file),
      part.map(({ name, shape }) => ({ name, dtype: "BF16" as const, shape })),
      { format: "pt" },
    );
    for (const { name, shape } of part) {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(n);
      if (name.endsWith("norm.weight")) values.fill(1);
      else for (let i = 0; i < n; i++) values[i] = 0.04 * (random.uniform() - 0.5);
      await writer.write(name, float32ToBfloat16(values));
      weightMap[name] = file;
    }
    await writer.close();
  }
  await Deno.writeTextFile(
    join(dir, "model.safetensors.index.json"),
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify(llamaConfigJson(config, "BF16"), null, 2),
  );
  if (values.offline) await Deno.writeFile(join(dir, "tokenizer.bin"), syntheticTokenizer());
  else await Deno.copyFile((await ensureStories15M()).tokenizer, join(dir, "tokenizer.bin"));
  await Deno.writeTextFile(done, "");
  console.log(
    `Wrote the synthetic checkpoint in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/**
 * A llama2.c tokenizer.bin of the model's vocabulary with made-up pieces: `<unk>`, BOS, EOS, the
 * 256 byte tokens, then "t<id>". Enough for sampled calibration, which needs only BOS.
 */
function syntheticTokenizer(): Uint8Array {
  const pieces = Array.from({ length: config.vocabSize }, (_, id) =>
    new TextEncoder().encode(
      id === 0
        ? "<unk>"
        : id === 1
        ? "\n<s>\n"
        : id === 2
        ? "\n</s>\n"
        : id < 259
        ? `<0x${(id - 3).toString(16).toUpperCase().padStart(2, "0")}>`
        : `t${id}`,
    ));
  const bytes = new Uint8Array(4 + pieces.reduce((a, p) => a + 8 + p.length, 0));
  const view = new DataView(bytes.buffer);
  view.setInt32(0, Math.max(...pieces.map((p) => p.length)), true);
  let offset = 4;
  pieces.forEach((piece, id) => {
    view.setFloat32(offset, -id, true);
    view.setInt32(offset + 4, piece.length, true);
    bytes.set(piece, offset + 8);
    offset += 8 + piece.length;
  });
  return bytes;
}

/** A peak memory for the output: MiB, or "unknown" without GNU time. */
function mib(peak: number): string {
  return Number.isNaN(peak) ? "unknown" : `${peak.toFixed(0)} MiB`;
}

/** GNU time, where installed: it reports a command's peak memory. */
const GNU_TIME = await Deno.stat("/usr/bin/time").then(() => true, () => false);

/**
 * Seconds and peak memory (max RSS, MiB; NaN without GNU time) of one command in a fresh
 * process.
 */
async function timed(args: string[], cwd?: string): Promise<{ seconds: number; peak: number }> {
  const started = performance.now();
  const result = await new Deno.Command(GNU_TIME ? "/usr/bin/time" : Deno.execPath(), {
    args: GNU_TIME ? ["-v", Deno.execPath(), ...args] : args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  const stderr = new TextDecoder().decode(result.stderr);
  if (result.code !== 0) {
    console.error(stderr);
    Deno.exit(1);
  }
  const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]) / 1024;
  return { seconds, peak };
}

const model = join(
  cacheDirectory(),
  "synthetic",
  `${values.shape === "tinyllama" ? "tinyllama-1.1b" : values.shape}-bf16${
    values.offline ? "-offline" : ""
  }`,
);
await syntheticCheckpoint(model);
const work = await Deno.makeTempDir({ prefix: "sparseswaps-bench-scale-" });
const mod = new URL("../mod.ts", import.meta.url).pathname;
try {
  const calib = join(work, "moby-dick.txt");
  if (!values.offline) await Deno.writeTextFile(calib, await mobyDick());
  const calibration = [
    "--model",
    model,
    ...(values.offline ? [] : ["--calib", calib]),
    "--nsamples",
    values.nsamples ?? "2",
    "--seqlen",
    values.seqlen ?? "64",
    "--eval-windows",
    "0",
  ];
  if (values.jobs !== undefined) await layerJobs(calibration, values.jobs.split(","));
  else await oneShot(calibration);
} finally {
  await Deno.remove(work, { recursive: true });
}

/** `prune` in one process: Wanda, no refinement unless the extra flags ask for it. */
async function oneShot(calibration: string[]): Promise<void> {
  const args = [
    "run",
    "-A",
    mod,
    "prune",
    ...calibration,
    "--refine",
    "none",
    ...positionals,
    "--out",
    join(work, "pruned"),
    "--quiet",
    "--json",
  ];
  const { seconds, peak } = await timed(args);
  const report = JSON.parse(await Deno.readTextFile(join(work, "pruned", "report.json")));
  console.log(`Command: deno run -A mod.ts prune ${args.slice(4).join(" ")}`);
  console.log(`Wall time: ${seconds.toFixed(1)} s; peak memory (max RSS): ${mib(peak)}`);
  console.log(
    `Phases: ${
      Object.entries(report.timings as Record<string, number>).map(([k, v]) =>
        `${k} ${v.toFixed(1)} s`
      )
        .join(", ")
    }`,
  );
  console.log(
    `Sparsity ${
      (100 * report.summary.sparsity).toFixed(2)
    }%, backend ${report.settings.backend_description}`,
  );
}

/**
 * `prune --plan` (dense calibration, prune's default method unless the extra flags change it),
 * then the named layers' jobs of block 0 (q, k, v, o, gate, up, down), each in its own process:
 * what a batch system's job needs, in seconds and memory.
 */
async function layerJobs(calibration: string[], layers: string[]): Promise<void> {
  const jobdir = join(work, "jobs");
  const plan = ["run", "-A", mod, "prune", ...calibration, "--calibration", "dense"];
  const planned = await timed([...plan, ...positionals, "--plan", jobdir, "--quiet"]);
  console.log(
    `Command: deno run -A mod.ts prune ${
      [...plan.slice(4), ...positionals].join(" ")
    } --plan JOBDIR`,
  );
  console.log(
    `Plan: ${planned.seconds.toFixed(1)} s, peak memory ${mib(planned.peak)}, JOBDIR ${
      (await directoryBytes(jobdir) / 2 ** 30).toFixed(2)
    } GiB`,
  );
  const names = ["q", "k", "v", "o", "gate", "up", "down"];
  console.log(
    "| job (block 0) | rows × d | seconds | peak memory | swaps | iterations |\n|---|---|---|---|---|---|",
  );
  for (const layer of layers) {
    const index = names.indexOf(layer);
    if (index < 0) throw new Error(`--jobs: unknown layer "${layer}" (${names.join(", ")})`);
    const { seconds, peak } = await timed(
      ["run", "-A", mod, "job", "--index", String(index), "--quiet"],
      jobdir,
    );
    const tensor = expectedTensors(config).find((t) =>
      t.name.startsWith(`model.layers.0.`) && t.name.includes(`.${layer}_proj.`)
    )!;
    const shape = tensor.shape.join(" × ");
    using result = await SafetensorsFile.open(
      join(jobdir, "results", `${String(index).padStart(5, "0")}.safetensors`),
    );
    const report = JSON.parse(result.header.metadata.report);
    console.log(
      `| ${layer} | ${shape} | ${seconds.toFixed(1)} | ${
        mib(peak)
      } | ${report.swaps} | ${report.iterations} |`,
    );
  }
}

/** Bytes of the files under a directory. */
async function directoryBytes(dir: string): Promise<number> {
  let bytes = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    bytes += entry.isDirectory ? await directoryBytes(path) : (await Deno.stat(path)).size;
  }
  return bytes;
}
