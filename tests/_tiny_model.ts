/**
 * A tiny random LLaMA (GQA, two blocks) written in both checkpoint formats, and a float64
 * forward pass written the way llama2.c's run.c computes it (token by token, interleaved
 * rotary pairs, llama2.c weight layout): the oracle the model code is checked against.
 *
 * @module
 */

import { type LlamaConfig, llamaConfigJson } from "../core/model/config.ts";
import { expectedTensors } from "../core/model/checkpoint.ts";
import { writeSafetensors } from "../core/safetensors.ts";
import { createRandom } from "../core/synthetic.ts";

export const TINY: LlamaConfig = {
  dim: 16,
  hiddenDim: 24,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  headDim: 4,
  vocabSize: 40,
  maxSeqLen: 12,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: true,
};

/** llama2.c arrays of the tiny model (q/k rows in llama2.c's interleaved convention). */
export interface Llama2cWeights {
  embed: Float32Array;
  rmsAtt: Float32Array[];
  wq: Float32Array[];
  wk: Float32Array[];
  wv: Float32Array[];
  wo: Float32Array[];
  rmsFfn: Float32Array[];
  w1: Float32Array[];
  w2: Float32Array[];
  w3: Float32Array[];
  rmsFinal: Float32Array;
  wcls?: Float32Array;
}

export function tinyWeights(seed: number, config: LlamaConfig = TINY): Llama2cWeights {
  const random = createRandom(seed);
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize } = config;
  const normal = (n: number, scale: number) =>
    Float32Array.from({ length: n }, () => scale * random.normal());
  const norms = () => Float32Array.from({ length: dim }, () => 1 + 0.1 * random.normal());
  const layers = <T>(make: () => T) => Array.from({ length: nLayers }, make);
  return {
    embed: normal(vocabSize * dim, 1),
    rmsAtt: layers(norms),
    wq: layers(() => normal(nHeads * headDim * dim, 0.4)),
    wk: layers(() => normal(nKvHeads * headDim * dim, 0.4)),
    wv: layers(() => normal(nKvHeads * headDim * dim, 0.4)),
    wo: layers(() => normal(dim * nHeads * headDim, 0.3)),
    rmsFfn: layers(norms),
    w1: layers(() => normal(hiddenDim * dim, 0.3)),
    w2: layers(() => normal(dim * hiddenDim, 0.3)),
    w3: layers(() => normal(hiddenDim * dim, 0.3)),
    rmsFinal: norms(),
    wcls: config.tieWordEmbeddings ? undefined : normal(vocabSize * dim, 0.5),
  };
}

/** The llama2.c .bin bytes of weights. */
export function llama2cBytes(w: Llama2cWeights, config: LlamaConfig = TINY): Uint8Array {
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen, headDim } = config;
  const header = new Int32Array([
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    config.tieWordEmbeddings ? vocabSize : -vocabSize,
    maxSeqLen,
  ]);
  const freqs = new Float32Array(maxSeqLen * headDim); // freq_cis_real and _imag: unused
  const parts: ArrayBufferView[] = [
    header,
    w.embed,
    ...w.rmsAtt,
    ...w.wq,
    ...w.wk,
    ...w.wv,
    ...w.wo,
    ...w.rmsFfn,
    ...w.w1,
    ...w.w2,
    ...w.w3,
    w.rmsFinal,
    freqs,
    ...(w.wcls ? [w.wcls] : []),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), offset);
    offset += p.byteLength;
  }
  return out;
}

/**
 * Meta → Hugging Face q/k permutation, as convert_llama_weights_to_hf.py writes it:
 * w.view(heads, headDim/2, 2, in).transpose(1, 2).reshape(heads·headDim, in).
 */
function metaToHf(w: Float32Array, heads: number, headDim: number): Float32Array {
  const inDim = w.length / (heads * headDim);
  const half = headDim / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++) {
    for (let two = 0; two < 2; two++) {
      for (let i = 0; i < half; i++) {
        for (let col = 0; col < inDim; col++) {
          // destination index (h, two, i) in the transposed view reads source (h, i, two).
          out[((h * 2 + two) * half + i) * inDim + col] =
            w[((h * half + i) * 2 + two) * inDim + col];
        }
      }
    }
  }
  return out;
}

/** How writeHuggingFace stores a checkpoint. */
export interface HuggingFaceLayout {
  /** Element type of every tensor (default F32; F16 and BF16 round the float32 weights). */
  readonly dtype?: "F32" | "F16" | "BF16";
  /** Split into this many shards with model.safetensors.index.json (default: one file). */
  readonly shards?: number;
  /** Extra config.json fields (rope_scaling, …). */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** Float32 values in a 16-bit float type: F16 by Float16Array, BF16 by rounding to nearest even. */
function encode16(values: Float32Array, dtype: "F16" | "BF16"): Uint16Array {
  if (dtype === "F16") return new Uint16Array(Float16Array.from(values).buffer);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return Uint16Array.from(bits, (b) => (b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
}

/**
 * Writes the same weights as a Hugging Face directory (config.json + model.safetensors, or
 * shards and their index).
 */
export async function writeHuggingFace(
  dir: string,
  w: Llama2cWeights,
  config: LlamaConfig = TINY,
  layout: HuggingFaceLayout = {},
): Promise<void> {
  const { dtype = "F32", shards = 1 } = layout;
  const byName: Record<string, Float32Array> = {
    "model.embed_tokens.weight": w.embed,
    "model.norm.weight": w.rmsFinal,
  };
  if (w.wcls) byName["lm_head.weight"] = w.wcls;
  for (let l = 0; l < config.nLayers; l++) {
    const p = `model.layers.${l}`;
    byName[`${p}.input_layernorm.weight`] = w.rmsAtt[l];
    byName[`${p}.self_attn.q_proj.weight`] = metaToHf(w.wq[l], config.nHeads, config.headDim);
    byName[`${p}.self_attn.k_proj.weight`] = metaToHf(w.wk[l], config.nKvHeads, config.headDim);
    byName[`${p}.self_attn.v_proj.weight`] = w.wv[l];
    byName[`${p}.self_attn.o_proj.weight`] = w.wo[l];
    byName[`${p}.post_attention_layernorm.weight`] = w.rmsFfn[l];
    byName[`${p}.mlp.gate_proj.weight`] = w.w1[l];
    byName[`${p}.mlp.down_proj.weight`] = w.w2[l];
    byName[`${p}.mlp.up_proj.weight`] = w.w3[l];
  }
  const entries = expectedTensors(config).map(({ name, shape }) => {
    const values = byName[name];
    const data = dtype === "F32" ? values : encode16(values, dtype);
    return [name, { dtype, shape, data }] as const;
  });
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ ...llamaConfigJson(config, dtype), ...layout.config }),
  );
  if (shards === 1) {
    await writeSafetensors(`${dir}/model.safetensors`, Object.fromEntries(entries));
    return;
  }
  const weightMap: Record<string, string> = {};
  const per = Math.ceil(entries.length / shards);
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, "0")}-of-${
      String(shards).padStart(5, "0")
    }.safetensors`;
    const part = entries.slice(s * per, (s + 1) * per);
    for (const [name] of part) weightMap[name] = file;
    await writeSafetensors(`${dir}/${file}`, Object.fromEntries(part));
  }
  await Deno.writeTextFile(
    `${dir}/model.safetensors.index.json`,
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
}

/** run.c's forward for one sequence, all in float64: logits (tokens, vocab). */
export function oracleLogits(
  w: Llama2cWeights,
  tokens: number[],
  config: LlamaConfig = TINY,
): Float64Array[] {
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize } = config;
  const kvDim = nKvHeads * headDim;
  const kvMul = nHeads / nKvHeads;
  const matvec = (m: Float32Array, x: ArrayLike<number>, rows: number, cols: number) =>
    Array.from({ length: rows }, (_, r) => {
      let s = 0;
      for (let c = 0; c < cols; c++) s += m[r * cols + c] * x[c];
      return s;
    });
  const rmsnorm = (x: number[], weight: Float32Array) => {
    let ss = 0;
    for (const v of x) ss += v * v;
    const scale = 1 / Math.sqrt(ss / x.length + config.rmsNormEps);
    return x.map((v, i) => v * scale * weight[i]);
  };
  const rope = (v: number[], width: number, pos: number) => {
    for (let i = 0; i < width; i += 2) {
      const freq = 1 / Math.pow(10000, (i % headDim) / headDim);
      const angle = pos * freq;
      const [a, b] = [v[i], v[i + 1]];
      v[i] = a * Math.cos(angle) - b * Math.sin(angle);
      v[i + 1] = a * Math.sin(angle) + b * Math.cos(angle);
    }
  };
  const keys: number[][][] = Array.from({ length: nLayers }, () => []);
  const values: number[][][] = Array.from({ length: nLayers }, () => []);
  const out: Float64Array[] = [];
  tokens.forEach((token, pos) => {
    let x = Array.from(w.embed.subarray(token * dim, (token + 1) * dim));
    for (let l = 0; l < nLayers; l++) {
      const xb = rmsnorm(x, w.rmsAtt[l]);
      const q = matvec(w.wq[l], xb, dim, dim);
      const k = matvec(w.wk[l], xb, kvDim, dim);
      const v = matvec(w.wv[l], xb, kvDim, dim);
      rope(q, dim, pos);
      rope(k, kvDim, pos);
      keys[l].push(k);
      values[l].push(v);
      const mixed = new Array(dim).fill(0);
      for (let h = 0; h < nHeads; h++) {
        const kvh = Math.floor(h / kvMul);
        const scores = keys[l].map((kt) => {
          let s = 0;
          for (let i = 0; i < headDim; i++) s += q[h * headDim + i] * kt[kvh * headDim + i];
          return s / Math.sqrt(headDim);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const total = e.reduce((a, b) => a + b);
        for (let t = 0; t < e.length; t++) {
          for (let i = 0; i < headDim; i++) {
            mixed[h * headDim + i] += (e[t] / total) * values[l][t][kvh * headDim + i];
          }
        }
      }
      const attended = matvec(w.wo[l], mixed, dim, dim);
      x = x.map((v, i) => v + attended[i]);
      const xf = rmsnorm(x, w.rmsFfn[l]);
      const h1 = matvec(w.w1[l], xf, hiddenDim, dim);
      const h3 = matvec(w.w3[l], xf, hiddenDim, dim);
      const hb = h1.map((g, i) => (g / (1 + Math.exp(-g))) * h3[i]);
      const down = matvec(w.w2[l], hb, dim, hiddenDim);
      x = x.map((v, i) => v + down[i]);
    }
    const final = rmsnorm(x, w.rmsFinal);
    out.push(Float64Array.from(matvec(w.wcls ?? w.embed, final, vocabSize, dim)));
  });
  return out;
}

/** A tiny model with a vocabulary that fits a llama2.c tokenizer (3 special + 256 byte tokens). */
export const TINY_TEXT_MODEL: LlamaConfig = { ...TINY, vocabSize: 300, maxSeqLen: 32 };

/**
 * A llama2.c tokenizer.bin for TINY_TEXT_MODEL: <unk>, <s>, </s>, the 256 byte tokens (bytes
 * ≥ 0x80 spelled as UTF-8 of the Latin-1 character, as stories15M's file does), then 41 merges.
 */
export function tinyTokenizerBytes(): Uint8Array {
  const merges = [
    " t",
    "th",
    "he",
    " the",
    "in",
    " a",
    "an",
    "er",
    "on",
    " s",
    "re",
    "at",
    "en",
    "nd",
    " an",
    " and",
    "is",
    "it",
    " w",
    "ou",
    "es",
    "ed",
    "or",
    " o",
    " i",
    "ing",
    " to",
    "ar",
    " he",
    " was",
    "al",
    "le",
    "ch",
    " c",
    "ll",
    " b",
    "as",
    " f",
    " m",
    "om",
    " h",
  ];
  const encoder = new TextEncoder();
  const pieces: [number, Uint8Array][] = [
    [0, encoder.encode("<unk>")],
    [0, encoder.encode("\n<s>\n")],
    [0, encoder.encode("\n</s>\n")],
  ];
  for (let b = 0; b < 256; b++) pieces.push([0, encoder.encode(String.fromCharCode(b))]);
  merges.forEach((m, i) => pieces.push([-1 - i, encoder.encode(m)]));
  const size = 4 + pieces.reduce((n, [, p]) => n + 8 + p.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setInt32(0, Math.max(...pieces.map(([, p]) => p.length)), true);
  let offset = 4;
  for (const [score, piece] of pieces) {
    view.setFloat32(offset, score, true);
    view.setInt32(offset + 4, piece.length, true);
    out.set(piece, offset + 8);
    offset += 8 + piece.length;
  }
  return out;
}

/**
 * A Hugging Face tokenizer.json in LLaMA 2's shape for TINY_TEXT_MODEL: BPE over "▁" and a few
 * letters, BOS added by the post-processor, and `<unk>`, `<s>`, `</s>` listed both in the
 * vocabulary and as added tokens (ids 0–2), as LLaMA 2's file does.
 */
export function tinyHuggingFaceTokenizer(): Record<string, unknown> {
  const chars = "abcdefghijklmnopqrstuvwxyz.,".split("");
  const specials = ["<unk>", "<s>", "</s>"];
  const vocab: Record<string, number> = {};
  for (const piece of [...specials, "▁", ...chars, ...chars.map((c) => "▁" + c)]) {
    vocab[piece] = Object.keys(vocab).length;
  }
  return {
    version: "1.0",
    added_tokens: specials.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Prepend", prepend: "▁" },
        { type: "Replace", pattern: { String: " " }, content: "▁" },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: null,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: false,
      vocab,
      merges: chars.map((c) => `▁ ${c}`),
    },
  };
}

/**
 * Writes `dir`/model: a tiny text model (weights of `seed`) as a Hugging Face directory with its
 * llama2.c tokenizer.bin, the input most `prune` tests start from.
 */
export async function writeTinyTextModel(
  dir: string,
  seed: number,
  config: LlamaConfig = TINY_TEXT_MODEL,
  layout: HuggingFaceLayout = {},
): Promise<string> {
  const model = `${dir}/model`;
  await writeHuggingFace(model, tinyWeights(seed, config), config, layout);
  await Deno.writeFile(`${model}/tokenizer.bin`, tinyTokenizerBytes());
  return model;
}

/**
 * Runs `body` with a temporary directory holding the tiny text model as a Hugging Face directory
 * (`hf/`, with tokenizer.bin) and as a llama2.c file (`tiny.bin` and `tokenizer.bin`), removed
 * afterwards.
 *
 * @param body The test.
 * @param seed Seed of the weights.
 */
export async function withTinyModels(
  body: (dir: string) => Promise<void>,
  seed = 3,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "sparseswaps-tiny-" });
  try {
    const w = tinyWeights(seed, TINY_TEXT_MODEL);
    await Deno.writeFile(`${dir}/tiny.bin`, llama2cBytes(w, TINY_TEXT_MODEL));
    await Deno.writeFile(`${dir}/tokenizer.bin`, tinyTokenizerBytes());
    await writeHuggingFace(`${dir}/hf`, w, TINY_TEXT_MODEL);
    await Deno.writeFile(`${dir}/hf/tokenizer.bin`, tinyTokenizerBytes());
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
