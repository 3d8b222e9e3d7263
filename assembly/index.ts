// The CPU kernels of sparseswaps, compiled to WebAssembly with SIMD (see asconfig.json).
//
// Every function works on raw pointers into one shared memory that the TypeScript host lays out
// (core/backends/wasm.ts) and takes, as its last two arguments, a half-open range [first, end)
// of the rows it computes, so workers can split a call and the host can call it in small
// pieces. Nothing here allocates.

export { gramAccumulate, gramMirror } from "./gram";
export {
  applySwaps,
  bestSwapsBounded,
  bestSwapsInBlocks,
  bestSwapsPerRow,
  BOUNDED_SCRATCH_COLUMNS,
  correlate,
  CORRELATE_ROWS,
  rowErrors,
  ROW_BLOCK,
} from "./swaps";
export { gramNeighbours, ROW_ORDER_SCRATCH_COLUMNS, rowOrders } from "./bounds";
export { matmul, matmulBf16, matmulColumns, matmulColumnsBf16 } from "./matmul";
export { attention } from "./attention";
export { rebuildRows } from "./update";
