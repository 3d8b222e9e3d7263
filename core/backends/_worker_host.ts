/**
 * The wasm backend's worker threads wherever it runs: a module `Worker` in browsers and Deno,
 * `node:worker_threads` in Node (which has no global `Worker` before version 22 and passes
 * message data directly instead of in an event). Both sides speak through a {@linkcode WorkerPort}.
 *
 * @module
 */

/** One side of a worker's message channel. */
export interface WorkerPort {
  /** Sends a message (structured clone: WebAssembly modules and shared memory included). */
  post(message: unknown): void;
  /** Receives every message's data. */
  onMessage(handler: (data: unknown) => void): void;
}

/** A started worker, seen from the thread that started it. */
export interface WorkerHandle extends WorkerPort {
  /** Calls `handler` with the reason when the worker fails to load or throws. */
  onError(handler: (message: string) => void): void;
  /** Stops the worker. */
  terminate(): void;
}

/**
 * Starts a module worker.
 *
 * @param url The worker's module.
 * @returns Its handle.
 */
export async function startWorker(url: URL): Promise<WorkerHandle> {
  if (typeof Worker !== "undefined") {
    const worker = new Worker(url.href, { type: "module" });
    return {
      post: (message) => worker.postMessage(message),
      onMessage: (handler) => void (worker.onmessage = (event) => handler(event.data)),
      onError: (handler) =>
        void (worker.onerror = (event) => {
          event.preventDefault();
          handler(event.message);
        }),
      terminate: () => worker.terminate(),
    };
  }
  const { Worker: NodeWorker } = await import("node:worker_threads");
  // Not the parent's flags: `node --input-type=module -e` would make the worker fail to load.
  const worker = new NodeWorker(url, { execArgv: [] });
  return {
    post: (message) => worker.postMessage(message),
    onMessage: (handler) => void worker.on("message", handler),
    onError: (handler) => void worker.on("error", (error) => handler(String(error))),
    terminate: () => void worker.terminate(),
  };
}

/**
 * The worker side: the web worker's own scope where there is one, else Node's `parentPort`.
 *
 * @returns The port to the thread that started this worker.
 */
export async function parentPort(): Promise<WorkerPort> {
  const scope = globalThis as unknown as {
    postMessage?: (message: unknown) => void;
    onmessage?: (event: MessageEvent) => void;
  };
  if (typeof scope.postMessage === "function") {
    return {
      post: (message) => scope.postMessage!(message),
      onMessage: (handler) => void (scope.onmessage = (event) => handler(event.data)),
    };
  }
  const { parentPort: port } = await import("node:worker_threads");
  if (!port) throw new Error("The wasm worker module must run in a worker thread");
  return {
    post: (message) => port.postMessage(message),
    onMessage: (handler) => void port.on("message", handler),
  };
}
