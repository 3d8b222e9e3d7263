import assert from "./assert.ts";
import { SafetensorsError } from "../core/errors.ts";
import { bfloat16ToFloat32, float16ToFloat32 } from "../core/float16.ts";
import {
  type Dtype,
  encodeSafetensors,
  parseSafetensorsHeader,
  SafetensorsFile,
  toFloat32,
  toFloat64,
  writeSafetensors,
} from "../core/safetensors.ts";
import { rawSafetensors as rawFile } from "./_files.ts";

function parse(bytes: Uint8Array) {
  return parseSafetensorsHeader(bytes, bytes.length, "t.safetensors");
}

Deno.test("every dtype round-trips through write and read with shapes, metadata and exact bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tensors = {
      f64: { dtype: "F64", shape: [2, 2], data: new Float64Array([0.1, -2, 3e300, 4]) },
      f32: { dtype: "F32", shape: [3], data: new Float32Array([1.5, -0, 7]) },
      f16: { dtype: "F16", shape: [2], data: new Uint16Array([0x3c00, 0xbc00]) },
      bf16: { dtype: "BF16", shape: [1, 2], data: new Uint16Array([0x3f80, 0x4000]) },
      i64: { dtype: "I64", shape: [1], data: new BigInt64Array([-5n]) },
      i32: { dtype: "I32", shape: [2], data: new Int32Array([7, -8]) },
      u8: { dtype: "U8", shape: [3], data: new Uint8Array([0, 1, 255]) },
      bool: { dtype: "BOOL", shape: [2], data: new Uint8Array([1, 0]) },
      empty: { dtype: "F32", shape: [0, 4], data: new Float32Array() },
    } as const;
    await writeSafetensors(`${dir}/all.safetensors`, tensors, { kind: "test", n: "9" });
    using file = await SafetensorsFile.open(`${dir}/all.safetensors`);
    assert.deepEqual(file.header.metadata, { kind: "test", n: "9" });
    assert.deepEqual(file.names, Object.keys(tensors));
    assert.equal(file.header.dataStart % 8, 0);
    for (const [name, tensor] of Object.entries(tensors)) {
      const read = await file.read(name);
      assert.equal(read.dtype, tensor.dtype as Dtype);
      assert.deepEqual(read.shape, tensor.shape);
      const d = tensor.data;
      assert.deepEqual(read.bytes, new Uint8Array(d.buffer, d.byteOffset, d.byteLength), name);
    }
    assert.deepEqual([...toFloat64(await file.read("f64"))], [0.1, -2, 3e300, 4]);
    assert.deepEqual([...toFloat32(await file.read("f16"))], [1, -1]);
    assert.deepEqual([...toFloat32(await file.read("bf16"))], [1, 2]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("float16 and bfloat16 decoding matches the platform for all 65536 bit patterns", () => {
  const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const half = float16ToFloat32(bits);
  const platform = new Float16Array(bits.buffer);
  for (let i = 0; i < 65536; i++) {
    assert.ok(
      Object.is(half[i], platform[i]) || (isNaN(half[i]) && isNaN(platform[i])),
      `0x${i.toString(16)}`,
    );
  }
  const brain = bfloat16ToFloat32(bits);
  const wide = new Float32Array(Uint32Array.from(bits, (b) => b * 65536).buffer);
  for (let i = 0; i < 65536; i++) {
    assert.ok(Object.is(brain[i], wide[i]) || (isNaN(brain[i]) && isNaN(wide[i])));
  }
});

Deno.test("malformed headers are rejected with a message naming the file and the problem", () => {
  const f32 = (offsets: number[], shape = [2]) => ({ dtype: "F32", shape, data_offsets: offsets });
  const cases: [string, Uint8Array, RegExp][] = [
    ["too short", new Uint8Array(5), /5 bytes, too short/],
    [
      "length beyond file",
      (() => {
        const b = rawFile({});
        new DataView(b.buffer).setBigUint64(0, 1000n, true);
        return b;
      })(),
      /header length 1000 exceeds file size/,
    ],
    ["not JSON", rawFile("{nope"), /not valid UTF-8 JSON/],
    ["not an object", rawFile("[1, 2]"), /not a JSON object/],
    [
      "unsupported dtype",
      rawFile({ x: { dtype: "I16", shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)),
      /tensor "x" has unsupported dtype "I16"/,
    ],
    [
      "bad shape",
      rawFile({ x: { dtype: "U8", shape: [-1], data_offsets: [0, 0] } }),
      /tensor "x" has an invalid shape/,
    ],
    [
      "bad offsets",
      rawFile({ x: { dtype: "U8", shape: [1], data_offsets: [0] } }, new Uint8Array(1)),
      /invalid data_offsets/,
    ],
    [
      "offsets out of range",
      rawFile({ x: f32([0, 8]) }, new Uint8Array(4)),
      /out of range \(data is 4 bytes\)/,
    ],
    ["reversed offsets", rawFile({ x: f32([8, 0]) }, new Uint8Array(8)), /out of range/],
    [
      "size mismatch",
      rawFile({ x: f32([0, 12]) }, new Uint8Array(12)),
      /span 12 bytes but shape \[2\] of F32 needs 8/,
    ],
    [
      "overlap",
      rawFile({ a: f32([0, 8]), b: f32([4, 12]) }, new Uint8Array(12)),
      /"a" and "b" overlap/,
    ],
    [
      "hole",
      rawFile({ a: f32([0, 8]), b: f32([12, 20]) }, new Uint8Array(20)),
      /bytes \[8, 12\) belong to no tensor/,
    ],
    [
      "trailing bytes",
      rawFile({ a: f32([0, 8]) }, new Uint8Array(10)),
      /\[8, 10\) after the last tensor/,
    ],
    [
      "metadata not strings",
      rawFile({ __metadata__: { n: 1 } }),
      /__metadata__ must map strings to strings/,
    ],
  ];
  for (const [label, bytes, pattern] of cases) {
    assert.throws(() => parse(bytes), (error: unknown) => {
      assert.ok(error instanceof SafetensorsError, label);
      assert.match(error.message, /^Invalid safetensors file "t.safetensors": /, label);
      assert.match(error.message, pattern, label);
      return true;
    });
  }
});

Deno.test("header parsing accepts what the writer emits, including space padding and no tensors", () => {
  assert.equal(parse(encodeSafetensors({})).tensors.size, 0);
  const bytes = encodeSafetensors({ a: { dtype: "U8", shape: [1], data: new Uint8Array([9]) } });
  assert.equal(bytes[bytes.length - 2], 0x20); // padding before the data byte
  assert.deepEqual(parse(bytes).tensors.get("a")?.dataOffsets, [0, 1]);
});

Deno.test("opening a missing file or asking for a missing tensor names the file and the tensor", async () => {
  await assert.rejects(
    () => SafetensorsFile.open("/nonexistent/x.safetensors"),
    /Cannot read "\/nonexistent\/x.safetensors": no such file or directory/,
  );
  const dir = await Deno.makeTempDir();
  try {
    await writeSafetensors(`${dir}/a.safetensors`, {
      w: { dtype: "U8", shape: [1], data: new Uint8Array(1) },
    });
    using file = await SafetensorsFile.open(`${dir}/a.safetensors`);
    assert.throws(
      () => file.info("gram"),
      /Tensor "gram" not found in ".*a.safetensors" \(it has: "w"\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reads issued together each get their own tensor", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tensors = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [
        `t${i}`,
        { dtype: "F32" as const, shape: [100], data: new Float32Array(100).fill(i) },
      ]),
    );
    await writeSafetensors(`${dir}/m.safetensors`, tensors);
    using file = await SafetensorsFile.open(`${dir}/m.safetensors`);
    const read = await Promise.all(file.names.map((name) => file.read(name)));
    read.forEach((t, i) => assert.ok(toFloat32(t).every((v) => v === i), `t${i}`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
