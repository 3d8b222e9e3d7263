// The per-G part of the pair search's bounds (core/bounds.ts), for the channels u of one panel
// of G's rows: the k channels v ≠ u with the largest correlation C_uv = |G_uv| / (s_u s_v)
// (s = √max(G_jj, 0); C = 0 when G_uv = 0, NONE when s_u s_v = 0 but G_uv ≠ 0), their G_uv,
// ρ_u = the (k+1)-th largest C (0 when none), and coupling_u = max(1, largest C). One invocation
// per channel keeps its k + 1 largest in a private sorted array; padding names u itself.
//
// Output per channel u, 2k + 3 floats: the k indices, their G_uv, ρ_u, coupling_u, s_u.
//
// Bindings: 0 params (uniform), 1 g (panelRows, d), 2 diag (d), 3 neighbours (d, 2k + 3).
// Dispatch: (ceil(panelRows / 64)) workgroups of 64.

struct Params {
  d: u32,
  k: u32,
  panelStart: u32,
  panelRows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> diag: array<f32>;
@group(0) @binding(3) var<storage, read_write> neighbours: array<f32>;

const NONE: f32 = 1e30;
/** The most neighbours a search may ask for (k ≤ MAX_K). */
const MAX_K: u32 = 16u;

fn inverseRoot(j: u32) -> f32 {
  let root = sqrt(max(diag[j], 0.0));
  return select(NONE, 1.0 / root, root > 0.0);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let local = id.x;
  if (local >= params.panelRows) {
    return;
  }
  let u = params.panelStart + local;
  let d = params.d;
  let k = params.k;
  let inverseU = inverseRoot(u);
  var topC: array<f32, 17>;
  var topV: array<u32, 17>;
  var count = 0u;
  for (var v = 0u; v < d; v++) {
    if (v == u) {
      continue;
    }
    let gv = g[local * d + v];
    let c = select(min(abs(gv) * inverseU * inverseRoot(v), NONE), 0.0, gv == 0.0);
    if (count == k + 1u && !(c > topC[k])) {
      continue;
    }
    var at = select(k, count, count < k + 1u);
    if (count < k + 1u) {
      count++;
    }
    while (at > 0u && c > topC[at - 1u]) {
      topC[at] = topC[at - 1u];
      topV[at] = topV[at - 1u];
      at--;
    }
    topC[at] = c;
    topV[at] = v;
  }
  let at = u * (2u * k + 3u);
  for (var j = 0u; j < k; j++) {
    let v = select(u, topV[j], j < count);
    // As a float (exact below 2²⁴): the bits of a small integer are a subnormal, which a GPU may
    // flush to zero.
    neighbours[at + j] = f32(v);
    neighbours[at + k + j] = select(0.0, g[local * d + v], v != u);
  }
  neighbours[at + 2u * k] = select(0.0, topC[k], count == k + 1u);
  neighbours[at + 2u * k + 1u] = select(1.0, max(1.0, topC[0]), count > 0u);
  neighbours[at + 2u * k + 2u] = sqrt(max(diag[u], 0.0));
}
