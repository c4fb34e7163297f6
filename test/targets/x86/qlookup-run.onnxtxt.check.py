# The reference of qlookup-run.onnxtxt: QuantizeLinear, DequantizeLinear,
# Sigmoid and QuantizeLinear in numpy float32.
import sys
import numpy as np

x = np.load(sys.argv[1]).astype(np.float32)
got = np.load(sys.argv[2])
f32 = np.float32
xq = np.clip(np.rint(x / f32(0.05)) + 3, -128, 127)
xd = ((xq - 3) * f32(0.05)).astype(np.float32)
sg = (f32(1) / (f32(1) + np.exp(-xd))).astype(np.float32)
ref = np.clip(np.rint(sg / f32(0.00390625)), 0, 255).astype(np.uint8)
print(f"{ref.size} values, {int((got != ref).sum())} differ")
