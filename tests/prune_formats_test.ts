/**
 * `prune` and `eval` end to end on the checkpoint shapes users bring: shards, 16-bit floats,
 * LLaMA 3.1 rope scaling, a head size that is not hidden / heads, and a Hugging Face
 * tokenizer.json.
 */

import { localDirectory } from "../core/local_files.ts";
import assert from "./assert.ts";
import { runCli } from "./_cli.ts";
import { checkOutput } from "./_outputs.ts";
import {
  type HuggingFaceLayout,
  TINY_TEXT_MODEL,
  tinyHuggingFaceTokenizer,
  tinyTokenizerBytes,
  tinyWeights,
  writeHuggingFace,
} from "./_tiny_model.ts";
import { openCheckpoint } from "../core/model/checkpoint.ts";
import type { LlamaConfig } from "../core/model/config.ts";
import { loadHuggingFaceTokenizer } from "../core/model/tokenizer.ts";

const FAST = ["--nsamples", "4", "--seqlen", "16", "--max-iters", "10", "--eval-windows", "1"];

/** Prunes a model written with `layout` and checks the output tensor by tensor. */
async function pruneAndCheck(
  config: LlamaConfig,
  layout: HuggingFaceLayout,
  tokenizer: "bin" | "json" = "bin",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-formats-" });
  try {
    const model = `${dir}/model`;
    await writeHuggingFace(model, tinyWeights(9, config), config, layout);
    if (tokenizer === "bin") await Deno.writeFile(`${model}/tokenizer.bin`, tinyTokenizerBytes());
    else {
      await Deno.writeTextFile(
        `${model}/tokenizer.json`,
        JSON.stringify(tinyHuggingFaceTokenizer()),
      );
    }
    const out = `${dir}/out`;
    const result = await runCli(["prune", "--model", model, ...FAST, "--out", out, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    assert.ok(summary.perplexity.in_domain.pruned > 1 && summary.perplexity.moby_dick.dense > 1);

    await checkOutput(model, out, { kind: "per-row", sparsity: 0.6 });
    using output = await openCheckpoint(out);
    assert.equal(output.config.headDim, config.headDim);
    // The output's config is the input's, byte for byte (rope scaling, head_dim, dtype).
    assert.deepEqual(
      await Deno.readFile(`${out}/config.json`),
      await Deno.readFile(`${model}/config.json`),
    );
    await Deno.writeTextFile(
      `${dir}/text.txt`,
      "the cat sat on the mat, and the dog ran. ".repeat(8),
    );
    const evaluated = await runCli([
      "eval",
      "--model",
      out,
      "--text",
      `${dir}/text.txt`,
      "--seqlen",
      "16",
      "--json",
    ]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.ok(JSON.parse(evaluated.stdout.at(-1)!).perplexity > 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("prune reads a sharded BF16 checkpoint and writes BF16 under the same names", async () => {
  await pruneAndCheck(TINY_TEXT_MODEL, { dtype: "BF16", shards: 3 });
});

Deno.test("prune reads an F16 checkpoint and writes F16", async () => {
  await pruneAndCheck(TINY_TEXT_MODEL, { dtype: "F16" });
});

Deno.test("prune runs a LLaMA 3.1 model with rope scaling and keeps its config", async () => {
  await pruneAndCheck(TINY_TEXT_MODEL, {
    config: {
      rope_theta: 500000,
      rope_scaling: {
        rope_type: "llama3",
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 8,
      },
    },
  });
});

Deno.test("prune runs a model whose head size is not hidden / heads (o_proj reads 32 of 16)", async () => {
  await pruneAndCheck({ ...TINY_TEXT_MODEL, headDim: 8 }, {});
});

Deno.test("prune and eval use a Hugging Face tokenizer.json (special tokens in vocab and added_tokens)", async () => {
  // Exactly as many embeddings as ids, as LLaMA 2 has: vocabulary plus added tokens would be 63.
  await pruneAndCheck({ ...TINY_TEXT_MODEL, vocabSize: 60 }, {}, "json");
});

Deno.test("a Hugging Face tokenizer's size is its largest id + 1, not vocabulary plus added tokens", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/tokenizer.json`, JSON.stringify(tinyHuggingFaceTokenizer()));
    const tokenizer = await loadHuggingFaceTokenizer(localDirectory(dir), 1);
    assert.equal(tokenizer.vocabSize, 3 + 1 + 28 + 28);
    const ids = tokenizer.encode("the cat");
    assert.equal(ids[0], 1);
    assert.ok(ids.every((id) => id < tokenizer.vocabSize));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
