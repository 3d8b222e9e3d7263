// The pruning page: reads the form, runs the work in web/worker.js (the tab stays responsive),
// draws progress, and offers the output files once a run has finished, never before.

const $ = (id) => document.getElementById(id);
const escape = (text) =>
  String(text).replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c],
  );

/** Files offered for download, revoked when a new run starts. */
let offered = [];
let worker;
let startedAt = 0;
/** The last pruned layer, shown beside the prune step's bar. */
let lastLayer = "";

function startWorker() {
  worker?.terminate();
  worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  worker.onmessage = ({ data }) => handlers[data.type]?.(data);
  worker.onerror = (event) => fail(event.message || "The worker failed to start");
}

function setBusy(busy) {
  for (const button of document.querySelectorAll("button.run")) button.disabled = busy;
  $("stop").disabled = !busy;
}

function fail(message) {
  $("message").textContent = message;
  $("message").hidden = false;
  $("status").textContent = "Stopped.";
  setBusy(false);
}

function clearOutputs() {
  for (const url of offered) URL.revokeObjectURL(url);
  offered = [];
  lastLayer = "";
  $("message").hidden = true;
  $("progress").innerHTML = "";
  $("results").hidden = true;
  $("downloads").innerHTML = "";
  $("refine-result").innerHTML = "";
}

/** A progress bar per step, created as the step first reports. */
function showProgress({ step, done, total, unit }, detail = "") {
  const id = `step-${step.replace(/\W+/g, "-")}`;
  let row = document.getElementById(id);
  if (!row) {
    row = document.createElement("div");
    row.id = id;
    row.className = "step";
    row.innerHTML = `<span class="label"></span><progress></progress><span class="count"></span>`;
    $("progress").append(row);
  }
  row.querySelector(".label").textContent = step;
  row.querySelector("progress").max = total;
  row.querySelector("progress").value = done;
  row.querySelector(".count").textContent = `${done}/${total} ${unit}${detail}`;
}

function offer(name, buffer, type = "application/octet-stream") {
  const url = URL.createObjectURL(new Blob([buffer], { type }));
  offered.push(url);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.textContent = `${name} (${(buffer.byteLength / 2 ** 20).toFixed(2)} MiB)`;
  return link;
}

const handlers = {
  status: ({ text }) => ($("status").textContent = text),
  backend: ({ description, skipped }) => {
    $("backend-used").textContent = description +
      (skipped.length ? ` (auto skipped ${skipped.join("; ")})` : "");
  },
  progress: (data) => showProgress(data, data.step === "prune" ? lastLayer : ""),
  layer: ({ report }) => {
    const reduction = (100 * report.relativeReduction).toFixed(1);
    lastLayer = ` · block ${report.block} ${report.layer}: error −${reduction}%`;
  },
  done: ({ report, files }) => {
    const seconds = (performance.now() - startedAt) / 1000;
    const byName = new Map(files);
    $("status").textContent = `Done in ${seconds.toFixed(1)} s on ${report.settings.backend}.`;
    const { summary } = report;
    $("summary").innerHTML = `<b>${escape(report.model.source)}</b> pruned to ${
      escape(report.settings.pattern)
    } (${(100 * summary.sparsity).toFixed(2)}% of linear weights zero). Layer error after the ${
      escape(report.settings.warm_start)
    } warm start ${(100 * summary.relativeErrorWarm).toFixed(3)}% of the output energy, after ${
      escape(report.settings.refine)
    } ${(100 * summary.relativeErrorRefined).toFixed(3)}% (mean reduction per layer ${
      (100 * summary.meanRelativeReduction).toFixed(1)
    }%).`;
    const sets = Object.entries(report.perplexity);
    $("perplexity").innerHTML = sets.length === 0
      ? "<tr><td>evaluation skipped (--eval-windows 0)</td></tr>"
      : "<tr><th>evaluation set</th><th>dense</th><th>pruned</th><th>windows</th></tr>" +
        sets.map(([name, p]) =>
          `<tr><td>${escape(name)}</td><td>${p.dense.toFixed(3)}</td><td>${
            p.pruned.toFixed(3)
          }</td><td>${p.windows}</td></tr>`
        ).join("");
    // The chart is the library's own SVG text, made from the report's numbers.
    $("chart").innerHTML = new TextDecoder().decode(byName.get("error_reduction.svg"));
    const list = $("downloads");
    for (const name of ["model.safetensors", "masks.safetensors", "report.json"]) {
      const item = document.createElement("li");
      item.append(
        offer(name, byName.get(name), name.endsWith(".json") ? "application/json" : undefined),
      );
      list.append(item);
    }
    const rest = document.createElement("li");
    rest.append("and for loading it elsewhere: ");
    for (const [name, buffer] of byName) {
      if (["model.safetensors", "masks.safetensors", "report.json"].includes(name)) continue;
      rest.append(offer(name, buffer), " ");
    }
    list.append(rest);
    $("results").hidden = false;
    setBusy(false);
  },
  refined: ({ summary, file }) => {
    const result = $("refine-result");
    result.innerHTML = `<p>${summary.rows} × ${summary.d} at ${escape(summary.pattern)} from the ${
      escape(summary.warm_start)
    } warm start: error ${summary.error_before.toPrecision(6)} → ${
      summary.error_after.toPrecision(6)
    } (−${(100 * summary.relative_reduction).toFixed(2)}%), ${summary.swaps} swaps, ${
      summary.seconds.toFixed(2)
    } s on ${escape(summary.backend_description)}.</p>`;
    result.append(offer("refined.safetensors", file));
    $("status").textContent = "Refined.";
    setBusy(false);
  },
  error: ({ message }) => fail(message),
};

/**
 * The form's flag fields (named after prune's flags), without the empty ones. One field takes
 * the sparsity: a fraction or percentage (--sparsity) or N:M (--pattern).
 */
function flagsOf(form) {
  const flags = {};
  for (const field of form.querySelectorAll("[data-flag]")) {
    if (field.value.trim() !== "") flags[field.dataset.flag] = field.value.trim();
  }
  const sparsity = flags.sparsity;
  if (/^\d+\s*:\s*\d+$/.test(sparsity ?? "")) {
    delete flags.sparsity;
    flags.pattern = sparsity.replace(/\s/g, "");
  } else if (sparsity?.endsWith("%")) {
    flags.sparsity = String(parseFloat(sparsity) / 100);
  }
  return flags;
}

function start(message) {
  clearOutputs();
  setBusy(true);
  startedAt = performance.now();
  $("status").textContent = "Starting…";
  if (!worker) startWorker();
  worker.postMessage(message);
}

$("prune-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const picked = [...$("model-files").files];
  const useFiles = $("model-choice-files").checked;
  if (useFiles && picked.length === 0) return fail("Pick the model's files first.");
  const flags = flagsOf($("prune-form"));
  // The run's flags, as prune would take them (tests and benchmarks repeat the run in Deno).
  $("prune-form").dataset.flags = JSON.stringify(flags);
  start({
    type: "prune",
    model: useFiles
      ? {
        kind: "files",
        files: picked,
        name: picked[0].webkitRelativePath?.split("/")[0] || "picked model",
      }
      : { kind: "stories15M" },
    flags,
    backend: $("backend").value,
    // A tab may hold about half the device's memory (deviceMemory is capped at 8 GiB).
    memoryLimit: ((navigator.deviceMemory ?? 4) * 2 ** 30) / 2,
  });
});

$("refine-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const [weight] = $("refine-weight").files;
  const [gram] = $("refine-gram").files;
  const [mask] = $("refine-mask").files;
  if (!weight || !gram) {
    return fail('Drop or pick W (tensor "weight") and G (tensor "gram") first.');
  }
  const flags = flagsOf($("refine-form"));
  start({ type: "refine", weight, gram, mask, flags, backend: $("backend").value });
});

$("stop").addEventListener("click", () => {
  // Terminating the worker stops the run at once; nothing it made is offered.
  startWorker();
  clearOutputs();
  fail("Stopped by you.");
});

// Files dropped on a drop zone go to its file input.
for (const zone of document.querySelectorAll(".drop")) {
  zone.addEventListener("dragover", (event) => event.preventDefault());
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    const input = zone.querySelector("input[type=file]");
    input.files = event.dataTransfer.files;
    if (input.id === "model-files") $("model-choice-files").checked = true;
  });
}
$("model-files").addEventListener("change", () => ($("model-choice-files").checked = true));

/** What this browser offers the library. */
async function checkBrowser() {
  const rows = [
    ["cross-origin isolated (wasm threads)", String(globalThis.crossOriginIsolated === true)],
    ["cores", String(navigator.hardwareConcurrency)],
    ["WebGPU", "gpu" in navigator ? "present" : "absent"],
  ];
  try {
    const lib = await import("../dist/sparseswaps.js");
    const kernels = await lib.createKernels("auto", {
      onSkip: (name, reason) => rows.push([`auto skipped ${name}`, reason]),
    });
    rows.push(["backend auto chose", kernels.description]);
    kernels.dispose();
  } catch (error) {
    rows.push(["library", `failed: ${error.message}`]);
  }
  $("checks").innerHTML = rows
    .map(([k, v]) => `<tr><td>${escape(k)}</td><td><b>${escape(v)}</b></td></tr>`)
    .join("");
}

setBusy(false);
// Offline once loaded: the service worker keeps what the page fetched (see sw.js).
await navigator.serviceWorker?.register("./sw.js").catch(() => {});
await checkBrowser();
