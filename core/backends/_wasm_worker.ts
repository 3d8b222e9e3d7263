/// <reference lib="deno.worker" />
/**
 * A CPU-backend worker: instantiates the kernel module on the shared memory it is sent, then
 * runs the exported kernels it is asked to, one call at a time. Protocol (see wasm.ts):
 *
 *     → { module, memory }                       ← { ready: true }
 *     → { id, name, args, first, end, chunk }    ← { id } or { id, error }
 *
 * A call runs `name(...args, from, to)` over [first, end) in pieces of `chunk` rows (see
 * `callInPieces` in wasm.ts for why).
 *
 * @module
 */

import { callInPieces, type Kernel } from "./_wasm_pieces.ts";

let kernels: Record<string, Kernel> | undefined;

self.onmessage = async (event: MessageEvent) => {
  const message = event.data;
  if (message.module) {
    const instance = await WebAssembly.instantiate(message.module as WebAssembly.Module, {
      env: { memory: message.memory as WebAssembly.Memory },
    });
    kernels = instance.exports as unknown as Record<string, Kernel>;
    self.postMessage({ ready: true });
    return;
  }
  try {
    callInPieces(kernels![message.name], message.args, message.first, message.end, message.chunk);
    self.postMessage({ id: message.id });
  } catch (error) {
    self.postMessage({ id: message.id, error: String(error) });
  }
};
