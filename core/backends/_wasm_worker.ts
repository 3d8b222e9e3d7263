/**
 * A CPU-backend worker (a web or Deno worker, or a Node worker thread): instantiates the kernel
 * module on the shared memory it is sent, then runs the exported kernels it is asked to, one
 * call at a time. Protocol (see wasm.ts):
 *
 *     → { module, memory }                       ← { ready: true }
 *     → { id, name, args, first, end, chunk }    ← { id } or { id, error }
 *
 * A call runs `name(...args, from, to)` over [first, end) in pieces of `chunk` rows (see
 * `callInPieces` in wasm.ts for why).
 *
 * @module
 */

import { callInPieces, type Kernel, wasmImports } from "./_wasm_pieces.ts";
import { parentPort } from "./_worker_host.ts";

let kernels: Record<string, Kernel> | undefined;
const port = await parentPort();

port.onMessage(async (data) => {
  const message = data as {
    module?: WebAssembly.Module;
    memory?: WebAssembly.Memory;
    id: number;
    name: string;
    args: number[];
    first: number;
    end: number;
    chunk: number;
  };
  if (message.module) {
    const instance = await WebAssembly.instantiate(message.module, wasmImports(message.memory!));
    kernels = instance.exports as unknown as Record<string, Kernel>;
    port.post({ ready: true });
    return;
  }
  try {
    callInPieces(kernels![message.name], message.args, message.first, message.end, message.chunk);
    port.post({ id: message.id });
  } catch (error) {
    port.post({ id: message.id, error: String(error) });
  }
});
