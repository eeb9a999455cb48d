#!/usr/bin/env python3
"""Tests mobilenet-classify and tools/examples/print_labels.py end to end.

    test_classify_tool.py tool PATH/TO/mobilenet-classify
    test_classify_tool.py example /usr/bin/python3 PATH/TO/print_labels.py

Runs the programs on the shared images and video (MOBILENET_SHARED_DIR) with
the plugin of the build tree (GST_PLUGIN_PATH_1_0, set by meson) and checks
their output; ends with "N passed, N failed" and exits 1 on any failure.
Needs no python3-gi itself."""
import json
import os
import re
import shutil
import sys
import tempfile

from tool_test_util import check, describe, main, run_timed, shared, write_wav


def run(argv, env=None):
    """(exit status, stdout, stderr)"""
    return run_timed(argv, env)[:3]


VIDEO_LINE = re.compile(r"^(\d+):(\d\d):(\d\d)\.(\d{9}) (-?\d+) (.*) (\d\.\d{4})$")


def parse_video_line(line):
    m = VIDEO_LINE.match(line)
    if not m:
        return None
    h, mi, s, ns, cid, label, score = m.groups()
    t = ((int(h) * 60 + int(mi)) * 60 + int(s)) * 10**9 + int(ns)
    return t, int(cid), label, float(score)


def test_tool(tool):
    v2 = shared("models", "mobilenet_v2_1.0_224_quant.tflite")
    labels = shared("models", "imagenet_labels.txt")
    cat = shared("images", "cat.png")
    cat_jpg = shared("images", "cat_720p.jpg")
    bird_rgb = shared("images", "bird.rgb")
    video = shared("videos", "slideshow_640x480.webm")
    model = [tool, "--model", v2, "--labels", labels]

    # an image: Keras-style lines, best first
    rc, out, err = run(model + [cat])
    lines = out.splitlines()
    check(rc == 0 and len(lines) == 5 and lines[0].startswith("286 Egyptian cat 0."),
          "cat.png: 5 lines, the first 286 Egyptian cat", describe(rc, out, err))
    scores = [float(line.rsplit(" ", 1)[1]) for line in lines if " " in line]
    check(scores == sorted(scores, reverse=True) and all(0 <= x <= 1 for x in scores),
          "cat.png: scores in [0, 1], best first (%s)" % scores)

    # several files: a "FILE:" line before each one's lines; --top-k
    rc, out, err = run(model + ["--top-k", "2", cat, cat_jpg])
    check(rc == 0 and out.splitlines()[0::3] == [cat + ":", cat_jpg + ":"] and
          len(out.splitlines()) == 6 and out.splitlines()[4].startswith("286 "),
          "two images with --top-k 2: FILE: headers, 2 lines each, JPEG is 286 too",
          describe(rc, out, err))

    # raw RGB
    rc, out, err = run(model + ["--raw", "224x224", bird_rgb])
    check(rc == 0 and out.startswith("20 chickadee "),
          "--raw 224x224 bird.rgb: 20 chickadee", describe(rc, out, err))
    rc, out, err = run(model + ["--raw", "100x100", bird_rgb])
    check(rc == 1 and "30000 bytes" in err and out == "",
          "--raw 100x100 bird.rgb: not a whole number of frames, exit 1",
          describe(rc, out, err))

    # JSON: one object per line, no "FILE:" lines
    rc, out, err = run(model + ["--json", cat, cat_jpg])
    try:
        objs = [json.loads(line) for line in out.splitlines()]
        check(rc == 0 and [o["file"] for o in objs] == [cat, cat_jpg] and
              all(len(o["top_k"]) == 5 for o in objs),
              "--json two images: one object each, 5 classes", out)
    except ValueError as e:
        check(False, "--json two images parses", "%s\n%s" % (e, describe(rc, out, err)))
    rc, out, err = run(model + ["--json", "--top-k", "3", cat])
    try:
        obj = json.loads(out)
        check(rc == 0 and obj["file"] == cat and obj["timestamp"] == 0 and
              len(obj["top_k"]) == 3 and obj["top_k"][0]["class_id"] == 286 and
              obj["top_k"][0]["label"] == "Egyptian cat" and
              isinstance(obj["top_k"][0]["score"], float),
              "--json cat.png: file, timestamp 0, top_k[0] 286 Egyptian cat", out)
    except ValueError as e:
        check(False, "--json cat.png parses", "%s\n%s" % (e, describe(rc, out, err)))

    # a video, every 15th frame (30 fps: two results a second)
    rc, out, err = run(model + ["--every", "15", video])
    rows = [parse_video_line(line) for line in out.splitlines()]
    check(rc == 0 and len(rows) == 20 and None not in rows,
          "video --every 15: 20 lines 'H:MM:SS.NNNNNNNNN id label score'",
          describe(rc, out, err))
    rows = [r for r in rows if r]
    times = [r[0] for r in rows]
    check(times == sorted(set(times)) and times[:3] == [0, 500000000, 1000000000],
          "video: timestamps increase by 0.5 s from 0 (%s)" % times[:4])
    expect = [(0, 286), (2, 20), (4, 986), (6, 320), (8, 653)]   # 2 s per photo
    for start, cid in expect:
        got = [r[1] for r in rows if start * 10**9 <= r[0] < (start + 2) * 10**9]
        check(len(got) == 4 and all(c == cid for c in got),
              "video %d-%d s: top-1 %d (%s)" % (start, start + 2, cid, got))
    at3 = [r for r in rows if r[0] == 3 * 10**9]
    check(len(at3) == 1 and at3[0][1:3] == (20, "chickadee"),
          "video: the frame at 0:00:03 is 20 chickadee")

    rc, out, err = run(model + ["--every", "30", "--json", video])
    try:
        objs = [json.loads(line) for line in out.splitlines()]
        check(rc == 0 and [o["timestamp"] for o in objs] == [i * 10**9 for i in range(10)],
              "video --every 30 --json: timestamps 0..9 s in ns")
    except ValueError as e:
        check(False, "video --json parses", "%s\n%s" % (e, describe(rc, out, err)))

    # the model from GST_MOBILENET_MODEL when --model is not given
    env = dict(os.environ, GST_MOBILENET_MODEL=v2)
    rc, out, err = run([tool, "--labels", labels, "--top-k", "1", cat], env=env)
    check(rc == 0 and out.startswith("286 Egyptian cat"),
          "no --model: GST_MOBILENET_MODEL is used", describe(rc, out, err))

    # errors: a message on stderr, exit 1, no hang
    rc, out, err = run(model + ["/nonexistent/cat.png"])
    check(rc == 1 and "/nonexistent/cat.png" in err and "No such file" in err,
          "a missing file: exit 1 and filesrc's message", describe(rc, out, err))
    rc, out, err = run(model + [labels])
    check(rc == 1 and "text file" in err, "a text file: exit 1 and decodebin's message",
          describe(rc, out, err))
    rc, out, err = run([tool, "--model", labels, cat])
    check(rc == 1 and "Could not load model" in err and "TFL3" in err,
          "a bad model: exit 1 and the element's message", describe(rc, out, err))
    with tempfile.NamedTemporaryFile(suffix=".webm") as empty:
        rc, out, err = run(model + [empty.name])
        check(rc == 1 and err != "", "an empty file: exit 1 with a message",
              describe(rc, out, err))
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "tone.wav")
        write_wav(wav)
        rc, out, err = run(model + [wav])
        check(rc == 1 and "has no video or image stream" in err,
              "an audio file: exit 1, no video stream", describe(rc, out, err))
    rc, out, err = run(model + ["/nonexistent/cat.png", cat])
    check(rc == 1 and "286 Egyptian cat" in out,
          "a missing file among others: the others are classified, exit 1",
          describe(rc, out, err))
    rc, out, err = run([tool])
    check(rc == 2 and "no FILE" in err, "no FILE: usage error, exit 2",
          describe(rc, out, err))
    rc, out, err = run(model + ["--raw", "224", bird_rgb])
    check(rc == 2 and "WIDTHxHEIGHT" in err, "--raw 224: usage error, exit 2",
          describe(rc, out, err))

    # the build tree's tool finds the plugin built beside it
    env = dict(os.environ)
    env["GST_PLUGIN_PATH_1_0"] = os.pathsep.join(
        p for p in env.get("GST_PLUGIN_PATH_1_0", "").split(os.pathsep)
        if p and not os.path.isfile(os.path.join(p, "libgstmobilenet.so")))
    env["GST_REGISTRY_1_0"] = env["GST_REGISTRY"] = \
        env.get("GST_REGISTRY_1_0", "registry.bin") + ".nopath"
    rc, out, err = run(model + ["--top-k", "1", cat], env=env)
    check(rc == 0 and out.startswith("286 "),
          "without the plugin on GST_PLUGIN_PATH: the build tree's plugin is found",
          describe(rc, out, err))
    # ... but a copy elsewhere does not: a clear error, exit 1
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, os.path.basename(tool))
        shutil.copy2(tool, copy)
        env["GST_REGISTRY_1_0"] = env["GST_REGISTRY"] = os.path.join(tmp, "registry.bin")
        rc, out, err = run([copy, "--model", v2, cat], env=env)
        check(rc == 1 and "mobilenet GStreamer element was not found" in err,
              "no plugin anywhere: exit 1 and says where to point GST_PLUGIN_PATH",
              describe(rc, out, err))


def test_example(python, script):
    v2 = shared("models", "mobilenet_v2_1.0_224_quant.tflite")
    labels = shared("models", "imagenet_labels.txt")
    cat = shared("images", "cat.png")
    rc, out, err = run([python, script, "--model", v2, "--labels", labels, cat])
    lines = out.splitlines()
    msgs = [line for line in lines if line.startswith("message ")]
    metas = [line for line in lines if line.startswith("meta ")]
    check(rc == 0, "print_labels.py cat.png exits 0", describe(rc, out, err))
    check(len(msgs) == 1 and " 0.000s 286 Egyptian cat 0." in msgs[0] and
          msgs[0].count(" | ") == 2,
          "print_labels.py: one bus message line, top-3 from 286 Egyptian cat", out)
    check(len(metas) == 1 and " 0.000s 286 Egyptian cat 0." in metas[0],
          "print_labels.py: one meta line, 286 Egyptian cat", out)
    rc, out, err = run([python, script, "--model", v2, "/nonexistent/cat.png"])
    check(rc == 1 and "error:" in err, "print_labels.py: a missing file exits 1",
          describe(rc, out, err))


if __name__ == "__main__":
    sys.exit(main(__doc__, test_tool, test_example))
