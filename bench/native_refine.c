/*
 * The practical limit for the CPU benchmark: the same SparseSwaps loop as the wasm backend
 * (assembly/swaps.ts, core/sparseswaps.ts) in plain C, single thread, built by bench/cpu.ts with
 * gcc -O3 -march=native -ffast-math so the compiler may use the machine's widest vectors and FMA.
 *
 * Input file (little-endian): int32 rows, d, pruned_per_row, iterations, recompute_every;
 * float32 W[rows*d]; float64 G[d*d]; uint8 mask[rows*d] (warm start, 1 = kept).
 * Output: one JSON line with seconds, swaps, pairs (valid pairs searched), error_before/after.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* FLT_MAX, not INFINITY: -ffast-math assumes finite values. */
#define SENTINEL FLT_MAX
/* Running minima in the search: 32 floats, four AVX2 or two AVX-512 registers. */
#define LANES 32

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* c = G q (q = pruned part of w), returns q·c; float64 as in the wasm backend. */
static double correlate(const double *g64, int d, const float *w, const uint8_t *m, double *c) {
  memset(c, 0, sizeof(double) * d);
  for (int j = 0; j < d; j++) {
    if (m[j] || w[j] == 0) continue;
    const double wj = w[j];
    const double *row = g64 + (size_t)j * d;
    for (int i = 0; i < d; i++) c[i] += wj * row[i];
  }
  double error = 0;
  for (int j = 0; j < d; j++) if (!m[j]) error += (double)w[j] * c[j];
  return error;
}

/* Best (u, p) of one row by a dense float32 scan of G's kept rows; returns the exact gain. */
static double best_swap(const float *g32, const double *g64, int d, const float *w,
                        const uint8_t *m, const double *c, float *b, float *s, int *kept,
                        int *best_u, int *best_p) {
  int kept_count = 0;
  for (int j = 0; j < d; j++) {
    if (!m[j]) {
      const double wj = w[j];
      b[j] = (float)(-2 * wj * c[j] + wj * wj * g64[(size_t)j * d + j]);
      s[j] = (float)(-2 * wj);
    } else {
      b[j] = SENTINEL;
      s[j] = 0;
      kept[kept_count++] = j;
    }
  }
  float best = SENTINEL;
  int bu = -1, bp = -1;
  for (int i = 0; i < kept_count; i++) {
    const int u = kept[i];
    const double wu64 = w[u];
    const float a = (float)(2 * wu64 * c[u] + wu64 * wu64 * g64[(size_t)u * d + u]);
    const float wu = (float)wu64;
    const float *g = g32 + (size_t)u * d;
    /* LANES independent running minima, like the wasm kernel's four f32x4 accumulators, so
       the compiler's vectors are not bound by the latency of one min chain. */
    float partial[LANES];
    for (int k = 0; k < LANES; k++) partial[k] = SENTINEL;
    int p = 0;
    for (; p + LANES <= d; p += LANES) {
      for (int k = 0; k < LANES; k++) {
        const float t = b[p + k] + wu * (s[p + k] * g[p + k]);
        partial[k] = t < partial[k] ? t : partial[k];
      }
    }
    float lowest = SENTINEL;
    for (int k = 0; k < LANES; k++) lowest = partial[k] < lowest ? partial[k] : lowest;
    for (; p < d; p++) {
      const float t = b[p] + wu * (s[p] * g[p]);
      lowest = t < lowest ? t : lowest;
    }
    if (a + lowest < best) {
      best = a + lowest;
      bu = u;
      float found = SENTINEL;
      for (int p = 0; p < d; p++) {
        const float t = b[p] + wu * (s[p] * g[p]);
        if (t < found) { found = t; bp = p; }
      }
    }
  }
  *best_u = bu;
  *best_p = bp;
  if (bu < 0 || bp < 0) return INFINITY;
  const double wu = w[bu], wp = w[bp];
  const double a = 2 * wu * c[bu] + wu * wu * g64[(size_t)bu * d + bu];
  const double bb = -2 * wp * c[bp] + wp * wp * g64[(size_t)bp * d + bp];
  return a + bb - 2 * wu * wp * g64[(size_t)bu * d + bp];
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: native_refine PROBLEM.bin\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 1; }
  int32_t header[5];
  if (fread(header, sizeof header, 1, f) != 1) return 1;
  const int rows = header[0], d = header[1], pruned = header[2], iterations = header[3],
            recompute_every = header[4];
  float *w = malloc(sizeof(float) * rows * d);
  double *g64 = malloc(sizeof(double) * d * d);
  uint8_t *mask = malloc((size_t)rows * d);
  if (fread(w, sizeof(float), (size_t)rows * d, f) != (size_t)rows * d) return 1;
  if (fread(g64, sizeof(double), (size_t)d * d, f) != (size_t)d * d) return 1;
  if (fread(mask, 1, (size_t)rows * d, f) != (size_t)rows * d) return 1;
  fclose(f);

  float *g32 = malloc(sizeof(float) * d * d);
  double *c = malloc(sizeof(double) * rows * d);
  double *error = malloc(sizeof(double) * rows);
  double *checkpoint = malloc(sizeof(double) * rows);
  uint8_t *active = malloc(rows);
  float *b = malloc(sizeof(float) * d), *s = malloc(sizeof(float) * d);
  int *kept = malloc(sizeof(int) * d);
  const double pairs_per_row = (double)(d - pruned) * pruned;

  const double start = now();
  for (size_t i = 0; i < (size_t)d * d; i++) g32[i] = (float)g64[i];
  double error_before = 0;
  for (int r = 0; r < rows; r++) {
    error[r] = checkpoint[r] = correlate(g64, d, w + (size_t)r * d, mask + (size_t)r * d, c + (size_t)r * d);
    error_before += error[r];
    active[r] = 1;
  }
  long swaps = 0;
  double pairs = 0;
  for (int t = 0; t < iterations; t++) {
    if (t > 0 && t % recompute_every == 0) {
      for (int r = 0; r < rows; r++) {
        if (!active[r]) continue;
        error[r] = correlate(g64, d, w + (size_t)r * d, mask + (size_t)r * d, c + (size_t)r * d);
        if (!(error[r] < checkpoint[r])) active[r] = 0;
        checkpoint[r] = error[r];
      }
    }
    for (int r = 0; r < rows; r++) {
      if (!active[r]) continue;
      const float *wr = w + (size_t)r * d;
      uint8_t *mr = mask + (size_t)r * d;
      double *cr = c + (size_t)r * d;
      int u, p;
      const double gain = best_swap(g32, g64, d, wr, mr, cr, b, s, kept, &u, &p);
      pairs += pairs_per_row;
      if (!(gain < -1e-10 * error[r])) { active[r] = 0; continue; }
      mr[u] = 0;
      mr[p] = 1;
      const double wu = wr[u], wp = wr[p];
      const double *gu = g64 + (size_t)u * d, *gp = g64 + (size_t)p * d;
      for (int i = 0; i < d; i++) cr[i] += wu * gu[i] - wp * gp[i];
      error[r] += gain;
      swaps++;
    }
  }
  double error_after = 0;
  for (int r = 0; r < rows; r++) {
    error_after += correlate(g64, d, w + (size_t)r * d, mask + (size_t)r * d, c + (size_t)r * d);
  }
  const double seconds = now() - start;
  printf("{\"seconds\": %.6f, \"swaps\": %ld, \"pairs\": %.0f, \"error_before\": %.17g, "
         "\"error_after\": %.17g}\n", seconds, swaps, pairs, error_before, error_after);
  return 0;
}
