/**
 * What the main thread and the workers share about the kernel module: its imports, and how a
 * kernel call is cut into pieces.
 *
 * @module
 */
/**
 * The kernel module's imports: the shared memory, and the host's Math.exp (attention's softmax
 * calls it so its bits are those of the TypeScript softmax).
 *
 * @param memory The memory the module works in.
 * @returns The import object.
 */
export declare function wasmImports(memory: WebAssembly.Memory): WebAssembly.Imports;
/** An exported kernel: pointer and size arguments, then the range [first, end). */
export type Kernel = (...args: number[]) => void;
/**
 * Calls `kernel(...args, from, to)` for consecutive pieces of at most `chunk` rows of
 * [first, end). V8 runs a wasm function's first invocations in its baseline compiler (Liftoff)
 * and only later calls get the optimising compiler's code, which cannot replace a call that is
 * already running: one long call would stay slow to its end. Measured on the CPU benchmark's
 * Gram accumulation, 1 thread: 3.5 GFLOP/s as one call, 9.1 in pieces (bench/cpu.ts).
 *
 * @param kernel The exported function.
 * @param args Its arguments before the range.
 * @param first First row.
 * @param end One past the last row.
 * @param chunk Rows per call.
 */
export declare function callInPieces(kernel: Kernel, args: readonly number[], first: number, end: number, chunk: number): void;
