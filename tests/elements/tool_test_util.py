"""What the tool tests (test_classify_tool.py, test_tag_tool.py) share:
checks with a pass/fail count, the shared data, running a program, and
the small media files they need."""
import math
import os
import struct
import subprocess
import sys
import time

TIMEOUT = 120
counts = {"passed": 0, "failed": 0}


def check(ok, what, detail=""):
    if ok:
        counts["passed"] += 1
        print("ok   " + what)
    else:
        counts["failed"] += 1
        print("FAIL " + what)
        if detail:
            print("     " + str(detail).replace("\n", "\n     "))
    sys.stdout.flush()


def shared(sub, name):
    """A file of the shared data; a missing one fails the test loudly."""
    path = os.path.join(os.environ.get("MOBILENET_SHARED_DIR", "../shared"), sub, name)
    if not os.path.isfile(path):
        print("FAIL missing shared file %s: set MOBILENET_SHARED_DIR" % path)
        print("0 passed, 1 failed")
        sys.exit(1)
    return path


def run_timed(argv, env=None):
    """(exit status, stdout, stderr, seconds); a timeout is a failure, not a
    hang."""
    t = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT,
                           env=env)
        return p.returncode, p.stdout, p.stderr, time.monotonic() - t
    except subprocess.TimeoutExpired as e:
        return "timeout", e.stdout or "", e.stderr or "", time.monotonic() - t


def describe(rc, out, err):
    return "exit %s\nstdout: %s\nstderr: %s" % (rc, out[-1500:], err[-1500:])


def main(doc, test_tool, test_example):
    """`tool PROGRAM` or `example PYTHON SCRIPT`; prints the counts and
    returns the exit status."""
    if len(sys.argv) == 3 and sys.argv[1] == "tool":
        test_tool(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "example":
        test_example(sys.argv[2], sys.argv[3])
    else:
        print(doc)
        return 2
    print("%d passed, %d failed" % (counts["passed"], counts["failed"]))
    return 1 if counts["failed"] else 0


def write_wav(path, seconds=0.2, rate=8000):
    """A mono 16-bit PCM WAV file of a 440 Hz tone: an audio-only input
    (written here: gst-launch-1.0 cannot load an ASan build's plugins)."""
    n = int(seconds * rate)
    data = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                    for i in range(n))
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " +
                struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) +
                b"data" + struct.pack("<I", len(data)) + data)
