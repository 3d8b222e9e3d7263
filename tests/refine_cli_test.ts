import { runCli } from "./_cli.ts";
import assert, { assertClose } from "./assert.ts";
import { layerRowErrors } from "./_oracle.ts";
import { rawSafetensors, refineArgs, writeLayerFiles, writeTensor } from "./_files.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { createKernels } from "../core/backend.ts";
import { rowsBreakingPattern, type SparsityPattern } from "../core/pattern.ts";
import { SafetensorsFile, writeSafetensors } from "../core/safetensors.ts";
import { gramDiagonal, warmStartMask } from "../core/warm_start.ts";

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-test-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function readMaskFile(path: string) {
  using file = await SafetensorsFile.open(path);
  const tensor = await file.read("mask");
  return { ...tensor, metadata: file.header.metadata, names: file.names };
}

const ROWS = 12;
const D = 32;

Deno.test("refine writes a U8 mask with the exact pattern, lower true error and a summary matching the file's metadata", async () => {
  await withDir(async (dir) => {
    const layer = await writeLayerFiles(dir, ROWS, D, 1);
    const out = `${dir}/out.safetensors`;
    const result = await runCli([
      ...refineArgs(layer),
      "--sparsity",
      "0.6",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    const file = await readMaskFile(out);
    assert.deepEqual(file.names, ["mask"]);
    assert.equal(file.dtype, "U8");
    assert.deepEqual(file.shape, [ROWS, D]);
    const pattern: SparsityPattern = { kind: "per-row", sparsity: 0.6 };
    assert.deepEqual(rowsBreakingPattern(file.bytes, ROWS, D, pattern), []);
    const warm = warmStartMask({
      method: "wanda",
      weight: layer.weight,
      rows: ROWS,
      d: D,
      gramDiagonal: gramDiagonal(layer.gram, D),
      pattern,
    });
    const total = (mask: Uint8Array) =>
      layerRowErrors(layer.weight, mask, layer.gram, ROWS, D).reduce((a, b) => a + b);
    assertClose(summary.error_before, total(warm), 1e-9, "error_before");
    assertClose(summary.error_after, total(file.bytes), 1e-9, "error_after");
    assert.ok(summary.error_after < summary.error_before);
    assertClose(summary.relative_reduction, 1 - summary.error_after / summary.error_before, 1e-12);
    assert.equal(summary.rows, ROWS);
    assert.equal(summary.d, D);
    // `auto` picks WebGPU on a hardware GPU, else wasm: whatever createKernels("auto") picks here.
    const auto = await createKernels("auto");
    auto.dispose();
    assert.equal(summary.backend, auto.name);
    assert.equal(summary.backend_description, auto.description);
    assert.equal(summary.warm_start, "wanda");
    assert.equal(summary.max_iters, 100);
    assert.ok(summary.swaps > 0 && summary.iterations > 0 && summary.iterations <= 100);
    assert.ok(summary.converged_rows >= 0 && summary.converged_rows <= ROWS);
    // Every row searched at least once: |U| · |P| = 13 · 19 feasible pairs.
    assert.ok(summary.pairs_brute_force >= ROWS * 13 * 19, `${summary.pairs_brute_force}`);
    assert.ok(summary.pairs_evaluated > 0 && summary.pairs_evaluated <= summary.pairs_brute_force);
    assert.ok(summary.seconds >= 0);
    for (const [key, value] of Object.entries(summary)) {
      assert.equal(file.metadata[key], String(value), `metadata ${key}`);
    }
  });
});

Deno.test("refine with --pattern 2:4 --max-iters inf converges every row and keeps every block at 2 of 4", async () => {
  await withDir(async (dir) => {
    const layer = await writeLayerFiles(dir, ROWS, D, 2);
    const out = `${dir}/out.safetensors`;
    const result = await runCli([
      ...refineArgs(layer),
      "--pattern",
      "2:4",
      "--warm-start",
      "magnitude",
      "--max-iters",
      "inf",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    assert.equal(summary.converged_rows, ROWS);
    assert.equal(summary.max_iters, "inf");
    assert.equal(summary.pattern, "2:4");
    const { bytes } = await readMaskFile(out);
    assert.deepEqual(rowsBreakingPattern(bytes, ROWS, D, { kind: "n:m", n: 2, m: 4 }), []);
  });
});

Deno.test("refine with a given mask and --max-iters 0 returns that mask unchanged", async () => {
  await withDir(async (dir) => {
    const layer = await writeLayerFiles(dir, ROWS, D, 3);
    const mask = warmStartMask({
      method: "magnitude",
      weight: layer.weight,
      rows: ROWS,
      d: D,
      pattern: { kind: "n:m", n: 4, m: 8 },
    });
    const maskPath = `${dir}/M.safetensors`;
    await writeTensor(maskPath, "mask", { dtype: "BOOL", shape: [ROWS, D], data: mask });
    const out = `${dir}/out.safetensors`;
    const result = await runCli([
      ...refineArgs(layer),
      "--mask",
      maskPath,
      "--pattern",
      "4:8",
      "--max-iters",
      "0",
      "--out",
      out,
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout.at(-1)!);
    assert.equal(summary.warm_start, "mask");
    assert.equal(summary.swaps, 0);
    assert.equal(summary.error_after, summary.error_before);
    assert.deepEqual((await readMaskFile(out)).bytes, mask);
  });
});

Deno.test("refine reads F16 and BF16 weights and an F32 Gram matrix", async () => {
  await withDir(async (dir) => {
    // 1 = 0x3c00 (F16) = 0x3f80 (BF16); 0.5 = 0x3800 = 0x3f00; −2 = 0xc000 = 0xc000.
    const f16 = new Uint16Array([0x3c00, 0x3800, 0xc000, 0x3c00]);
    const bf16 = new Uint16Array([0x3f80, 0x3f00, 0xc000, 0x3f80]);
    await writeTensor(`${dir}/G.safetensors`, "gram", {
      dtype: "F32",
      shape: [4, 4],
      data: new Float32Array([1, 0.5, 0, 0, 0.5, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
    });
    const summaries = [];
    for (const [dtype, data] of [["F16", f16], ["BF16", bf16]] as const) {
      await writeTensor(`${dir}/W.safetensors`, "weight", { dtype, shape: [1, 4], data });
      const result = await runCli([
        "refine",
        "--weight",
        `${dir}/W.safetensors`,
        "--gram",
        `${dir}/G.safetensors`,
        "--sparsity",
        "0.5",
        "--out",
        `${dir}/out.safetensors`,
        "--json",
      ]);
      assert.equal(result.code, 0, result.stderr);
      summaries.push(JSON.parse(result.stdout.at(-1)!));
    }
    // Same values in both encodings: w = (1, 0.5, −2, 1); Wanda keeps −2 and the last 1.
    // q = (1, 0.5, 0, 0): qᵀGq = 1 + 0.25 + 2 · 0.5 · 0.5 = 1.75.
    assert.equal(summaries[0].error_before, 1.75);
    assert.equal(summaries[1].error_before, 1.75);
  });
});

Deno.test("refine prints a readable summary without --json", async () => {
  await withDir(async (dir) => {
    const layer = await writeLayerFiles(dir, 4, 8, 5);
    const result = await runCli([
      ...refineArgs(layer),
      "--sparsity",
      "0.5",
      "--out",
      `${dir}/o.safetensors`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.join("\n"), /Refined 4 × 8 at 50% from the wanda warm start/);
    assert.match(result.stdout.join("\n"), /Wrote .*o.safetensors/);
  });
});

/** Bad inputs: each must fail with a clear message, a non-zero code and no output file. */
Deno.test("bad inputs fail with a message naming the file, tensor or flag, a non-zero exit and no output", async () => {
  await withDir(async (dir) => {
    const layer = await writeLayerFiles(dir, 4, 8, 7);
    const W = layer.weightPath;
    const G = layer.gramPath;
    const out = `${dir}/out.safetensors`;
    const file = async (name: string, bytes: Uint8Array) => {
      await Deno.writeFile(`${dir}/${name}`, bytes);
      return `${dir}/${name}`;
    };
    const tensorFile = async (
      name: string,
      tensor: string,
      dtype: "F32" | "F64" | "I32" | "U8",
      shape: number[],
      data: ArrayBufferView,
    ) => {
      await writeSafetensors(`${dir}/${name}`, { [tensor]: { dtype, shape, data } });
      return `${dir}/${name}`;
    };
    const withNaN = layer.weight.slice();
    withNaN[9] = NaN;
    const withInf = layer.gram.slice();
    withInf[3] = Infinity;
    const asymmetric = layer.gram.slice();
    asymmetric[1] += 1;
    const negativeDiagonal = layer.gram.slice();
    negativeDiagonal[0] = -1;
    const badMask = new Uint8Array(32).fill(1, 0, 16); // rows 0, 1 all kept; rows 2, 3 none kept
    const mask2 = new Uint8Array(32);
    for (let r = 0; r < 4; r++) mask2.fill(1, r * 8, r * 8 + 4);
    mask2[5] = 2;
    const base = ["refine", "--weight", W, "--gram", G, "--out", out];
    const withFiles = (weight: string, gram: string) => [
      "refine",
      "--weight",
      weight,
      "--gram",
      gram,
      "--sparsity",
      "0.5",
      "--out",
      out,
    ];
    const cases: [string, string[], RegExp, number][] = [
      [
        "missing weight file",
        withFiles(`${dir}/nope.safetensors`, G),
        /Cannot read ".*nope.safetensors": no such file/,
        1,
      ],
      [
        "not safetensors",
        withFiles(await file("text.safetensors", new TextEncoder().encode("hello, world\n")), G),
        /Invalid safetensors file ".*text.safetensors": header length \d+ exceeds file size 13/,
        1,
      ],
      [
        "offsets out of range",
        withFiles(
          await file(
            "range.safetensors",
            rawSafetensors(
              { weight: { dtype: "F32", shape: [4, 8], data_offsets: [0, 128] } },
              new Uint8Array(64),
            ),
          ),
          G,
        ),
        /range.safetensors": tensor "weight" data_offsets \[0, 128\] are out of range/,
        1,
      ],
      [
        "overlapping tensors",
        withFiles(
          await file(
            "overlap.safetensors",
            rawSafetensors({
              weight: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] },
              other: { dtype: "F32", shape: [2], data_offsets: [8, 16] },
            }, new Uint8Array(16)),
          ),
          G,
        ),
        /"weight" and "other" overlap|"other" and "weight" overlap/,
        1,
      ],
      [
        "offsets not matching shape × dtype",
        withFiles(
          await file(
            "size.safetensors",
            rawSafetensors(
              { weight: { dtype: "F32", shape: [4, 8], data_offsets: [0, 64] } },
              new Uint8Array(64),
            ),
          ),
          G,
        ),
        /tensor "weight" data_offsets span 64 bytes but shape \[4,8\] of F32 needs 128/,
        1,
      ],
      [
        "missing tensor",
        ["refine", "--weight", G, "--gram", G, "--sparsity", "0.5", "--out", out],
        /Tensor "weight" not found in ".*G.safetensors" \(it has: "gram"\)/,
        1,
      ],
      [
        "unsupported dtype in header",
        withFiles(
          await file(
            "f8.safetensors",
            rawSafetensors(
              { weight: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } },
              new Uint8Array(1),
            ),
          ),
          G,
        ),
        /unsupported dtype "F8_E4M3"/,
        1,
      ],
      [
        "wrong dtype for weight",
        withFiles(
          await tensorFile("int.safetensors", "weight", "I32", [4, 8], new Int32Array(32)),
          G,
        ),
        /Tensor "weight" in ".*int.safetensors" has dtype I32; expected F32 or F16 or BF16/,
        1,
      ],
      [
        "weight not 2-D",
        withFiles(await tensorFile("w1.safetensors", "weight", "F32", [32], layer.weight), G),
        /Tensor "weight" in ".*w1.safetensors" has shape \[32\]; expected 2 non-zero dimensions/,
        1,
      ],
      [
        "G not square",
        withFiles(
          W,
          await tensorFile("g48.safetensors", "gram", "F64", [4, 16], new Float64Array(64)),
        ),
        /Tensor "gram" in ".*g48.safetensors" is not square: shape \[4,16\]/,
        1,
      ],
      [
        "W/G mismatch",
        withFiles(
          W,
          await tensorFile("g4.safetensors", "gram", "F64", [4, 4], new Float64Array(16)),
        ),
        /Tensor "gram" in ".*g4.safetensors" has shape \[4,4\] but tensor "weight" in ".*W.safetensors" has 8 columns/,
        1,
      ],
      [
        "mask shape mismatch",
        [
          ...base,
          "--sparsity",
          "0.5",
          "--mask",
          await tensorFile("m.safetensors", "mask", "U8", [8, 4], new Uint8Array(32)),
        ],
        /Tensor "mask" in ".*m.safetensors" has shape \[8,4\] but tensor "weight" .* has shape \[4,8\]/,
        1,
      ],
      [
        "NaN in W",
        withFiles(await tensorFile("nan.safetensors", "weight", "F32", [4, 8], withNaN), G),
        /Tensor "weight" in ".*nan.safetensors" has a non-finite value \(NaN\) at \[1, 1\]/,
        1,
      ],
      [
        "Inf in G",
        withFiles(W, await tensorFile("inf.safetensors", "gram", "F64", [8, 8], withInf)),
        /Tensor "gram" in ".*inf.safetensors" has a non-finite value \(Infinity\) at \[0, 3\]/,
        1,
      ],
      [
        "asymmetric G",
        withFiles(W, await tensorFile("asym.safetensors", "gram", "F64", [8, 8], asymmetric)),
        /Tensor "gram" in ".*asym.safetensors" is not symmetric: \[0, 1\]/,
        1,
      ],
      [
        "negative diagonal",
        withFiles(W, await tensorFile("neg.safetensors", "gram", "F64", [8, 8], negativeDiagonal)),
        /is not a Gram matrix: diagonal entry \[0, 0\] is negative/,
        1,
      ],
      [
        "sparsity above 1",
        [...base, "--sparsity", "1.5"],
        /Flag --sparsity: Sparsity must be in \(0, 1\): got 1.5/,
        2,
      ],
      ["sparsity 0", [...base, "--sparsity", "0"], /Sparsity must be in \(0, 1\): got 0/, 2],
      [
        "sparsity not a number",
        [...base, "--sparsity", "lots"],
        /Flag --sparsity must be a number: got "lots"/,
        2,
      ],
      [
        "M does not divide d",
        [...base, "--pattern", "3:6"],
        /Pattern 3:6 does not fit tensor "weight" in ".*W.safetensors": M=6 does not divide d=8/,
        1,
      ],
      ["N not below M", [...base, "--pattern", "4:4"], /Pattern 4:4 needs 1 ≤ N < M/, 2],
      ["malformed pattern", [...base, "--pattern", "2-4"], /Pattern must look like N:M/, 2],
      [
        "mask breaks the pattern",
        [
          ...base,
          "--sparsity",
          "0.5",
          "--mask",
          await tensorFile("bad.safetensors", "mask", "U8", [4, 8], badMask),
        ],
        /Tensor "mask" in ".*bad.safetensors" breaks pattern 50% in 4 rows: 0, 1, 2, 3/,
        1,
      ],
      [
        "mask value not 0/1",
        [
          ...base,
          "--sparsity",
          "0.5",
          "--mask",
          await tensorFile("two.safetensors", "mask", "U8", [4, 8], mask2),
        ],
        /Tensor "mask" in ".*two.safetensors" holds 2 at \[0, 5\]; masks hold 0 or 1/,
        1,
      ],
      ["unknown flag", [...base, "--sparse", "0.5"], /Unknown flag: --sparse/, 2],
      ["flag without value", [...base, "--sparsity"], /Flag --sparsity needs a value/, 2],
      ["stray argument", [...base, "--sparsity", "0.5", "extra"], /Unexpected argument: extra/, 2],
      [
        "mask and warm start",
        [...base, "--sparsity", "0.5", "--mask", W, "--warm-start", "wanda"],
        /either --mask or --warm-start, not both/,
        2,
      ],
      ["no pattern", base, /exactly one of --sparsity S or --pattern N:M/, 2],
      [
        "two patterns",
        [...base, "--sparsity", "0.5", "--pattern", "2:4"],
        /either --sparsity or --pattern, not both/,
        2,
      ],
      [
        "missing --out",
        ["refine", "--weight", W, "--gram", G, "--sparsity", "0.5"],
        /Missing required flag --out/,
        2,
      ],
      [
        "bad warm start",
        [...base, "--sparsity", "0.5", "--warm-start", "obs"],
        /Flag --warm-start must be one of magnitude, wanda, ria, sparsegpt, sparsegpt-unbalanced, admm-grad: got "obs"/,
        2,
      ],
      [
        "bad max-iters",
        [...base, "--sparsity", "0.5", "--max-iters=-3"],
        /Flag --max-iters must be a whole number ≥ 0 or inf: got "-3"/,
        2,
      ],
      [
        "dash value",
        [...base, "--sparsity", "0.5", "--max-iters", "-3"],
        /Flag --max-iters is followed by something that looks like a flag; write --max-iters=VALUE/,
        2,
      ],
      [
        "switch with value",
        [...base, "--sparsity", "0.5", "--json=yes"],
        /Flag --json does not take a value/,
        2,
      ],
      [
        "unknown backend",
        [...base, "--sparsity", "0.5", "--backend", "cuda"],
        /Flag --backend must be one of auto, reference, wasm, webgpu: got "cuda"/,
        2,
      ],
      [
        "output directory missing",
        [
          "refine",
          "--weight",
          W,
          "--gram",
          G,
          "--sparsity",
          "0.5",
          "--out",
          `${dir}/no/such/dir/out.safetensors`,
        ],
        /Cannot write ".*out.safetensors": directory ".*no\/such\/dir": no such file/,
        1,
      ],
      [
        "output overwrites input",
        ["refine", "--weight", W, "--gram", G, "--sparsity", "0.5", "--out", W],
        /Flag --out ".*W.safetensors" would overwrite the input file ".*W.safetensors"/,
        2,
      ],
    ];
    const before = new Set([...Deno.readDirSync(dir)].map((e) => e.name));
    for (const [label, args, message, code] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, code, `${label}: exit code (stderr: ${result.stderr})`);
      assert.match(result.stderr, /^error: /, label);
      assert.match(result.stderr, message, label);
      assert.doesNotMatch(result.stderr, /\n\s+at /, `${label}: stack trace`);
      assert.deepEqual(result.stdout, [], `${label}: stdout`);
      const after = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => !before.has(n));
      assert.deepEqual(after, [], `${label}: left files behind`);
    }
  });
});

Deno.test("the real CLI exits 0 with JSON on its last stdout line, and 1 without a stack trace on bad input", async () => {
  await withDir(async (dir) => {
    const layer = await writeLayerFiles(dir, 4, 8, 9);
    const cli = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("../mod.ts", import.meta.url).pathname, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await cli([
      ...refineArgs(layer),
      "--sparsity",
      "0.5",
      "--out",
      `${dir}/o.safetensors`,
      "--json",
    ]);
    assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
    const lines = new TextDecoder().decode(ok.stdout).trim().split("\n");
    assert.equal(JSON.parse(lines.at(-1)!).rows, 4);
    const bad = await cli([
      "refine",
      "--weight",
      `${dir}/missing.safetensors`,
      "--gram",
      layer.gramPath,
      "--sparsity",
      "0.5",
      "--out",
      `${dir}/x.safetensors`,
    ]);
    const stderr = new TextDecoder().decode(bad.stderr);
    assert.equal(bad.code, 1);
    assert.match(
      stderr,
      /^error: Cannot read ".*missing.safetensors": no such file or directory\n$/,
    );
    await assert.rejects(() => Deno.stat(`${dir}/x.safetensors`), Deno.errors.NotFound);
  });
});

Deno.test("an interrupted write keeps the previous file and leaves no temporary file", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/out.bin`;
    await Deno.writeFile(path, new Uint8Array([7, 7, 7]));
    function* failing() {
      yield new Uint8Array([1, 2, 3]);
      throw new Error("disk on fire");
    }
    await assert.rejects(
      () => writeFileAtomic(path, failing()),
      /Cannot write ".*out.bin": disk on fire/,
    );
    assert.deepEqual([...await Deno.readFile(path)], [7, 7, 7]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out.bin"]);
  });
});

Deno.test("help texts and unknown commands behave", async () => {
  const help = await runCli([]);
  assert.equal(help.code, 0);
  assert.match(help.stdout.join("\n"), /refine/);
  for (
    const [command, flag] of [["refine", /--max-iters N/], ["prune", /--eval-windows N/], [
      "eval",
      /--windows N/,
    ]] as const
  ) {
    const result = await runCli([command, "--help"]);
    assert.equal(result.code, 0);
    assert.match(result.stdout.join("\n"), flag);
  }
  const unknown = await runCli(["compress"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown command "compress"/);
});
