// Types of the generated _wasm_binary.js (see assembly/build.ts).

/** SHA-256 of the AssemblyScript sources and build configuration the module was built from. */
export declare const SOURCE_HASH: string;

/** The module variants: plain WebAssembly SIMD, or relaxed SIMD with fused multiply-add. */
export type WasmVariant = "simd" | "relaxed";

/** The module's bytes: a variant on shared memory, or "private" (simd on unshared memory). */
export declare function wasmBytes(variant: WasmVariant | "private"): Uint8Array<ArrayBuffer>;
