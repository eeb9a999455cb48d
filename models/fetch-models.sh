#!/usr/bin/env bash
# fetch-models.sh: put the default model (MobileNet V2 1.0/224, uint8) and
# its ImageNet labels where the mobilenet element finds them.
#
#   models/fetch-models.sh [DEST]      (default DEST: this folder)
#
# Source, in order: $MOBILENET_MODELS_MIRROR (a local folder holding the
# files), ../shared/models beside the project when it exists, else the
# published copies (google-coral/test_data on GitHub, Apache-2.0).  Every
# file is checked against its SHA-256 before it is installed.
# `meson install` then installs DEST's files into
# $datadir/gst-mobilenet/models, where the element looks when neither the
# `model` property nor $GST_MOBILENET_MODEL is set.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${1:-$here}"
mirror="${MOBILENET_MODELS_MIRROR:-}"
if [ -z "$mirror" ] && [ -d "$here/../../shared/models" ]; then
  mirror="$here/../../shared/models"
fi
base_url="https://raw.githubusercontent.com/google-coral/test_data/master"

# name  sha256  installed-as
files=(
  "mobilenet_v2_1.0_224_quant.tflite 7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776 mobilenet_v2_1.0_224_quant.tflite"
  "imagenet_labels.txt b8aaeb5630c62626a7d124a05c0e14230a7ffdd2136a31d0190a4fb71c1d82f1 labels.txt"
)

mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for entry in "${files[@]}"; do
  read -r name sum target <<<"$entry"
  if [ -n "$mirror" ] && [ -f "$mirror/$name" ]; then
    cp "$mirror/$name" "$tmp/$name"
  else
    echo "downloading $name"
    if command -v curl >/dev/null; then
      curl -fsSL -o "$tmp/$name" "$base_url/$name"
    else
      wget -q -O "$tmp/$name" "$base_url/$name"
    fi
  fi
  if ! echo "$sum  $tmp/$name" | sha256sum -c --status; then
    echo "error: $name does not have the expected SHA-256 $sum" >&2
    exit 1
  fi
  install -m 644 "$tmp/$name" "$dest/$target"
  echo "installed $dest/$target"
done
echo "To use it without installing: export GST_MOBILENET_MODEL=$dest/mobilenet_v2_1.0_224_quant.tflite"
