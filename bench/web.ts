/**
 * The web page's default run, timed: headless Chromium (Debian `chromium`) opens the page served
 * by web/serve.ts, prunes stories15M with the form's defaults on the backend `auto` picks, and
 * the same run goes through pruneInMemory in Deno on the same wasm build and threads, side by
 * side, so the browser's overhead reads as a ratio. Optionally saves a screenshot of the
 * finished page.
 *
 *     deno task bench:web [--backend auto|wasm|webgpu|reference] [--screenshot FILE.png]
 *
 * @module
 */

// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import { launchChromium } from "../tests/_chromium.ts";
import { serveWeb } from "../web/serve.ts";
import { createWasmKernels } from "../core/backends/wasm.ts";
import { parseRunSettings } from "../core/flags.ts";
import { openLocalFile } from "../core/local_files.ts";
import { openModelSource } from "../core/model/source.ts";
import { ensureStories15M, mobyDick } from "../core/model/stories15m.ts";
import { pruneInMemory } from "../core/run.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { backend: { type: "string", default: "auto" }, screenshot: { type: "string" } },
});

const server = serveWeb(0);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 900, height: 800 });
  await page.goto(server.url);
  await page.waitForFunction('!document.body.innerText.includes("checking…")');
  await page.select("#backend", values.backend!);
  // A first run loads stories15M into the page's cache; the timed run starts from there.
  for (const run of ["warm-up", "timed"]) {
    const started = performance.now();
    await page.click("#prune");
    await page.waitForFunction(
      '!document.getElementById("results").hidden || !document.getElementById("message").hidden',
      { timeout: 3_600_000 },
    );
    const seconds = (performance.now() - started) / 1000;
    const failed = await page.$eval("#message", (m) => m.textContent);
    if (await page.$eval("#message", (m) => !(m as unknown as { hidden: boolean }).hidden)) {
      throw new Error(`The page failed: ${failed}`);
    }
    if (run === "warm-up") continue;
    const flags = JSON.parse(
      await page.$eval(
        "#prune-form",
        (f) => (f as unknown as { dataset: { flags: string } }).dataset.flags,
      ),
    );
    const report = JSON.parse(
      await page.$eval(
        "#downloads a[download='report.json']",
        async (a) => await (await fetch((a as unknown as { href: string }).href)).text(),
      ),
    );
    const description: string = report.settings.backend_description;
    console.log(`page: ${seconds.toFixed(1)} s wall (click to download links) on ${description}`);
    console.log(`  flags ${JSON.stringify(flags)}`);
    console.log(`  phases ${JSON.stringify(report.timings)}`);
    console.log(`  perplexity ${JSON.stringify(report.perplexity)}`);
    if (values.screenshot) {
      await Deno.writeFile(
        values.screenshot,
        await page.screenshot({ type: "png", fullPage: true }),
      );
      console.log(`  screenshot ${values.screenshot}`);
    }
    if (report.settings.backend === "wasm") {
      const threads = Number(/(\d+) threads?/.exec(description)![1]);
      const variant = /relaxed/.test(description) ? "relaxed" : "simd";
      const files = await ensureStories15M();
      const source = await openModelSource({
        name: "stories15M",
        model: await openLocalFile(files.checkpoint),
        tokenizer: await openLocalFile(files.tokenizer),
      });
      const kernels = await createWasmKernels({ threads, variant });
      const t0 = performance.now();
      const inDeno = await pruneInMemory({
        kernels,
        source,
        settings: parseRunSettings(flags),
        mobyDick,
      });
      const denoSeconds = (performance.now() - t0) / 1000;
      kernels.dispose();
      source.checkpoint.close();
      // Math.exp and Math.log may differ in the last bit between the two engines' V8 builds.
      const difference = Math.max(
        ...Object.entries(report.perplexity).map(([set, p]) => {
          const q = inDeno.report.perplexity[set];
          const pruned = (p as { pruned: number }).pruned;
          return Math.abs(pruned - q.pruned) / q.pruned;
        }),
      );
      console.log(
        `deno: ${denoSeconds.toFixed(1)} s (pruneInMemory, ${kernels.description}); page / deno ${
          (seconds / denoSeconds).toFixed(2)
        }; largest relative difference of a pruned perplexity ${difference.toExponential(1)}`,
      );
    }
  }
} finally {
  await browser.close();
  await server.shutdown();
}
