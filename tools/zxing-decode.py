#!/usr/bin/env python3
"""Reads every PNG and JPEG frame in a directory with zxing-cpp, the reference decoder
`locker bench qr` compares the locker's own against, and prints one JSON object:
{"zxing": "<version>", "frames": [{"file": name, "texts": [...], "ms": decode time}]}.

Each image is loaded with Pillow and turned to 8-bit grey before the clock starts, so the time
is zxing-cpp's read_barcodes alone (QR codes only), as the locker's figure is its decode alone.
Exits 3, printing {"zxing": "absent"}, when zxing-cpp (or Pillow) is not installed.
"""
import json
import os
import sys
import time

try:
    import zxingcpp
    from PIL import Image
except ImportError:
    print(json.dumps({"zxing": "absent"}))
    sys.exit(3)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: zxing-decode.py DIR")
    folder = sys.argv[1]
    frames = []
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith((".png", ".jpg", ".jpeg")):
            continue
        with Image.open(os.path.join(folder, name)) as img:
            grey = img.convert("L")
            grey.load()
        start = time.perf_counter()
        found = zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode)
        ms = (time.perf_counter() - start) * 1000.0
        frames.append({"file": name, "texts": [b.text for b in found if b.valid], "ms": ms})
    version = getattr(zxingcpp, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version

        version = dist_version("zxing-cpp")
    print(json.dumps({"zxing": version, "frames": frames}))


if __name__ == "__main__":
    main()
