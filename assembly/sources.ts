/**
 * What the CPU backend is built from, and its hash: shared by the build script and the test
 * that checks the committed module is current.
 *
 * @module
 */

/** The files, relative to the repository root, whose content determines the module. */
export const WASM_SOURCES: readonly string[] = [
  "assembly/asconfig.json",
  "assembly/gram.ts",
  "assembly/index.ts",
  "assembly/matmul.ts",
  "assembly/swaps.ts",
  "assembly/vector.ts",
  "assembly/build.ts",
];

/**
 * SHA-256 (hex) over the sources' names and contents.
 *
 * @param root The repository root.
 * @returns The hash.
 */
export async function sourceHash(root: URL): Promise<string> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const path of WASM_SOURCES) {
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
