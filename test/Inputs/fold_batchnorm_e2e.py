"""Conv/Gemm -> BatchNormalization models, compiled for x86 and compared with
onnxruntime (graph optimisations off, so the reference computes the batch
norm as written).

Usage: fold_batchnorm_e2e.py CAMBRIAN_COMPILE CAMBRIAN_RUN WORKDIR [MODEL.onnxtxt]

The cases are random models built here (more than 16 channels, so weights
are dense resources) and, if given, a model in ONNX text with one input x.
For each, prints `<name> folded=<yes|no> max_abs=... max_rel=... PASS` (or
FAIL): whether --emit=graph has no multiply left, and the errors against
onnxruntime; PASS is np.allclose at rtol 1e-4, atol 1e-5. Exits 1 if any
case fails.
"""
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper, parser, save

RTOL, ATOL = 1e-4, 1e-5
compiler, runner, work = sys.argv[1:4]
text_model = sys.argv[4] if len(sys.argv) > 4 else None
rng = np.random.default_rng(7)


def const(name, a):
    return numpy_helper.from_array(np.asarray(a, np.float32), name)


def bn(x, y, C, p=""):
    """BatchNormalization of x over C channels, with realistic statistics."""
    inits = [const(p + "gamma", rng.uniform(0.5, 1.5, C)),
             const(p + "beta", rng.normal(0, 0.5, C)),
             const(p + "mean", rng.normal(0, 0.5, C)),
             const(p + "var", rng.uniform(0.2, 2.0, C))]
    node = helper.make_node("BatchNormalization", [x] + [i.name for i in inits],
                            [y], epsilon=1e-3)
    return [node], inits


def conv_case(C, F, k, group=1, bias=False, relu=True, rank=2):
    spatial = [10] * rank
    wshape = [F, C // group] + [k] * rank
    inits = [const("w", rng.normal(0, 0.3, wshape))]
    ins = ["x", "w"]
    if bias:
        inits.append(const("b", rng.normal(0, 0.5, F)))
        ins.append("b")
    nodes = [helper.make_node("Conv", ins, ["c"], group=group,
                              pads=[k // 2] * (2 * rank))]
    n, i = bn("c", "n" if relu else "y", F)
    nodes += n
    inits += i
    if relu:
        nodes.append(helper.make_node("Relu", ["n"], ["y"]))
    return nodes, inits, [1, C] + spatial, [1, F] + spatial


def gemm_case(K, N):
    inits = [const("w", rng.normal(0, 0.3, (N, K))),
             const("b", rng.normal(0, 0.5, N))]
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["c"], transB=1)]
    n, i = bn("c", "y", N)
    return nodes + n, inits + i, [6, K], [6, N]


def conv_shared_case():
    """The conv's output is also a graph output: nothing may be folded."""
    nodes, inits, xs, ys = conv_case(4, 8, 3, relu=False)
    return nodes, inits, xs, ys, [("c", ys)]


CASES = {
    "conv_bn_relu": conv_case(8, 32, 3),
    "conv_bias_bn_relu": conv_case(8, 24, 3, bias=True),
    "conv1x1_bias_bn": conv_case(16, 8, 1, bias=True, relu=False),
    "depthwise_bn_relu": conv_case(24, 24, 3, group=24),
    "grouped_bn_relu": conv_case(8, 32, 3, group=4, bias=True),
    "conv1d_bias_bn": conv_case(8, 32, 3, bias=True, relu=False, rank=1),
    "gemm_bn": gemm_case(20, 40),
    "conv_shared_bn": conv_shared_case(),
}


def model_of(name, case):
    nodes, inits, xs, ys = case[:4]
    extra = case[4] if len(case) > 4 else []
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ys)]
    outputs += [helper.make_tensor_value_info(o, TensorProto.FLOAT, s)
                for o, s in extra]
    g = helper.make_graph(nodes, name,
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, xs)],
                          outputs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 15)],
                             ir_version=8)


MODELS = {name: model_of(name, case) for name, case in CASES.items()}
if text_model:
    with open(text_model) as f:
        MODELS[os.path.splitext(os.path.basename(text_model))[0]] = \
            parser.parse_model(f.read())


def build(name, proto):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    model = os.path.join(d, "model.onnx")
    save(proto, model)
    xs = [dim.dim_value for dim in proto.graph.input[0].type.tensor_type.shape.dim]
    x = rng.normal(0, 1, xs).astype(np.float32)
    np.save(os.path.join(d, "x.npy"), x)
    return d, model, x, [o.name for o in proto.graph.output]


failed = 0
for name, proto in MODELS.items():
    d, model, x, outs = build(name, proto)
    graph = subprocess.run([compiler, model, "--emit=graph"], check=True,
                           capture_output=True, text=True).stdout
    folded = "arith.mulf" not in graph
    so = os.path.join(d, "m.so")
    subprocess.run([compiler, model, "--target", "x86", "-o", so], check=True)
    subprocess.run([runner, so, os.path.join(d, "x.npy"), "--out", d],
                   check=True, capture_output=True)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    ok, max_abs, max_rel = True, 0.0, 0.0
    for o, ref in zip(outs, sess.run(outs, {"x": x})):
        got = np.load(os.path.join(d, o + ".npy"))
        diff = np.abs(got.astype(np.float64) - ref)
        max_abs = max(max_abs, float(diff.max()))
        big = np.abs(ref) > ATOL
        max_rel = max(max_rel, float((diff[big] / np.abs(ref[big])).max()))
        ok = ok and got.shape == ref.shape and np.allclose(got, ref, RTOL, ATOL)
    failed += not ok
    print(f"{name} folded={'yes' if folded else 'no'} max_abs={max_abs:.2e} "
          f"max_rel={max_rel:.2e} {'PASS' if ok else 'FAIL'}")
sys.exit(1 if failed else 0)
