#!/usr/bin/env python3
"""Tests mobilenet-tag and tools/examples/label_changes.py end to end.

    test_tag_tool.py tool PATH/TO/mobilenet-tag
    test_tag_tool.py example /usr/bin/python3 PATH/TO/label_changes.py

Runs the programs on the shared slideshow (MOBILENET_SHARED_DIR: 10 s, a
photo every 2 s: cat, chickadee, daisy, dragonfly, military uniform) with
MobileNet V2 (the fast V1 0.25 calls the photos bulbul, frilled lizard and
academic gown) and the plugin of the build tree (GST_PLUGIN_PATH_1_0, set
by meson), classifying every 3rd frame or fewer to stay quick; ends with
"N passed, N failed" and exits 1 on any failure.  Needs no python3-gi
itself."""
import csv
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time

from tool_test_util import check, describe, main, run_timed, shared, write_wav


run = run_timed
# the photos of the slideshow, 2 s each: accepted class ids and group
EXPECT = [
    (set(range(281, 287)), "cat"),        # Egyptian cat, tabby, tiger cat...
    ({20}, "bird"),                       # chickadee
    ({986}, "flower"),                    # daisy
    ({320}, "insect"),                    # dragonfly
    ({653}, "people"),                    # military uniform
]


def check_slideshow(segs, what, key="class_id"):
    """Five segments in the slideshow's order, boundaries within 1 s of
    2, 4, 6, 8 s, from 0 to about 10 s."""
    ok = len(segs) == 5
    if ok:
        for s, (ids, group) in zip(segs, EXPECT):
            if key == "class_id":
                ok = ok and (int(s["class_id"]) in ids or s.get("group") == group)
            else:
                ok = ok and s["label"] == group
    check(ok, "%s: five segments cat, chickadee, daisy, dragonfly, military "
          "uniform" % what, "\n".join(str(s) for s in segs))
    if len(segs) != 5:
        return
    start = [float(s["start"]) for s in segs]
    end = [float(s["end"]) for s in segs]
    check(start[0] == 0.0 and abs(end[-1] - 10.0) < 0.1,
          "%s: from 0 to about 10 s (%s to %s)" % (what, start[0], end[-1]))
    check(all(abs(start[i] - 2 * i) <= 1.0 for i in range(1, 5)) and
          all(end[i] == start[i + 1] for i in range(4)),
          "%s: boundaries within 1 s of 2, 4, 6, 8 s, contiguous (%s)" % (what, start))


VTT_TIME = r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)"
VTT_CUE = re.compile("^" + VTT_TIME + " --> " + VTT_TIME + "$")


def vtt_seconds(g):
    h, m, s, ms = (int(x) for x in g)
    return h * 3600 + m * 60 + s + ms / 1000.0


def parse_vtt(text):
    """[(start, end, text)] of a WebVTT file; raises ValueError when it is not
    one (header, blank-line separated cues, HH:MM:SS.mmm timings)."""
    if not text.startswith("WEBVTT") or (len(text) > 6 and text[6] not in " \t\n"):
        raise ValueError("no WEBVTT header")
    blocks = text.replace("\r\n", "\n").split("\n\n")
    if blocks[0].splitlines()[0].strip() != "WEBVTT":
        raise ValueError("bad header block %r" % blocks[0])
    cues = []
    for block in blocks[1:]:
        lines = [line for line in block.split("\n") if line != ""]
        if not lines:
            continue
        if "-->" not in lines[0]:
            lines = lines[1:]           # the cue identifier
        if not lines:
            raise ValueError("a cue without timings")
        m = VTT_CUE.match(lines[0])
        if not m:
            raise ValueError("bad cue timing %r" % lines[0])
        body = lines[1:]
        if not body or any("-->" in line for line in body):
            raise ValueError("bad cue text %r" % body)
        cues.append((vtt_seconds(m.groups()[:4]), vtt_seconds(m.groups()[4:]),
                     "\n".join(body)))
    return cues


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", head[16:24])


def test_tool(tool):
    with tempfile.TemporaryDirectory(prefix="mobilenet-tag-") as tmp:
        tag_tests(tool, tmp)


def tag_tests(tool, tmp):
    v2 = shared("models", "mobilenet_v2_1.0_224_quant.tflite")
    labels = shared("models", "imagenet_labels.txt")
    video = shared("videos", "slideshow_640x480.webm")
    model = [tool, "--model", v2, "--labels", labels]

    # JSON lines (the default) and the timeline PNG, at the stated size
    png = os.path.join(tmp, "timeline.png")
    rc, out, err, secs = run(model + ["--every", "3", "--verbose", "--timeline", png,
                                      "--width", "900", "--height", "150", video])
    print("     (every 3rd frame, JSON lines + PNG: %.1f s)" % secs)
    segs = []
    try:
        segs = [json.loads(line) for line in out.splitlines()]
        check(rc == 0 and segs and all(
            set(s) == {"file", "start", "end", "label", "class_id", "score", "group"} and
            s["file"] == video and isinstance(s["start"], float) and
            isinstance(s["class_id"], int) and 0 < s["score"] <= 1 for s in segs),
            "jsonl: one object per segment with file, start, end, label, class_id, "
            "score, group", describe(rc, out, err))
    except ValueError as e:
        check(False, "jsonl parses", "%s\n%s" % (e, describe(rc, out, err)))
    check_slideshow(segs, "jsonl")
    check(len(segs) == 5 and [s["group"] for s in segs] == [g for _, g in EXPECT],
          "jsonl: groups cat, bird, flower, insect, people from the shipped groups file",
          [s.get("group") for s in segs])
    check("300 frames, 100 classified" in err and "5 segments" in err,
          "--verbose: frames, classified frames and segments on stderr", err)
    try:
        size = png_size(png)
        check(size == (900, 150), "--timeline: a 900x150 PNG (%dx%d)" % size)
    except (OSError, ValueError) as e:
        check(False, "--timeline writes a PNG", e)

    # WebVTT, with the format from --output's extension, groups as labels
    vtt = os.path.join(tmp, "slideshow.vtt")
    rc, out, err, secs = run(model + ["--every", "6", "--min-dwell", "2",
                                      "--report", "groups", "--output", vtt, video])
    print("     (every 6th frame, groups, WebVTT: %.1f s)" % secs)
    try:
        with open(vtt, encoding="utf-8") as f:
            text = f.read()
        cues = parse_vtt(text)
        check(rc == 0 and out == "" and len(cues) >= 1,
              "vtt: a WebVTT file (header, cues HH:MM:SS.mmm --> HH:MM:SS.mmm, text)",
              describe(rc, out, err))
        times = [t for c in cues for t in c[:2]]
        check(all(c[0] < c[1] for c in cues) and times == sorted(times),
              "vtt: cue times increase", cues)
        check(all(c[2].strip() for c in cues), "vtt: every cue has text", cues)
        check_slideshow([{"start": c[0], "end": c[1], "label": c[2].split()[0]}
                         for c in cues], "vtt --report groups", key="group")
    except (OSError, ValueError) as e:
        check(False, "vtt: a WebVTT file", "%s\n%s" % (e, describe(rc, out, err)))

    # an error leaves no output; missing input, text, bad model, usage
    rc, out, err, _ = run(model + ["/nonexistent/video.webm"])
    check(rc == 1 and out == "" and "/nonexistent/video.webm" in err and
          "No such file" in err, "a missing input: exit 1 with a message",
          describe(rc, out, err))
    rc, out, err, _ = run(model + [labels])
    check(rc == 1 and "text file" in err, "a text file: exit 1 and decodebin's message",
          describe(rc, out, err))
    wav = os.path.join(tmp, "tone.wav")
    write_wav(wav)
    rc, out, err, _ = run(model + [wav])
    check(rc == 1 and "has no video stream" in err, "an audio file: exit 1, no video stream",
          describe(rc, out, err))
    rc, out, err, _ = run([tool, "--model", labels, video])
    check(rc == 1 and "Could not load model" in err, "a bad model: exit 1",
          describe(rc, out, err))
    rc, out, err, _ = run([tool])
    check(rc == 2 and "no INPUT" in err, "no INPUT: usage error, exit 2",
          describe(rc, out, err))
    rc, out, err, _ = run(model + ["--format", "srt", video])
    check(rc == 2 and "--format" in err, "--format srt: usage error, exit 2",
          describe(rc, out, err))

    # a folder of two videos (symlinks) -> two CSV files in --output-dir
    folder = os.path.join(tmp, "videos")
    outdir = os.path.join(tmp, "tags")
    os.mkdir(folder)
    for name in ("a.webm", "b.webm"):
        os.symlink(video, os.path.join(folder, name))
    with open(os.path.join(folder, "notes.txt"), "w") as f:
        f.write("not a video\n")
    rc, out, err, secs = run(model + ["--every", "10", "--min-dwell", "2", "--format",
                                      "csv", "--output-dir", outdir, folder])
    print("     (a folder of two videos, every 10th frame, CSV: %.1f s)" % secs)
    made = sorted(os.listdir(outdir)) if os.path.isdir(outdir) else []
    check(rc == 0 and made == ["a.csv", "b.csv"],
          "folder: two inputs -> a.csv and b.csv (notes.txt skipped) (%s)" % made,
          describe(rc, out, err))
    for name in made:
        try:
            with open(os.path.join(outdir, name), newline="") as f:
                rows = list(csv.DictReader(f))
            check(rows and list(rows[0].keys()) ==
                  ["file", "start", "end", "label", "class_id", "score", "group"] and
                  all(r["file"] == os.path.join(folder, name[0] + ".webm") for r in rows),
                  "csv %s: header and rows parse" % name, rows[:1])
            check_slideshow(rows, "csv " + name)
        except (OSError, ValueError, csv.Error) as e:
            check(False, "csv %s parses" % name, e)
    rc, out, err, _ = run(model + ["--output", os.path.join(tmp, "x.jsonl"), folder])
    check(rc == 2 and "--output-dir" in err, "folder with --output: usage error",
          describe(rc, out, err))

    # Ctrl-C during a folder of six videos, every frame on one thread: the
    # files done and the one under way are written, the rest are not
    # started; exit 130, quickly.  Ctrl-C comes half a file's time after
    # the first file appears, in the middle of the second (a fixed delay
    # once landed between two files, where no file is under way).
    folder = os.path.join(tmp, "many")
    os.mkdir(folder)
    for i in range(6):
        os.symlink(video, os.path.join(folder, "v%d.webm" % i))
    start = time.monotonic()
    p = subprocess.Popen(model + ["--threads", "1", "--format", "jsonl", folder],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = os.path.join(folder, "v0.jsonl")
    while (not os.path.exists(first) and p.poll() is None and
           time.monotonic() - start < 120):
        time.sleep(0.02)
    time.sleep((time.monotonic() - start) / 2)
    t = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=30)
        waited = time.monotonic() - t
        made = sorted(f for f in os.listdir(folder) if f.endswith(".jsonl"))
        ends = []
        for f in made:
            with open(os.path.join(folder, f)) as fh:
                segs = [json.loads(line) for line in fh]
            ends.append(segs[-1]["end"] if segs else None)
        check(p.returncode == 130 and 1 <= len(made) < 6 and waited < 10 and
              None not in ends and all(abs(e - 10.0) < 0.1 for e in ends[:-1]) and
              # the file under way, unless Ctrl-C came before its first frame
              (ends[-1] < 10.0 or "Interrupted before a frame" in err),
              "SIGINT: exit %s %.1f s later, %d file(s) written, the last one "
              "partly (ends %s)" % (p.returncode, waited, len(made), ends),
              describe(p.returncode, out, err))
    except (subprocess.TimeoutExpired, ValueError, OSError) as e:
        p.kill()
        p.communicate()
        check(False, "SIGINT: stops and writes what it has", e)


def test_example(python, script):
    v2 = shared("models", "mobilenet_v2_1.0_224_quant.tflite")
    labels = shared("models", "imagenet_labels.txt")
    video = shared("videos", "slideshow_640x480.webm")
    rc, out, err, secs = run([python, script, "--model", v2, "--labels", labels,
                              "--every", "3", video])
    print("     (label_changes.py, every 3rd frame: %.1f s)" % secs)
    lines = out.splitlines()
    check(rc == 0 and len(lines) == 5, "label_changes.py: five label changes",
          describe(rc, out, err))
    rows = []
    for line in lines:
        m = re.match(r"^\s*(\d+\.\d{3})s (.*) -> (.*) \((\d\.\d{2})\)$", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3)))
    names = ["Egyptian cat", "chickadee", "daisy", "dragonfly", "military uniform"]
    check(len(rows) == 5 and [r[1] for r in rows] == ["(none)"] + [r[2] for r in rows[:-1]] and
          all(r[2].startswith(n) for r, n in zip(rows, names)),
          "label_changes.py: (none) -> cat -> chickadee -> daisy -> dragonfly -> "
          "military uniform", out)
    check(len(rows) == 5 and all(abs(r[0] - 2 * i) <= 1.0 for i, r in enumerate(rows)),
          "label_changes.py: changes within 1 s of 0, 2, 4, 6, 8 s", out)
    rc, out, err, _ = run([python, script, "--model", v2, "/nonexistent/video.webm"])
    check(rc == 1 and "error:" in err, "label_changes.py: a missing file exits 1",
          describe(rc, out, err))


if __name__ == "__main__":
    sys.exit(main(__doc__, test_tool, test_example))
