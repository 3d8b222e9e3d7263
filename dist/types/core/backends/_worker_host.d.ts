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
export declare function startWorker(url: URL): Promise<WorkerHandle>;
/**
 * The worker side: the web worker's own scope where there is one, else Node's `parentPort`.
 *
 * @returns The port to the thread that started this worker.
 */
export declare function parentPort(): Promise<WorkerPort>;
