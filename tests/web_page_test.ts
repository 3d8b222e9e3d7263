/**
 * The pruning page (web/index.html) in headless Chromium, served by web/serve.ts: it prunes
 * stories15M end to end in its worker and offers exactly the files pruneInMemory makes in Deno
 * with the same settings and backend; the refine panel refines dropped files as Deno does; bad
 * input gives a message in the page, offers nothing, and the page keeps working. Skipped, saying
 * why, where no Chromium is installed (.ci/run installs it).
 */

import assert, { assertClose } from "./assert.ts";
import { chromiumTest, launchChromium } from "./_chromium.ts";
import type { Page } from "puppeteer-core";
import { createWasmKernels } from "../core/backends/wasm.ts";
import { parsePatternFlags, parseRunSettings } from "../core/flags.ts";
import { openLocalFile } from "../core/local_files.ts";
import { openModelSource } from "../core/model/source.ts";
import { ensureStories15M, mobyDick } from "../core/model/stories15m.ts";
import { readRefineInput, refineLayerInput } from "../core/refine_files.ts";
import { pruneInMemory } from "../core/run.ts";
import { encodeSafetensors, SafetensorsFile } from "../core/safetensors.ts";
import { bytesSource } from "../core/files.ts";
import { syntheticLayer } from "../core/synthetic.ts";

/** The page's fields for a small run, by element id (prune's flags). */
const SMALL_RUN = { nsamples: "2", seqlen: "16", "max-iters": "5", "eval-windows": "1" };

async function hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Fills the page's form for a small run on the wasm backend. */
async function smallRunOnWasm(page: Page): Promise<void> {
  for (const [id, value] of Object.entries(SMALL_RUN)) {
    await page.$eval(`#${id}`, (el, v) => ((el as unknown as { value: string }).value = v), value);
  }
  await page.select("#backend", "wasm");
}

/** Clicks a form's button and waits until the run finished or failed; returns the message. */
async function run(page: Page, button: string, finished: string): Promise<string | undefined> {
  await page.click(button);
  await page.waitForFunction(
    `${finished} || !document.getElementById("message").hidden`,
    { timeout: 600_000 },
  );
  return await page.$eval(
    "#message",
    (el) => (el as unknown as { hidden: boolean }).hidden ? undefined : el.textContent!,
  );
}

/** The offered downloads: name → bytes, fetched inside the page from their blob URLs. */
async function downloads(
  page: Page,
  selector: string,
): Promise<Map<string, Uint8Array<ArrayBuffer>>> {
  const files = await page.$$eval(selector, async (links) =>
    await Promise.all(
      (links as unknown as { download: string; href: string }[]).map(async (a) =>
        [a.download, [...new Uint8Array(await (await fetch(a.href)).arrayBuffer())]] as const
      ),
    ));
  return new Map(files.map(([name, bytes]) => [name, new Uint8Array(bytes)]));
}

/** Picks files in a file input, as a user would. */
async function pick(page: Page, input: string, paths: string[]): Promise<void> {
  const handle = await page.$(input);
  await (handle as unknown as { uploadFile(...paths: string[]): Promise<void> }).uploadFile(
    ...paths,
  );
}

chromiumTest(
  "the pruning page in headless Chromium prunes stories15M in its worker to exactly pruneInMemory's files, refines dropped files as Deno does, and answers bad input with a message and nothing offered",
  async (browser, url, stopServer) => {
    const dir = await Deno.makeTempDir({ prefix: "sparseswaps-page-" });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForFunction('!document.body.innerText.includes("checking…")');
      await smallRunOnWasm(page);
      const message = await run(page, "#prune", '!document.getElementById("results").hidden');
      assert.equal(message, undefined);
      const text = await page.evaluate("document.body.innerText") as string;
      assert.match(text, /Done in [\d.]+ s on wasm/);
      assert.match(text, /prune\s+42\/42 layers · block 5 mlp\.down_proj: error −\d/);
      assert.match(text, /in_domain\s+\d+\.\d{3}\s+\d+\.\d{3}\s+1/);
      assert.ok(await page.$("#chart svg"), "the error-reduction chart is drawn");
      const offered = await downloads(page, "#downloads a");
      assert.deepEqual([...offered.keys()].sort(), [
        "config.json",
        "error_reduction.svg",
        "masks.safetensors",
        "model.safetensors",
        "report.json",
        "report.md",
        "tokenizer.bin",
      ]);
      const screenshot = await page.screenshot({ type: "png", fullPage: true });
      // A blank page compresses to a few kB; the form, bars, table and chart do not.
      assert.ok(screenshot.length > 50_000, `screenshot of ${screenshot.length} bytes looks blank`);

      // Deno, same model, settings and wasm build and threads: the same files, byte for byte.
      const report = JSON.parse(new TextDecoder().decode(offered.get("report.json")));
      const threads = Number(/(\d+) threads?/.exec(report.settings.backend_description)![1]);
      const variant = /relaxed/.test(report.settings.backend_description) ? "relaxed" : "simd";
      const files = await ensureStories15M();
      const source = await openModelSource({
        name: "stories15M",
        model: await openLocalFile(files.checkpoint),
        tokenizer: await openLocalFile(files.tokenizer),
      });
      const kernels = await createWasmKernels({ threads, variant });
      const flags = JSON.parse(
        await page.$eval(
          "#prune-form",
          (f) => (f as unknown as { dataset: { flags: string } }).dataset.flags,
        ),
      );
      assert.equal(flags.nsamples, SMALL_RUN.nsamples);
      const inDeno = await pruneInMemory({
        kernels,
        source,
        settings: parseRunSettings(flags),
        mobyDick,
      });
      kernels.dispose();
      source.checkpoint.close();
      for (
        const name of ["model.safetensors", "masks.safetensors", "config.json", "tokenizer.bin"]
      ) {
        assert.equal(
          await hex(offered.get(name)!),
          await hex(inDeno.files.get(name)! as Uint8Array<ArrayBuffer>),
          name,
        );
      }
      // The weights are the same bits; a perplexity may differ in its last bit, as Math.exp and
      // Math.log may between the two engines' V8 builds.
      for (const [set, p] of Object.entries(inDeno.report.perplexity)) {
        assertClose(report.perplexity[set].pruned, p.pruned, 1e-12, `${set} pruned perplexity`);
        assertClose(report.perplexity[set].dense, p.dense, 1e-12, `${set} dense perplexity`);
      }
      assert.deepEqual(
        report.layers.map(({ seconds: _, ...rest }: { seconds: number }) => rest),
        inDeno.report.layers.map(({ seconds: _, ...rest }) => rest),
      );

      // Bad input: a message in the page, nothing offered, and the page still works after it.
      await Deno.writeTextFile(`${dir}/notes.txt`, "not a model");
      const model = await Deno.readFile(files.checkpoint);
      await Deno.writeFile(`${dir}/garbage.bin`, model.subarray(0, 4096).reverse());
      await Deno.copyFile(files.tokenizer, `${dir}/tokenizer.bin`);
      await Deno.mkdir(`${dir}/hf`);
      await Deno.writeTextFile(
        `${dir}/hf/config.json`,
        JSON.stringify({
          architectures: ["LlamaForCausalLM"],
          hidden_size: 8,
          intermediate_size: 16,
          num_hidden_layers: 1,
          num_attention_heads: 2,
          vocab_size: 32000,
          max_position_embeddings: 32,
        }),
      );
      const truncated = encodeSafetensors({
        "model.embed_tokens.weight": {
          dtype: "F32",
          shape: [32000, 8],
          data: new Float32Array(32000 * 8),
        },
      });
      await Deno.writeFile(
        `${dir}/hf/model.safetensors`,
        truncated.subarray(0, truncated.length - 1000),
      );
      const bad: [string[], RegExp][] = [
        [[`${dir}/notes.txt`], /Pick a model: .*got: notes\.txt/],
        [
          [`${dir}/garbage.bin`, `${dir}/tokenizer.bin`],
          /Model "garbage\.bin" is not a llama2\.c checkpoint/,
        ],
        [
          [`${dir}/hf/config.json`, `${dir}/hf/model.safetensors`],
          /Invalid safetensors file ".*\/model\.safetensors": .* out of range/,
        ],
      ];
      for (const [paths, expected] of bad) {
        await pick(page, "#model-files", paths);
        const refused = await run(page, "#prune", '!document.getElementById("results").hidden');
        assert.match(refused ?? "(no message)", expected);
        assert.equal(await page.$$eval("#downloads a", (links) => links.length), 0);
        assert.equal(
          await page.$eval("#prune", (b) => (b as unknown as { disabled: boolean }).disabled),
          false,
        );
      }

      // The refine panel: W and G as files, the same mask and error as refine in Deno.
      const layer = syntheticLayer({ rows: 12, d: 48, tokens: 96, seed: 4 });
      const w = encodeSafetensors({
        weight: { dtype: "F32", shape: [12, 48], data: layer.weight },
      });
      const g = encodeSafetensors({ gram: { dtype: "F64", shape: [48, 48], data: layer.gram } });
      await Deno.writeFile(`${dir}/W.safetensors`, w);
      await Deno.writeFile(`${dir}/G.safetensors`, g);
      await pick(page, "#refine-weight", [`${dir}/W.safetensors`]);
      await pick(page, "#refine-gram", [`${dir}/G.safetensors`]);
      await page.select("#backend", "wasm");
      const refineMessage = await run(
        page,
        "#refine-button",
        '!!document.querySelector("#refine-result a")',
      );
      assert.equal(refineMessage, undefined);
      const refined = (await downloads(page, "#refine-result a")).get("refined.safetensors")!;
      using file = await SafetensorsFile.from(bytesSource("refined.safetensors", refined));
      const pattern = parsePatternFlags("0.6", undefined, "0.6");
      const denoKernels = await createWasmKernels({ threads, variant });
      const expected = await refineLayerInput({
        input: await readRefineInput({
          weight: bytesSource("W", w),
          gram: bytesSource("G", g),
          pattern,
        }),
        kernels: denoKernels,
        pattern,
        warmStart: "wanda",
        maxIters: 100,
        format: "dense",
      });
      denoKernels.dispose();
      assert.deepEqual([...(await file.read("mask")).bytes], [
        ...(await SafetensorsFile.from(bytesSource("x", expected.bytes)).then((f) =>
          f.read("mask")
        )).bytes,
      ]);
      assert.equal(Number(file.header.metadata.error_after), expected.summary.error_after);
      assert.ok(expected.summary.error_after < expected.summary.error_before);

      // WebGPU asked for where the browser has none: said in the page.
      const noGpu = await launchChromium(false);
      try {
        const plain = await noGpu.newPage();
        await plain.goto(url);
        await plain.waitForFunction('!document.body.innerText.includes("checking…")');
        await plain.select("#backend", "webgpu");
        const refusal = await run(
          plain,
          "#refine-button",
          '!!document.querySelector("#refine-result a")',
        )
          .catch(() => "(no message)");
        assert.match(refusal ?? "(no message)", /W \(tensor "weight"\) and G/);
        await pick(plain, "#refine-weight", [`${dir}/W.safetensors`]);
        await pick(plain, "#refine-gram", [`${dir}/G.safetensors`]);
        const gpuRefusal = await run(
          plain,
          "#refine-button",
          '!!document.querySelector("#refine-result a")',
        );
        assert.match(
          gpuRefusal ?? "(no message)",
          /Backend "webgpu" is not available: (WebGPU is not available|no WebGPU adapter found)/,
        );
      } finally {
        await noGpu.close();
      }

      // Offline once loaded: with the server gone, the page reloads from its service worker's
      // cache and prunes the model its worker cached, to the same files.
      await page.evaluate("navigator.serviceWorker.ready.then(() => true)");
      await stopServer();
      await page.reload();
      await page.waitForFunction('!document.body.innerText.includes("checking…")');
      await smallRunOnWasm(page);
      await page.click("#model-choice-stories");
      const offline = await run(page, "#prune", '!document.getElementById("results").hidden');
      assert.equal(offline, undefined);
      const again = await downloads(page, "#downloads a");
      assert.equal(
        await hex(again.get("model.safetensors")!),
        await hex(offered.get("model.safetensors")!),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
