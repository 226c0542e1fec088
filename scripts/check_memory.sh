#!/usr/bin/env bash
# check_memory.sh -- run the C kernels under AddressSanitizer (+ UBSan).
#
# Compiles scripts/memcheck_driver.c together with framework/csrc/gemm.c and
# elementwise.c using -fsanitize=address,undefined, then runs it: sgemm is
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
    "$csrc/elementwise.c" -lm -o "$out/memcheck"

# detect_leaks: the driver frees everything it allocates; sgemm's thread-local
# packing buffers stay reachable through their TLS pointers.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$out/memcheck"
echo "memory check passed"
