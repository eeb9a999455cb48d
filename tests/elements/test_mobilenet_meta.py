#!/usr/bin/python3
"""Reads the mobilenet element's results from Python (Debian's python3-gi):
the MobilenetClassificationMeta through Gst.Buffer.get_custom_meta() and
the "mobilenet" bus messages.  Exits 0 when every check passes."""
import os
import sys
import warnings

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what)
    sys.stdout.flush()


def shared(sub, name):
    path = os.path.join(os.environ.get("MOBILENET_SHARED_DIR", "../shared"), sub, name)
    if not os.path.isfile(path):
        print("FAIL missing shared file %s: set MOBILENET_SHARED_DIR" % path)
        sys.exit(1)
    return path


def top_k(structure):
    """The top-k field as a list of (class-id, label, score)."""
    ok, arr = structure.get_array("top-k")
    if not ok:
        return None
    out = []
    for i in range(arr.n_values):
        with warnings.catch_warnings():
            # GValueArray is deprecated in GLib, but it is what
            # gst_structure_get_array() gives to introspection
            warnings.simplefilter("ignore", DeprecationWarning)
            c = arr.get_nth(i)
        out.append((c.get_value("class-id"), c.get_value("label"), c.get_value("score")))
    return out


def main():
    Gst.init(None)
    if Gst.ElementFactory.find("mobilenet") is None:
        print("FAIL the mobilenet element is not in the registry (GST_PLUGIN_PATH_1_0=%s)"
              % os.environ.get("GST_PLUGIN_PATH_1_0"))
        return 1
    model = shared("models", "mobilenet_v2_1.0_224_quant.tflite")
    labels = shared("models", "imagenet_labels.txt")
    image = shared("images", "cat.png")

    pipe = Gst.parse_launch(
        'filesrc location="%s" ! pngdec ! videoconvert ! imagefreeze num-buffers=2 ! '
        'mobilenet name=mn model="%s" labels="%s" top-k=3 inference-interval=2 '
        'post-messages=all ! '
        "appsink name=sink sync=false" % (image, model, labels))
    sink = pipe.get_by_name("sink")
    pipe.set_state(Gst.State.PLAYING)

    metas = []
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        buf = sample.get_buffer()
        meta = buf.get_custom_meta("MobilenetClassificationMeta")
        check(meta is not None, "buffer %d has a MobilenetClassificationMeta" % len(metas))
        if meta is None:
            break
        s = meta.get_structure()
        metas.append((s.get_value("class-id"), s.get_value("label"), s.get_value("score"),
                      s.get_value("reused"), s.get_value("model"),
                      s.get_value("inference-time"), top_k(s)))

    msgs = []
    bus = pipe.get_bus()
    while True:
        msg = bus.pop_filtered(Gst.MessageType.ELEMENT | Gst.MessageType.ERROR)
        if msg is None:
            break
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            check(False, "no error (%s: %s)" % (err.message, dbg))
            continue
        s = msg.get_structure()
        if s.get_name() == "mobilenet":
            msgs.append((s.get_value("class-id"), s.get_value("label"), s.get_value("score"),
                         s.get_value("timestamp"), s.get_value("running-time"), top_k(s)))
    pipe.set_state(Gst.State.NULL)

    check(len(metas) == 2, "two buffers came out (%d)" % len(metas))
    if metas:
        cid, label, score, reused, mpath, itime, tk = metas[0]
        check(cid == 286 and label == "Egyptian cat",
              "meta top-1 is 286 Egyptian cat (%s %s)" % (cid, label))
        check(0.0 < score <= 1.0, "meta score %.3f" % score)
        check(reused is False, "meta reused is False on the classified frame")
        check(os.path.basename(mpath) == os.path.basename(model), "meta model %s" % mpath)
        check(itime > 0, "meta inference-time %d ns" % itime)
        check(tk is not None and len(tk) == 3 and tk[0][0] == 286,
              "meta top-k read with get_array: %s" % (tk,))
    if len(metas) == 2:
        check(metas[1][3] is True and metas[1][0] == 286,
              "second buffer (inference-interval=2) carries the result with reused=True")
    check(len(msgs) == 1, "one mobilenet bus message (%d)" % len(msgs))
    if msgs:
        cid, label, score, ts, rt, tk = msgs[0]
        check(cid == 286 and label == "Egyptian cat", "message top-1 286 Egyptian cat")
        check(ts == 0 and rt == 0, "message timestamp and running-time 0")
        check(tk is not None and len(tk) == 3 and all(isinstance(c[1], str) for c in tk),
              "message top-k: %s" % (tk,))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
