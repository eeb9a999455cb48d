#!/usr/bin/python3
"""Per-operator comparison with Arm NN (CpuRef): each single-op model that
op_cases writes is run by Arm NN on the same input bytes; quantised outputs
must be within 1 unit of ours, float outputs within 1e-5 (absolute, on
values of order 1).

Usage: oracle_ops.py OP_CASES_BINARY
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

try:
    import pyarmnn as ann
except ImportError as e:
    print(f"FAIL: python3-pyarmnn is not installed ({e})")
    print("0 passed, 1 failed")
    sys.exit(1)

DTYPES = {"float32": np.float32, "uint8": np.uint8, "int8": np.int8}


def run_armnn(model, data):
    parser = ann.ITfLiteParser()
    net = parser.CreateNetworkFromBinaryFile(model)
    inp = parser.GetNetworkInputBindingInfo(0, parser.GetSubgraphInputTensorNames(0)[0])
    out = parser.GetNetworkOutputBindingInfo(0, parser.GetSubgraphOutputTensorNames(0)[0])
    runtime = ann.IRuntime(ann.CreationOptions())
    opt, _ = ann.Optimize(net, [ann.BackendId("CpuRef")], runtime.GetDeviceSpec(),
                          ann.OptimizerOptions())
    net_id, _ = runtime.LoadNetwork(opt)
    shape = tuple(inp[1].GetShape()[i] for i in range(inp[1].GetNumDimensions()))
    it = ann.make_input_tensors([inp], [data.reshape(shape)])
    ot = ann.make_output_tensors([out])
    runtime.EnqueueWorkload(net_id, it, ot)
    return ann.workload_tensors_to_ndarray(ot)[0].flatten()


def main():
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        gen = subprocess.run([sys.argv[1], tmp], capture_output=True, text=True, check=False)
        print(gen.stdout + gen.stderr, end="")
        if gen.returncode != 0:
            print("FAIL: op_cases failed")
            print("0 passed, 1 failed")
            return 1
        with open(os.path.join(tmp, "cases.txt"), encoding="utf-8") as f:
            cases = [line.split() for line in f if line.strip()]
        for name, dtype in cases:
            np_type = DTYPES[dtype]
            data = np.fromfile(os.path.join(tmp, name + ".in"), dtype=np_type)
            ours = np.fromfile(os.path.join(tmp, name + ".ours"), dtype=np_type)
            # Arm NN asserts (aborts) on some inputs: one process per case.
            res = subprocess.run([sys.executable, __file__, "--armnn",
                                  os.path.join(tmp, name + ".tflite"), dtype,
                                  os.path.join(tmp, name + ".in"),
                                  os.path.join(tmp, name + ".theirs")],
                                 capture_output=True, text=True, check=False)
            if res.returncode != 0:
                print(f"FAIL {name}: Arm NN cannot run it: {res.stderr.strip()[-300:]}")
                failed += 1
                continue
            theirs = np.fromfile(os.path.join(tmp, name + ".theirs"), dtype=np_type)
            if ours.shape != theirs.shape:
                print(f"FAIL {name}: {ours.shape} values, Arm NN {theirs.shape}")
                failed += 1
                continue
            diff = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))
            tol = 1e-5 if dtype == "float32" else 1
            worst = float(diff.max()) if diff.size else 0.0
            off = int((diff > 0).sum())
            ok = worst <= tol
            print(f"{'ok  ' if ok else 'FAIL'} {name}: max |diff| {worst:.3g}, "
                  f"{off}/{diff.size} values differ")
            passed += ok
            failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--armnn":
        _, _, model, dtype, infile, outfile = sys.argv
        run_armnn(model, np.fromfile(infile, dtype=DTYPES[dtype])).astype(
            DTYPES[dtype]).tofile(outfile)
        sys.exit(0)
    sys.exit(main())
