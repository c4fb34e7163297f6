#!/usr/bin/env python3
"""Build the tiny CNN example model and its reference data.

Writes, next to this script:
  tiny_cnn.onnx           the model (opset 17, static shapes, input 1x3x32x32)
  tiny_cnn_input.npy      a seeded float32 input
  tiny_cnn_expected.npy   onnxruntime's output for that input (1x10 softmax)

The network is conv3x3 -> BatchNorm -> Relu -> MaxPool -> conv3x3 -> Relu ->
GlobalAveragePool -> Flatten -> Gemm -> Softmax with seeded random weights
(never pretrained). BatchNorm gets non-trivial running statistics so that the
exported BatchNormalization node is not an identity.

Run it (after scripts/setup-python.sh) from the repository root:
    .venv/bin/python examples/make_tiny_cnn.py
"""
import os
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17
SEED = 0


class TinyCNN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.gap = nn.AdaptiveAvgPool2d(1)  # exported as GlobalAveragePool
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = torch.relu(self.conv2(x))
        x = torch.flatten(self.gap(x), 1)
        return torch.softmax(self.fc(x), dim=1)


def main():
    torch.manual_seed(SEED)
    model = TinyCNN()
    with torch.no_grad():  # random, non-trivial BatchNorm statistics
        model.bn1.running_mean.uniform_(-0.5, 0.5)
        model.bn1.running_var.uniform_(0.5, 1.5)
        model.bn1.weight.uniform_(0.5, 1.5)
        model.bn1.bias.uniform_(-0.2, 0.2)
    model.eval()

    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)

    onnx_path = os.path.join(HERE, "tiny_cnn.onnx")
    warnings.filterwarnings("ignore", message=".*constant folding.*")
    # training=TRAINING keeps the BatchNormalization node in the graph (by
    # default torch folds it into the conv), which is what we want to test.
    torch.onnx.export(model, torch.from_numpy(x), onnx_path,
                      input_names=["input"], output_names=["probs"],
                      opset_version=OPSET, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.PRESERVE)
    onnx.checker.check_model(onnx.load(onnx_path))

    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    (y,) = sess.run(None, {"input": x})
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    assert np.allclose(y, ref, rtol=1e-4, atol=1e-6), np.abs(y - ref).max()

    np.save(os.path.join(HERE, "tiny_cnn_input.npy"), x)
    np.save(os.path.join(HERE, "tiny_cnn_expected.npy"), y)
    ops = [n.op_type for n in onnx.load(onnx_path).graph.node]
    print(f"wrote {onnx_path}: ops {ops}, output {y.shape} argmax {int(y.argmax())}")


if __name__ == "__main__":
    main()
