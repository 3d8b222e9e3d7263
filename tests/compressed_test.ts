/**
 * compressed-tensors sparse layouts: the bytes each part holds (checked against the format's
 * definition computed independently, element by element), exact round trips in every dtype, and
 * every kind of disagreement between the parts refused with the part named.
 */

import assert from "./assert.ts";
import {
  checkpointStorage,
  compressionConfig,
  compressWeight,
  countStored,
  decompressWeight,
  sparseBytes,
  sparseEntries,
  type SparseFormat,
  type SparseParts,
} from "../core/compressed.ts";
import { InputError } from "../core/errors.ts";
import type { Dtype, Tensor } from "../core/safetensors.ts";
import { createRandom } from "../core/synthetic.ts";

/** A random pruned weight: about `zeros` of its elements +0, a few −0, the rest random bits. */
function prunedWeight(
  dtype: Dtype,
  rows: number,
  cols: number,
  zeros: number,
  seed: number,
): Tensor {
  const random = createRandom(seed);
  const size = dtype === "F32" ? 4 : 2;
  const bytes = new Uint8Array(rows * cols * size);
  for (let i = 0; i < rows * cols; i++) {
    const u = random.integer(1000) / 1000;
    if (u < zeros) continue; // +0
    if (u < zeros + 0.02) bytes[i * size + size - 1] = 0x80; // −0: sign bit only
    else {
      for (let b = 0; b < size; b++) bytes[i * size + b] = random.integer(256);
      bytes[i * size + size - 1] &= 0x3f; // finite, no NaN or infinity
      bytes[i * size] |= 1; // not all-zero bits
    }
  }
  return { dtype, shape: [rows, cols], bytes };
}

/** A random 2:4 mask, and the weight zeroed outside it with one kept value exactly +0. */
function twoFourWeight(dtype: Dtype, rows: number, cols: number, seed: number) {
  const random = createRandom(seed);
  const weight = prunedWeight(dtype, rows, cols, 0, seed + 1);
  const size = dtype === "F32" ? 4 : 2;
  const mask = new Uint8Array(rows * cols);
  for (let g = 0; g < rows * cols; g += 4) {
    const a = random.integer(4);
    const b = (a + 1 + random.integer(3)) % 4;
    mask[g + a] = mask[g + b] = 1;
  }
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) weight.bytes.fill(0, i * size, (i + 1) * size);
  }
  const keptZero = mask.indexOf(1);
  weight.bytes.fill(0, keptZero * size, (keptZero + 1) * size);
  return { weight, mask };
}

const bits = (parts: SparseParts, suffix: string) => parts[suffix].bytes;
const int64 = (t: Tensor) => Array.from(new BigInt64Array(t.bytes.slice().buffer), Number);

Deno.test("sparse-bitmask stores the non-zero elements row-major, bits little-endian per byte", () => {
  for (const dtype of ["F32", "F16", "BF16"] as const) {
    const [rows, cols] = [5, 13]; // 13 columns: the last bitmask byte of each row is partial
    const weight = prunedWeight(dtype, rows, cols, 0.6, 7);
    const parts = compressWeight(weight, "sparse-bitmask");
    const size = dtype === "F32" ? 4 : 2;
    const nonZero = (i: number) => weight.bytes.subarray(i * size, (i + 1) * size).some((b) => b);
    // The format's definition, element by element.
    const expectedMask = new Uint8Array(rows * 2);
    const expectedValues: number[] = [];
    const expectedOffsets: number[] = [];
    let count = 0;
    for (let r = 0; r < rows; r++) {
      expectedOffsets.push(count);
      for (let c = 0; c < cols; c++) {
        if (!nonZero(r * cols + c)) continue;
        expectedMask[r * 2 + Math.floor(c / 8)] += 2 ** (c % 8);
        expectedValues.push(
          ...weight.bytes.subarray((r * cols + c) * size, (r * cols + c + 1) * size),
        );
        count++;
      }
    }
    assert.deepEqual(Object.keys(parts), ["shape", "compressed", "bitmask", "row_offsets"]);
    assert.deepEqual(int64(parts.shape), [rows, cols]);
    assert.deepEqual(parts.shape.shape, [2]);
    assert.equal(parts.compressed.dtype, dtype);
    assert.deepEqual(parts.compressed.shape, [count]);
    assert.deepEqual([...bits(parts, "compressed")], expectedValues);
    assert.deepEqual(parts.bitmask.shape, [rows, 2]);
    assert.deepEqual([...bits(parts, "bitmask")], [...expectedMask]);
    assert.deepEqual(int64(parts.row_offsets), expectedOffsets);
    assert.equal(countStored(weight), count);
    assert.equal(
      sparseBytes(dtype, [rows, cols], count, "sparse-bitmask"),
      Object.values(parts).reduce((a, p) => a + p.bytes.length, 0),
    );
    // Decoding gives the dense tensor bit for bit, −0.0 included.
    assert.deepEqual(decompressWeight(parts, "sparse-bitmask", [rows, cols], "p", "m"), weight);
  }
});

Deno.test("sparse-24-bitmask stores the mask's two values of every four, kept zeros included", () => {
  for (const dtype of ["F32", "F16", "BF16"] as const) {
    const [rows, cols] = [3, 12];
    const { weight, mask } = twoFourWeight(dtype, rows, cols, 3);
    const parts = compressWeight(weight, "sparse-24-bitmask", mask);
    const size = dtype === "F32" ? 4 : 2;
    assert.deepEqual(Object.keys(parts), ["shape", "compressed", "bitmask"]);
    assert.deepEqual(parts.shape.shape, [2, 1]);
    assert.deepEqual(int64(parts.shape), [rows, cols]);
    assert.deepEqual(parts.compressed.shape, [rows, cols / 2]);
    const expectedValues: number[] = [];
    const expectedMask = new Uint8Array(rows * 2);
    mask.forEach((m, i) => {
      if (!m) return;
      expectedValues.push(...weight.bytes.subarray(i * size, (i + 1) * size));
      const [r, c] = [Math.floor(i / cols), i % cols];
      expectedMask[r * 2 + Math.floor(c / 8)] += 2 ** (c % 8);
    });
    assert.deepEqual([...bits(parts, "compressed")], expectedValues);
    assert.deepEqual([...bits(parts, "bitmask")], [...expectedMask]);
    assert.deepEqual(decompressWeight(parts, "sparse-24-bitmask", [rows, cols], "p", "m"), weight);
  }
});

Deno.test("sparse-24-bitmask refuses a mask that is not 2:4 or a weight not zero outside it", () => {
  const { weight, mask } = twoFourWeight("F32", 2, 8, 1);
  const three = mask.slice();
  three[three.indexOf(0)] = 1;
  assert.throws(() => compressWeight(weight, "sparse-24-bitmask", three), /keeps 3 of 4/);
  const dirty = { ...weight, bytes: weight.bytes.slice() };
  dirty.bytes[mask.indexOf(0) * 4] = 1;
  assert.throws(() => compressWeight(dirty, "sparse-24-bitmask", mask), /pruned by the mask/);
});

Deno.test("header entries and sizes of both layouts follow the format", () => {
  assert.deepEqual(sparseEntries("m.q", "F16", [8, 16], 8 * 8, "sparse-24-bitmask"), [
    { name: "m.q.shape", dtype: "I64", shape: [2, 1] },
    { name: "m.q.compressed", dtype: "F16", shape: [8, 8] },
    { name: "m.q.bitmask", dtype: "U8", shape: [8, 2] },
  ]);
  // sparse-bitmask at 60% in BF16: 0.4 · 2 bytes + 1/8 byte per weight, 8 bytes per row offset.
  const [rows, cols] = [4096, 4096];
  const kept = rows * (cols - Math.floor(cols * 0.6));
  assert.equal(
    sparseBytes("BF16", [rows, cols], kept, "sparse-bitmask"),
    16 + kept * 2 + rows * cols / 8 + rows * 8,
  );
});

/** Compressed parts with one part replaced. */
function tampered(
  format: SparseFormat,
  change: (parts: Record<string, Tensor>) => void,
): { parts: SparseParts; shape: number[] } {
  const shape = [4, 16];
  const parts = format === "sparse-bitmask"
    ? compressWeight(prunedWeight("F32", 4, 16, 0.5, 11), format)
    : compressWeight(
      twoFourWeight("F32", 4, 16, 5).weight,
      format,
      twoFourWeight("F32", 4, 16, 5).mask,
    );
  change(parts);
  return { parts, shape };
}

const i64 = (values: number[]) => new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);

Deno.test("a compressed weight whose parts disagree is refused naming the part", () => {
  const cases: [SparseFormat, (p: Record<string, Tensor>) => void, RegExp][] = [
    [
      "sparse-bitmask",
      (
        p,
      ) => (p.bitmask = {
        ...p.bitmask,
        bytes: p.bitmask.bytes.map((b, i) => i === 0 ? b ^ 1 : b),
      }),
      /"p\.(row_offsets|compressed)" of model "m"/,
    ],
    [
      "sparse-bitmask",
      (
        p,
      ) => (p.compressed = {
        ...p.compressed,
        shape: [p.compressed.shape[0] - 1],
        bytes: p.compressed.bytes.subarray(4),
      }),
      /"p\.compressed" of model "m" holds \d+ values; "p\.bitmask" sets \d+ bits/,
    ],
    [
      "sparse-bitmask",
      (p) => {
        const offsets = int64(p.row_offsets);
        [offsets[1], offsets[2]] = [offsets[2], offsets[1]];
        p.row_offsets = { ...p.row_offsets, bytes: i64(offsets) };
      },
      /"p\.row_offsets" of model "m" (disagrees with the bitmask|decreases) at row [12]/,
    ],
    [
      "sparse-bitmask",
      (p) => {
        const offsets = int64(p.row_offsets);
        offsets[3] = 1e9;
        p.row_offsets = { ...p.row_offsets, bytes: i64(offsets) };
      },
      /"p\.row_offsets" of model "m" is out of range at row 3/,
    ],
    [
      "sparse-bitmask",
      (p) => (p.shape = { ...p.shape, bytes: i64([4, 8]) }),
      /"p\.shape" .* says \[4,8\]; the config implies \[4,16\]/,
    ],
    ["sparse-bitmask", (p) => delete p.row_offsets, /"p\.row_offsets" of model "m" is missing/],
    [
      "sparse-bitmask",
      (p) => (p.bitmask = { ...p.bitmask, shape: [4, 1] }),
      /"p\.bitmask" .* expected U8 \[4,2\]/,
    ],
    [
      "sparse-bitmask",
      (p) => (p.compressed = { ...p.compressed, dtype: "I32" }),
      /"p\.compressed" .* dtype I32/,
    ],
    [
      "sparse-24-bitmask",
      (
        p,
      ) => (p.bitmask = {
        ...p.bitmask,
        bytes: p.bitmask.bytes.map((b, i) => i === 0 ? b ^ 1 : b),
      }),
      /"p\.bitmask" of model "m" keeps [13] of 4 at row 0, columns 0–3/,
    ],
    [
      "sparse-24-bitmask",
      (p) => (p.compressed = { ...p.compressed, shape: [4, 4] }),
      /"p\.compressed" .* sparse-24-bitmask stores \[4,8\]/,
    ],
  ];
  for (const [format, change, message] of cases) {
    const { parts, shape } = tampered(format, change);
    assert.throws(
      () => decompressWeight(parts, format, shape, "p", "m"),
      (error: Error) => error instanceof InputError && message.test(error.message),
      `${format}: ${message}`,
    );
  }
});

Deno.test("config.json's quantization_config: sparse formats read, others refused by name", () => {
  const config = (sparsity: unknown, extra = {}) => ({
    quantization_config: {
      quant_method: "compressed-tensors",
      sparsity_config: sparsity,
      ...extra,
    },
  });
  assert.deepEqual(checkpointStorage(config({ format: "dense" }), "c.json"), { kind: "dense" });
  assert.deepEqual(checkpointStorage(config(null), "c.json"), { kind: "dense" });
  assert.deepEqual(checkpointStorage(config({ format: "sparse-24-bitmask" }), "c.json"), {
    kind: "sparse",
    format: "sparse-24-bitmask",
  });
  assert.throws(
    () => checkpointStorage(config({ format: "marlin-24" }), "c.json"),
    /"c\.json": quantization_config has sparsity_config\.format "marlin-24"/,
  );
  assert.throws(
    () =>
      checkpointStorage(
        config({ format: "sparse-bitmask" }, { config_groups: { g: {} } }),
        "c.json",
      ),
    /config_groups: quantized checkpoints are not supported/,
  );
  const written = compressionConfig("sparse-bitmask", 42.5, "unstructured");
  assert.deepEqual(written.sparsity_config, {
    format: "sparse-bitmask",
    global_sparsity: 42.5,
    sparsity_structure: "unstructured",
    targets: ["Linear"],
    ignore: ["model.embed_tokens", "lm_head"],
  });
});
