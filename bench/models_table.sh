#!/usr/bin/env bash
# models_table.sh: load time, peak resident memory and single-image latency
# of every shared model through `mobilenet-engine bench`, as a Markdown
# table.  1- and 2-thread runs alternate (1 2 1 2 ...) and each cell is
# the median of the rounds' medians, so both see the same machine load.
#
#   bench/models_table.sh [BUILD_DIR] [ROUNDS] [SECONDS]   (build 3 2)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${2:-3}
seconds=${3:-2}
shared=${MOBILENET_SHARED_DIR:-$(cd .. && pwd)/shared}
tool="$build/tools/mobilenet-engine"

field () { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }
median () { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
echo
echo "| model | load ms | peak RSS MB | 1 thread ms | 2 threads ms | speed-up |"
echo "|---|---:|---:|---:|---:|---:|"
for model in "$shared"/models/*.tflite; do
  t1=() t2=() loads=() rss=()
  for ((r = 0; r < rounds; r++)); do
    for th in 1 2; do
      last=$("$tool" bench "$model" --threads "$th" --seconds "$seconds" | tail -n 1)
      ms=$(field median_ms <<< "$last")
      if [ "$th" = 1 ]; then t1+=("$ms"); else t2+=("$ms"); fi
      loads+=("$(field load_ms <<< "$last")")
      rss+=("$(field peak_rss_mb <<< "$last")")
    done
  done
  m1=$(printf '%s\n' "${t1[@]}" | median)
  m2=$(printf '%s\n' "${t2[@]}" | median)
  printf '| %s | %.1f | %.1f | %.2f | %.2f | %.2fx |\n' "$(basename "$model" .tflite)" \
    "$(printf '%s\n' "${loads[@]}" | median)" "$(printf '%s\n' "${rss[@]}" | sort -g | tail -n 1)" \
    "$m1" "$m2" "$(awk -v a="$m1" -v b="$m2" 'BEGIN { print a / b }')"
done
