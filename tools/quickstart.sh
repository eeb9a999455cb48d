#!/usr/bin/env bash
# quickstart.sh: set up a fresh Debian 12 machine, build, and then either
# classify a sample with the GStreamer element (demo) or run the test suite
# (test; also a second, AddressSanitizer + UBSan build of the suite).
#
#   tools/quickstart.sh demo      # install, build, classify a photo
#   tools/quickstart.sh test      # install, build, run every test
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential meson ninja-build pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  libcairo2-dev libpango1.0-dev
  python3 python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  python3-numpy python3-pyarmnn libarmnn-cpuref-backend22
  valgrind
  clang libclang-rt-14-dev
)

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing: ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() { # build DIR [meson options...]
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
  fi
  ninja -C "$dir"
}

shared_dir() {
  echo "${MOBILENET_SHARED_DIR:-$(cd .. && pwd)/shared}"
}

case "${1:-}" in
  demo)
    install_packages
    build build
    model="$(shared_dir)/models/mobilenet_v2_1.0_224_quant.tflite"
    image="$(shared_dir)/images/cat.png"
    export GST_PLUGIN_PATH="$PWD/build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
    echo "Classifying $image with $model (class_id label score):"
    # filesrc ! decodebin ! videoconvert ! mobilenet ! fakesink, read from the
    # element's bus messages
    build/tools/mobilenet-classify --model "$model" \
      --labels "$(shared_dir)/models/imagenet_labels.txt" --top-k 3 "$image"
    ;;
  test)
    install_packages
    werror=false
    [ -n "${CI:-}" ] && werror=true
    build build -Dwerror=$werror
    meson test -C build --print-errorlogs --num-processes 1
    # The element tests under valgrind memcheck (tests/valgrind/memcheck.sh):
    # no memory error, no definite or indirect leak.
    meson test -C build --print-errorlogs --num-processes 1 --setup valgrind --suite valgrind
    # The same suite built with AddressSanitizer and UndefinedBehaviorSanitizer.
    build build-asan -Dwerror=$werror -Db_sanitize=address,undefined -Db_lundef=false \
      -Dbuildtype=debugoptimized
    # GST_REGISTRY_FORK=no: plugins are scanned in the (instrumented) test
    # process; Debian's gst-plugin-scanner cannot load an ASan plugin.
    # GLib and GStreamer keep one-time allocations: tests/elements/lsan.supp.
    # The Arm NN oracle (pure computation, already run) and the real-time
    # live checks are left to the normal build.
    GST_REGISTRY_FORK=no \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    LSAN_OPTIONS=suppressions=$PWD/tests/elements/lsan.supp:fast_unwind_on_malloc=0:print_suppressions=0 \
      meson test -C build-asan --print-errorlogs --num-processes 1 \
        --no-suite oracle --no-suite live-timing
    # A short fuzzing smoke of every libFuzzer target (about 15 s each).
    FUZZ_SECONDS=15 tests/fuzz/smoke.sh
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
