/**
 * What the generated modules are built from, and their hashes: shared by the build scripts
 * (assembly/build.ts, shaders/build.ts) and the tests that check the committed output is current.
 *
 * @module
 */

// deno-lint-ignore-file no-console

/** The files, relative to the repository root, whose content determines the module. */
export const WASM_SOURCES: readonly string[] = [
  "assembly/asconfig.json",
  "assembly/attention.ts",
  "assembly/bounds.ts",
  "assembly/gram.ts",
  "assembly/index.ts",
  "assembly/matmul.ts",
  "assembly/swaps.ts",
  "assembly/update.ts",
  "assembly/vector.ts",
  "assembly/build.ts",
];

/**
 * SHA-256 (hex) over source files' names and contents.
 *
 * @param root The repository root.
 * @param files The files, relative to the root (default: the CPU backend's).
 * @returns The hash.
 */
export async function sourceHash(
  root: URL,
  files: readonly string[] = WASM_SOURCES,
): Promise<string> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const path of files) {
    parts.push(encoder.encode(`${path}\n`), await Deno.readFile(new URL(path, root)));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  const digest = await crypto.subtle.digest("SHA-256", all);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Base64 of bytes (btoa over a binary string, in chunks to stay within argument limits).
 *
 * @param bytes The bytes.
 * @returns Their base64 text.
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Writes a generated file, or with `--check` only compares it with the committed one and exits
 * non-zero when they differ (the build scripts' shared command line).
 *
 * @param root The repository root.
 * @param path The generated file, relative to the root.
 * @param text Its freshly generated content.
 * @param task The deno task that regenerates it, for the message.
 */
export async function writeOrCheck(
  root: URL,
  path: string,
  text: string,
  task: string,
): Promise<void> {
  const target = new URL(path, root);
  if (Deno.args.includes("--check")) {
    const committed = await Deno.readTextFile(target).catch(() => "");
    if (committed !== text) {
      console.error(`${path} is stale: run \`deno task ${task}\` and commit it`);
      Deno.exit(1);
    }
    console.log(`${path} is up to date`);
  } else {
    await Deno.writeTextFile(target, text);
    console.log(`wrote ${path}`);
  }
}
