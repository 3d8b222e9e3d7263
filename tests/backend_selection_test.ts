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

const software = await navigator.gpu?.requestAdapter();
Deno.test({
  name: software
    ? "a failed WebGPU dispatch is an error naming the step, never zeros read back"
    : "a failed WebGPU dispatch is an error naming the step SKIPPED (no WebGPU adapter)",
  ignore: !software,
  sanitizeResources: false,
  fn: async () => {
    const kernels = await createWebGpuKernels({ allowFallback: true });
    try {
      const gram = await kernels.createGram({ d: 4, values: new Float64Array(16).fill(1) });
      const batch = await kernels.loadRows({
        weight: new Float32Array(8).fill(1),
        mask: new Uint8Array([1, 0, 1, 0, 1, 1, 0, 0]),
        rows: 2,
        d: 4,
      });
      assert.deepEqual([...await kernels.correlate({ gram, batch })], [4, 4]);
      kernels.release(gram); // destroys G's buffers: using them again is invalid
      await assert.rejects(
        () => kernels.correlate({ gram, batch }),
        /WebGPU validation error while running correlate/,
      );
    } finally {
      kernels.dispose();
    }
    await assert.rejects(
      () => kernels.createGram({ d: 2 }),
      /The WebGPU kernels were disposed/,
    );
  },
});

Deno.test("auto lets a broken backend's error through instead of silently picking another", async () => {
  const failing = {
    info: { isFallbackAdapter: false, description: "stub" },
    limits: { maxStorageBufferBindingSize: 1 << 20, maxBufferSize: 1 << 20 },
    requestDevice: () =>
      Promise.resolve({
        limits: { maxStorageBufferBindingSize: 1 << 20, maxBufferSize: 1 << 20 },
        pushErrorScope: () => {},
        popErrorScope: () => Promise.resolve({ message: "shader does not compile" }),
        createShaderModule: () => ({}),
        createComputePipeline: () => ({}),
      }),
  };
  await withAdapter(failing, async () => {
    await assert.rejects(() => createKernels("auto"), /A WGSL shader failed to compile/);
  });
  const noDevice = { ...failing, requestDevice: () => Promise.reject(new Error("lost")) };
  await withAdapter(noDevice, async () => {
    const kernels = await createKernels("auto");
    assert.equal(kernels.name, "wasm");
    kernels.dispose();
  });
});

Deno.test("auto says which backends it skipped and why, on stderr and in the summary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const layer = await writeLayerFiles(dir, 4, 16, 3);
    const result = await runCli([
      ...refineArgs(layer),
      "--sparsity",
      "0.5",
      "--out",
      `${dir}/o.safetensors`,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    if (summary.backend === "webgpu") {
      assert.equal(summary.backend_skipped, undefined); // a hardware GPU: nothing skipped
    } else {
      assert.match(summary.backend_skipped, /^webgpu: \S/);
      assert.match(result.stderr, /Backend auto: skipped webgpu \(.+\)\n/);
    }
    const quiet = await runCli([
      ...refineArgs(layer),
      "--sparsity",
      "0.5",
      "--out",
      `${dir}/o.safetensors`,
      "--quiet",
    ]);
    assert.doesNotMatch(quiet.stderr, /skipped/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
