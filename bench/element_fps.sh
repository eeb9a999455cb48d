#!/usr/bin/env bash
# element_fps.sh: frames per second of `videotestsrc ! mobilenet ! fakesink
# sync=false` on a 1920x1080 I420 stream, with the fused fast path and with
# GstVideoConverter (GST_MOBILENET_FAST_CONVERT=0), 1 and 2 threads; runs
# alternate and each cell is the median of ROUNDS.
#
#   bench/element_fps.sh [BUILD_DIR] [ROUNDS] [FRAMES]   (build 3 300)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-3}
frames=${3:-300}
shared=${MOBILENET_SHARED_DIR:-$(cd .. && pwd)/shared}
model="$shared/models/mobilenet_v2_1.0_224_quant.tflite"
export GST_PLUGIN_PATH="$PWD/$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

fps () { # fast(1/0) threads
  local start end
  start=$(date +%s.%N)
  GST_MOBILENET_FAST_CONVERT=$1 gst-launch-1.0 -q videotestsrc num-buffers="$frames" ! \
    video/x-raw,format=I420,width=1920,height=1080 ! \
    mobilenet model="$model" threads="$2" post-messages=none ! fakesink sync=false
  end=$(date +%s.%N)
  awk -v n="$frames" -v a="$start" -v b="$end" 'BEGIN { printf "%.1f\n", n / (b - a) }'
}
median () { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
echo "$frames frames of 1920x1080 I420, V2 1.0/224 uint8"
echo
echo "| threads | fast path fps | GstVideoConverter fps | ratio |"
echo "|---:|---:|---:|---:|"
for th in 1 2; do
  a=() b=()
  for ((r = 0; r < rounds; r++)); do
    a+=("$(fps 1 "$th")")
    b+=("$(fps 0 "$th")")
  done
  ma=$(printf '%s\n' "${a[@]}" | median)
  mb=$(printf '%s\n' "${b[@]}" | median)
  printf '| %d | %.1f | %.1f | %.2fx |\n' "$th" "$ma" "$mb" "$(awk -v a="$ma" -v b="$mb" 'BEGIN { print a / b }')"
done
