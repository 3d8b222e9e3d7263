/**
 * The check every `prune` output must pass against its input model.
 *
 * @module
 */

import assert from "./assert.ts";
import { openCheckpoint } from "../core/model/checkpoint.ts";
import { rowsBreakingPattern, type SparsityPattern } from "../core/pattern.ts";
import { SafetensorsFile, toFloat32 } from "../core/safetensors.ts";

/**
 * Checks an output directory against its input model, tensor by tensor: the same names, dtypes
 * and shapes; every tensor without a mask bit-identical; every mask exactly of the pattern; pruned
 * weights exactly zero and kept ones unchanged.
 */
export async function checkOutput(
  input: string,
  out: string,
  pattern: SparsityPattern,
): Promise<void> {
  using source = await openCheckpoint(input);
  using pruned = await openCheckpoint(out);
  using masks = await SafetensorsFile.open(`${out}/masks.safetensors`);
  assert.deepEqual(pruned.tensors, source.tensors, "names, dtypes and shapes");
  for (const t of source.tensors) {
    const before = await source.read(t.name);
    const after = await pruned.read(t.name);
    if (!masks.header.tensors.has(t.name)) {
      assert.deepEqual(after.bytes, before.bytes, `${t.name} must be bit-identical`);
      continue;
    }
    const mask = (await masks.read(t.name)).bytes;
    const [rows, d] = t.shape;
    assert.deepEqual(rowsBreakingPattern(mask, rows, d, pattern), [], `${t.name} pattern`);
    const a = toFloat32(before);
    const b = toFloat32(after);
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] === 0) assert.ok(Object.is(b[i], 0), `${t.name}[${i}] must be exactly zero`);
      else assert.equal(b[i], a[i], `${t.name}[${i}] must be unchanged`);
    }
  }
}
