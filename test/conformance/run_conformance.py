#!/usr/bin/env python3
"""ONNX backend node conformance for Cambrian's x86 target.

Every case of the ONNX backend node tests shipped in the pinned `onnx` wheel
(onnx 1.22.0, pinned in requirements.txt; its cases live in
onnx/backend/test/data/node/<case>/: model.onnx plus
test_data_set_*/input_*.pb and output_*.pb) is compiled once with
`cambrian-compile --target x86`, run with `cambrian-run` on each of its data
sets, and every output is compared with the expected one: floating point
(float16 and bfloat16 compared as float32) within rtol 1e-3 / atol 1e-5 with
NaN equal to NaN, integers, booleans and the byte-stored small types
(float8, float4, int4, int2) exactly. The output's shape and element type
must match too.

Each case lands in one category:
  pass          every output of every data set matches
  unsupported   the compiler refused the model with its "this is not
                supported" kind of error: an op, an element type (strings),
                sequences/optionals/maps, an opset outside the range, or a
                value it needs at compile time that is only known at run time
  compile-error any other compile failure with an error message
  crash         the compiler or the module died on a signal, or printed an
                abort, an LLVM fatal error or a sanitizer report
  run-error     cambrian-run exited non-zero without a signal
  wrong         an output differs (shape, element type or values)
  timeout       a compile or run step ran past --timeout

Two retries turn a refusal into a compile that can be checked, each only by
passing the compiler's own flags (nothing in the model is changed):
  * a graph input with a symbolic or missing shape is pinned to the shape
    its test data has, with `--input-shape NAME=D0xD1x...`, when every data
    set agrees on that shape;
  * when a value must be known at compile time (a Reshape target, Reduce
    axes, TopK's K...), the graph inputs it is computed from (walking back
    through the graph and its subgraphs, not through Shape/Size) are fixed
    to their test-data values with `--bind-input NAME=FILE.npy`, when every
    data set agrees on them (and `cambrian-compile --help` lists the flag).
Such passes are counted apart in the report.

Operator of a case (for the per-operator table): the op type of the model's
node when it has one kind of node; otherwise the op whose name, lower-cased
without underscores, is the longest prefix of the case name after `test_`
(also without underscores); failing that, the most frequent op other than
Constant. `_expanded` cases (the function body of an op, inlined) take the
operator of the case they expand, so they are counted in that op's row.

test/conformance/expected_passes.txt lists the cases that pass. The exit
status is non-zero exactly when one of them does not pass now; new passes are
only printed as a hint to run --update-expected. The last line printed is
"N passed, M failed" over the expected cases (for scripts/check.sh).

Usage:
    .venv/bin/python test/conformance/run_conformance.py --build build
    .venv/bin/python test/conformance/run_conformance.py --filter '^test_conv' --keep
    .venv/bin/python test/conformance/run_conformance.py --report docs/conformance.md
    .venv/bin/python test/conformance/run_conformance.py --update-expected
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures as futures
import datetime
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE_DIR = os.path.join(os.path.dirname(onnx.__file__), "backend", "test",
                        "data", "node")
EXPECTED = os.path.join(HERE, "expected_passes.txt")
# The onnx release whose test data expected_passes.txt was made with (also
# pinned in requirements.txt). onnx 1.23 no longer ships the test data.
PINNED_ONNX = "1.22.0"
RTOL, ATOL = 1e-3, 1e-5
# Compile attempts per case: the first, then pinning/binding retries (each
# retry may reveal the next value needed, e.g. Slice's starts, then its ends).
MAX_COMPILES = 5

CATEGORIES = ["pass", "unsupported", "compile-error", "crash", "run-error",
              "wrong", "timeout"]

# The compiler's "this is not supported" messages (lib/Import): unsupported
# op / element type / attribute value, "X is not supported", "Cambrian does
# not support ...", "opset N is outside the range ...", models that use only
# non-default domains, and values needed at compile time (static shapes,
# unrolled loops).
UNSUPPORTED_RE = re.compile(
    r"unsupported|not supported|does not support|is outside the range|"
    r"imports no default-domain|must be known at compile time|"
    r"only known at run time|unrolls loops|compiles static shapes|"
    r"has no shape; give one with --input-shape")
# Signs of a crash in a process that did not die on a signal itself.
CRASH_RE = re.compile(
    r"Stack dump:|PLEASE submit a bug report|LLVM ERROR|"
    r"Assertion `.*' failed|Segmentation fault|Aborted \(core dumped\)|"
    r"AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|"
    r"runtime error: |double free|free\(\): invalid|corrupted size|"
    r"terminate called")
# "<what> (input 1, 'shape') must be known at compile time" (NodeContext).
NEEDS_VALUE_RE = re.compile(r"\(input \d+, '([^']*)'\) must be known")
# "graph input 'x' has dynamic dimension 0 ('N')" / "... has no shape".
NEEDS_SHAPE_RE = re.compile(
    r"graph input '([^']*)' has (?:dynamic dimension|no shape)")

# Op type -> family, for the report's breakdown. Ops of other domains are
# looked up by their full name first (ai.onnx.preview.FlexAttention), then by
# their bare type (ai.onnx.preview.training.Adam -> Adam).
FAMILIES = {
    "elementwise math & activations": """Abs Acos Acosh Add And Asin Asinh Atan
        Atanh BitShift BitwiseAnd BitwiseNot BitwiseOr BitwiseXor Ceil Celu
        Clip Cos Cosh Div Elu Equal Erf Exp Floor Gelu Greater GreaterOrEqual
        HardSigmoid HardSwish Hardmax IsInf IsNaN LeakyRelu Less LessOrEqual
        Log LogSoftmax Max Mean Min Mish Mod Mul Neg Not Or PRelu Pow
        Reciprocal Relu Round Selu Shrink Sigmoid Sign Sin Sinh Softmax
        Softplus Softsign Sqrt Sub Sum Swish Tan Tanh ThresholdedRelu
        Where Xor""",
    "reductions": """ArgMax ArgMin ReduceL1 ReduceL2 ReduceLogSum
        ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum
        ReduceSumSquare""",
    "convolution & pooling": """AveragePool Conv ConvInteger ConvTranspose
        DeformConv GlobalAveragePool GlobalLpPool GlobalMaxPool LpPool MaxPool
        MaxRoiPool MaxUnpool QLinearConv Col2Im RoiAlign""",
    "normalization": """BatchNormalization GroupNormalization
        InstanceNormalization LayerNormalization LpNormalization LRN
        MeanVarianceNormalization RMSNormalization""",
    "shape & indexing": """CenterCropPad Compress Concat ConstantOfShape
        CumProd CumSum DepthToSpace Einsum Expand EyeLike Flatten Gather
        GatherElements GatherND Identity NonZero OneHot Pad Range Reshape
        Resize ReverseSequence Scatter ScatterElements ScatterND Shape Size
        Slice SpaceToDepth Split Squeeze TensorScatter Tile TopK Transpose
        Trilu Unique Unsqueeze Upsample Constant GridSample AffineGrid""",
    "casts": "Cast CastLike BitCast",
    "control flow": "If Loop Scan",
    "matrix & attention": """Attention Gemm MatMul MatMulInteger
        QLinearMatMul RotaryEmbedding LinearAttention CausalConvWithState
        ai.onnx.preview.FlexAttention Det""",
    "quantization": "DequantizeLinear DynamicQuantizeLinear QuantizeLinear",
    "recurrent": "GRU LSTM RNN",
    "training & losses": """Adagrad Adam Momentum Gradient
        NegativeLogLikelihoodLoss SoftmaxCrossEntropyLoss Dropout""",
    "sequences, strings & optionals": """ConcatFromSequence Optional
        OptionalGetElement OptionalHasElement RegexFullMatch SequenceAt
        SequenceConstruct SequenceEmpty SequenceErase SequenceInsert
        SequenceLength SequenceMap SplitToSequence StringConcat
        StringNormalizer StringSplit TfIdfVectorizer ImageDecoder""",
    "signal processing": """DFT STFT BlackmanWindow HammingWindow HannWindow
        MelWeightMatrix""",
    "random": "Bernoulli Multinomial RandomNormal RandomNormalLike "
              "RandomUniform RandomUniformLike",
}
FAMILY_OF = {op: fam for fam, ops in FAMILIES.items() for op in ops.split()}


def family_of(op: str) -> str:
    """The report family of an operator name (see FAMILIES)."""
    return FAMILY_OF.get(op) or FAMILY_OF.get(op.rsplit(".", 1)[-1], "other")


@dataclass
class Result:
    """The outcome of one case."""
    case: str
    op: str
    category: str
    reason: str = ""
    bound: list = field(default_factory=list)    # inputs fixed by --bind-input
    pinned: dict = field(default_factory=dict)   # input -> shape, --input-shape
    symbolic: list = field(default_factory=list) # tensor inputs declared with
                                                 # symbolic or unknown dims
    tail: str = ""                               # last output lines (crashes)


#===----------------------------------------------------------------------===#
# Which operator a case tests
#===----------------------------------------------------------------------===#

def _flat(name: str) -> str:
    """Lower case without underscores: 'GreaterOrEqual' -> 'greaterorequal'."""
    return name.replace("_", "").lower()


def op_name(node) -> str:
    """A node's op type, prefixed with its domain outside ai.onnx."""
    if node.domain in ("", "ai.onnx"):
        return node.op_type
    return f"{node.domain}.{node.op_type}"


def case_operator(case: str, graphs: dict) -> str:
    """The operator a case tests (rule in the module docstring)."""
    base = re.sub(r"_expanded(_ver\d+)?$", "", case)
    graph = graphs.get(base) or graphs.get(case)
    if graph is None or not graph.node:
        return "?"
    ops = [op_name(n) for n in graph.node]
    if len(set(ops)) == 1:
        return ops[0]
    stem = _flat(base[len("test_"):])
    best = ""
    for op in set(ops):
        flat = _flat(op.rsplit(".", 1)[-1])
        if stem.startswith(flat) and len(flat) > len(_flat(best)):
            best = op
    if best:
        return best
    common = collections.Counter(o for o in ops if o != "Constant")
    return common.most_common(1)[0][0] if common else ops[0]


#===----------------------------------------------------------------------===#
# Test data and comparison
#===----------------------------------------------------------------------===#

def load_value(path: str, type_proto):
    """A test-data file as (numpy array, "") for a tensor, or (None, what)
    for data the runner cannot pass as .npy (sequences, optionals, maps,
    strings, or a file that does not parse)."""
    kind = type_proto.WhichOneof("value") if type_proto is not None else None
    if kind not in (None, "tensor_type"):
        return None, kind.replace("_type", "")
    try:
        t = onnx.load_tensor(path)
        if t.data_type == onnx.TensorProto.UNDEFINED:
            return None, "non-tensor"
        if t.data_type == onnx.TensorProto.STRING:
            return None, "string"
        return numpy_helper.to_array(t), ""
    except Exception as e:  # a malformed file must not stop the runner
        return None, f"unreadable ({type(e).__name__})"


# ml_dtypes' names for ONNX's byte-stored small types.
SMALL_FLOATS = {"float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                "float8_e5m2fnuz", "float4_e2m1fn", "float8_e8m0fnu"}
SMALL_INTS = {"int4": np.int8, "int2": np.int8, "uint4": np.uint8,
              "uint2": np.uint8}


def to_npy_array(a: np.ndarray) -> np.ndarray:
    """The array as cambrian-run reads and writes it: bfloat16 as raw 2-byte
    records ('|V2'), float8/float4 as their byte codes, 4- and 2-bit integers
    one per byte. Other types are numpy's own."""
    if a.dtype.name == "bfloat16":
        return a.view(np.uint16).view(np.dtype("V2"))
    if a.dtype.name in SMALL_FLOATS:
        return a.view(np.uint8)
    if a.dtype.name in SMALL_INTS:
        return a.astype(SMALL_INTS[a.dtype.name])
    return a


def as_float64(a: np.ndarray) -> np.ndarray:
    """Float values for comparison; bfloat16 raw bits (or uint16 when
    ml_dtypes is missing) are widened to float32 first."""
    if a.dtype.kind == "V" and a.dtype.itemsize == 2 or a.dtype == np.uint16:
        a = (a.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    return a.astype(np.float64)


def _float_mismatch(g: np.ndarray, w: np.ndarray) -> str:
    """Empty if g matches w within RTOL/ATOL (NaN == NaN), else a summary
    of the mismatch: elements off, max abs and rel error among finite ones."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        bad = ~np.isclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True)
        nbad = int(bad.sum())
        if not nbad:
            return ""
        fin = bad & np.isfinite(g) & np.isfinite(w)
        parts = [f"{nbad} of {w.size} elements off"]
        if fin.any():
            diff = np.abs(g[fin] - w[fin])
            ref = np.abs(w[fin])
            rel = np.where(ref > 0, diff / np.where(ref > 0, ref, 1), np.inf)
            parts.append(f"max abs error {diff.max():.3g}")
            parts.append(f"max rel error {rel.max():.3g}")
        if nbad > int(fin.sum()):
            parts.append(f"{nbad - int(fin.sum())} NaN/Inf mismatches")
    return ", ".join(parts)


def compare(got: np.ndarray, want: np.ndarray, name: str) -> str:
    """Empty if `got` (as cambrian-run wrote it) equals the expected `want`
    (as onnx's numpy_helper reads it), else why not."""
    what = f"output '{name}'"
    if got.shape != want.shape:
        return (f"{what} has shape {list(got.shape)}, expected "
                f"{list(want.shape)}")
    npy = to_npy_array(want.reshape(-1)[:0]).dtype
    if got.dtype != npy and not (got.dtype.kind == npy.kind == "V"
                                 and got.dtype.itemsize == npy.itemsize):
        return f"{what} has element type {got.dtype}, expected {want.dtype}"
    if want.dtype.name in SMALL_FLOATS:
        g = got.view(np.uint8).view(want.dtype).astype(np.float64)
        w = want.astype(np.float64)
        if np.array_equal(g, w, equal_nan=True):
            return ""
        n = int((~((g == w) | (np.isnan(g) & np.isnan(w)))).sum())
        return (f"{what} differs in {n} of {w.size} elements "
                f"({want.dtype.name}, exact comparison)")
    if want.dtype.kind in "fc" or want.dtype.name == "bfloat16":
        if want.dtype.kind == "c":
            g = np.stack([got.real, got.imag]).astype(np.float64)
            w = np.stack([want.real, want.imag]).astype(np.float64)
        else:
            g, w = as_float64(got), as_float64(want)
        why = _float_mismatch(g, w)
        return f"{what} differs: {why}" if why else ""
    g, w = got.astype(np.int64), to_npy_array(want).astype(np.int64)
    if np.array_equal(g, w):
        return ""
    n = int((g != w).sum())
    return (f"{what} differs in {n} of {w.size} elements (exact comparison, "
            f"max abs difference {int(np.abs(g - w).max())})")


def safe_name(name: str) -> str:
    """The file name cambrian-run gives an output (tools/cambrian-run)."""
    s = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return s or "output"


#===----------------------------------------------------------------------===#
# Processes
#===----------------------------------------------------------------------===#

def run(cmd: list, timeout: float):
    """Runs cmd; returns (returncode, stdout+stderr), returncode None on a
    timeout (the whole process group is killed). A tool that is briefly
    missing (build/ being rebuilt) is waited for, up to a minute."""
    for attempt in range(13):
        try:
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL,
                                 start_new_session=True)
            break
        except OSError as e:  # ENOENT or ETXTBSY while the linker writes
            if attempt == 12:
                return 127, f"error: cannot start {cmd[0]}: {e}"
            time.sleep(5)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.communicate()
        return None, "timeout"
    return p.returncode, out.decode("utf-8", "replace")


def compiler_flags(build: str) -> set:
    """The long options `cambrian-compile --help` lists."""
    _, text = run([os.path.join(build, "bin", "cambrian-compile"), "--help"],
                  60)
    return set(re.findall(r"^\s*(--[\w-]+)", text or "", re.M))


def first_error(text: str) -> str:
    """The first `error:` message of a tool's output (else its last line)."""
    for line in text.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1].strip() if lines else "(no message)"


def crash_message(text: str) -> str:
    """The line of a crashed tool's output that says most about the crash:
    an error, assertion, fatal error or sanitizer line, else the first
    line (a stack dump's frames come last and say little)."""
    for line in text.splitlines():
        if re.search(r"error:|Assertion|LLVM ERROR|Sanitizer|terminate "
                     r"called|free\(\)|corrupted", line):
            return line.strip()
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[0].strip() if lines else "(no message)"


def tail(text: str, n: int = 6) -> str:
    """The last n non-empty lines of a tool's output."""
    lines = [l.rstrip() for l in text.splitlines() if l.strip()]
    return "\n".join(lines[-n:])


def classify_failure(rc, text: str, step: str) -> tuple:
    """(category, reason) of a failed compile or run step."""
    if rc is None:
        return "timeout", f"{step} timed out"
    if rc < 0:
        try:
            sig = signal.Signals(-rc).name
        except ValueError:
            sig = f"signal {-rc}"
        return "crash", f"{step} killed by {sig}: {crash_message(text)}"
    m = CRASH_RE.search(text)
    if m:
        return "crash", (f"{step} aborted ({m.group(0).strip()}): "
                         f"{crash_message(text)}")
    msg = first_error(text)
    if step == "compile" and UNSUPPORTED_RE.search(msg):
        return "unsupported", msg
    return ("compile-error" if step == "compile" else "run-error"), msg


#===----------------------------------------------------------------------===#
# One case
#===----------------------------------------------------------------------===#

# Ops whose result depends on their input's shape only (static in Cambrian),
# never on its values: the walk below does not go through them.
SHAPE_ONLY_OPS = {"Shape", "Size"}


def subgraphs(node) -> list:
    """The graphs held by a node's attributes (If branches, Loop bodies)."""
    return [g for a in node.attribute
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs)]


def all_nodes(graph) -> list:
    """The nodes of a graph and, recursively, of its subgraphs."""
    return [m for n in graph.node
            for m in [n] + [k for g in subgraphs(n) for k in all_nodes(g)]]


def node_inputs(node) -> list:
    """The values a node reads: its inputs, and for If/Loop/Scan the names
    its subgraphs use (a superset of what they capture from outside)."""
    names = [i for i in node.input if i]
    for g in subgraphs(node):
        for n in all_nodes(g):
            names += [i for i in n.input if i]
    return names


def ancestors_in_inputs(graph, names, inputs):
    """Graph inputs whose values the values `names` are computed from."""
    producer = {o: n for n in all_nodes(graph) for o in n.output}
    seen, stack = set(), list(names)
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        node = producer.get(v)
        if node is not None and node.op_type not in SHAPE_ONLY_OPS:
            stack.extend(node_inputs(node))
    return [n for n in inputs if n in seen]


def symbolic_inputs(graph, inputs: list) -> list:
    """The tensor graph inputs declared with a symbolic or unknown dimension
    (or with no shape at all)."""
    out = []
    for v in graph.input:
        if v.name not in inputs or not v.type.HasField("tensor_type"):
            continue
        tt = v.type.tensor_type
        if not tt.HasField("shape") or any(
                not d.HasField("dim_value") or d.dim_value < 0
                for d in tt.shape.dim):
            out.append(v.name)
    return out


def _input_index(path: str) -> int:
    """N of input_N.pb / output_N.pb."""
    return int(re.findall(r"\d+", os.path.basename(path))[-1])


def load_datasets(src: str, graph, inputs: list, outputs: list):
    """[(inputs, outputs)] per test_data_set_*, each a list of arrays (None
    where a value is not a tensor), and the kinds of non-tensor data met."""
    types = {v.name: v.type for v in list(graph.input) + list(graph.output)}
    datasets, odd = [], set()
    for ds in sorted(glob.glob(os.path.join(src, "test_data_set_*"))):
        lists = []
        for prefix, names in (("input", inputs), ("output", outputs)):
            files = sorted(glob.glob(os.path.join(ds, f"{prefix}_*.pb")),
                           key=_input_index)
            vals = []
            for k, path in enumerate(files):
                tp = types.get(names[k]) if k < len(names) else None
                a, kind = load_value(path, tp)
                if kind:
                    odd.add(kind)
                vals.append(a)
            lists.append(vals)
        datasets.append(tuple(lists))
    return datasets, odd


def _same_everywhere(datasets, k: int, key) -> bool:
    """Whether input k has the same key (value or shape) in every data set."""
    first = key(datasets[0][0][k])
    return all(key(ds[0][k]) == first for ds in datasets[1:])


def compile_case(case, model, src, work, inputs, datasets, usable, args):
    """Compiles a case, pinning symbolic input shapes and binding inputs that
    values needed at compile time come from (see the module docstring).
    Returns (returncode, output, bound inputs, pinned shapes)."""
    so = os.path.join(work, "model.so")
    base = [os.path.join(args.build, "bin", "cambrian-compile"),
            os.path.join(src, "model.onnx"), "--target", "x86", "-o", so]
    bound, pinned = [], {}
    for _ in range(MAX_COMPILES):
        extra = [f"--input-shape={n}={'x'.join(map(str, s))}"
                 for n, s in pinned.items()]
        for n in bound:
            path = os.path.join(work, f"bound_{inputs.index(n)}.npy")
            np.save(path, to_npy_array(datasets[0][0][inputs.index(n)]))
            extra.append(f"--bind-input={n}={path}")
        rc, text = run(base + extra, args.timeout)
        if rc is None or rc <= 0 or not usable:
            break
        # Inputs whose shape the compiler asks for, pinned from the data.
        new_pins = {}
        if "--input-shape" in args.flags:
            for n in NEEDS_SHAPE_RE.findall(text):
                k = inputs.index(n) if n in inputs else -1
                if k >= 0 and n not in pinned and k < len(datasets[0][0]) \
                        and _same_everywhere(datasets, k, lambda a: a.shape):
                    new_pins[n] = datasets[0][0][k].shape
        # Inputs that a compile-time value is computed from, bound to data.
        new_bound = []
        if not new_pins and "--bind-input" in args.flags:
            needed = NEEDS_VALUE_RE.findall(text)
            for n in ancestors_in_inputs(model.graph, needed, inputs):
                k = inputs.index(n)
                if n not in bound and k < len(datasets[0][0]) and \
                        _same_everywhere(datasets, k,
                                         lambda a: (a.shape, a.tobytes())):
                    new_bound.append(n)
        if not new_pins and not new_bound:
            break
        pinned.update(new_pins)
        bound += new_bound
    return rc, text, bound, pinned


def run_case(case: str, op: str, args) -> Result:
    """Compiles, runs and checks one case."""
    src = os.path.join(NODE_DIR, case)
    work = os.path.join(args.work, case)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    model = onnx.load(os.path.join(src, "model.onnx"), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    outputs = [o.name for o in model.graph.output]
    datasets, odd = load_datasets(src, model.graph, inputs, outputs)
    usable = bool(datasets) and not odd

    rc, text, bound, pinned = compile_case(case, model, src, work, inputs,
                                           datasets, usable, args)
    res = Result(case, op, "pass", "", bound, pinned,
                 symbolic_inputs(model.graph, inputs))
    if rc != 0:
        res.category, res.reason = classify_failure(rc, text, "compile")
        res.tail = tail(text)
        return res
    if any(k.startswith("unreadable") for k in odd):
        res.category = "run-error"
        res.reason = "test data is unreadable: " + ", ".join(sorted(odd))
        return res
    if not usable:
        res.category = "unsupported"
        res.reason = ("test data holds " + ", ".join(sorted(odd)) +
                      " values, which cannot be passed as .npy"
                      if odd else "the case has no test data set")
        return res

    so = os.path.join(work, "model.so")
    for k, (ins, outs) in enumerate(datasets):
        files = []
        for n, a in zip(inputs, ins):
            if n in bound:
                continue
            path = os.path.join(work, f"ds{k}_in_{inputs.index(n)}.npy")
            np.save(path, to_npy_array(a))
            files.append(path)
        out_dir = os.path.join(work, f"ds{k}_out")
        rc, text = run([os.path.join(args.build, "bin", "cambrian-run"), so,
                        *files, "--out", out_dir], args.timeout)
        if rc != 0:
            res.category, res.reason = classify_failure(rc, text, "run")
            res.tail = tail(text)
            return res
        where = f" (data set {k})" if len(datasets) > 1 else ""
        for name, want in zip(outputs, outs):
            path = os.path.join(out_dir, safe_name(name) + ".npy")
            if not os.path.exists(path):
                res.category = "run-error"
                res.reason = f"output '{name}' was not written{where}"
                return res
            try:
                got = np.load(path, allow_pickle=False)
            except Exception as e:
                res.category = "run-error"
                res.reason = f"output '{name}' is not a readable .npy: {e}"
                return res
            why = compare(got, want, name)
            if why:
                res.category, res.reason = "wrong", why + where
                return res
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return res


def run_case_safely(case: str, op: str, args) -> Result:
    """run_case, with a bug of the runner itself reported as a run-error of
    that case rather than stopping the whole run."""
    try:
        return run_case(case, op, args)
    except Exception as e:
        return Result(case, op, "run-error",
                      f"runner exception: {type(e).__name__}: {e}")


#===----------------------------------------------------------------------===#
# Report
#===----------------------------------------------------------------------===#

def normalize_reason(reason: str) -> str:
    """Groups reasons of one kind: no paths, value names or numbers (the op
    an 'unsupported op' message names is kept, and so are numbers inside
    words such as float16 or Col2Im)."""
    r = re.sub(r"^\S+\.onnx: ", "", reason)
    r = re.sub(r"(?:/[^\s:'\"]+)+", "<path>", r)
    r = re.sub(r"node producing '[^']*'|node '[^']*'", "node", r)
    r = re.sub(r"unsupported op '([^']*)'", r"unsupported op \1", r)
    r = re.sub(r"'[^']*'", "'…'", r)
    r = re.sub(r"(?<![\w.])[-+]?\d+(\.\d+)?([eE][-+]?\d+)?(?![\w]|-D)", "N", r)
    return r[:200]


def md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def git_revision() -> str:
    """The short commit, marked when the working tree has local changes."""
    def git(*a):
        return subprocess.run(["git", "-C", ROOT, *a], capture_output=True,
                              text=True).stdout.strip()
    rev = git("rev-parse", "--short", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        rev += " with local changes"
    return rev


def write_report(results: list, path: str, elapsed: float, jobs: int):
    """Writes the Markdown report (layout: docs/conformance.md)."""
    by_cat = collections.Counter(r.category for r in results)
    total = max(len(results), 1)
    passed = by_cat["pass"]
    pct = lambda n, d=total: f"{100.0 * n / max(d, 1):.1f}%"
    lines = []
    w = lines.append
    w("# ONNX conformance: backend node tests on x86\n")
    w(f"**{passed} of {len(results)} cases pass ({pct(passed)}).**\n")
    w(f"Test data: the `onnx` {onnx.__version__} wheel (pinned to "
      f"{PINNED_ONNX} in `requirements.txt`; opsets up to "
      f"{onnx.defs.onnx_opset_version()}), {len(results)} cases. Cambrian "
      f"commit `{git_revision()}`, {datetime.date.today()}; the run took "
      f"{elapsed / 60:.1f} min with {jobs} jobs. Regenerate with "
      "`make conformance`.\n")
    w("Each case is compiled once with `cambrian-compile --target x86`, run "
      "with `cambrian-run` on every data set, and every output is compared: "
      f"floats (float16 and bfloat16 as float32) within rtol {RTOL:g} / atol "
      f"{ATOL:g}, NaN equal to NaN; integers, booleans and the byte-stored "
      "small types exactly; shapes and element types must match. "
      "`test/conformance/expected_passes.txt` lists the passing cases; "
      "`make check` fails when one of them stops passing. The runner is "
      "`test/conformance/run_conformance.py`; its docstring defines the "
      "categories.\n")

    w("## By outcome\n")
    w("| outcome | cases | share |\n|---|---:|---:|")
    for c in CATEGORIES:
        w(f"| {c} | {by_cat[c]} | {pct(by_cat[c])} |")
    nbound = sum(1 for r in results if r.category == "pass" and r.bound)
    npinned = sum(1 for r in results if r.category == "pass" and r.pinned)
    w("")
    w(f"Passed with bound shape inputs (`--bind-input`): {nbound}. Passed "
      f"with pinned symbolic dimensions (`--input-shape`): {npinned}. See "
      "below.\n")

    w("## By family\n")
    fam = collections.defaultdict(collections.Counter)
    for r in results:
        fam[family_of(r.op)][r.category] += 1
    w("| family | cases | pass | unsupported | failing (error, wrong, "
      "crash, timeout) |")
    w("|---|---:|---:|---:|---:|")
    for f in list(FAMILIES) + ["other"]:
        c = fam.get(f)
        if not c:
            continue
        n = sum(c.values())
        bad = n - c["pass"] - c["unsupported"]
        w(f"| {f} | {n} | {c['pass']} ({100.0 * c['pass'] / n:.0f}%) | "
          f"{c['unsupported']} | {bad} |")
    w("")

    w("## Symbolic dimensions\n")
    w("Cambrian compiles static shapes. A graph input declared with a "
      "symbolic (or unknown) dimension, or with no shape, is refused at "
      "compile time with a message naming the input and the dimension, "
      "unless it is pinned with `--input-shape NAME=D0xD1x...`. When the "
      "compiler refuses a case that way, the runner pins the input to the "
      "shape its test data has, only by passing `--input-shape`, and only "
      "when every data set agrees on that shape; such a case counts as "
      f"passing if it then passes. Cases passing that way: {npinned}"
      + (" (" + ", ".join(f"`{r.case}`" for r in results
                          if r.category == "pass" and r.pinned) + ")"
         if npinned else "") + ".\n")
    sym = [r for r in results if r.symbolic]
    if sym:
        w(f"Cases declaring tensor inputs with symbolic dimensions: "
          f"{len(sym)} (" + ", ".join(
              f"`{r.case}` ({', '.join(r.symbolic)}): {r.category}"
              for r in sym) + ").\n")
    nsym = sum(1 for r in results if r.category != "pass" and
               NEEDS_SHAPE_RE.search(r.reason))
    if nsym:
        w(f"{nsym} failing cases still stop at an input shape (their data "
          "sets disagree on it).\n")

    w("## Values needed at compile time\n")
    w("A value that decides a shape (a Reshape target, Reduce axes, Pad's "
      "pads, a Loop trip count, TopK's K) must be known at compile time. "
      "When it is computed from graph inputs, the compiler's "
      "`--bind-input NAME=FILE.npy` fixes them to a value (the input "
      "becomes a constant and leaves the module's signature). When the "
      "compiler says a value \"must be known at compile time\", the runner "
      "binds the graph inputs that value is computed from to their values "
      "in the first data set, when every data set agrees on them, and "
      "retries. The inputs are found by walking back from the value through "
      "the graph (subgraphs included, but not through Shape or Size, whose "
      "results depend on static shapes only); they may be of any type, since "
      "Range's float start/limit/delta and Resize's scales decide shapes "
      f"too. Passed with bound shape inputs: {nbound}; without them the "
      f"pass rate would be {pct(passed - nbound)}.\n")
    if nbound:
        w("<details><summary>Cases passing with bound inputs</summary>\n")
        w(", ".join(f"`{r.case}` ({', '.join(r.bound)})" for r in results
                    if r.category == "pass" and r.bound) + "\n")
        w("</details>\n")

    w("## By operator\n")
    w("One row per operator a case tests: the op of a single-op model, else "
      "the op the case is named after (`test_<op>...`); `_expanded` cases "
      "(the op's function body inlined) are counted in the row of the op "
      "they expand. *failing* counts compile errors, run errors, wrong "
      "answers, crashes and timeouts; the note is the most frequent reason "
      "(normalised) of the cases that do not pass.\n")
    ops = collections.defaultdict(collections.Counter)
    notes = collections.defaultdict(collections.Counter)
    for r in results:
        ops[r.op][r.category] += 1
        if r.category != "pass":
            notes[r.op][normalize_reason(r.reason)] += 1
    w("| operator | cases | pass | failing | unsupported | notes |")
    w("|---|---:|---:|---:|---:|---|")
    for op in sorted(ops, key=str.lower):
        c = ops[op]
        n = sum(c.values())
        bad = n - c["pass"] - c["unsupported"]
        note = notes[op].most_common(1)[0][0] if notes[op] else ""
        w(f"| {op} | {n} | {c['pass']} | {bad} | {c['unsupported']} | "
          f"{md(note)} |")
    w("")

    w("## Failures by reason\n")
    w("Messages are normalised (no paths, value names or numbers) so that "
      "failures of one kind group together.\n")
    for cat in CATEGORIES[1:]:
        group = collections.defaultdict(list)
        for r in results:
            if r.category == cat:
                group[normalize_reason(r.reason)].append(r.case)
        if not group:
            continue
        w(f"### {cat} ({by_cat[cat]})\n")
        w("| reason | cases | examples |\n|---|---:|---|")
        for reason, cases in sorted(group.items(),
                                    key=lambda kv: (-len(kv[1]), kv[0])):
            ex = ", ".join(f"`{c}`" for c in cases[:3])
            w(f"| {md(reason)} | {len(cases)} | {ex} |")
        w("")

    w("## Crashes, wrong answers and errors, case by case\n")
    bad = [r for r in results
           if r.category not in ("pass", "unsupported")]
    if not bad:
        w("None.\n")
    else:
        w("| case | outcome | reason |\n|---|---|---|")
        for r in bad:
            why = r.reason
            if r.category == "crash" and r.tail:
                why += " — output ends: " + r.tail.splitlines()[-1]
            w(f"| `{r.case}` | {r.category} | {md(why)} |")
        w("")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


#===----------------------------------------------------------------------===#
# Expected passes and the command line
#===----------------------------------------------------------------------===#

def read_expected() -> set:
    """The case names in expected_passes.txt."""
    if not os.path.exists(EXPECTED):
        return set()
    with open(EXPECTED) as f:
        return {l.strip() for l in f if l.strip() and not l.startswith("#")}


def write_expected(cases: set):
    """Rewrites expected_passes.txt, sorted."""
    with open(EXPECTED, "w") as f:
        f.write(f"# Backend node test cases that pass on x86 (onnx "
                f"{PINNED_ONNX}); maintained by run_conformance.py "
                "--update-expected.\n")
        f.writelines(c + "\n" for c in sorted(cases))


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the module docstring for categories and rules.")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="build directory holding bin/cambrian-compile")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                    help="cases run in parallel (default: nproc)")
    ap.add_argument("--filter", default="", help="regex on case names")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds per compile or run step (default 120)")
    ap.add_argument("--work", default=None,
                    help="work directory (default BUILD/conformance)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the files of passing cases too (failing "
                         "cases' files are always kept)")
    ap.add_argument("--report", default=None,
                    help="write the Markdown report here")
    ap.add_argument("--json", default=None,
                    help="write the per-case results here")
    ap.add_argument("--update-expected", action="store_true",
                    help="rewrite expected_passes.txt from this run (with "
                         "--filter, only the matching cases change)")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.work = os.path.abspath(args.work or
                                os.path.join(args.build, "conformance"))
    os.makedirs(args.work, exist_ok=True)
    if onnx.__version__ != PINNED_ONNX:
        print(f"warning: onnx {onnx.__version__} is installed; "
              f"expected_passes.txt was made with onnx {PINNED_ONNX}")
    args.flags = compiler_flags(args.build)
    if "--bind-input" not in args.flags:
        print("note: cambrian-compile has no --bind-input; cases needing "
              "compile-time values are not retried")

    rx = re.compile(args.filter)
    all_cases = sorted(c for c in os.listdir(NODE_DIR)
                       if os.path.isdir(os.path.join(NODE_DIR, c)))
    cases = [c for c in all_cases if rx.search(c)]
    graphs = {}
    for c in all_cases:
        try:
            graphs[c] = onnx.load(os.path.join(NODE_DIR, c, "model.onnx"),
                                  load_external_data=False).graph
        except Exception:  # the case itself will report the failure
            pass
    ops = {}
    for c in cases:
        try:
            ops[c] = case_operator(c, graphs)
        except Exception:
            ops[c] = "?"

    start = time.monotonic()
    results = []
    with futures.ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        jobs = [pool.submit(run_case_safely, c, ops[c], args) for c in cases]
        for fut in futures.as_completed(jobs):
            results.append(fut.result())
    results.sort(key=lambda r: r.case)
    elapsed = time.monotonic() - start

    passing = {r.case for r in results if r.category == "pass"}
    expected = {c for c in read_expected() if rx.search(c)}
    if args.update_expected:
        # With a filter, cases outside it keep their entries.
        keep = {c for c in read_expected() if not rx.search(c)}
        write_expected(keep | passing)
        expected = passing

    counts = collections.Counter(r.category for r in results)
    print(f"{len(passing)} of {len(results)} cases pass "
          f"({100.0 * len(passing) / max(len(results), 1):.1f}%) in "
          f"{elapsed:.0f} s: " +
          ", ".join(f"{c} {counts[c]}" for c in CATEGORIES))
    for r in results:
        if r.category in ("crash", "wrong", "timeout", "compile-error",
                          "run-error"):
            print(f"{r.category.upper()} {r.case}: {r.reason}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([r.__dict__ for r in results], f, indent=1)
    if args.report:
        write_report(results, args.report, elapsed, args.jobs)
        print(f"report: {args.report}")
    by_case = {r.case: r for r in results}
    regressed = sorted(expected - passing)
    for c in regressed:
        r = by_case.get(c)
        print(f"REGRESSION {c}: " +
              (f"{r.category}: {r.reason}" if r else "case not found"))
    new = sorted(passing - expected)
    if new and not args.update_expected:
        print(f"{len(new)} cases pass that expected_passes.txt does not list "
              "(run with --update-expected to add them): " +
              " ".join(new[:20]) + (" ..." if len(new) > 20 else ""))
    print(f"{len(expected) - len(regressed)} passed, {len(regressed)} failed")
    return 1 if regressed else 0


if __name__ == "__main__":
    sys.exit(main())
