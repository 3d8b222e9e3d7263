/**
 * Test files: safetensors with hand-written (possibly broken) headers, and generated layers.
 *
 * @module
 */

import { type TensorToWrite, writeSafetensors } from "../core/safetensors.ts";
import { type SyntheticLayer, syntheticLayer } from "../core/synthetic.ts";

/** A generated layer and the paths of its files. */
export interface LayerFiles extends SyntheticLayer {
  readonly weightPath: string;
  readonly gramPath: string;
}

/** A safetensors file's bytes with a verbatim header (no validation, no padding) and data. */
export function rawSafetensors(header: unknown, data: Uint8Array = new Uint8Array()): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === "string" ? header : JSON.stringify(header),
  );
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

/** Writes a one-tensor safetensors file. */
export async function writeTensor(
  path: string,
  name: string,
  tensor: TensorToWrite,
): Promise<void> {
  await writeSafetensors(path, { [name]: tensor });
}

/** A generated layer written as W.safetensors (F32 "weight") and G.safetensors (F64 "gram"). */
export async function writeLayerFiles(
  dir: string,
  rows: number,
  d: number,
  seed: number,
): Promise<LayerFiles> {
  const layer = syntheticLayer({ rows, d, tokens: 4 * d, seed });
  const weightPath = `${dir}/W.safetensors`;
  const gramPath = `${dir}/G.safetensors`;
  await writeTensor(weightPath, "weight", { dtype: "F32", shape: [rows, d], data: layer.weight });
  await writeTensor(gramPath, "gram", { dtype: "F64", shape: [d, d], data: layer.gram });
  return { ...layer, weightPath, gramPath };
}

/** The start of a `refine` command line on a layer's files. */
export function refineArgs(layer: LayerFiles): string[] {
  return ["refine", "--weight", layer.weightPath, "--gram", layer.gramPath];
}
