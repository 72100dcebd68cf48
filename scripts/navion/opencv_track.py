#!/usr/bin/env python3
"""Track the Navion test pairs with OpenCV's calcOpticalFlowPyrLK, for comparison (issue 14, §3).

The pairs are real photographs moved by known motions (edgertl_sim::navion::motion); the
example writes them with the points (the detector's corners of A) and their true positions:

    cargo run --release -p edgertl-sim --example track_report -- --pairs /tmp/pairs
    python3 -m venv /tmp/cv && /tmp/cv/bin/pip install numpy opencv-python-headless
    /tmp/cv/bin/python scripts/navion/opencv_track.py /tmp/pairs

For the 8-bit frames and for the codec's decoded frames (made with `edgertl run codec`, or
read from DIR/<name>_dec.png when present) this runs calcOpticalFlowPyrLK with a 15 x 15
window and 3 levels (maxLevel=2), OpenCV's default criteria (30 iterations, epsilon 0.01) and
minEigThreshold, and prints the table of edgertl's example: points whose true position is
8 pixels or more inside B, the lost fraction, the median and 95th percentile error, the
fraction within 1 px. Not a test dependency.
"""

import argparse
import json
import os
import subprocess
import sys

import cv2
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def decoded(binary, png, tmp):
    """The codec's round trip of png, through the edgertl binary."""
    base = os.path.join(tmp, os.path.basename(png)[:-4])
    subprocess.run([binary, "run", "codec", "encode", "--in", png, "--out", base + ".nfc"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([binary, "run", "codec", "decode", "--in", base + ".nfc", "--out", base + "_dec.png"],
                   check=True, stdout=subprocess.DEVNULL)
    return cv2.imread(base + "_dec.png", cv2.IMREAD_GRAYSCALE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", help="the directory the example wrote (pairs.json)")
    parser.add_argument("--edgertl", default=os.path.join(ROOT, "target", "release", "edgertl"),
                        help="the edgertl binary, for the codec (default: target/release/edgertl)")
    parser.add_argument("--margin", type=float, default=8.0, help="pixels inside B (default 8)")
    args = parser.parse_args()
    with open(os.path.join(args.pairs, "pairs.json")) as f:
        pairs = json.load(f)
    if not os.access(args.edgertl, os.X_OK):
        sys.exit(f"{args.edgertl} not found: cargo build --release -p edgertl")
    tmp = os.path.join(args.pairs, "codec")
    os.makedirs(tmp, exist_ok=True)
    print(f"OpenCV {cv2.__version__}: calcOpticalFlowPyrLK, winSize 15 x 15, maxLevel 2, "
          f"{len(pairs)} pairs, points {args.margin:g} px inside B")
    print("| frames | model  | points | lost   | median | p95    | <= 1 px |")
    print("|--------|--------|--------|--------|--------|--------|---------|")
    for name in ["8-bit", "codec"]:
        errors, lost = [], 0
        for p in pairs:
            pa, pb = os.path.join(args.pairs, p["a"]), os.path.join(args.pairs, p["b"])
            if name == "8-bit":
                a, b = cv2.imread(pa, cv2.IMREAD_GRAYSCALE), cv2.imread(pb, cv2.IMREAD_GRAYSCALE)
            else:
                a, b = decoded(args.edgertl, pa, tmp), decoded(args.edgertl, pb, tmp)
            h, w = a.shape
            pts = np.array(p["points"], dtype=np.float32).reshape(-1, 1, 2)
            truth = np.array(p["truth"], dtype=np.float64)
            if len(pts) == 0:
                continue
            nxt, st, _ = cv2.calcOpticalFlowPyrLK(a, b, pts, None, winSize=(15, 15), maxLevel=2)
            m = args.margin
            inside = (truth[:, 0] >= m) & (truth[:, 1] >= m) & (truth[:, 0] <= w - 1 - m) & (truth[:, 1] <= h - 1 - m)
            ok = st.reshape(-1) == 1
            lost += int(np.sum(inside & ~ok))
            d = np.hypot(nxt.reshape(-1, 2)[:, 0] - truth[:, 0], nxt.reshape(-1, 2)[:, 1] - truth[:, 1])
            errors.extend(d[inside & ok].tolist())
        e = np.sort(np.array(errors))
        n = len(e) + lost
        q = lambda f: e[max(int(np.ceil(f * len(e))), 1) - 1]
        print(f"| {name:<6} | OpenCV | {n:>6} | {100 * lost / max(n, 1):>5.2f}% | {q(0.5):>6.3f} | {q(0.95):>6.3f} "
              f"| {100 * np.mean(e <= 1.0):>6.1f}% |")


if __name__ == "__main__":
    main()
