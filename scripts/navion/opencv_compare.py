#!/usr/bin/env python3
"""Compare edgertl's Navion corner score with OpenCV's cornerMinEigenVal (issue 13, section 5).

edgertl's score of a pixel is S = (a + c) - isqrt((a - c)^2 + 4 b^2), with a, b, c the
unnormalized 3 x 3 box sums of the integer Sobel products: S = ceil(2 * lambda_min).
OpenCV's cornerMinEigenVal(img, blockSize=3, ksize=3, borderType=BORDER_REFLECT_101) computes
the same smaller eigenvalue in float32 after scaling the Sobel derivatives of an 8-bit image by
1 / ((1 << (ksize - 1)) * blockSize * 255) = 1 / 3060 (cornerEigenValsVecs), so

    S ~= 2 * 3060^2 * lambda_cv = 18 727 200 * lambda_cv.

For every image this prints the largest |S - 18727200 * lambda_cv| (in score units), where it
is, the largest score, the largest difference relative to it, and the mean difference, and at
the end the largest difference over all images. The scores come from the edgertl binary
(`edgertl run corners --score S.npy`); build it first:

    cargo build --release -p edgertl
    python3 -m venv /tmp/cv && /tmp/cv/bin/pip install numpy opencv-python-headless
    /tmp/cv/bin/python scripts/navion/opencv_compare.py [IMAGE.png ...]

Without arguments it compares the test images in tests/data/navion/. Not a test dependency.
"""

import argparse
import glob
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# 2 * ((1 << (ksize - 1)) * blockSize * 255)^2 for ksize 3, blockSize 3.
SCALE = 2.0 * (4 * 3 * 255) ** 2


def edgertl_scores(binary, png, out_dir):
    npy = os.path.join(out_dir, os.path.basename(png) + ".npy")
    subprocess.run([binary, "run", "corners", "--in", png, "--score", npy],
                   check=True, stdout=subprocess.DEVNULL)
    return np.load(npy).astype(np.float64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", help="8-bit PNGs (default: tests/data/navion/*.png)")
    parser.add_argument("--edgertl", default=os.path.join(ROOT, "target", "release", "edgertl"),
                        help="the edgertl binary (default: target/release/edgertl)")
    args = parser.parse_args()
    images = args.images or sorted(glob.glob(os.path.join(ROOT, "tests", "data", "navion", "*.png")))
    if not images:
        sys.exit("no images to compare")
    if not os.access(args.edgertl, os.X_OK):
        sys.exit(f"{args.edgertl} not found: cargo build --release -p edgertl")
    print(f"OpenCV {cv2.__version__}, cornerMinEigenVal(blockSize=3, ksize=3, BORDER_REFLECT_101), "
          f"scaled by 2 * 3060^2 = {SCALE:.0f}")
    print(f"{'image':<22} {'size':>9} {'max |diff|':>11} {'at (x, y)':>12} {'max S':>10} "
          f"{'max |diff| / max S':>19} {'mean |diff|':>12}")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for png in images:
            gray = cv2.imread(png, cv2.IMREAD_GRAYSCALE)
            if gray is None:
                sys.exit(f"{png}: OpenCV cannot read it")
            ours = edgertl_scores(args.edgertl, png, tmp)
            lam = cv2.cornerMinEigenVal(gray, blockSize=3, ksize=3, borderType=cv2.BORDER_REFLECT_101)
            theirs = lam.astype(np.float64) * SCALE
            diff = np.abs(ours - theirs)
            y, x = np.unravel_index(np.argmax(diff), diff.shape)
            top = ours.max()
            worst = max(worst, diff.max())
            print(f"{os.path.basename(png):<22} {gray.shape[1]:>4}x{gray.shape[0]:<4} {diff.max():>11.3f} "
                  f"{f'({x}, {y})':>12} {top:>10.0f} {diff.max() / max(top, 1):>19.2e} {diff.mean():>12.4f}")
    print(f"largest difference over all images: {worst:.3f} score units "
          f"(S is an integer, ceil(2 lambda); OpenCV works in float32)")


if __name__ == "__main__":
    main()
