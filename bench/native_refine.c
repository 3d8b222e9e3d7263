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
/* Rows searched together, as ROW_BLOCK in assembly/swaps.ts. */
#define ROW_BLOCK 8

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

/* b_p = -2 w_p c_p + w_p^2 G_pp and s_p = -2 w_p for pruned p; SENTINEL and 0 for kept p. */
static void prepare_row(const double *g64, int d, const float *w, const uint8_t *m,
                        const double *c, float *b, float *s) {
  for (int j = 0; j < d; j++) {
    if (!m[j]) {
      const double wj = w[j];
      b[j] = (float)(-2 * wj * c[j] + wj * wj * g64[(size_t)j * d + j]);
      s[j] = (float)(-2 * wj);
    } else {
      b[j] = SENTINEL;
      s[j] = 0;
    }
  }
}

/* min over p of b_p + w_u (s_p G_up): LANES independent running minima, like the wasm
   kernel's four f32x4 accumulators, so the vectors are not bound by one min chain's latency. */
static float row_minimum(const float *g, const float *b, const float *s, float wu, int d) {
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
  return lowest;
}

static int argmin_pair(const float *g, const float *b, const float *s, float wu, int d) {
  float found = SENTINEL;
  int best = -1;
  for (int p = 0; p < d; p++) {
    const float t = b[p] + wu * (s[p] * g[p]);
    if (t < found) { found = t; best = p; }
  }
  return best;
}

static double exact_gain(const double *g64, int d, const float *w, const double *c, int u, int p) {
  const double wu = w[u], wp = w[p];
  const double a = 2 * wu * c[u] + wu * wu * g64[(size_t)u * d + u];
  const double b = -2 * wp * c[p] + wp * wp * g64[(size_t)p * d + p];
  return a + b - 2 * wu * wp * g64[(size_t)u * d + p];
}

/* Best (u, p) of `count` rows at once (ROW_BLOCK at most), as assembly/swaps.ts does: each row
   of G is read once per block. Writes the exact float64 gain of each row's pair. */
static void best_swaps(const float *g32, const double *g64, int d, const float *w,
                       const uint8_t *mask, const double *c, const int *rows, int count,
                       float *b, float *s, double *gain, int *best_u, int *best_p) {
  float best[ROW_BLOCK];
  for (int i = 0; i < count; i++) {
    const size_t r = rows[i];
    prepare_row(g64, d, w + r * d, mask + r * d, c + r * d, b + (size_t)i * d, s + (size_t)i * d);
    best[i] = SENTINEL;
    best_u[i] = best_p[i] = -1;
  }
  for (int u = 0; u < d; u++) {
    const float *g = g32 + (size_t)u * d;
    const double guu = g64[(size_t)u * d + u];
    for (int i = 0; i < count; i++) {
      const size_t r = rows[i];
      if (!mask[r * d + u]) continue;
      const double wu = w[r * d + u];
      const float a = (float)(2 * wu * c[r * d + u] + wu * wu * guu);
      const float lowest = row_minimum(g, b + (size_t)i * d, s + (size_t)i * d, (float)wu, d);
      if (a + lowest < best[i]) {
        best[i] = a + lowest;
        best_u[i] = u;
        best_p[i] = argmin_pair(g, b + (size_t)i * d, s + (size_t)i * d, (float)wu, d);
      }
    }
  }
  for (int i = 0; i < count; i++) {
    const size_t r = rows[i];
    gain[i] = best_u[i] < 0 || best_p[i] < 0
      ? INFINITY
      : exact_gain(g64, d, w + r * d, c + r * d, best_u[i], best_p[i]);
  }
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
  float *b = malloc(sizeof(float) * ROW_BLOCK * d), *s = malloc(sizeof(float) * ROW_BLOCK * d);
  int *block = malloc(sizeof(int) * rows);
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
    int count = 0;
    for (int r = 0; r < rows; r++) if (active[r]) block[count++] = r;
    for (int k0 = 0; k0 < count; k0 += ROW_BLOCK) {
      const int n = count - k0 < ROW_BLOCK ? count - k0 : ROW_BLOCK;
      double gain[ROW_BLOCK];
      int us[ROW_BLOCK], ps[ROW_BLOCK];
      best_swaps(g32, g64, d, w, mask, c, block + k0, n, b, s, gain, us, ps);
      pairs += n * pairs_per_row;
      for (int i = 0; i < n; i++) {
        const int r = block[k0 + i];
        if (!(gain[i] < -1e-10 * error[r])) { active[r] = 0; continue; }
        const int u = us[i], p = ps[i];
        uint8_t *mr = mask + (size_t)r * d;
        double *cr = c + (size_t)r * d;
        mr[u] = 0;
        mr[p] = 1;
        const double wu = w[(size_t)r * d + u], wp = w[(size_t)r * d + p];
        const double *gu = g64 + (size_t)u * d, *gp = g64 + (size_t)p * d;
        for (int j = 0; j < d; j++) cr[j] += wu * gu[j] - wp * gp[j];
        error[r] += gain[i];
        swaps++;
      }
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
