"""Post-training quantization accuracy on scikit-learn's bundled `digits`.

Trains a small CNN here (torch, seeded, a few seconds), exports it to ONNX
with a dynamic batch, writes a calibration folder of training samples (one
.npy each), then for every estimator compiles it with
`cambrian-compile --quantize int8 --calibration DIR --calibrate METHOD` and
evaluates float and int8 top-1 on the held-out split (one run of the whole
split as a batch). A case passes when int8 loses at most 0.5 points against
float, the quantized graph really holds QuantizeLinear/DequantizeLinear
(checked on --emit=import), and onnxruntime, running the same quantized
model (--save-quantized), also loses at most 0.5 points (so the QDQ model is
a valid one that any runtime reads alike). Ends with `N passed, N failed`;
exits 1 on any failure.

Usage: ptq_digits.py --build BUILD [--work DIR] [--calibration-samples N]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

MAX_LOSS_POINTS = 0.5
METHODS = ["minmax", "percentile", "entropy"]


class DigitsCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 32, 3, padding=1), torch.nn.ReLU(),
            torch.nn.MaxPool2d(2))
        self.head = torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(32 * 2 * 2, 64),
            torch.nn.ReLU(), torch.nn.Linear(64, 10))

    def forward(self, x):
        return self.head(self.features(x))


def train(x, y):
    torch.manual_seed(0)
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)
    for _ in range(30):
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return model.eval()


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(" ".join(cmd) + " failed:\n" + r.stdout + r.stderr)
    return r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--work", default=None)
    ap.add_argument("--calibration-samples", type=int, default=128)
    args = ap.parse_args()
    compiler = os.path.join(args.build, "bin", "cambrian-compile")
    runner = os.path.join(args.build, "bin", "cambrian-run")
    work = args.work or os.path.join(args.build, "ptq-digits-work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    t0 = time.time()
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=0, stratify=y)
    model = train(x_train, y_train)
    with torch.no_grad():
        torch_acc = (model(torch.from_numpy(x_test)).argmax(1).numpy()
                     == y_test).mean() * 100
    onnx_path = os.path.join(work, "digits.onnx")
    torch.onnx.export(model, torch.from_numpy(x_test[:1]), onnx_path,
                      input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}},
                      opset_version=13)
    t_train = time.time() - t0

    calib = os.path.join(work, "calibration")
    os.makedirs(calib)
    rng = np.random.default_rng(0)
    for k, i in enumerate(rng.choice(len(x_train), args.calibration_samples,
                                     replace=False)):
        np.save(os.path.join(calib, "sample%03d.npy" % k), x_train[i:i + 1])
    test_in = os.path.join(work, "x_test.npy")
    np.save(test_in, x_test)
    shape = "x=%dx1x8x8" % len(x_test)

    def accuracy(module):
        out = os.path.join(work, "out")
        shutil.rmtree(out, ignore_errors=True)
        run([runner, module, test_in, "--out", out])
        logits = np.load(os.path.join(out, "logits.npy"))
        return (logits.argmax(1) == y_test).mean() * 100

    float_so = os.path.join(work, "float.so")
    run([compiler, onnx_path, "--input-shape", shape, "-o", float_so])
    float_acc = accuracy(float_so)
    print("float: top-1 %.2f%% (torch %.2f%%), %d test samples, trained in "
          "%.1f s" % (float_acc, torch_acc, len(x_test), t_train))

    passed = failed = 0
    for method in METHODS:
        so = os.path.join(work, "int8-%s.so" % method)
        report = os.path.join(work, "report-%s.json" % method)
        qdq_model = os.path.join(work, "digits-%s.qdq.onnx" % method)
        common = [compiler, onnx_path, "--input-shape", shape, "--quantize",
                  "int8", "--calibration", calib, "--calibrate", method]
        t = time.time()
        try:
            run(common + ["--quantize-report", report, "--save-quantized",
                          qdq_model, "-o", so])
            seconds = time.time() - t
            ir = run(common + ["--emit=import"])
            int8_acc = accuracy(so)
            layers = json.load(open(report))["layers"]
            sess = ort.InferenceSession(qdq_model,
                                        providers=["CPUExecutionProvider"])
            ort_acc = (sess.run(None, {"x": x_test})[0].argmax(1)
                       == y_test).mean() * 100
        except RuntimeError as e:
            print("FAIL %s: %s" % (method, e))
            failed += 1
            continue
        qdq = ir.count("cambrian.quantize") > 0 and ir.count(
            "cambrian.dequantize") > 0
        loss = float_acc - int8_acc
        ok = (qdq and loss <= MAX_LOSS_POINTS and len(layers) > 0
              and float_acc - ort_acc <= MAX_LOSS_POINTS)
        print("%s %s: int8 top-1 %.2f%% (loss %.2f points, limit %.1f; "
              "onnxruntime on the same QDQ model %.2f%%), %d quantized "
              "layers, quantized and compiled in %.1f s%s" % (
                  "PASS" if ok else "FAIL", method, int8_acc, loss,
                  MAX_LOSS_POINTS, ort_acc, len(layers), seconds,
                  "" if qdq else ", no quantize/dequantize in the IR"))
        passed += ok
        failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
