/**
 * The browser bundle in headless Chromium (Debian's `chromium`, driven by npm puppeteer-core),
 * served by web/serve.ts with cross-origin isolation: the wasm backend runs on 2 worker threads
 * and gives Deno's masks exactly, the WebGPU backend (SwiftShader) reaches the reference's error,
 * and the page's browser checks render. Skipped, saying why, where no Chromium is installed (.ci/run
 * installs it).
 */

import assert, { assertClose } from "./assert.ts";
import * as lib from "../lib.ts";
import { serveWeb } from "../web/serve.ts";
import { chromiumTest } from "./_chromium.ts";

/** What the page computes: a generated layer refined on one backend. */
interface Refined {
  readonly description: string;
  readonly mask: number[];
  readonly errorAfter: number;
  readonly errorBefore: number;
}

/**
 * Refines a generated layer with a library module on one backend. Runs in Deno and, as source,
 * in the page: it only uses what it is given.
 */
async function refineGenerated(
  library: typeof lib,
  backend: "wasm" | "webgpu" | "reference",
  variant?: "simd" | "relaxed",
): Promise<Refined> {
  const rows = 24;
  const d = 64;
  const layer = library.syntheticLayer({ rows, d, tokens: 160, seed: 9 });
  const kernels = backend === "wasm"
    ? await library.createWasmKernels({ threads: 2, variant })
    : backend === "webgpu"
    ? await library.createWebGpuKernels({ allowFallback: true })
    : library.createReferenceKernels();
  try {
    const gram = await kernels.createGram({ d, values: layer.gram });
    const pattern = { kind: "per-row", sparsity: 0.6 } as const;
    const gramDiagonal = library.gramDiagonal(layer.gram, d);
    const mask = library.warmStartMask({
      method: "wanda",
      weight: layer.weight,
      rows,
      d,
      gramDiagonal,
      pattern,
    });
    const result = await library.refineSparseSwaps({
      kernels,
      gram,
      weight: layer.weight,
      rows,
      d,
      mask,
      pattern,
      maxIters: 30,
    });
    const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
    return {
      description: kernels.description,
      mask: [...result.mask],
      errorBefore: sum(result.errorBefore),
      errorAfter: sum(result.errorAfter),
    };
  } finally {
    kernels.dispose();
  }
}

chromiumTest(
  "the browser bundle in headless Chromium: wasm on 2 threads as in Deno, WebGPU (SwiftShader) at the reference's error, the status page rendered; without isolation, wasm on 1 thread with the reason",
  async (browser, url) => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction('!document.body.innerText.includes("checking…")');
    const text = await page.evaluate("document.body.innerText") as string;
    assert.match(text, /cross-origin isolated \(wasm threads\)\s+true/);
    assert.match(text, /backend auto chose\s+\S/);
    const screenshot = await page.screenshot({ type: "png" });
    // A blank page compresses to a few hundred bytes; text and a table do not.
    assert.ok(screenshot.length > 5000, `screenshot of ${screenshot.length} bytes looks blank`);

    const run = (backend: string, variant?: string) =>
      page.evaluate(
        async (bundle: string, source: string, backend: string, variant?: string) => {
          const library = await import(bundle);
          // deno-lint-ignore no-explicit-any
          const refine = (0, eval)(`(${source})`) as (...args: any[]) => Promise<unknown>;
          return await refine(library, backend, variant);
        },
        new URL("dist/sparseswaps.js", url).href,
        refineGenerated.toString(),
        backend,
        variant,
      ) as Promise<Refined>;

    const wasm = await run("wasm");
    assert.match(wasm.description, /2 threads/);
    const variant = /relaxed/.test(wasm.description) ? "relaxed" : "simd";
    const inDeno = await refineGenerated(lib, "wasm", variant);
    assert.deepEqual(wasm, inDeno);
    assert.ok(wasm.errorAfter < wasm.errorBefore);

    const reference = await refineGenerated(lib, "reference");
    const gpu = await run("webgpu").catch((error) => error as Error);
    if (gpu instanceof Error) throw new Error(`WebGPU in Chromium: ${gpu.message}`);
    assertClose(gpu.errorAfter, reference.errorAfter, 1e-4, "WebGPU final error");
    const kept = (mask: number[], r: number) =>
      mask.slice(r * 64, (r + 1) * 64).reduce((a, b) => a + b);
    for (let r = 0; r < 24; r++) assert.equal(kept(gpu.mask, r), 64 - Math.floor(64 * 0.6));

    // A static host without the isolation headers: no shared memory, so wasm runs on one
    // thread, says why, and computes the same masks.
    const plain = serveWeb(0, false);
    try {
      await page.goto(plain.url);
      await page.waitForFunction('!document.body.innerText.includes("checking…")');
      const status = await page.evaluate("document.body.innerText") as string;
      assert.match(status, /cross-origin isolated \(wasm threads\)\s+false/);
      assert.match(
        status,
        /backend auto chose\s+WebAssembly SIMD, 1 thread \(no shared memory for worker threads: the page is not cross-origin isolated/,
      );
      const single = await page.evaluate(
        async (bundle: string, source: string) => {
          const library = await import(bundle);
          // deno-lint-ignore no-explicit-any
          const refine = (0, eval)(`(${source})`) as (...args: any[]) => Promise<unknown>;
          return await refine(library, "wasm");
        },
        new URL("dist/sparseswaps.js", plain.url).href,
        refineGenerated.toString(),
      ) as Refined;
      const simd = await refineGenerated(lib, "wasm", "simd");
      assert.match(single.description, /1 thread/);
      assert.deepEqual({ ...single, description: "" }, { ...simd, description: "" });
    } finally {
      await plain.shutdown();
    }
  },
);
