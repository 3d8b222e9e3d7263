/**
 * Headless Chromium for the browser tests: Debian's `chromium` driven by npm puppeteer-core
 * (which downloads no browser of its own). Tests skip, saying why, where it is not installed.
 */

import type { Browser } from "puppeteer-core";
import { serveWeb } from "../web/serve.ts";

/** Where Debian installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether Chromium is installed here. */
export const hasChromium: boolean = await Deno.stat(CHROMIUM).then(() => true, () => false);

/**
 * Launches headless Chromium.
 *
 * @param webgpu Enable WebGPU (through SwiftShader, the software adapter).
 * @returns The browser; close it when done.
 */
export async function launchChromium(webgpu = true): Promise<Browser> {
  const { default: puppeteer } = await import("puppeteer-core");
  return await puppeteer.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--headless=new",
      ...(webgpu ? ["--enable-unsafe-webgpu", "--use-angle=swiftshader"] : []),
    ],
  });
}

/**
 * A test in headless Chromium with the page server running: skipped, saying why, where Chromium
 * is not installed; the browser and server are closed after it.
 *
 * @param name What the test proves.
 * @param fn The test, given the browser, the server's URL and a function that stops the server
 *   (for tests of the page offline).
 */
export function chromiumTest(
  name: string,
  fn: (browser: Browser, url: string, stopServer: () => Promise<void>) => Promise<void>,
): void {
  Deno.test({
    name: hasChromium ? name : `${name} SKIPPED (no ${CHROMIUM}: apt-get install chromium)`,
    ignore: !hasChromium,
    // puppeteer keeps sockets and timers of its own between calls.
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const server = serveWeb(0);
      let stopped: Promise<void> | undefined;
      const stopServer = () => stopped ??= server.shutdown();
      const browser = await launchChromium();
      try {
        await fn(browser, server.url, stopServer);
      } finally {
        await browser.close();
        await stopServer();
      }
    },
  });
}
