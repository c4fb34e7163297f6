#!/usr/bin/env python3
"""ONNX backend node conformance for Cambrian's x86 target.

Every case of the ONNX backend node tests shipped in the pinned `onnx`
wheel (onnx/backend/test/data/node/<case>/: model.onnx plus
test_data_set_*/input_*.pb and output_*.pb) is compiled with
cambrian-compile, run with cambrian-run on each data set, and compared with
the expected outputs: floats within rtol 1e-3 / atol 1e-5 (NaN equals NaN),
integers and booleans exactly.

Each case lands in one category:
  pass          every output of every data set matches
  unsupported   the compiler refused the model with its "unsupported" error
                (an op, a type, sequences/optionals, an opset), or a value
                it needs at compile time is only known at run time
  compile-error any other compile failure
  crash         the compiler or the module died on a signal or abort
  run-error     cambrian-run failed without a signal
  wrong         an output differs (shape, type or values)
  timeout       a step ran past --timeout

Inputs that decide shapes (Reshape targets, Reduce axes, trip counts) are
graph inputs in many cases. When the compiler says a value must be known at
compile time, the runner binds the graph inputs that value is computed from
to their data-set values with `--bind-input` (only when every data set
agrees on them) and retries; such passes are counted apart.

The list of cases expected to pass is kept in expected_passes.txt; the exit
status is non-zero exactly when one of them does not pass. The last line is
"N passed, M failed" over the expected cases, for scripts/check.sh.
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
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE_DIR = os.path.join(os.path.dirname(onnx.__file__), "backend", "test",
                        "data", "node")
EXPECTED = os.path.join(HERE, "expected_passes.txt")
RTOL, ATOL = 1e-3, 1e-5

CATEGORIES = ["pass", "unsupported", "compile-error", "crash", "run-error",
              "wrong", "timeout"]

# Messages of the compiler's "this is not supported" kind.
UNSUPPORTED_RE = re.compile(
    r"unsupported|not supported|does not support|is outside the range|"
    r"imports no default-domain|must be known at compile time|"
    r"only known at run time|Cambrian unrolls loops")
CRASH_RE = re.compile(r"Stack dump|PLEASE submit a bug report|LLVM ERROR|"
                      r"Assertion .* failed|Segmentation fault|Aborted|"
                      r"AddressSanitizer|double free|corrupted")
NEEDS_VALUE_RE = re.compile(r"\(input \d+, '([^']*)'\) must be known")

# Op type -> family, for the report's breakdown.
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
        ai.onnx.preview.FlexAttention""",
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


@dataclass
class Result:
    case: str
    op: str
    category: str
    reason: str = ""
    bound: list = field(default_factory=list)
    pinned: bool = False


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def case_operator(case: str, models: dict) -> str:
    """The operator a case tests: the single node's op, or the op whose
    snake-case name the case is named after (expanded variants count for
    the op they expand)."""
    base = re.sub(r"_expanded(_ver\d+)?$", "", case)
    graph = models.get(base) or models.get(case)
    if graph is None:
        return "?"
    ops = []
    for n in graph.node:
        ops.append(n.op_type if n.domain in ("", "ai.onnx")
                   else f"{n.domain}.{n.op_type}")
    if len(set(ops)) == 1:
        return ops[0]
    stem = base[len("test_"):]
    best = ""
    for op in set(ops):
        s = snake(op.split(".")[-1])
        if stem.startswith(s) and len(s) > len(best):
            best = op
    if best:
        return best
    common = collections.Counter(o for o in ops if o != "Constant")
    return common.most_common(1)[0][0] if common else ops[0]


def load_tensor(path: str):
    """A TensorProto file as a numpy array, or None if it is not a tensor."""
    try:
        t = onnx.load_tensor(path)
        if not t.HasField("data_type") or t.data_type == 0:
            return None
        return numpy_helper.to_array(t)
    except Exception:  # sequences, optionals and maps do not parse as tensors
        return None


# ml_dtypes' names for ONNX's byte-stored small types.
SMALL_FLOATS = {"float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
                "float8_e5m2fnuz", "float4_e2m1fn", "float8_e8m0fnu"}
SMALL_INTS = {"int4": np.int8, "int2": np.int8, "uint4": np.uint8,
              "uint2": np.uint8}


def to_npy_array(a: np.ndarray) -> np.ndarray:
    """The array as cambrian-run reads it: bfloat16 travels as raw 2 bytes,
    float8/float4 as their byte codes, 4- and 2-bit integers one per byte."""
    if a.dtype.name == "bfloat16":
        return a.view(np.uint16).view(np.dtype("V2"))
    if a.dtype.name in SMALL_FLOATS:
        return a.view(np.uint8)
    if a.dtype.name in SMALL_INTS:
        return a.astype(SMALL_INTS[a.dtype.name])
    return a


def as_float(a: np.ndarray) -> np.ndarray:
    """Float view for comparison (bfloat16 raw bits included)."""
    if a.dtype.kind == "V" and a.dtype.itemsize == 2:
        return (a.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    if a.dtype.name == "bfloat16":
        return a.astype(np.float32)
    return a.astype(np.float64)


def compare(got: np.ndarray, want: np.ndarray, name: str) -> str:
    """Empty if equal within tolerance, else the reason."""
    if got.shape != want.shape:
        return f"output '{name}' has shape {list(got.shape)}, expected {list(want.shape)}"
    if want.dtype.name in SMALL_FLOATS:
        if got.dtype.itemsize != 1:
            return f"output '{name}' has type {got.dtype}, expected {want.dtype.name} bytes"
        got = got.view(np.uint8).view(want.dtype)
        g, w = got.astype(np.float32), want.astype(np.float32)
        if np.array_equal(g, w, equal_nan=True):
            return ""
        return f"output '{name}' differs ({want.dtype.name}, exact comparison)"
    if want.dtype.name in SMALL_INTS:
        if np.array_equal(got.astype(np.int64), want.astype(np.int64)):
            return ""
        return f"output '{name}' differs ({want.dtype.name}, exact comparison)"
    floaty = want.dtype.kind in "fc" or want.dtype.name == "bfloat16"
    if floaty:
        g, w = as_float(got), as_float(want)
        if g.dtype.kind not in "fc":
            return f"output '{name}' has type {got.dtype}, expected {want.dtype}"
        if np.allclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True):
            return ""
        diff = np.abs(g.astype(np.float64) - w.astype(np.float64))
        diff = np.where(np.isnan(diff), np.inf, diff)
        return f"output '{name}' differs: max abs error {np.max(diff):.3g}"
    if got.dtype.kind != want.dtype.kind and not (
            want.dtype.kind == "b" and got.dtype.kind in "bu"):
        return f"output '{name}' has type {got.dtype}, expected {want.dtype}"
    if np.array_equal(got.astype(want.dtype), want):
        return ""
    return f"output '{name}' differs (exact comparison)"


def run(cmd, timeout, env=None):
    """(returncode, stderr+stdout); returncode None on timeout."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout, env=env)
        return p.returncode, p.stderr + p.stdout
    except subprocess.TimeoutExpired:
        return None, "timeout"


def first_error(text: str) -> str:
    for line in text.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1].strip() if lines else "(no message)"


def classify_failure(rc, text: str, step: str) -> tuple[str, str]:
    if rc is None:
        return "timeout", f"{step} timed out"
    if rc < 0 or CRASH_RE.search(text):
        return "crash", f"{step} died ({'signal ' + str(-rc) if rc < 0 else 'abort'}): {first_error(text)}"
    msg = first_error(text)
    if step == "compile" and UNSUPPORTED_RE.search(msg):
        return "unsupported", msg
    return ("compile-error" if step == "compile" else "run-error"), msg


def ancestors_in_inputs(graph, names, inputs):
    """Graph inputs that the values `names` are computed from."""
    producer = {o: n for n in graph.node for o in n.output}
    seen, stack = set(), list(names)
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        if v in producer:
            stack.extend(i for i in producer[v].input if i)
    return [n for n in inputs if n in seen]


def run_case(case: str, args, op: str) -> Result:
    src = os.path.join(NODE_DIR, case)
    work = os.path.join(args.work, case)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    model = onnx.load(os.path.join(src, "model.onnx"), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    outputs = [o.name for o in model.graph.output]

    datasets = []
    for ds in sorted(glob.glob(os.path.join(src, "test_data_set_*"))):
        ins = [load_tensor(p) for p in sorted(glob.glob(os.path.join(ds, "input_*.pb")),
                                              key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))]
        outs = [load_tensor(p) for p in sorted(glob.glob(os.path.join(ds, "output_*.pb")),
                                               key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))]
        datasets.append((ins, outs))
    tensors_only = all(x is not None for ins, outs in datasets for x in ins + outs)

    so = os.path.join(work, "model.so")
    base_cmd = [os.path.join(args.build, "bin", "cambrian-compile"),
                os.path.join(src, "model.onnx"), "--target", "x86", "-o", so]
    bound: list[str] = []
    rc, text = run(base_cmd, args.timeout)
    # Bind the inputs that compile-time values are computed from; each retry
    # may reveal the next such value (Slice's starts, then its ends).
    for _ in range(4):
        if rc is None or rc <= 0 or not tensors_only or not datasets:
            break
        needed = NEEDS_VALUE_RE.findall(text)
        cands = ancestors_in_inputs(model.graph, needed, inputs) if needed else []
        cands = [n for n in cands if n not in bound and
                 all(np.array_equal(ds[0][inputs.index(n)], datasets[0][0][inputs.index(n)])
                     for ds in datasets)]
        if not cands:
            break
        bound = bound + cands
        extra = []
        for n in bound:
            path = os.path.join(work, f"bound_{inputs.index(n)}.npy")
            np.save(path, to_npy_array(datasets[0][0][inputs.index(n)]))
            extra.append(f"--bind-input={n}={path}")
        rc, text = run(base_cmd + extra, args.timeout)
    if rc != 0:
        cat, why = classify_failure(rc, text, "compile")
        return Result(case, op, cat, why, bound)
    if not tensors_only:
        return Result(case, op, "unsupported",
                      "test data holds sequences, optionals or maps", bound)

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
            cat, why = classify_failure(rc, text, "run")
            return Result(case, op, cat, why, bound)
        for name, want in zip(outputs, outs):
            path = os.path.join(out_dir, f"{name}.npy")
            if not os.path.exists(path):
                return Result(case, op, "run-error", f"output '{name}' was not written", bound)
            why = compare(np.load(path), want, name)
            if why:
                return Result(case, op, "wrong", why, bound)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return Result(case, op, "pass", "", bound)


def normalize_reason(reason: str) -> str:
    """Groups reasons of one kind: no paths, names or numbers."""
    r = re.sub(r"^\S*model\.onnx: ", "", reason)
    r = re.sub(r"node '[^']*'|node producing '[^']*'", "node", r)
    r = re.sub(r"'[^']*'", "'…'", r)
    r = re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "N", r)
    return r[:160]


def write_report(results: list[Result], path: str, elapsed: float):
    by_cat = collections.Counter(r.category for r in results)
    total = len(results)
    passed = by_cat["pass"]
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    lines = []
    w = lines.append
    w("# ONNX conformance: backend node tests on x86\n")
    w(f"**{passed} of {total} cases pass ({100.0 * passed / total:.1f}%).**\n")
    w(f"Test data: the `onnx` {onnx.__version__} wheel (pinned in "
      f"`scripts/setup-python.sh`; opsets up to "
      f"{onnx.defs.onnx_opset_version()}), {total} cases. Cambrian commit "
      f"`{commit}`, {datetime.date.today()}, {elapsed / 60:.1f} min on this "
      "machine. Regenerate with `make conformance`.\n")
    w("Each case is compiled with `cambrian-compile --target x86`, run with "
      "`cambrian-run` on every data set, and compared: floats within rtol "
      f"{RTOL:g} / atol {ATOL:g} (NaN equals NaN), integers and booleans "
      "exactly. `test/conformance/expected_passes.txt` lists the passing "
      "cases; `make check` fails when one of them stops passing.\n")
    w("## By outcome\n")
    w("| outcome | cases | share |\n|---|---:|---:|")
    for c in CATEGORIES:
        w(f"| {c} | {by_cat[c]} | {100.0 * by_cat[c] / total:.1f}% |")
    nbound = sum(1 for r in results if r.category == "pass" and r.bound)
    w("")
    w(f"{nbound} of the passing cases needed graph inputs bound at compile "
      "time (see below).\n")

    w("## By family\n")
    fam = collections.defaultdict(collections.Counter)
    for r in results:
        fam[FAMILY_OF.get(r.op, "other")][r.category] += 1
    w("| family | cases | pass | unsupported | failing (error, wrong, crash) |")
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

    w("## Symbolic dimensions and compile-time values\n")
    w("Cambrian compiles static shapes. A graph input with a symbolic "
      "dimension is refused at compile time with a message naming the input "
      "and the dimension, unless it is pinned with "
      "`--input-shape NAME=D0xD1x...`. A value that decides a shape (a "
      "Reshape target, Reduce axes, a Loop trip count, TopK's K) must be "
      "known at compile time; when it is a graph input it can be fixed with "
      "`--bind-input NAME=FILE.npy`, which turns the input into a constant "
      "and removes it from the module's signature. The runner does that for "
      "the inputs such a value is computed from, when every data set of the "
      f"case agrees on them. {nbound} passing cases were compiled that way; "
      f"without them the pass rate would be "
      f"{100.0 * (passed - nbound) / total:.1f}%.\n")
    w("<details><summary>Cases passing with bound inputs</summary>\n")
    w(", ".join(f"`{r.case}` ({', '.join(r.bound)})" for r in results
                if r.category == "pass" and r.bound) + "\n")
    w("</details>\n")

    w("## By operator\n")
    ops = collections.defaultdict(collections.Counter)
    notes = collections.defaultdict(collections.Counter)
    for r in results:
        ops[r.op][r.category] += 1
        if r.category != "pass":
            notes[r.op][normalize_reason(r.reason)] += 1
    w("| operator | cases | pass | failing | unsupported | main reason |")
    w("|---|---:|---:|---:|---:|---|")
    for op in sorted(ops):
        c = ops[op]
        n = sum(c.values())
        bad = n - c["pass"] - c["unsupported"]
        note = notes[op].most_common(1)[0][0] if notes[op] else ""
        note = note.replace("|", "\\|")
        w(f"| {op} | {n} | {c['pass']} | {bad} | {c['unsupported']} | {note} |")
    w("")

    w("## Failures by reason\n")
    for cat in CATEGORIES[1:]:
        group = collections.defaultdict(list)
        for r in results:
            if r.category == cat:
                group[normalize_reason(r.reason)].append(r.case)
        if not group:
            continue
        w(f"### {cat} ({by_cat[cat]})\n")
        w("| reason | cases | examples |\n|---|---:|---|")
        for reason, cases in sorted(group.items(), key=lambda kv: -len(kv[1])):
            ex = ", ".join(f"`{c}`" for c in cases[:3])
            w(f"| {reason.replace('|', chr(92) + '|')} | {len(cases)} | {ex} |")
        w("")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--filter", default="", help="regex on case names")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds per compile or run step")
    ap.add_argument("--work", default=None, help="work directory")
    ap.add_argument("--keep", action="store_true", help="keep passing cases' files")
    ap.add_argument("--report", default=None, help="write the Markdown report here")
    ap.add_argument("--json", default=None, help="write per-case results here")
    ap.add_argument("--update-expected", action="store_true",
                    help="rewrite expected_passes.txt from this run")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.work = os.path.abspath(args.work or os.path.join(args.build, "conformance"))
    os.makedirs(args.work, exist_ok=True)

    rx = re.compile(args.filter)
    cases = sorted(c for c in os.listdir(NODE_DIR)
                   if os.path.isdir(os.path.join(NODE_DIR, c)) and rx.search(c))
    models = {}
    for c in os.listdir(NODE_DIR):
        try:
            models[c] = onnx.load(os.path.join(NODE_DIR, c, "model.onnx"),
                                  load_external_data=False).graph
        except Exception:
            pass
    start = datetime.datetime.now()
    results: list[Result] = []
    with futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        jobs = {pool.submit(run_case, c, args, case_operator(c, models)): c
                for c in cases}
        for fut in futures.as_completed(jobs):
            c = jobs[fut]
            try:
                results.append(fut.result())
            except Exception as e:  # a runner bug must not hide the others
                results.append(Result(c, case_operator(c, models), "run-error",
                                      f"runner exception: {e!r}"))
    results.sort(key=lambda r: r.case)
    elapsed = (datetime.datetime.now() - start).total_seconds()

    passing = {r.case for r in results if r.category == "pass"}
    expected = set()
    if os.path.exists(EXPECTED):
        with open(EXPECTED) as f:
            expected = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    if args.filter:
        expected = {c for c in expected if rx.search(c)}
    if args.update_expected:
        with open(EXPECTED, "w") as f:
            f.write("# Backend node test cases that pass on x86 "
                    f"(onnx {onnx.__version__}); maintained by "
                    "run_conformance.py --update-expected.\n")
            f.writelines(c + "\n" for c in sorted(passing))
        expected = passing

    counts = collections.Counter(r.category for r in results)
    print(f"{len(passing)} of {len(results)} cases pass "
          f"({100.0 * len(passing) / max(len(results), 1):.1f}%) in {elapsed:.0f} s: "
          + ", ".join(f"{c} {counts[c]}" for c in CATEGORIES))
    for r in results:
        if r.category == "crash":
            print(f"CRASH {r.case}: {r.reason}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([r.__dict__ for r in results], f, indent=1)
    if args.report:
        write_report(results, args.report, elapsed)
        print(f"report: {args.report}")
    regressed = sorted(expected - passing)
    for c in regressed:
        r = next((r for r in results if r.case == c), None)
        print(f"REGRESSION {c}: {r.category + ': ' + r.reason if r else 'case missing'}")
    new = sorted(passing - expected)
    if new and not args.update_expected:
        print(f"{len(new)} cases pass that expected_passes.txt does not list "
              "(run with --update-expected): " + " ".join(new[:20]))
    print(f"{len(expected) - len(regressed)} passed, {len(regressed)} failed")
    return 1 if regressed else 0


if __name__ == "__main__":
    sys.exit(main())
