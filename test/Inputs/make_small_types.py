"""Writes the float8 models of small-types.onnxtxt (libonnx 1.12's text
parser predates the float8 type names): fold.onnx, roundtrip.onnx, add.onnx."""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

out = sys.argv[1]
F8 = TensorProto.FLOAT8E4M3FN


def model(name, nodes, inputs, outputs):
    g = helper.make_graph(nodes, name, inputs, outputs)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)],
                           ir_version=10), f"{out}/{name}.onnx")


c = numpy_helper.from_array(
    np.array([448.0, 500.0, np.nan, -0.0, 0.015625], np.float32), "c")
model("fold",
      [helper.make_node("Constant", [], ["c"], value=c),
       helper.make_node("Cast", ["c"], ["y"], to=F8)],
      [], [helper.make_tensor_value_info("y", F8, [5])])
model("roundtrip",
      [helper.make_node("Cast", ["x"], ["s"], to=F8),
       helper.make_node("Cast", ["x"], ["b"], to=F8, saturate=0),
       helper.make_node("Cast", ["s"], ["y"], to=TensorProto.FLOAT)],
      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8])],
      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [8]),
       helper.make_tensor_value_info("b", F8, [8])])
model("add",
      [helper.make_node("Add", ["x", "x"], ["y"])],
      [helper.make_tensor_value_info("x", F8, [4])],
      [helper.make_tensor_value_info("y", F8, [4])])
