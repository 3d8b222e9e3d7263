/**
 * The pruning report: its JSON shape, a Markdown rendering, and an SVG chart of per-layer
 * relative error reduction (the paper's Figure 1: blocks on x, one series per projection).
 * Pure functions of the report.
 *
 * @module
 */

import { LINEAR_LAYERS } from "./model/checkpoint.ts";
import type { LayerReport } from "./pipeline.ts";

/** Perplexity of the dense and the pruned model on one evaluation set. */
export interface PerplexityPair {
  /** Dense model. */
  readonly dense: number;
  /** Pruned model. */
  readonly pruned: number;
  /** Windows scored. */
  readonly windows: number;
  /** Tokens predicted. */
  readonly tokens: number;
}

/** Data bytes stored densely and in compressed-tensors' sparse layout. */
export interface StorageBytes {
  /** Stored densely. */
  readonly dense_bytes: number;
  /** Stored in the sparse layout. */
  readonly compressed_bytes: number;
}

/** How big the pruned checkpoint is, as written and the other way. */
export interface StorageReport {
  /** What model.safetensors holds: dense or compressed. */
  readonly written: "dense" | "compressed";
  /** The compressed layout (written, or what `--format compressed` would write). */
  readonly sparse_format: string;
  /** Percentage of all parameters that are zero. */
  readonly global_sparsity: number;
  /** Each pruned weight, by tensor name. */
  readonly layers: readonly ({ readonly name: string } & StorageBytes)[];
  /** All pruned weights. */
  readonly pruned_layers: StorageBytes;
  /** Every tensor of the model (tensor data; headers, a few KiB, excluded). */
  readonly model: StorageBytes;
}

/** Everything `prune` writes to report.json. */
export interface PruneReport {
  /** The model that was pruned. */
  readonly model: {
    readonly source: string;
    readonly format: string;
    readonly parameters: number;
    readonly blocks: number;
  };
  /** The run's settings. */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /** One entry per linear layer. */
  readonly layers: readonly LayerReport[];
  /** Totals over all linear layers. */
  readonly summary: {
    /** Mean over layers of 1 − error_refined / error_warm. */
    readonly meanRelativeReduction: number;
    /** Σ error_warm / Σ output energy. */
    readonly relativeErrorWarm: number;
    /** Σ error_refined / Σ output energy. */
    readonly relativeErrorRefined: number;
    /**
     * Σ error of the written weights (error_updated where a layer's weights were updated, else
     * error_refined) / Σ output energy; absent when no layer was updated.
     */
    readonly relativeErrorUpdated?: number;
    /** Fraction of linear-layer weights that are zero in the output. */
    readonly sparsity: number;
  };
  /** Sizes of the checkpoint. */
  readonly storage: StorageReport;
  /** Perplexities by evaluation set (absent when evaluation was skipped). */
  readonly perplexity: Readonly<Record<string, PerplexityPair>>;
  /** Seconds per phase. */
  readonly timings: Readonly<Record<string, number>>;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
const short = (layer: string) => layer.replace(/^(self_attn|mlp)\./, "").replace(/_proj$/, "");

/**
 * Renders the report as Markdown.
 *
 * @param report The report.
 * @returns Markdown text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const md = reportMarkdown({
 *   model: { source: "m", format: "llama2c", parameters: 1, blocks: 1 }, settings: {}, layers: [],
 *   summary: { meanRelativeReduction: 0.25, relativeErrorWarm: 0.1, relativeErrorRefined: 0.075, sparsity: 0.6 },
 *   storage: {
 *     written: "dense", sparse_format: "sparse-bitmask", global_sparsity: 50, layers: [],
 *     pruned_layers: { dense_bytes: 2048, compressed_bytes: 1024 },
 *     model: { dense_bytes: 4096, compressed_bytes: 3072 },
 *   },
 *   perplexity: { in_domain: { dense: 2, pruned: 3, windows: 1, tokens: 10 } }, timings: { total: 1 },
 * });
 * assert.match(md, /\| in_domain \| 2\.000 \| 3\.000 \|/);
 * assert.match(md, /\| whole model \| 0\.00 MiB \| 0\.00 MiB \| 75\.00% \|/);
 * ```
 */
export function reportMarkdown(report: PruneReport): string {
  const lines = [
    `# Pruning report: ${report.model.source}`,
    "",
    `${report.model.format} checkpoint, ${
      report.model.parameters.toLocaleString("en")
    } parameters, ${report.model.blocks} blocks.`,
    "",
    "## Settings",
    "",
    "| setting | value |",
    "|---|---|",
    ...Object.entries(report.settings).map(([k, v]) => `| ${k} | ${v} |`),
    "",
    "## Result",
    "",
    `- Linear-layer sparsity: ${percent(report.summary.sparsity)}`,
    `- Mean relative error reduction over layers (refined vs warm start): ${
      percent(report.summary.meanRelativeReduction)
    }`,
    `- Total error / output energy: warm start ${
      report.summary.relativeErrorWarm.toExponential(4)
    }, refined ${report.summary.relativeErrorRefined.toExponential(4)}${
      report.summary.relativeErrorUpdated === undefined
        ? ""
        : `, with the updated weights ${report.summary.relativeErrorUpdated.toExponential(4)}`
    }`,
  ];
  const evaluated = report.layers.reduce((a, l) => a + l.pairsEvaluated, 0);
  const brute = report.layers.reduce((a, l) => a + l.pairsBruteForce, 0);
  if (brute > 0) {
    lines.push(
      `- Pair searches: ${evaluated.toExponential(3)} gains evaluated, ${
        percent(evaluated / brute)
      } of the ${brute.toExponential(3)} a brute-force search evaluates`,
    );
  }
  lines.push("", ...storageLines(report.storage), "");
  const sets = Object.entries(report.perplexity);
  if (sets.length > 0) {
    lines.push(
      "| evaluation | dense perplexity | pruned perplexity | windows | tokens |",
      "|---|---|---|---|---|",
    );
    for (const [name, p] of sets) {
      lines.push(
        `| ${name} | ${p.dense.toFixed(3)} | ${p.pruned.toFixed(3)} | ${p.windows} | ${p.tokens} |`,
      );
    }
    lines.push("");
  }
  lines.push(
    "## Layers",
    "",
    "Errors are Σ over rows of qᵀGq on the calibration tokens; energy is ‖WX‖².",
    "",
    "| block | layer | rows × d | pruned | warm error / energy | refined error / energy | updated error / energy | reduction | swaps | pairs searched | KiB dense → compressed | seconds |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  const bytesOf = new Map(report.storage.layers.map((l) => [l.name, l]));
  for (const l of report.layers) {
    const bytes = bytesOf.get(`model.layers.${l.block}.${l.layer}.weight`);
    const ratio = (e: number) => (l.outputEnergy > 0 ? (e / l.outputEnergy).toExponential(3) : "–");
    lines.push(
      `| ${l.block} | ${short(l.layer)} | ${l.rows} × ${l.d} | ${percent(l.sparsity)} | ${
        ratio(l.errorWarm)
      } | ${ratio(l.errorRefined)} | ${
        l.errorUpdated === undefined ? "–" : ratio(l.errorUpdated)
      } | ${percent(l.relativeReduction)} | ${l.swaps} | ${
        l.pairsBruteForce > 0 ? percent(l.pairsEvaluated / l.pairsBruteForce) : "–"
      } | ${bytes ? `${kib(bytes.dense_bytes)} → ${kib(bytes.compressed_bytes)}` : "–"} | ${
        l.seconds.toFixed(2)
      } |`,
    );
  }
  lines.push("", "## Timings (seconds)", "", "| phase | seconds |", "|---|---|");
  for (const [phase, seconds] of Object.entries(report.timings)) {
    lines.push(`| ${phase} | ${seconds.toFixed(2)} |`);
  }
  lines.push("", "![Relative error reduction per layer](error_reduction.svg)", "");
  return lines.join("\n");
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

/** The storage paragraph: what model.safetensors holds, and the other format's size. */
function storageLines(storage: StorageReport): string[] {
  const { model, pruned_layers: pruned } = storage;
  const share = (b: StorageBytes) => percent(b.compressed_bytes / b.dense_bytes);
  return [
    "## Storage",
    "",
    `model.safetensors is ${storage.written} (${
      storage.written === "compressed"
        ? `compressed-tensors ${storage.sparse_format}`
        : `zeros stored; \`--format compressed\` writes ${storage.sparse_format}`
    }); ${storage.global_sparsity.toFixed(2)}% of all parameters are zero.`,
    "",
    "| tensors | dense | compressed | compressed / dense |",
    "|---|---|---|---|",
    `| pruned linear weights | ${mib(pruned.dense_bytes)} | ${mib(pruned.compressed_bytes)} | ${
      share(pruned)
    } |`,
    `| whole model | ${mib(model.dense_bytes)} | ${mib(model.compressed_bytes)} | ${
      share(model)
    } |`,
  ];
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];

/**
 * An SVG line chart of relative error reduction per block, one series per projection type.
 *
 * @param layers The per-layer reports.
 * @param blocks Number of blocks.
 * @returns SVG text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const svg = errorReductionSvg([], 2);
 * assert.match(svg, /^<svg /);
 * assert.match(svg, /q_proj|q</);
 * ```
 */
export function errorReductionSvg(layers: readonly LayerReport[], blocks: number): string {
  const width = 760;
  const height = 420;
  const left = 64;
  const right = 130;
  const top = 40;
  const bottom = 56;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const maxValue = Math.max(0.01, ...layers.map((l) => l.relativeReduction));
  const step = [0.01, 0.02, 0.05, 0.1, 0.2].find((s) => maxValue / s <= 6) ?? 0.2;
  const ticks = Math.ceil(maxValue / step);
  const yMax = ticks * step;
  const x = (block: number) =>
    left + (blocks > 1 ? (block / (blocks - 1)) * plotWidth : plotWidth / 2);
  const y = (value: number) => top + plotHeight - (Math.max(0, value) / yMax) * plotHeight;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${
      left + plotWidth / 2
    }" y="22" text-anchor="middle" font-size="15">Relative error reduction vs warm start, per layer</text>`,
  ];
  for (let i = 0; i <= ticks; i++) {
    const value = step * i;
    parts.push(
      `<line x1="${left}" x2="${left + plotWidth}" y1="${y(value)}" y2="${
        y(value)
      }" stroke="#ddd"/>`,
      `<text x="${left - 8}" y="${y(value) + 4}" text-anchor="end">${
        (100 * value).toFixed(0)
      }%</text>`,
    );
  }
  for (let b = 0; b < blocks; b++) {
    parts.push(`<text x="${x(b)}" y="${top + plotHeight + 18}" text-anchor="middle">${b}</text>`);
  }
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotHeight}" stroke="#333"/>`,
    `<line x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${
      top + plotHeight
    }" stroke="#333"/>`,
    `<text x="${left + plotWidth / 2}" y="${height - 14}" text-anchor="middle">block</text>`,
  );
  LINEAR_LAYERS.forEach((layer, i) => {
    const points = layers.filter((l) => l.layer === layer).sort((a, b) => a.block - b.block);
    const color = COLORS[i];
    if (points.length > 0) {
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${
          points.map((p) => `${x(p.block).toFixed(1)},${y(p.relativeReduction).toFixed(1)}`).join(
            " ",
          )
        }"/>`,
        ...points.map((p) =>
          `<circle cx="${x(p.block).toFixed(1)}" cy="${
            y(p.relativeReduction).toFixed(1)
          }" r="3" fill="${color}"/>`
        ),
      );
    }
    const ly = top + 14 + i * 20;
    parts.push(
      `<line x1="${width - right + 16}" x2="${width - right + 40}" y1="${ly - 4}" y2="${
        ly - 4
      }" stroke="${color}" stroke-width="2"/>`,
      `<text x="${width - right + 46}" y="${ly}">${layer.replace(/^(self_attn|mlp)\./, "")}</text>`,
    );
  });
  parts.push("</svg>", "");
  return parts.join("\n");
}
