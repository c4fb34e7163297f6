"""Writes a calibration folder of seeded random samples.

Usage: make_calibration.py DIR NAME=DxDx..[:dtype] [NAME=...] [--samples N]

With one input, DIR gets one NAME-less file per sample (sample000.npy, ...);
with several, one sub-folder per sample holding NAME.npy for each input.
Values are uniform in [-1, 1] (float) or [0, 10) (integers).
"""
import argparse
import os

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("inputs", nargs="+")
ap.add_argument("--samples", type=int, default=4)
args = ap.parse_args()
rng = np.random.default_rng(0)
specs = []
for spec in args.inputs:
    name, rest = spec.split("=")
    dims, _, dtype = rest.partition(":")
    specs.append((name, [int(d) for d in dims.split("x")], dtype or "float32"))
os.makedirs(args.dir, exist_ok=True)
for i in range(args.samples):
    for name, shape, dtype in specs:
        if np.dtype(dtype).kind == "f":
            a = rng.uniform(-1, 1, shape).astype(dtype)
        else:
            a = rng.integers(0, 10, shape).astype(dtype)
        if len(specs) == 1:
            path = os.path.join(args.dir, "sample%03d.npy" % i)
        else:
            os.makedirs(os.path.join(args.dir, "sample%03d" % i), exist_ok=True)
            path = os.path.join(args.dir, "sample%03d" % i, name + ".npy")
        np.save(path, a)
