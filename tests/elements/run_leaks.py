#!/usr/bin/env python3
"""Runs a test program under GStreamer's leaks tracer and fails when it
reports objects still alive at gst_deinit().

Usage: run_leaks.py PROGRAM [ARGS...]
The environment must hold GST_TRACERS=leaks and GST_DEBUG=GST_TRACER:7
(meson sets them).  On a leak the program is run once more with
GST_LEAKS_TRACER_STACK_TRACE=1 so the report says where each object was
made."""
import os
import re
import subprocess
import sys

LEAK = re.compile(r"(object-alive|miniobject-alive), type-name=\(string\)")


def run(argv, env):
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, errors="replace")
    leaks = [l for l in p.stderr.splitlines() if LEAK.search(l) and "new format string" not in l]
    return p, leaks


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    env = dict(os.environ)
    env.setdefault("GST_TRACERS", "leaks")
    env.setdefault("GST_DEBUG", "GST_TRACER:7")
    p, leaks = run(sys.argv[1:], env)
    sys.stdout.write(p.stdout)
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-20000:])
        print("FAIL %s exited with %d under the leaks tracer" % (sys.argv[1], p.returncode))
        return 1
    if not leaks:
        print("ok   no leaks reported by the leaks tracer")
        return 0
    env["GST_LEAKS_TRACER_STACK_TRACE"] = "1"
    p2, leaks2 = run(sys.argv[1:], env)
    for line in (leaks2 or leaks)[:50]:
        print("# " + line)
    print("FAIL the leaks tracer reported %d objects alive at exit" % len(leaks))
    return 1


if __name__ == "__main__":
    sys.exit(main())
