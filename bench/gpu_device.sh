#!/usr/bin/env bash
# One-shot GPU check for a lent device machine, after ../shared/tools/gpu-prep.sh prepared .gl/
# (Vulkan loader) and .devbin/ (Deno) here. Run through the device tool with carry
# [".gl", ".devbin"]:  bash bench/gpu_device.sh
# It prints the adapter, runs the kernel conformance, cross-backend and forward tests on the real
# GPU, then the GPU benchmark (refinement, the calibration forward pass, and last the whole prune
# of the TinyLlama-1.1B shape on the GPU: bench:scale --offline, no registry needed); every output
# also goes to $OUT.
set -uo pipefail
out=${OUT:-/tmp/gpu-out}
mkdir -p "$out"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
xz -dc .devbin/deno.xz > /usr/local/bin/deno
chmod +x /usr/local/bin/deno
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee "$out/gpu.txt"
deno eval 'const a = await navigator.gpu.requestAdapter(); console.log(JSON.stringify(a?.info), a?.limits.maxStorageBufferBindingSize)' 2>&1 | tee -a "$out/gpu.txt"
timeout 180 deno test -A tests/kernels_conformance_test.ts tests/cross_backend_test.ts tests/bounded_search_test.ts tests/model_forward_test.ts 2>&1 | tee "$out/tests.txt" | tail -25
timeout 390 deno task bench:gpu --prune-1b 2>&1 | tee "$out/bench.txt"
