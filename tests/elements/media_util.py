"""Small media files the tool tests need, written without GStreamer (an
ASan build's plugins cannot load in an uninstrumented gst-launch-1.0)."""
import math
import struct


def write_wav(path, seconds=0.2, rate=8000):
    """A mono 16-bit PCM WAV file of a 440 Hz tone: an audio-only input."""
    n = int(seconds * rate)
    data = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                    for i in range(n))
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " +
                struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) +
                b"data" + struct.pack("<I", len(data)) + data)
