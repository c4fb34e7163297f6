"""Count the multiply-add work of an ONNX model, for the % of peak column.

Only the ops that dominate inference are counted, each multiply-add as two
floating-point operations:

    Conv           2 * N*OH*OW*F * (C/group) * KH*KW   (any number of spatial dims)
    ConvTranspose  2 * N*H*W*C * (F/group) * KH*KW     (every input pixel scatters)
    Gemm           2 * M*N*K
    MatMul         2 * (batch * M*N) * K               (numpy broadcasting)

Elementwise ops, normalisations, pooling, softmax and data movement are
ignored: they are a small share of the work of these models, and how a
runtime implements them varies. Shapes come from onnx shape inference run on
the model (inputs and weights are static in the benchmark models).
"""
import math

import onnx
from onnx import shape_inference


def _static_dims(type_proto):
    """The dims of a tensor type as ints, or None if any is unknown."""
    if not type_proto.HasField("tensor_type"):
        return None
    tt = type_proto.tensor_type
    if not tt.HasField("shape"):
        return None
    dims = []
    for d in tt.shape.dim:
        if not d.HasField("dim_value"):
            return None
        dims.append(d.dim_value)
    return dims


def _shape_table(graph):
    """name -> static shape for every tensor whose shape is known."""
    shapes = {}
    for vi in list(graph.input) + list(graph.value_info) + list(graph.output):
        dims = _static_dims(vi.type)
        if dims is not None:
            shapes[vi.name] = dims
    for init in graph.initializer:
        shapes[init.name] = list(init.dims)
    for node in graph.node:  # Constant nodes carry their value as an attribute
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    shapes[node.output[0]] = list(attr.t.dims)
    return shapes


def _attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def node_flops(node, shapes):
    """FLOPs of one node, 0 for the ops that are not counted.

    Raises KeyError when a counted op lacks a static shape.
    """
    op = node.op_type
    if op == "Conv":
        w = shapes[node.input[1]]          # [F, C/group, k...]
        y = shapes[node.output[0]]         # [N, F, o...]
        return 2 * math.prod(y) * w[1] * math.prod(w[2:])
    if op == "ConvTranspose":
        x = shapes[node.input[0]]          # [N, C, i...]
        w = shapes[node.input[1]]          # [C, F/group, k...]
        return 2 * math.prod(x) * w[1] * math.prod(w[2:])
    if op == "Gemm":
        a = shapes[node.input[0]]
        y = shapes[node.output[0]]         # [M, N]
        k = a[0] if _attr(node, "transA", 0) else a[1]
        return 2 * math.prod(y) * k
    if op == "MatMul":
        a = shapes[node.input[0]]
        y = shapes[node.output[0]]         # broadcast batch dims, then M, N
        return 2 * math.prod(y) * a[-1]
    return 0


_COUNTED = ("Conv", "ConvTranspose", "Gemm", "MatMul")


def _shapes_by_running(model, names, inputs):
    """Shapes of the tensors NAMES, found by running the model in onnxruntime.

    Shape inference cannot see through some shape arithmetic (ShuffleNet's
    channel shuffle computes its Reshape target from Shape/Slice ops), so
    the tensors whose shapes it left unknown are made graph outputs and the
    model is run once on its real inputs.
    """
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    have = {o.name for o in probe.graph.output}
    for name in names:
        if name not in have:
            probe.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    opts = ort.SessionOptions()
    # No graph rewrites: fused or eliminated nodes would lose the names.
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(probe.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    out_names = [o.name for o in sess.get_outputs()]
    values = sess.run(out_names, inputs)
    return {n: list(v.shape) for n, v in zip(out_names, values) if n in names}


def count_flops(model_path, inputs=None):
    """Total FLOPs of the model at MODEL_PATH and a per-op-type breakdown.

    INPUTS ({name: ndarray}), when given, lets shapes that shape inference
    cannot find be measured by running the model (see _shapes_by_running).
    Returns (total, {op_type: flops}, [names of counted nodes without shapes]).
    """
    model = onnx.load(model_path)
    # data_prop helps Reshape targets computed from Shape ops.
    model = shape_inference.infer_shapes(model, data_prop=True)
    shapes = _shape_table(model.graph)
    if inputs is not None:
        missing = sorted({t for node in model.graph.node if node.op_type in _COUNTED
                          for t in list(node.input[:2]) + [node.output[0]]
                          if t and t not in shapes})
        if missing:
            shapes.update(_shapes_by_running(model, missing, inputs))
    total, by_op, unknown = 0, {}, []
    for node in model.graph.node:
        try:
            f = node_flops(node, shapes)
        except (KeyError, IndexError):
            unknown.append(node.name or node.op_type)
            continue
        if f:
            total += f
            by_op[node.op_type] = by_op.get(node.op_type, 0) + f
    return total, by_op, unknown


if __name__ == "__main__":  # python bench/flops.py model.onnx ...
    import sys

    import glob
    import os

    import numpy as np

    for path in sys.argv[1:]:
        # The exported models keep their inputs beside them (input_<i>.npy,
        # in the order of the graph inputs).
        files = sorted(glob.glob(os.path.join(os.path.dirname(path), "input_*.npy")),
                       key=lambda f: int(f.rsplit("_", 1)[1].split(".")[0]))
        graph = onnx.load(path, load_external_data=False).graph
        weights = {t.name for t in graph.initializer}
        graph_inputs = [i.name for i in graph.input if i.name not in weights]
        inputs = dict(zip(graph_inputs, (np.load(f) for f in files))) if files else None
        total, by_op, unknown = count_flops(path, inputs)
        parts = ", ".join(f"{k} {v / 1e9:.3f}" for k, v in sorted(by_op.items()))
        print(f"{path}: {total / 1e9:.3f} GFLOP ({parts})"
              + (f"; no shape for {unknown}" if unknown else ""))
