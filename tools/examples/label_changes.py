#!/usr/bin/python3
"""Prints each change of the stable label the mobilenet element sees in a
video file, from its "mobilenet-label-changed" bus messages:

    /usr/bin/python3 tools/examples/label_changes.py [--model M] [--labels L] [--every N] FILE
       0.000s (none) -> Egyptian cat (0.88)
       2.167s Egyptian cat -> chickadee (0.94)
    ...

The element smooths the scores over time (smoothing=ema) and changes the
label only after another class has led for min-dwell results in a row, so a
flickering class does not make a change.  Needs Debian's python3-gi and
gir1.2-gstreamer-1.0, and the plugin on GST_PLUGIN_PATH (e.g.
build/gst-plugin).  The model defaults like the element's:
$GST_MOBILENET_MODEL, else the one installed with the plugin.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="Print the label changes of a video.")
    ap.add_argument("--model")
    ap.add_argument("--labels")
    ap.add_argument("--every", type=int, default=1, help="classify every Nth frame")
    ap.add_argument("file")
    args = ap.parse_args()

    Gst.init(None)
    pipe = Gst.parse_launch(
        "filesrc name=src ! decodebin ! videoconvert ! "
        "mobilenet name=mn smoothing=ema min-dwell=3 post-messages=changes ! "
        "fakesink sync=false")
    pipe.get_by_name("src").set_property("location", args.file)
    mn = pipe.get_by_name("mn")
    mn.set_property("inference-interval", args.every)
    if args.model:
        mn.set_property("model", args.model)
    if args.labels:
        mn.set_property("labels", args.labels)

    bus = pipe.get_bus()
    pipe.set_state(Gst.State.PLAYING)
    try:
        return follow(bus, mn)
    finally:
        pipe.set_state(Gst.State.NULL)


def follow(bus, mn):
    """Prints the label changes until the end of the file (0) or an error (1)."""
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
        if msg.src == mn and s.get_name() == "mobilenet-label-changed":
            # stream-time: the position in the file, in nanoseconds
            t = s.get_value("stream-time")
            print("%8.3fs %s -> %s (%.2f)" % (
                t / Gst.SECOND if t != Gst.CLOCK_TIME_NONE else -1,
                s.get_value("previous") or "(none)",
                s.get_value("label") or "(none)", s.get_value("score")))
            sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
