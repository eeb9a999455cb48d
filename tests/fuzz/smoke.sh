#!/usr/bin/env bash
# smoke.sh: build the libFuzzer targets with clang (ASan + UBSan) in their
# own build dir and run each one briefly from its seeds, so every
# submission fuzzes a little.  Exits non-zero on a build failure or on any
# crash, leak, timeout or sanitizer report; the input that did it is left
# in $FUZZ_DIR/artifacts/ (copy it into tests/fuzz/corpus/<target>/ with
# the fix).
#
#   tests/fuzz/smoke.sh                    # about 15 s a target
#   FUZZ_SECONDS=600 tests/fuzz/smoke.sh   # a longer campaign
#   tests/fuzz/smoke.sh tflite labels      # some targets only
#   FUZZ_SIMD=enabled FUZZ_BUILD_DIR=build-fuzz-simd FUZZ_SECONDS=900 \
#     tests/fuzz/smoke.sh twins            # SIMD kernels against C twins
#
# The twins target compares the SIMD kernels with the C twins, so it needs
# a build with the SIMD kernels (FUZZ_SIMD=enabled; clang takes about ten
# minutes over them under the sanitizers) and is not in the default list.
#
# Needs clang and libclang-rt-14-dev (libFuzzer); installs the latter on
# Debian when missing and run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-15}
SIMD=${FUZZ_SIMD:-disabled}
FUZZ_DIR=${FUZZ_DIR:-$BUILD/fuzz-run}
SHARED=${MOBILENET_SHARED_DIR:-$(cd .. && pwd)/shared}
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(tflite metadata labels element)

if ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      clang libclang-rt-14-dev
  else
    echo "smoke.sh: libFuzzer is missing: apt-get install clang libclang-rt-14-dev" >&2
    exit 1
  fi
fi

if [ ! -f "$BUILD/build.ninja" ]; then
  # -Dsimd=disabled by default: the parsers and the element are what is
  # fuzzed, and clang takes minutes per AVX2 kernel file under the
  # sanitizers; the portable C twins run instead.
  CC=clang meson setup "$BUILD" -Dfuzzing=true -Dsimd="$SIMD" -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized -Dshared_dir="$SHARED"
fi
ninja -C "$BUILD" $(for t in "${TARGETS[@]}"; do echo "tests/fuzz/fuzz-$t"; done)

export MOBILENET_SHARED_DIR="$SHARED"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$FUZZ_DIR/artifacts"

status=0
for t in "${TARGETS[@]}"; do
  corpus="$FUZZ_DIR/corpus-$t"       # what this run learns; not in git
  mkdir -p "$corpus"
  seeds=("tests/fuzz/corpus/$t")
  [ "$t" = twins ] && seeds+=("tests/fuzz/corpus/tflite")
  # the real models are seeds by path, never copied into the repository
  if [ "$t" = tflite ] || [ "$t" = metadata ]; then
    mkdir -p "$FUZZ_DIR/shared-models"
    ln -sf "$SHARED/models/mobilenet_v1_0.25_128_quant.tflite" "$FUZZ_DIR/shared-models/"
    seeds+=("$FUZZ_DIR/shared-models")
  fi
  extra=()
  # GStreamer keeps one-time allocations that LeakSanitizer would report
  # per input; the element's leaks are checked by valgrind and the leaks
  # tracer instead.
  asan_options=$ASAN_OPTIONS
  if [ "$t" = element ]; then
    extra+=(-detect_leaks=0)
    asan_options="$ASAN_OPTIONS:detect_leaks=0"   # and none at exit either
  fi
  echo "=== fuzz-$t for ${SECONDS_EACH}s"
  if ! ASAN_OPTIONS="$asan_options" "$BUILD/tests/fuzz/fuzz-$t" "$corpus" "${seeds[@]}" \
      -max_total_time="$SECONDS_EACH" -timeout=25 -rss_limit_mb=4096 \
      -max_len=1048576 -print_final_stats=1 "${extra[@]}" \
      -artifact_prefix="$FUZZ_DIR/artifacts/$t-" > "$FUZZ_DIR/$t.log" 2>&1; then
    echo "FAIL fuzz-$t: see $FUZZ_DIR/$t.log and $FUZZ_DIR/artifacts/"
    tail -n 40 "$FUZZ_DIR/$t.log"
    status=1
  else
    grep -E "^#[0-9]+ +DONE|^Done" "$FUZZ_DIR/$t.log" || true
  fi
done
exit $status
