/**
 * The committed generated modules (the CPU backend's wasm, the GPU backend's shaders) must match
 * their sources, and the wasm must load outside Deno too.
 */

import assert from "./assert.ts";
import { sourceHash } from "../assembly/sources.ts";
import { SOURCE_HASH } from "../core/backends/_wasm_binary.js";
import { SHADER_SOURCE_HASH, SHADERS } from "../core/backends/_shaders.ts";
import { shaderSources } from "../shaders/build.ts";

const root = new URL("../", import.meta.url);

Deno.test("the committed wasm module was built from the current AssemblyScript sources", async () => {
  assert.equal(
    SOURCE_HASH,
    await sourceHash(root),
    "assembly/ changed since core/backends/_wasm_binary.js was built: run `deno task build:wasm`",
  );
});

Deno.test("the committed shader embed holds every WGSL file of shaders/ as it is now", async () => {
  const files = await shaderSources();
  assert.equal(
    SHADER_SOURCE_HASH,
    await sourceHash(root, files),
    "shaders/ changed since core/backends/_shaders.ts was generated: run `deno task build:shaders`",
  );
  for (const file of files.filter((f) => f.endsWith(".wgsl"))) {
    const name = file.slice("shaders/".length, -".wgsl".length);
    assert.equal(SHADERS[name], await Deno.readTextFile(new URL(file, root)), name);
  }
});

Deno.test("rebuilding the wasm module with AssemblyScript reproduces the committed file exactly", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "assembly/build.ts", "--check"],
    cwd: root,
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  assert.match(text, /is up to date/);
});

const node = await new Deno.Command("node", { args: ["--version"] }).output()
  .then((o) => new TextDecoder().decode(o.stdout).trim(), () => undefined);

Deno.test({
  name: node
    ? `the embedded wasm module loads and computes under Node ${node}`
    : "the embedded wasm module loads under Node SKIPPED (no node on PATH)",
  ignore: node === undefined,
  fn: async () => {
    // x = [1, 2; 3, 4], w = [1, 1; 0, 1]: y = x · wᵀ = [3, 2; 7, 4].
    const script = `
      import { wasmBytes } from ${
      JSON.stringify(new URL("core/backends/_wasm_binary.js", root).href)
    };
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
      const imports = { env: { memory, exp: Math.exp } };
      const { instance } = await WebAssembly.instantiate(wasmBytes("simd"), imports);
      const f = new Float32Array(memory.buffer);
      f.set([1, 2, 3, 4], 16384);
      f.set([1, 1, 0, 1], 16388);
      instance.exports.matmul(65536, 65552, 65568, 2, 2, 0, 2);
      console.log(JSON.stringify([...f.subarray(16392, 16396)]));`;
    const { code, stdout, stderr } = await new Deno.Command("node", {
      args: ["--input-type=module", "-e", script],
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), [3, 2, 7, 4]);
  },
});

Deno.test("the committed bundles in dist/ are what esbuild makes of lib.ts now", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bundle/build.ts", "--check"],
    cwd: root,
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  assert.match(text, /dist\/ is up to date \(\d+ files\)/);
});

Deno.test("dist/'s type declarations type-check a TypeScript user of the bundle, and catch a wrong call", async () => {
  const { default: ts } = await import("typescript");
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-types-" });
  try {
    const bundle = new URL("../dist/sparseswaps.js", import.meta.url).pathname;
    const user = `
      import {
        blobSource, createKernels, openModelSource, parseRunSettings, pruneInMemory,
        type PruneReport, type RefineSummary,
      } from "${bundle}";
      const kernels = await createKernels("auto");
      const source = await openModelSource({ name: "m", model: blobSource("m.bin", new Blob([])) });
      const result = await pruneInMemory({ kernels, source, settings: parseRunSettings({ sparsity: "0.5" }) });
      const report: PruneReport = result.report;
      const sparsity: number = report.summary.sparsity;
      const bytes: Uint8Array | undefined = result.files.get("model.safetensors");
      export const used: [number, Uint8Array | undefined, RefineSummary | undefined] = [sparsity, bytes, undefined];
    `;
    const check = async (source: string) => {
      await Deno.writeTextFile(`${dir}/user.ts`, source);
      const program = ts.createProgram([`${dir}/user.ts`], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        // The API's handles are Disposable (TypeScript ≥ 5.2, lib esnext).
        lib: ["lib.esnext.d.ts", "lib.dom.d.ts"],
        types: [],
      });
      return ts.getPreEmitDiagnostics(program).map((d) =>
        ts.flattenDiagnosticMessageText(d.messageText, "\n")
      );
    };
    assert.deepEqual(await check(user), []);
    const wrong = await check(user.replace('sparsity: "0.5"', "sparsity: 0.5"));
    assert.equal(wrong.length, 1, wrong.join("\n"));
    assert.match(wrong[0], /Type 'number' is not assignable to type 'string'/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Refines a generated layer on 2 wasm threads with `lib` (a module URL); prints the result. */
const REFINE_SCRIPT = `
  const lib = await import(LIB);
  const rows = 64, d = 96;
  const layer = lib.syntheticLayer({ rows, d, tokens: 200, seed: 5 });
  const kernels = await lib.createWasmKernels({ threads: 2, variant: VARIANT });
  const gram = await kernels.createGram({ d, values: layer.gram });
  const pattern = { kind: "per-row", sparsity: 0.6 };
  const gramDiagonal = lib.gramDiagonal(layer.gram, d);
  const mask = lib.warmStartMask({ method: "wanda", weight: layer.weight, rows, d, gramDiagonal, pattern });
  const result = await lib.refineSparseSwaps({
    kernels, gram, weight: layer.weight, rows, d, mask, pattern, maxIters: 50,
  });
  kernels.dispose();
  console.log(JSON.stringify({
    description: kernels.description, swaps: result.swaps, mask: [...result.mask], error: [...result.errorAfter],
  }));`;

Deno.test({
  name: node
    ? `the bundle refines a layer on 2 worker threads under Node ${node} exactly as Deno does`
    : "the bundle under Node SKIPPED (no node on PATH)",
  ignore: node === undefined,
  fn: async () => {
    const script = (lib: URL, variant: string) =>
      REFINE_SCRIPT.replace("LIB", JSON.stringify(lib.href)).replace("VARIANT", variant);
    // Node 20 has no relaxed SIMD: both sides use the variant Node picks.
    const { code, stdout, stderr } = await new Deno.Command("node", {
      args: [
        "--input-type=module",
        "-e",
        script(new URL("dist/sparseswaps.js", root), "undefined"),
      ],
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const fromNode = JSON.parse(new TextDecoder().decode(stdout));
    assert.match(fromNode.description, /2 threads/);
    const variant = /relaxed/.test(fromNode.description) ? "relaxed" : "simd";
    const deno = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=js", script(new URL("lib.ts", root), JSON.stringify(variant))],
    }).output();
    assert.equal(deno.code, 0, new TextDecoder().decode(deno.stderr));
    const fromDeno = JSON.parse(new TextDecoder().decode(deno.stdout));
    assert.ok(fromNode.swaps > 0);
    assert.deepEqual(fromNode, fromDeno);
  },
});

/**
 * Prunes the llama2.c model in DIR with the bundle LIB, its files read through `fs.openAsBlob` in
 * Node (or Deno's files); prints the output files' SHA-256 and the layer errors.
 */
const PRUNE_SCRIPT = `
  const lib = await import(LIB);
  const { openAsBlob } = await import("node:fs");
  const file = async (name) => lib.blobSource(name, await openAsBlob(DIR + "/" + name));
  const source = await lib.openModelSource({
    name: "tiny", model: await file("tiny.bin"), tokenizer: await file("tokenizer.bin"),
  });
  const kernels = await lib.createWasmKernels({ threads: 2, variant: "simd" });
  const result = await lib.pruneInMemory({
    kernels, source,
    settings: lib.parseRunSettings({ sparsity: "0.5", nsamples: "3", seqlen: "16", "max-iters": "10", "eval-windows": "1" }),
  });
  kernels.dispose();
  const hash = async (bytes) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const hashes = {};
  for (const name of ["model.safetensors", "masks.safetensors", "config.json"]) hashes[name] = await hash(result.files.get(name));
  console.log(JSON.stringify({ hashes, errors: result.report.layers.map((l) => l.errorRefined), perplexity: result.report.perplexity }));`;

Deno.test({
  name: node
    ? `the bundle prunes a whole model under Node ${node} from files opened with fs.openAsBlob, to Deno's bytes`
    : "the bundle's whole-model run under Node SKIPPED (no node on PATH)",
  ignore: node === undefined,
  fn: async () => {
    const { llama2cBytes, TINY_TEXT_MODEL, tinyTokenizerBytes, tinyWeights } = await import(
      "./_tiny_model.ts"
    );
    const dir = await Deno.makeTempDir({ prefix: "sparseswaps-node-" });
    try {
      await Deno.writeFile(
        `${dir}/tiny.bin`,
        llama2cBytes(tinyWeights(6, TINY_TEXT_MODEL), TINY_TEXT_MODEL),
      );
      await Deno.writeFile(`${dir}/tokenizer.bin`, tinyTokenizerBytes());
      const script = (lib: URL) =>
        PRUNE_SCRIPT.replace("LIB", JSON.stringify(lib.href)).replace("DIR", JSON.stringify(dir));
      const run = async (command: string, args: string[]) => {
        const { code, stdout, stderr } = await new Deno.Command(command, { args }).output();
        assert.equal(code, 0, new TextDecoder().decode(stderr));
        return JSON.parse(new TextDecoder().decode(stdout));
      };
      const fromNode = await run("node", [
        "--input-type=module",
        "-e",
        script(new URL("dist/sparseswaps.js", root)),
      ]);
      const fromDeno = await run(Deno.execPath(), [
        "eval",
        "--ext=js",
        script(new URL("lib.ts", root)),
      ]);
      assert.deepEqual(fromNode.hashes, fromDeno.hashes);
      assert.deepEqual(fromNode.errors, fromDeno.errors);
      assert.equal(fromNode.errors.length, 7 * TINY_TEXT_MODEL.nLayers);
      assert.ok(fromNode.perplexity.in_domain.pruned > 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
