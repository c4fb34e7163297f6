# The reference of parallel-run.onnxtxt: the outputs of the 1- and 3-thread
# runs must be the same bytes, and match the graph computed in numpy
# (float32).
import sys
import numpy as np

x = np.load(sys.argv[1])
one, three = sys.argv[2], sys.argv[3]
f32 = np.float32


def quantize(v, s, z):
    return np.clip(np.rint(v / f32(s)) + z, -128, 127)


xd = ((quantize(x, 0.05, 3) - 3) * f32(0.05)).astype(np.float32)
m = (xd * xd).astype(np.float32)
q = ((quantize(m, 0.25, -5) + 5) * f32(0.25)).astype(np.float32)
b = np.array([0.5, -0.25, 1, 2, -3, 0.125, 7, -1, 0.75, 4, -2, 3, 0, 1.5, -0.5,
              6, -6, 2.5, -4, 0.25, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5],
             np.float32).reshape(30, 1, 1)
a = x + b
r = x.max(axis=3, keepdims=True)

for name, ref in (("q", q), ("a", a), ("r", r)):
    got1 = np.load(f"{one}/{name}.npy")
    got3 = np.load(f"{three}/{name}.npy")
    same = "same bytes" if got1.tobytes() == got3.tobytes() else "DIFFERENT"
    print(f"{name}: {same} with 1 and 3 threads, "
          f"{int((got1 != ref).sum())} differ from numpy")
