#!/usr/bin/env python3
"""`mobilenet-engine bench` keeps the last-line contract other harnesses
parse: median_ms, min_ms, top1, load_ms and peak_rss_mb, with sane values,
and the top-1 of its fixed input equals `run` on the same bytes."""
import os
import re
import subprocess
import sys

tool = sys.argv[1]
shared = os.environ.get("MOBILENET_SHARED_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared")
model = os.path.join(shared, "models", "mobilenet_v1_0.25_128_quant.tflite")
if not os.path.exists(model):
    sys.exit(f"FAIL shared model missing: {model}")

out = subprocess.run([tool, "bench", model, "--threads", "1", "--seconds", "0",
                      "--warmup", "1"], capture_output=True, text=True, check=True)
last = out.stdout.strip().splitlines()[-1]
m = re.fullmatch(r"median_ms=(\S+) min_ms=(\S+) top1=(\d+) load_ms=(\S+) peak_rss_mb=(\S+)", last)
if not m:
    sys.exit(f"FAIL last line does not follow the contract: {last!r}")
median, minimum, top1, load_ms, rss = (float(m[1]), float(m[2]), int(m[3]),
                                       float(m[4]), float(m[5]))
checks = [
    (0 < minimum <= median, f"0 < min_ms {minimum} <= median_ms {median}"),
    (0 <= top1 < 1001, f"top1 {top1} is a class of the 1001"),
    (load_ms > 0, f"load_ms {load_ms} > 0"),
    # the 0.25/128 model is 0.5 MB and its arena well under a megabyte:
    # the whole process must still be small
    (1 < rss < 200, f"1 < peak_rss_mb {rss} < 200"),
]
# bench's input: bytes of x = x * 1664525 + 1013904223 (from 12345), >> 24
x, data = 12345, bytearray()
for _ in range(128 * 128 * 3):
    x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
    data.append(x >> 24)
rgb = os.path.join(os.environ.get("MESON_BUILD_ROOT", "."), "bench-input.rgb")
with open(rgb, "wb") as f:
    f.write(data)
run = subprocess.run([tool, "run", model, rgb, "--threads", "1", "--top-k", "1",
                      "--json"], capture_output=True, text=True, check=True)
run_top = int(re.search(r'"class_id": ?(\d+)', run.stdout)[1])
checks.append((run_top == top1, f"bench top1 {top1} == run top1 {run_top}"))

failed = [msg for ok, msg in checks if not ok]
for ok, msg in checks:
    print(("ok   " if ok else "FAIL ") + msg)
sys.exit(1 if failed else 0)
