#!/usr/bin/env bash
# check_memory.sh -- run the C kernels under AddressSanitizer (+ UBSan).
#
# Stage 1 (below) drives gemm.c, elementwise.c and batchnorm.c from a C program; stage 2
# (at the end) runs every kernel, conv/pool/LSTM included, through its Python
# wrapper and the kernel and layer tests.
#
# Compiles scripts/memcheck_driver.c together with framework/csrc/gemm.c,
# elementwise.c and batchnorm.c using -fsanitize=address,undefined, then runs
# it (the batchnorm kernels are compared with their plain loops): sgemm is
# compared with sgemm_ref over shapes at every tile/block edge, all transposes,
# beta 0 and 1, leading dimensions above the row count, 1 and 2 threads, with
# every buffer allocated at its exact size. Any out-of-bounds access, leak or
# undefined behaviour fails the script (non-zero exit).
#
# Usage: scripts/check_memory.sh            (from anywhere)
#        CC=clang scripts/check_memory.sh
# The flags -march=native -fopenmp match the real build, so the same
# micro-kernel (AVX-512/AVX2/scalar) and threading are checked.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
csrc="$root/framework/csrc"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cc="${CC:-gcc}"

flags=(-O1 -g -fno-omit-frame-pointer -march=native -fsanitize=address,undefined
       -fno-sanitize-recover=all)
if echo 'int main(void){return 0;}' | "$cc" -fopenmp -x c - -o "$out/probe" 2>/dev/null; then
    flags+=(-fopenmp)
fi

echo "compiling with: $cc ${flags[*]}"
"$cc" "${flags[@]}" -I"$csrc" "$root/scripts/memcheck_driver.c" "$csrc/gemm.c" \
    "$csrc/elementwise.c" "$csrc/batchnorm.c" -lm -o "$out/memcheck"

# detect_leaks: the driver frees everything it allocates; sgemm's thread-local
# packing buffers stay reachable through their TLS pointers.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$out/memcheck"
echo "memory check passed (stage 1: sgemm, elementwise and batchnorm kernels, exact-size buffers)"

# Stage 2: every kernel through its real Python wrapper. Build the whole cffi
# module with the sanitizers into a copy of the tree and run the kernel and
# layer tests against it (conv, pooling and LSTM kernels included), with the
# sanitizer runtimes preloaded into the (uninstrumented) Python.
tree="$out/tree"
mkdir -p "$tree"
cp -r "$root/framework" "$root/tests" "$root/build_ext.py" "$root/pyproject.toml" "$tree/"
rm -f "$tree"/framework/_kernels*.so
echo "building the cffi module with: ${flags[*]}"
(cd "$tree" && FRAMEWORK_CFLAGS="${flags[*]}" python3 build_ext.py > "$out/build.log" 2>&1) \
    || { cat "$out/build.log"; exit 1; }
preload="$("$cc" -print-file-name=libasan.so) $("$cc" -print-file-name=libubsan.so)"
# --capture=sys: pytest must not swallow file descriptor 2, where the
# sanitizers write their report before they stop the process.
# detect_leaks=0: CPython itself keeps memory alive at exit; leaks in the
# kernels are what stage 1 checks.
(cd "$tree" && CI=true LD_PRELOAD="$preload" \
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    PYTHONPATH="$tree" python3 -c "import framework, sys; assert framework.__file__.startswith('$tree'), framework.__file__" \
    && CI=true LD_PRELOAD="$preload" \
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    PYTHONPATH="$tree" python3 -m pytest -q -p no:cacheprovider --capture=sys tests/test_c_kernels.py \
        tests/test_c_conv_kernels.py tests/test_c_lstm_kernels.py tests/test_c_batchnorm.py tests/layers)
echo "memory check of every kernel through Python passed"
