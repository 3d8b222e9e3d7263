// The page's worker: pruning and refinement run here, off the main thread, with the library
// bundle. Messages in: {type: "prune", model, flags, backend, memoryLimit} and
// {type: "refine", weight, gram, mask, flags, backend}. Messages out: status, backend,
// progress, layer, done / refined (output files as transferred ArrayBuffers) and error.

import * as lib from "../dist/sparseswaps.js";

const post = (message, transfer = []) => self.postMessage(message, transfer);

self.onmessage = async ({ data }) => {
  try {
    if (data.type === "prune") await prune(data);
    else if (data.type === "refine") await refine(data);
  } catch (error) {
    post({ type: "error", message: error?.message ?? String(error) });
  }
};

/**
 * A file served by the page's own origin, kept in the Cache API so that a reload needs no network
 * (the model does not change: it is read from the cache first).
 */
async function served(url, label) {
  const cache = "caches" in self ? await caches.open("sparseswaps-models") : undefined;
  let response = await cache?.match(url);
  if (!response) {
    post({ type: "status", text: `Downloading ${label} from this server…` });
    response = await fetch(url).catch((error) => {
      throw new Error(`Cannot load ${label} (${url}): ${error.message}`);
    });
    if (!response.ok) {
      throw new Error(`Cannot load ${label} (${url}): ${response.status} ${await response.text()}`);
    }
    await cache?.put(url, response.clone());
  }
  return await response.blob();
}

async function openKernels(backend) {
  const skipped = [];
  const kernels = await lib.createKernels(backend, {
    onSkip: (name, reason) => skipped.push(`${name}: ${reason}`),
  });
  post({ type: "backend", description: kernels.description, skipped });
  return { kernels, skipped };
}

/** Bytes as an ArrayBuffer of their own, to transfer. */
function ownBuffer(bytes) {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer
    : bytes.slice().buffer;
}

async function prune({ model, flags, backend, memoryLimit }) {
  const settings = lib.parseRunSettings(flags);
  post({ type: "status", text: "Opening the model…" });
  const stories = model.kind === "stories15M";
  const files = stories
    ? {
      name: "stories15M",
      model: lib.blobSource(
        "stories15M.bin",
        await served("/models/stories15M/stories15M.bin", "stories15M (58 MiB)"),
      ),
      tokenizer: lib.blobSource(
        "tokenizer.bin",
        await served("/models/stories15M/tokenizer.bin", "its tokenizer"),
      ),
    }
    : lib.pickedModelFiles(model.files, model.name);
  const source = await lib.openModelSource(files);
  try {
    const { kernels, skipped } = await openKernels(backend);
    try {
      post({ type: "status", text: `Pruning ${source.name} on ${kernels.description}` });
      const result = await lib.pruneInMemory({
        kernels,
        source,
        settings,
        skipped,
        memoryLimit,
        mobyDick: stories
          ? async () => await (await served("/models/moby-dick.txt", "Moby-Dick")).text()
          : undefined,
        onProgress: (step, done, total, unit) =>
          post({ type: "progress", step, done, total, unit }),
        onLayer: (report, done, total) => post({ type: "layer", report, done, total }),
      });
      const buffers = [...result.files].map(([name, bytes]) => [name, ownBuffer(bytes)]);
      post({ type: "done", report: result.report, files: buffers }, buffers.map(([, b]) => b));
    } finally {
      kernels.dispose();
    }
  } finally {
    source.checkpoint.close();
  }
}

async function refine({ weight, gram, mask, flags, backend }) {
  const method = lib.parseMethodFlags(flags, "sparseswaps");
  const input = await lib.readRefineInput({
    weight: lib.blobSource(weight.name, weight),
    gram: lib.blobSource(gram.name, gram),
    mask: mask ? lib.blobSource(mask.name, mask) : undefined,
    pattern: method.pattern,
  });
  const { kernels, skipped } = await openKernels(backend);
  try {
    const { summary, bytes } = await lib.refineLayerInput({
      input,
      kernels,
      skipped,
      ...method,
      format: "dense",
      onProgress: (done, rows) =>
        post({ type: "progress", step: "refine", done, total: rows, unit: "rows" }),
    });
    const buffer = ownBuffer(bytes);
    post({ type: "refined", summary, file: buffer }, [buffer]);
  } finally {
    kernels.dispose();
  }
}
