#!/usr/bin/env python3
"""Write tests/data/navion/pyrdown.json: OpenCV's pyrDown of small random frames (issue 14, §1).

The Rust test `navion::pyramid::tests::pyr_down_matches_opencv` checks edgertl's pyrDown
against these values bit for bit. Frames of even and odd sizes, random pixels and 0/255
extremes; the default output size ((W + 1) / 2, (H + 1) / 2) and BORDER_REFLECT_101 (OpenCV's
default border). Run once; the JSON is committed:

    python3 -m venv /tmp/cv && /tmp/cv/bin/pip install numpy opencv-python-headless
    /tmp/cv/bin/python scripts/navion/opencv_pyrdown.py
"""

import json
import os

import cv2
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    rng = np.random.default_rng(14)
    cases = []
    for (w, h, kind) in [(8, 6, "random"), (13, 11, "random"), (7, 9, "extremes"), (16, 16, "extremes"),
                         (5, 3, "random"), (3, 4, "random"), (2, 2, "random"), (21, 17, "random")]:
        if kind == "random":
            img = rng.integers(0, 256, size=(h, w), dtype=np.uint8)
        else:
            img = (rng.integers(0, 2, size=(h, w)) * 255).astype(np.uint8)
        out = cv2.pyrDown(img, borderType=cv2.BORDER_REFLECT_101)
        cases.append({"width": w, "height": h, "input": img.flatten().tolist(),
                      "out_width": int(out.shape[1]), "out_height": int(out.shape[0]),
                      "output": out.flatten().tolist()})
    path = os.path.join(ROOT, "tests", "data", "navion", "pyrdown.json")
    with open(path, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases) + "\n]\n")
    print(f"OpenCV {cv2.__version__}: {len(cases)} cases written to {path}")


if __name__ == "__main__":
    main()
