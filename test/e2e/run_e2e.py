#!/usr/bin/env python3
"""End-to-end tests: compile ONNX models with Cambrian and check the outputs.

For each case NAME this runs

    BUILD/bin/cambrian-compile MODEL --target x86 -o WORK/NAME.so
    BUILD/bin/cambrian-run WORK/NAME.so INPUT_0.npy [INPUT_1.npy ...] --out WORK/NAME_out

and compares every model output, OUTDIR/<o>.npy (<o> = the ONNX output name
with every character outside [A-Za-z0-9._-] replaced by '_'), with
onnxruntime's result: the expected_<o>.npy saved by scripts/export_models.py
(or, with --recompute or when none is saved, onnxruntime run now). The check
is np.allclose(actual, expected, rtol=1e-3, atol=1e-4) plus equal shapes.

Cases: the bundled example examples/tiny_cnn.onnx ("tiny_cnn"), and from
MODELS (made by `scripts/export_models.py --out MODELS`, one folder per model
holding model.onnx, input_<i>.npy, expected_<o>.npy): resnet18, mobilenet_v2,
squeezenet1_1, shufflenet_v2_x1_0, bert_encoder, and squeezenet1_1_ext (its
weights in an external weights.bin). A default case whose files are missing
fails. --only picks cases (any folder of MODELS too, e.g. the bench models);
--all-found adds every model folder found in MODELS.

Prints `PASS name (max abs err ..., max rel err ...)` or `FAIL name: reason`
(with the last lines of the tools' stderr) per case, then `N passed, N failed`;
exits 1 if any case failed.

Usage (numpy is required; onnxruntime only for --recompute):
    .venv/bin/python test/e2e/run_e2e.py --build build --models build/models
    .venv/bin/python test/e2e/run_e2e.py --build build --models build/models --only tiny_cnn resnet18
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(REPO, "examples")
RTOL, ATOL = 1e-3, 1e-4
TAIL_LINES = 20

TINY = "tiny_cnn"
DEFAULT_CASES = [TINY, "resnet18", "mobilenet_v2", "squeezenet1_1",
                 "shufflenet_v2_x1_0", "bert_encoder", "squeezenet1_1_ext"]


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


class Case:
    """A model, its inputs, and its expected outputs.

    expected: list of (output name, file name cambrian-run writes, path of the
    saved expected .npy or None).
    """

    def __init__(self, name, model, inputs, expected):
        self.name, self.model, self.inputs, self.expected = name, model, inputs, expected


def input_index(path):
    m = re.search(r"input_(\d+)\.npy$", path)
    return int(m.group(1)) if m else -1


def load_case(name, models_dir):
    """Build the Case for NAME, or raise FileNotFoundError saying what is missing."""
    if name == TINY:
        model = os.path.join(EXAMPLES, "tiny_cnn.onnx")
        inp = os.path.join(EXAMPLES, "tiny_cnn_input.npy")
        exp = os.path.join(EXAMPLES, "tiny_cnn_expected.npy")
        for p in (model, inp, exp):
            if not os.path.isfile(p):
                raise FileNotFoundError(f"{p} missing (run examples/make_tiny_cnn.py)")
        # The example's only output is named "probs" (see make_tiny_cnn.py).
        return Case(name, model, [inp], [("probs", "probs.npy", exp)])

    if models_dir is None:
        raise FileNotFoundError("no --models directory given")
    d = os.path.join(models_dir, name)
    model = os.path.join(d, "model.onnx")
    if not os.path.isfile(model):
        raise FileNotFoundError(f"{model} missing (run scripts/export_models.py --out {models_dir})")
    inputs = sorted(glob.glob(os.path.join(d, "input_*.npy")), key=input_index)
    if not inputs or [input_index(p) for p in inputs] != list(range(len(inputs))):
        raise FileNotFoundError(f"{d}: inputs must be input_0.npy .. input_<n-1>.npy, found "
                                f"{[os.path.basename(p) for p in inputs]}")
    meta_path = os.path.join(d, "meta.json")
    expected = []
    if os.path.isfile(meta_path):  # written by export_models.py: has the real names
        with open(meta_path) as f:
            for o in json.load(f)["outputs"]:
                p = os.path.join(d, o["file"])
                expected.append((o["name"], sanitize(o["name"]) + ".npy",
                                 p if os.path.isfile(p) else None))
    else:
        for p in sorted(glob.glob(os.path.join(d, "expected_*.npy"))):
            o = os.path.basename(p)[len("expected_"):-len(".npy")]
            expected.append((o, o + ".npy", p))
    return Case(name, model, inputs, expected)


def onnxruntime_outputs(case):
    """Run the case's model in onnxruntime: {output name: array}."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(case.model, opts, providers=["CPUExecutionProvider"])
    feeds = {i.name: np.load(p) for i, p in zip(sess.get_inputs(), case.inputs)}
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


def tail(text, n=TAIL_LINES):
    lines = (text or "").rstrip().splitlines()
    return "\n".join("    | " + l for l in lines[-n:])


def run_tool(cmd, timeout):
    """Run cmd; returns (ok, description of failure, stderr+stdout text)."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stderr or b"")
        out = out.decode(errors="replace") if isinstance(out, bytes) else out
        return False, f"timed out after {timeout}s", out
    except OSError as e:
        return False, f"could not start: {e}", ""
    text = p.stderr if p.stderr.strip() else p.stdout
    if p.returncode != 0:
        how = (f"killed by signal {-p.returncode}" if p.returncode < 0
               else f"exit status {p.returncode}")
        return False, how, text
    return True, "", text


def compare(actual, expected):
    """Returns (ok, reason, max abs err, max rel err)."""
    if actual.shape != expected.shape:
        return False, f"shape {actual.shape} != expected {expected.shape}", None, None
    if expected.dtype.kind in "biu":  # integer/bool outputs must match exactly
        if actual.dtype.kind not in "biu":
            return False, f"dtype {actual.dtype} != expected {expected.dtype}", None, None
        diff = np.abs(actual.astype(np.int64) - expected.astype(np.int64))
        err = float(diff.max()) if diff.size else 0.0
        return err == 0, ("" if err == 0 else f"{int((diff != 0).sum())} elements differ"), err, err
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    if a.size == 0:
        return True, "", 0.0, 0.0
    diff = np.abs(a - e)
    diff[np.isnan(diff)] = np.inf  # a NaN (in either) is the worst error
    max_abs = float(diff.max())
    # relative error over elements that are not ~0 (where it is meaningful)
    big = np.abs(e) > ATOL
    max_rel = float((diff[big] / np.abs(e[big])).max()) if big.any() else 0.0
    close = np.isclose(a, e, rtol=RTOL, atol=ATOL)
    if close.all():
        return True, "", max_abs, max_rel
    nbad = int((~close).sum())
    nan = int(np.isnan(a).sum())
    reason = f"{nbad}/{a.size} elements outside rtol={RTOL:g} atol={ATOL:g}"
    if nan:
        reason += f" ({nan} NaN)"
    worst = np.unravel_index(int(np.argmax(np.where(close, -1.0, diff))), a.shape)
    reason += f"; worst at {tuple(int(i) for i in worst)}: got {a[worst]:.6g}, expected {e[worst]:.6g}"
    return False, reason, max_abs, max_rel


def run_case(case, args):
    """Returns (ok, message)."""
    so = os.path.join(args.work, case.name + ".so")
    out_dir = os.path.join(args.work, case.name + "_out")
    for p in (so,):
        if os.path.exists(p):
            os.remove(p)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)

    compile_cmd = [args.compiler, case.model, "--target", "x86", "-o", so]
    t0 = time.time()
    ok, how, log = run_tool(compile_cmd, args.timeout)
    t_compile = time.time() - t0
    if ok and not os.path.isfile(so):
        ok, how = False, f"exited 0 but wrote no {so}"
    if not ok:
        return False, f"compile failed ({how}): {' '.join(compile_cmd)}\n{tail(log)}"

    # A few extra runs after the one whose outputs are checked: memory
    # errors in the module often show only on the second call.
    run_cmd = [args.runner, so] + case.inputs + ["--out", out_dir,
                                                 "--bench", "2", "--warmup", "0"]
    t0 = time.time()
    ok, how, log = run_tool(run_cmd, args.timeout)
    t_run = time.time() - t0
    if not ok:
        return False, f"run failed ({how}): {' '.join(run_cmd)}\n{tail(log)}"

    if args.recompute or any(p is None for _, _, p in case.expected) or not case.expected:
        try:
            ref = onnxruntime_outputs(case)
        except Exception as e:
            return False, f"no saved expected outputs and onnxruntime failed: {e}"
        expected = [(n, sanitize(n) + ".npy", ref[n]) for n in ref]
    else:
        expected = [(n, f, np.load(p)) for n, f, p in case.expected]

    max_abs = max_rel = 0.0
    problems = []
    for name, fname, exp in expected:
        path = os.path.join(out_dir, fname)
        if not os.path.isfile(path):
            found = sorted(os.listdir(out_dir))
            problems.append(f"output '{name}': {fname} not written (found {found})")
            continue
        try:
            act = np.load(path)
        except Exception as e:
            problems.append(f"output '{name}': cannot load {path}: {e}")
            continue
        ok, reason, a, r = compare(act, exp)
        if a is not None:
            max_abs, max_rel = max(max_abs, a), max(max_rel, r)
        if not ok:
            problems.append(f"output '{name}': {reason}" +
                            (f" (max abs err {a:.3g}, max rel err {r:.3g})" if a is not None else ""))
    if problems:
        msg = "; ".join(problems)
        if log.strip():
            msg += f"\n  cambrian-run stderr:\n{tail(log)}"
        return False, msg
    return True, (f"max abs err {max_abs:.3g}, max rel err {max_rel:.3g}; "
                  f"compile {t_compile:.1f}s, run {t_run:.1f}s")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", required=True, help="build directory (holds bin/cambrian-*)")
    p.add_argument("--models", help="models directory from scripts/export_models.py")
    p.add_argument("--only", nargs="+", metavar="NAME", help="run just these cases")
    p.add_argument("--all-found", action="store_true",
                   help="also run every model folder found in --models")
    p.add_argument("--work", help="scratch directory (default: BUILD/e2e-work)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per tool run")
    p.add_argument("--recompute", action="store_true",
                   help="compare against onnxruntime run now instead of saved outputs")
    args = p.parse_args(argv)

    args.build = os.path.abspath(args.build)
    args.compiler = os.path.join(args.build, "bin", "cambrian-compile")
    args.runner = os.path.join(args.build, "bin", "cambrian-run")
    args.work = os.path.abspath(args.work or os.path.join(args.build, "e2e-work"))
    models_dir = os.path.abspath(args.models) if args.models else None
    os.makedirs(args.work, exist_ok=True)

    names = list(args.only) if args.only else list(DEFAULT_CASES)
    if args.all_found and models_dir and os.path.isdir(models_dir):
        names += sorted(n for n in os.listdir(models_dir)
                        if os.path.isfile(os.path.join(models_dir, n, "model.onnx")))
    names = list(dict.fromkeys(names))

    return run_cases(names,
                     lambda name: run_case(load_case(name, models_dir), args))


def run_cases(names, run_one):
    """Runs run_one(name) -> (ok, message) for every name, printing PASS/FAIL
    lines and then `N passed, N failed`; returns the exit status. A case
    that raises fails alone."""
    passed = failed = 0
    for name in names:
        try:
            ok, msg = run_one(name)
        except FileNotFoundError as e:
            ok, msg = False, str(e)
        except Exception as e:  # a bug in a case must not hide the others
            ok, msg = False, f"{type(e).__name__}: {e}"
        if ok:
            passed += 1
            print(f"PASS {name} ({msg})", flush=True)
        else:
            failed += 1
            print(f"FAIL {name}: {msg}", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
