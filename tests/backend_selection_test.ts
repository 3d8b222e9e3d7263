/**
 * Which backend `auto` picks, and the messages of a WebGPU backend that cannot run.
 */

import assert from "./assert.ts";
import { runCli } from "./_cli.ts";
import { refineArgs, writeLayerFiles } from "./_files.ts";
import { createKernels } from "../core/backend.ts";
import { createWebGpuKernels } from "../core/backends/webgpu.ts";

/** Runs `body` with navigator.gpu replaced by a stub whose adapter request answers `adapter`. */
async function withAdapter(adapter: unknown, body: () => Promise<void>): Promise<void> {
  Object.defineProperty(navigator, "gpu", {
    value: { requestAdapter: () => Promise.resolve(adapter) },
    configurable: true,
  });
  try {
    await body();
  } finally {
    delete (navigator as unknown as Record<string, unknown>).gpu;
  }
}

Deno.test("auto never picks a software GPU adapter: without a hardware GPU it runs on wasm", async () => {
  const adapter = await navigator.gpu?.requestAdapter();
  const software = !adapter || (adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const kernels = await createKernels("auto");
  try {
    assert.equal(kernels.name, software ? "wasm" : "webgpu");
  } finally {
    kernels.dispose();
  }
});

Deno.test("the WebGPU backend says why it cannot run: no adapter, or only a software one", async () => {
  await withAdapter(null, async () => {
    await assert.rejects(
      () => createWebGpuKernels(),
      /Backend "webgpu" is not available: no WebGPU adapter found/,
    );
    const dir = await Deno.makeTempDir();
    try {
      const layer = await writeLayerFiles(dir, 4, 8, 1);
      const result = await runCli([
        ...refineArgs(layer),
        "--sparsity",
        "0.5",
        "--backend",
        "webgpu",
        "--out",
        `${dir}/out.safetensors`,
      ]);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /^error: Backend "webgpu" is not available: no WebGPU adapter found\n$/,
      );
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
        "G.safetensors",
        "W.safetensors",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    const kernels = await createKernels("auto");
    assert.equal(kernels.name, "wasm");
    kernels.dispose();
  });
  const software = { info: { isFallbackAdapter: true, description: "llvmpipe" }, limits: {} };
  await withAdapter(software, async () => {
    await assert.rejects(
      () => createWebGpuKernels(),
      /only a software adapter is available \(llvmpipe\)/,
    );
  });
});
