/**
 * The pruning report: its JSON shape, a Markdown rendering, and an SVG chart of per-layer
 * relative error reduction (the paper's Figure 1: blocks on x, one series per projection).
 * Pure functions of the report.
 *
 * @module
 */
import type { LayerReport } from "./pipeline.js";
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
    readonly layers: readonly ({
        readonly name: string;
    } & StorageBytes)[];
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
export declare function reportMarkdown(report: PruneReport): string;
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
export declare function errorReductionSvg(layers: readonly LayerReport[], blocks: number): string;
