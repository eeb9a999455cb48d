#!/usr/bin/python3
"""Prints what the mobilenet element finds in an image or video file, read
two ways: from its "mobilenet" bus messages and from the
MobilenetClassificationMeta on the buffers that reach an appsink.

    /usr/bin/python3 tools/examples/print_labels.py [--model M] [--labels L] FILE

Needs Debian's python3-gi and gir1.2-gstreamer-1.0, and the plugin on
GST_PLUGIN_PATH (e.g. build/gst-plugin).  The model defaults like the
element's: $GST_MOBILENET_MODEL, else the one installed with the plugin.
"""
import argparse
import sys
import threading
import warnings

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

out_lock = threading.Lock()   # the appsink callback runs in another thread


def say(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def seconds(t):
    return "%8.3fs" % (t / Gst.SECOND) if t != Gst.CLOCK_TIME_NONE else "       -"


def top_k(s):
    """The "top-k" field (a GstValueArray of "class" structures, best first)
    as (class-id, label, score) tuples.  Without gst-python's overrides,
    introspection reads it with gst_structure_get_array(), as a (deprecated)
    GValueArray."""
    ok, arr = s.get_array("top-k")
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for i in range(arr.n_values if ok else 0):
            c = arr.get_nth(i)
            out.append((c.get_value("class-id"), c.get_value("label"), c.get_value("score")))
    return out


def on_new_sample(sink):
    """The meta on each buffer that reaches the appsink."""
    buf = sink.emit("pull-sample").get_buffer()
    meta = buf.get_custom_meta("MobilenetClassificationMeta")
    if meta is not None:
        s = meta.get_structure()
        say("meta    %s %d %s %.4f%s" % (
            seconds(buf.pts), s.get_value("class-id"), s.get_value("label"),
            s.get_value("score"), " (reused)" if s.get_value("reused") else ""))
    return Gst.FlowReturn.OK


def run(pipe, mn):
    """Prints the element's messages until the end of the file or an error."""
    bus = pipe.get_bus()
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE,
            Gst.MessageType.ELEMENT | Gst.MessageType.ERROR | Gst.MessageType.EOS)
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print("error: %s (%s)" % (err.message, debug), file=sys.stderr)
            return 1
        if msg.type == Gst.MessageType.EOS:
            return 0
        s = msg.get_structure()
        if msg.src == mn and s.get_name() == "mobilenet":
            say("message %s %s" % (seconds(s.get_value("timestamp")),
                                   " | ".join("%d %s %.4f" % c for c in top_k(s))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model")
    ap.add_argument("--labels")
    ap.add_argument("file")
    args = ap.parse_args()

    Gst.init(None)
    pipe = Gst.parse_launch(
        "filesrc name=src ! decodebin ! videoconvert ! mobilenet name=mn top-k=3 ! "
        "appsink name=sink emit-signals=true sync=false")
    pipe.get_by_name("src").set_property("location", args.file)
    mn = pipe.get_by_name("mn")
    # a "mobilenet" message for every classified frame (the default,
    # "changes", posts a "mobilenet-label-changed" message when the label changes)
    Gst.util_set_object_arg(mn, "post-messages", "all")
    if args.model:
        mn.set_property("model", args.model)
    if args.labels:
        mn.set_property("labels", args.labels)
    pipe.get_by_name("sink").connect("new-sample", on_new_sample)

    pipe.set_state(Gst.State.PLAYING)
    try:
        return run(pipe, mn)
    finally:
        pipe.set_state(Gst.State.NULL)   # stops the streaming threads


if __name__ == "__main__":
    sys.exit(main())
