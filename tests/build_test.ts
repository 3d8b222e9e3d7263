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
      const { instance } = await WebAssembly.instantiate(wasmBytes("simd"), { env: { memory } });
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
