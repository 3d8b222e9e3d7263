/**
 * Headless Chromium for the browser tests: Debian's `chromium` driven by npm puppeteer-core
 * (which downloads no browser of its own). Tests skip, saying why, where it is not installed.
 */

import type { Browser } from "puppeteer-core";

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
