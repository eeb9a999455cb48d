#!/usr/bin/python3
"""End-to-end comparison with an independent runtime: Arm NN's CpuRef
backend (Debian's python3-pyarmnn) runs the same TFLite files on the same
input bytes as `mobilenet-engine run --json`.

Asserts, per model and image: the same top-1 class, and every output
probability within 0.08 for quantised models (runtimes differ by up to
~20/256 because rounding differences compound over 50+ layers; see
shared/models/SOURCES.md) and within 1e-4 for float models.

Usage: oracle_models.py MOBILENET_ENGINE_BINARY
Needs /usr/bin/python3 with python3-pyarmnn and numpy; MOBILENET_SHARED_DIR.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

try:
    import pyarmnn as ann
except ImportError as e:  # a missing oracle is a failure, never a skip
    print(f"FAIL: python3-pyarmnn is not installed ({e})")
    print("0 passed, 1 failed")
    sys.exit(1)

SHARED = os.environ.get("MOBILENET_SHARED_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared")
MODELS = [
    "mobilenet_v2_1.0_224_quant.tflite",
    "tf2_mobilenet_v2_1.0_224_ptq.tflite",
    "mobilenet_v2_1.0_224_float.tflite",
    "tf2_mobilenet_v2_1.0_224_float.tflite",
    "mobilenet_v1_0.25_128_quant.tflite",
    "mobilenet_v1_0.25_128_float.tflite",
    "mobilenet_v1_0.5_160_quant.tflite",
    "mobilenet_v1_0.75_192_quant.tflite",
]
IMAGES = ["bird.rgb", "sunflower.rgb"]

passed = failed = 0


def check(ok, message):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL " + message)


def area_resize(img, size):
    """Shrink a square HxWx3 uint8 image by averaging the covered area."""
    src = img.shape[0]
    out = np.zeros((size, size, 3))
    edges = np.linspace(0, src, size + 1)
    weights = np.zeros((size, src))
    for i in range(size):
        for j in range(src):
            lo, hi = max(edges[i], j), min(edges[i + 1], j + 1)
            weights[i, j] = max(0.0, hi - lo)
    weights /= weights.sum(axis=1, keepdims=True)
    for c in range(3):
        out[:, :, c] = weights @ img[:, :, c].astype(np.float64) @ weights.T
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


class ArmNN:
    def __init__(self, path):
        parser = ann.ITfLiteParser()
        net = parser.CreateNetworkFromBinaryFile(path)
        inputs = parser.GetSubgraphInputTensorNames(0)
        outputs = parser.GetSubgraphOutputTensorNames(0)
        self.input = parser.GetNetworkInputBindingInfo(0, inputs[0])
        self.output = parser.GetNetworkOutputBindingInfo(0, outputs[0])
        self.runtime = ann.IRuntime(ann.CreationOptions())
        opt, _ = ann.Optimize(net, [ann.BackendId("CpuRef")],
                              self.runtime.GetDeviceSpec(), ann.OptimizerOptions())
        self.net_id, _ = self.runtime.LoadNetwork(opt)
        info = self.output[1]
        self.out_scale = info.GetQuantizationScale()
        self.out_offset = info.GetQuantizationOffset()
        self.out_float = info.GetDataType() == ann.DataType_Float32

    def run(self, tensor):
        it = ann.make_input_tensors([self.input], [tensor])
        ot = ann.make_output_tensors([self.output])
        self.runtime.EnqueueWorkload(self.net_id, it, ot)
        raw = ann.workload_tensors_to_ndarray(ot)[0].flatten()
        if self.out_float:
            return raw.astype(np.float64)
        return (raw.astype(np.float64) - self.out_offset) * self.out_scale


def main():
    engine = sys.argv[1]
    if not os.path.isdir(os.path.join(SHARED, "models")):
        print(f"FAIL: shared data not found at {SHARED} (set MOBILENET_SHARED_DIR)")
        print("0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for model in MODELS:
            path = os.path.join(SHARED, "models", model)
            oracle = ArmNN(path)
            size = oracle.input[1].GetShape()[1]
            is_float_input = oracle.input[1].GetDataType() == ann.DataType_Float32
            for image in IMAGES:
                pixels = np.fromfile(os.path.join(SHARED, "images", image),
                                     dtype=np.uint8).reshape(224, 224, 3)
                if size != 224:
                    pixels = area_resize(pixels, size)
                raw = os.path.join(tmp, f"{size}_{image}")
                pixels.tofile(raw)
                res = subprocess.run([engine, "run", path, raw, "--json", "--top-k", "1"],
                                     capture_output=True, text=True, check=False)
                check(res.returncode == 0, f"{model} {image}: engine failed: {res.stderr}")
                if res.returncode != 0:
                    continue
                ours = json.loads(res.stdout.splitlines()[0])
                if is_float_input:
                    tensor = ((pixels.astype(np.float32) - 127.5) / 127.5)[None]
                else:
                    tensor = pixels[None]
                theirs = oracle.run(tensor)
                raw_out = np.array(ours["output"], dtype=np.float64)
                if oracle.out_float:
                    our_scores = raw_out
                    tol = 1e-4
                else:
                    our_scores = (raw_out - oracle.out_offset) * oracle.out_scale
                    tol = 0.08
                top_ours = ours["top_k"][0]["class_id"]
                top_theirs = int(np.argmax(theirs))
                tied = theirs[top_ours] == theirs[top_theirs]
                check(top_ours == top_theirs or tied,
                      f"{model} {image}: top-1 {top_ours}, Arm NN {top_theirs}")
                diff = float(np.max(np.abs(our_scores - theirs)))
                check(diff <= tol, f"{model} {image}: max probability difference {diff:.4g} > {tol}")
                print(f"{model} {image}: top-1 {top_ours} (Arm NN {top_theirs}), "
                      f"max |diff| {diff:.3g}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
