#!/usr/bin/env python3
"""Benchmark Cambrian against onnxruntime and IREE; write docs/benchmarks.md.

For every model this
  1. counts its GFLOP from the ONNX graph (bench/flops.py),
  2. compiles it with cambrian-compile, and with iree-import-onnx +
     iree-compile for the host CPU, recording the wall time of each
     (an IREE failure is recorded with its error text, not fatal),
  3. for each thread count, times onnxruntime, Cambrian and IREE in turn
     (median of --runs runs after --warmup warm-up runs), in --rounds
     interleaved rounds of which each runtime keeps its fastest, and
  4. checks Cambrian's and IREE's outputs against onnxruntime's.
Before the models it measures the CPU's FMA peak (bench/peak_fma.c) and runs
the kernel library's SGEMM benchmark. The results go to --json after each
model (so an interrupted run keeps what it measured), then to the Markdown
report --out and its bar chart (same name, .png).

Usage (from the repository root, with the project's venv and
bench/requirements.txt installed: `make bench` does both):
    .venv/bin/python bench/run_bench.py                       # everything
    .venv/bin/python bench/run_bench.py --models resnet18 bert_encoder --runs 5
    .venv/bin/python bench/run_bench.py --skip-iree --threads 1
    .venv/bin/python bench/run_bench.py --from-json bench/results.json   # re-render

Models missing from --models-dir are exported first with
scripts/export_models.py (seeded random weights, batch 1).

--int8 benchmarks the int8 models instead (quantize_static's QDQ models of
export_models.py: six CNNs and the BERT encoder): Cambrian's module against
onnxruntime running the same QDQ model with its int8 kernels, no IREE, no
FMA peak. Outputs are checked by cosine similarity (>= 0.999) and top-1
against ORT's, since int8 results are not equal to the last bit. Results go
to bench/results_int8.json, the report to docs/benchmarks.md's int8 section
(the float sections are re-rendered from bench/results.json, and a float run
keeps the int8 section from bench/results_int8.json), the chart to
docs/benchmarks_int8.png.
    .venv/bin/python bench/run_bench.py --int8
    .venv/bin/python bench/run_bench.py --int8 --threads 1 --models resnet18_qdq resnet50_qdq
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import flops as flops_mod  # noqa: E402  (bench/flops.py)
sys.path.insert(0, os.path.join(REPO, "test", "e2e"))
import run_int8 as int8_check  # noqa: E402  (test/e2e/run_int8.py: the int8 criterion)
import report  # noqa: E402  (bench/report.py)

# The model set: the CI models, then the benchmark-only ones.
DEFAULT_MODELS = [
    "resnet18", "mobilenet_v2", "squeezenet1_1", "shufflenet_v2_x1_0", "bert_encoder",
    "resnet50", "mobilenet_v3_large", "efficientnet_b0", "bert_base", "vit_s16",
]

# The int8 set: six CNNs (the baseline was measured over six) and
# the BERT encoder, all QDQ with int8 activations.
INT8_MODELS = [
    "resnet18_qdq", "resnet50_qdq", "mobilenet_v2_qdq", "efficientnet_b0_qdq",
    "squeezenet1_1_qdq", "mobilenet_v3_large_qdq", "bert_encoder_qdq",
]

# Output check against onnxruntime.
RTOL, ATOL = 1e-3, 1e-4
# int8 output check (test/e2e/run_int8.py's): cosine similarity with ORT's.
INT8_MIN_COSINE = int8_check.MIN_COSINE

# Per-step time limits (seconds): generous, only there so that a hung
# compiler or runtime cannot stall the whole run.
COMPILE_TIMEOUT = 1800
RUN_TIMEOUT = 1800

# The IREE target flags, for iree-compile 3.x. Older compilers name the
# backend with --iree-hal-target-backends; iree_target_flags() checks.
IREE_FLAGS = [
    "--iree-hal-target-device=local",
    "--iree-hal-local-target-device-backends=llvm-cpu",
    "--iree-llvmcpu-target-cpu=host",
]


def log(msg):
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {msg}", file=sys.stderr, flush=True)


def run_cmd(cmd, timeout, **kw):
    """Run CMD, returning (CompletedProcess, wall seconds). Never raises for
    a non-zero exit; a timeout becomes returncode -1 with a message."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        p = subprocess.CompletedProcess(cmd, -1, out, f"timed out after {timeout} s")
    return p, time.perf_counter() - t0


def last_json_line(text):
    """The last line of TEXT that parses as a JSON object."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise ValueError("no JSON result line in the output")


def error_text(p, limit=4000):
    """The end of a failed command's output, for the results file."""
    text = (p.stderr or "") + ("\n" + p.stdout if p.stdout and not p.stderr else "")
    text = text.strip() or f"exit status {p.returncode}"
    return text[-limit:]


def venv_tool(name):
    """A console script installed beside this interpreter (the venv's bin/)."""
    cand = os.path.join(os.path.dirname(sys.executable), name)
    return cand if os.path.exists(cand) else shutil.which(name)


def pkg_version(dist):
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------
# Machine, versions, peak, SGEMM
# ---------------------------------------------------------------------------
def machine_info():
    info = {"logical_cpus": os.cpu_count(), "os": f"{platform.system()} {platform.release()}"}
    cpu, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, val = line.partition(":")
                key = key.strip()
                if key == "model name" and cpu == "unknown":
                    cpu = val.strip()
                elif key == "flags" and not flags:
                    flags = set(val.split())
    except OSError:
        pass
    info["cpu"] = cpu
    wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl",
              "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16"]
    info["isa"] = ", ".join(f for f in wanted if f in flags) or "unknown"
    p, _ = run_cmd(["lscpu"], 30)
    if p.returncode == 0:
        fields = dict(ln.split(":", 1) for ln in p.stdout.splitlines() if ":" in ln)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        info["threads_per_core"] = fields.get("Thread(s) per core")
        caches = [f"{k.split()[0]} {fields[k]}" for k in ("L1d cache", "L2 cache", "L3 cache")
                  if k in fields]
        info["caches"] = ", ".join(caches)
    return info


def versions():
    import onnx
    import onnxruntime

    git = ["git", "-C", REPO]
    head, _ = run_cmd(git + ["rev-parse", "--short=12", "HEAD"], 30)
    dirty, _ = run_cmd(git + ["status", "--porcelain", "--untracked-files=no"], 30)
    commit = head.stdout.strip() or "unknown"
    if dirty.stdout.strip():
        commit += " (with uncommitted changes)"
    return {
        "cambrian_commit": commit,
        "onnxruntime": onnxruntime.__version__,
        "iree_compiler": pkg_version("iree-base-compiler"),
        "iree_runtime": pkg_version("iree-base-runtime"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "onnx": onnx.__version__,
    }


def measure_peak(work_dir, threads):
    """Build bench/peak_fma.c for this CPU and run it: {threads: GFLOP/s}."""
    exe = os.path.join(work_dir, "peak_fma")
    cc = os.environ.get("CC", "cc")
    p, _ = run_cmd([cc, "-O2", "-march=native", "-pthread",
                    os.path.join(HERE, "peak_fma.c"), "-o", exe], 300)
    if p.returncode != 0:
        raise RuntimeError(f"cannot build peak_fma.c:\n{error_text(p)}")
    p, _ = run_cmd([exe] + [str(t) for t in threads], 600)
    if p.returncode != 0:
        raise RuntimeError(f"peak_fma failed:\n{error_text(p)}")
    rows = [json.loads(ln) for ln in p.stdout.splitlines() if ln.startswith("{")]
    return {
        "gflops": {str(r["threads"]): r["gflops"] for r in rows},
        "isa": rows[0]["isa"],
        "accumulators": rows[0]["accumulators"],
    }


def run_sgemm_bench(build):
    """Run the kernel library's benchmark binary for the widest ISA the CPU
    has; return the 1024^3 SGEMM GFLOP/s per thread count and its output."""
    base = os.path.join(build, "targets", "x86", "runtime", "cambrian-x86-kernel-bench")
    for exe in (base, base + "-avx2", base + "-generic"):
        if not os.path.exists(exe):
            continue
        p, _ = run_cmd([exe], 900)
        if p.returncode != 0 or "nothing to measure" in p.stdout:
            continue
        lines = p.stdout.splitlines()
        # Header "GFLOP/s  1 thr  2 thr", then "sgemm 1024x1024x1024  a  b".
        cols = next((re.findall(r"(\d+) thr", ln) for ln in lines if "thr" in ln), [])
        row = next((ln for ln in lines if ln.startswith("sgemm 1024x1024x1024")), None)
        if not row:
            continue
        nums = re.findall(r"\d+\.\d+", row)
        return {"binary": os.path.relpath(exe, REPO), "output": p.stdout,
                "gflops": {c: float(v) for c, v in zip(cols, nums)}}
    log("SGEMM benchmark binary not found or failed; skipping that section")
    return None


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------
def ensure_models(models, models_dir):
    """Export the models that are missing from MODELS_DIR."""
    missing = [m for m in models
               if not os.path.exists(os.path.join(models_dir, m, "meta.json"))]
    if not missing:
        return
    log(f"exporting {', '.join(missing)} into {models_dir}")
    p = subprocess.run([sys.executable, os.path.join(REPO, "scripts", "export_models.py"),
                        "--out", models_dir, "--only"] + missing)
    if p.returncode != 0:
        raise SystemExit("model export failed")


def load_meta(model_dir):
    with open(os.path.join(model_dir, "meta.json")) as f:
        return json.load(f)


def model_inputs(model_dir, meta):
    return {i["name"]: np.load(os.path.join(model_dir, i["file"])) for i in meta["inputs"]}


def compare(outputs, reference):
    """Largest absolute difference over all outputs, and whether every
    output is within RTOL/ATOL of onnxruntime's (shapes must match)."""
    if len(outputs) != len(reference):
        return {"max_abs_err": float("inf"), "ok": False,
                "note": f"{len(outputs)} outputs, ORT has {len(reference)}"}
    worst, ok = 0.0, True
    for got, ref in zip(outputs, reference):
        if got.shape != ref.shape:
            return {"max_abs_err": float("inf"), "ok": False,
                    "note": f"shape {got.shape} vs ORT {ref.shape}"}
        g, r = got.astype(np.float64), ref.astype(np.float64)
        if g.size:
            worst = max(worst, float(np.max(np.abs(g - r))))
        ok = ok and bool(np.allclose(g, r, rtol=RTOL, atol=ATOL, equal_nan=True))
    return {"max_abs_err": worst, "ok": ok}


def compare_int8(outputs, reference, emulation):
    """Cambrian's int8 outputs against onnxruntime's, by the criterion of
    test/e2e/run_int8.py (cosine >= 0.999 and top-1; where ORT's own int8
    and float-emulation runs of the graph, EMULATION, are farther apart, a
    bar scaled to that spread). Keeps the lowest cosine and the top-1 rows
    agreeing with ORT's int8."""
    if len(outputs) != len(reference):
        return {"max_abs_err": float("inf"), "ok": False,
                "note": f"{len(outputs)} outputs, ORT has {len(reference)}"}
    worst, cos, rows, agree, ok = 0.0, 1.0, 0, 0, True
    for got, ref, emu in zip(outputs, reference, emulation):
        good, _ = int8_check.compare_output(got, ref, emu, strict=False)
        ok = ok and good
        if got.shape != ref.shape:
            return {"max_abs_err": float("inf"), "ok": False,
                    "note": f"shape {got.shape} vs ORT {ref.shape}"}
        if got.size:
            worst = max(worst, float(np.max(np.abs(got.astype(np.float64) - ref))))
            cos = min(cos, int8_check.cosine(got, ref))
        t = int8_check.top1(got)
        if t is not None:
            rows += t.size
            agree += int((t == int8_check.top1(ref)).sum())
    return {"max_abs_err": worst, "cosine": cos, "top1": [agree, rows], "ok": ok}


def emulation(model_dir, meta):
    """ORT's float emulation of an int8 model's outputs on its inputs
    (sample 0 of scripts/export_models.py's meta.json)."""
    if "samples" not in meta:
        raise RuntimeError(f"{model_dir}/meta.json has no samples: not an int8 model "
                           "of scripts/export_models.py")
    return load_outputs(model_dir, meta["samples"][0]["emulation"])


def load_outputs(directory, files):
    return [np.load(os.path.join(directory, f)) for f in files]


def sanitize(name):
    """cambrian-run's file name for an output (as in scripts/export_models.py)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.work = os.path.abspath(args.work_dir or os.path.join(self.build, "bench"))
        self.compile_bin = os.path.join(self.build, "bin", "cambrian-compile")
        self.run_bin = os.path.join(self.build, "bin", "cambrian-run")
        self.worker = [sys.executable, os.path.join(HERE, "worker.py")]
        self.iree_flags = None

    # -- tools ---------------------------------------------------------------
    def wait_for(self, path, seconds=300):
        """The build may be re-linked underneath us; wait for a binary."""
        t0 = time.time()
        while not os.path.exists(path):
            if time.time() - t0 > seconds:
                raise SystemExit(f"{path} does not exist (build Cambrian first)")
            time.sleep(5)

    def iree_target_flags(self):
        """The host-CPU target flags that the installed iree-compile knows,
        then the user's --iree-extra-flags."""
        if self.iree_flags is None:
            compiler = venv_tool("iree-compile")
            p, _ = run_cmd([compiler, "--help"], 120) if compiler else (None, 0)
            if p is None or "iree-hal-local-target-device-backends" in p.stdout:
                self.iree_flags = list(IREE_FLAGS)
            else:  # before the target-device flags (IREE < 3.0)
                self.iree_flags = ["--iree-hal-target-backends=llvm-cpu",
                                   "--iree-llvmcpu-target-cpu=host"]
            self.iree_flags += shlex.split(self.args.iree_extra_flags or "")
        return self.iree_flags

    # -- compiling -----------------------------------------------------------
    def compile_cambrian(self, model_dir, out_dir):
        self.wait_for(self.compile_bin)
        so = os.path.join(out_dir, "cambrian.so")
        p, secs = run_cmd([self.compile_bin, os.path.join(model_dir, "model.onnx"),
                           "--target", "x86", "-o", so], COMPILE_TIMEOUT)
        if p.returncode != 0:
            log(f"  cambrian-compile FAILED ({secs:.1f} s)")
            return {"error": error_text(p)}, None
        log(f"  cambrian-compile {secs:.1f} s")
        return {"compile_s": secs}, so

    def compile_iree(self, model_dir, out_dir):
        importer, compiler = venv_tool("iree-import-onnx"), venv_tool("iree-compile")
        if not importer or not compiler:
            return {"error": "iree-import-onnx / iree-compile not installed "
                             "(pip install -r bench/requirements.txt)"}, None
        mlir = os.path.join(out_dir, "iree.mlir")
        vmfb = os.path.join(out_dir, "iree.vmfb")
        p, imp_s = run_cmd([importer, os.path.join(model_dir, "model.onnx"), "-o", mlir],
                           COMPILE_TIMEOUT)
        if p.returncode != 0:
            log(f"  iree-import-onnx FAILED ({imp_s:.1f} s)")
            return {"error": "iree-import-onnx: " + error_text(p)}, None
        flags = self.iree_target_flags()
        p, comp_s = run_cmd([compiler, mlir, *flags, "-o", vmfb], COMPILE_TIMEOUT)
        # The imported IR holds the weights as text (hex), twice their size.
        os.remove(mlir)
        if p.returncode != 0:
            log(f"  iree-compile FAILED ({comp_s:.1f} s)")
            text = error_text(p)
            if not text.startswith("iree-compile"):
                text = "iree-compile: " + text
            return {"import_s": imp_s, "error": text}, None
        log(f"  iree-import-onnx {imp_s:.1f} s, iree-compile {comp_s:.1f} s")
        return {"import_s": imp_s, "compile_s": comp_s}, vmfb

    # -- timing --------------------------------------------------------------
    def time_worker(self, runtime, model_dir, threads, out_dir, vmfb=None):
        """Time onnxruntime or IREE in bench/worker.py; its outputs go to OUT_DIR."""
        a = self.args
        cmd = self.worker + [runtime, model_dir, "--threads", str(threads),
                             "--runs", str(a.runs), "--warmup", str(a.warmup),
                             "--save-outputs", out_dir]
        if vmfb:
            cmd += ["--vmfb", vmfb]
        p, _ = run_cmd(cmd, RUN_TIMEOUT)
        if p.returncode != 0:
            raise RuntimeError(error_text(p))
        return last_json_line(p.stdout)

    def time_cambrian(self, so, model_dir, meta, threads, out_dir):
        a = self.args
        self.wait_for(self.run_bin)
        ins = [os.path.join(model_dir, i["file"]) for i in meta["inputs"]]
        p, _ = run_cmd([self.run_bin, so, *ins, "--out", out_dir, "--bench", str(a.runs),
                        "--warmup", str(a.warmup), "--threads", str(threads)], RUN_TIMEOUT)
        if p.returncode != 0:
            raise RuntimeError(error_text(p))
        return last_json_line(p.stdout)

    # -- one model -------------------------------------------------------------
    def run_model(self, name):
        a = self.args
        model_dir = os.path.join(os.path.abspath(a.models_dir), name)
        meta = load_meta(model_dir)
        out_dir = os.path.join(self.work, name)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)
        res = {}

        try:
            total, by_op, unknown = flops_mod.count_flops(
                os.path.join(model_dir, "model.onnx"), model_inputs(model_dir, meta))
            res["flops"], res["flops_by_op"] = total, by_op
            if unknown:  # counted ops whose shapes stayed unknown: GFLOP is low
                res["flops_unknown_nodes"] = unknown
            log(f"  {total / 1e9:.3f} GFLOP")
        except Exception as e:  # noqa: BLE001  no % of peak, but time it anyway
            log(f"  cannot count FLOPs: {type(e).__name__}: {e}")

        res["cambrian"], so = self.compile_cambrian(model_dir, out_dir)
        res["ort"] = {}
        if a.skip_iree:
            res["iree"], vmfb = {"skipped": True}, None
        else:
            res["iree"], vmfb = self.compile_iree(model_dir, out_dir)

        ort_files = [f"{i}.npy" for i in range(len(meta["outputs"]))]
        cmb_files = [sanitize(o["name"]) + ".npy" for o in meta["outputs"]]
        reference = None
        for t in a.threads:
            # Rounds of ORT then Cambrian (IREE, for reference and much slower,
            # in the first round only); each runtime keeps its fastest round's
            # median, so that a burst of load from outside the machine, which
            # lasts seconds, does not decide a ratio.
            for rnd in range(a.rounds):
                tag = f"{t}T" + (f" (round {rnd + 1}/{a.rounds})" if a.rounds > 1 else "")
                # ORT first: its outputs are the reference for the others.
                d = os.path.join(out_dir, f"ort_{t}T_{rnd}")
                try:
                    keep_fastest(res["ort"], t, self.time_worker("ort", model_dir, t, d))
                    if reference is None:
                        reference = load_outputs(d, ort_files)
                except Exception as e:  # noqa: BLE001  record, keep going
                    res["ort"]["error"] = str(e)
                log(f"  ORT {tag}: {self._ms(res['ort'], t)}")

                for runtime, artifact in (("cambrian", so), ("iree", vmfb)):
                    r = res[runtime]
                    if not artifact or (runtime == "iree" and rnd > 0):
                        continue
                    d = os.path.join(out_dir, f"{runtime}_{t}T_{rnd}")
                    try:
                        if runtime == "cambrian":
                            timing = self.time_cambrian(so, model_dir, meta, t, d)
                            files = cmb_files
                        else:
                            timing = self.time_worker("iree", model_dir, t, d, vmfb)
                            files = ort_files
                        keep_fastest(r, t, timing)
                        if reference is not None:
                            # Keep the worst round: a failing one, else the
                            # largest difference.
                            if a.int8:
                                check = compare_int8(load_outputs(d, files), reference,
                                                     emulation(model_dir, meta))
                            else:
                                check = compare(load_outputs(d, files), reference)
                            old = r.setdefault("check", {}).get(str(t))
                            if (old is None or (old["ok"] and not check["ok"]) or
                                    (old["ok"] == check["ok"] and
                                     check["max_abs_err"] > old["max_abs_err"])):
                                r["check"][str(t)] = check
                    except Exception as e:  # noqa: BLE001  record, keep going
                        r["error"] = f"run at {t} thread(s): {e}"
                    log(f"  {report.LABELS[runtime]} {tag}: {self._ms(r, t)}")

        # Worst output error over the thread counts.
        for runtime in ("cambrian", "iree"):
            checks = res[runtime].get("check", {}).values()
            if checks:
                res[runtime]["max_abs_err"] = max(c["max_abs_err"] for c in checks)
                res[runtime]["ok"] = all(c["ok"] for c in checks)
        if not a.keep_artifacts:
            shutil.rmtree(out_dir, ignore_errors=True)
        return res

    @staticmethod
    def _ms(r, t):
        x = r.get("times", {}).get(str(t))
        if x:
            chk = r.get("check", {}).get(str(t))
            bad = "" if not chk or chk["ok"] else (
                f"  OUTPUT MISMATCH (max abs err {chk['max_abs_err']:.3g}" +
                (f", cosine {chk['cosine']:.5f}, top-1 {chk['top1'][0]}/{chk['top1'][1]}"
                 if "cosine" in chk else "") + ")")
            last = x.get("round_medians_ms", [x["median_ms"]])[-1]
            best = "" if last == x["median_ms"] else f" (fastest {x['median_ms']:.2f})"
            return f"{last:.2f} ms{best}{bad}"
        return "failed" if r.get("error") else "-"


def keep_fastest(r, threads, timing):
    """Records TIMING (a worker's JSON) as R's time at THREADS if its median is
    the lowest so far; every round's median is kept in `round_medians_ms`."""
    times = r.setdefault("times", {})
    best = times.get(str(threads))
    rounds = (best or {}).get("round_medians_ms", []) + [timing["median_ms"]]
    if best is None or timing["median_ms"] < best["median_ms"]:
        best = dict(timing)
    best["round_medians_ms"] = rounds
    times[str(threads)] = best


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--int8", action="store_true",
                   help="benchmark the int8 (QDQ) models against ORT's int8 run; "
                        "implies --skip-iree (see above)")
    p.add_argument("--models", nargs="+", metavar="NAME",
                   help="models to run (default: the 10 of the issue; with --int8, "
                        "the 7 int8 ones)")
    p.add_argument("--threads", default="1,2",
                   help="comma-separated thread counts (default: 1,2)")
    p.add_argument("--runs", type=int, default=30, help="timed runs per measurement")
    p.add_argument("--warmup", type=int, default=5, help="warm-up runs before timing")
    p.add_argument("--rounds", type=int, default=3,
                   help="interleaved rounds of ORT and Cambrian per thread count; each "
                        "keeps its fastest round's median (IREE: first round only)")
    p.add_argument("--build", default=os.path.join(REPO, "build"),
                   help="Cambrian build directory (default: build)")
    p.add_argument("--models-dir", help="exported models (default: BUILD/models)")
    p.add_argument("--work-dir", help="compiled modules and outputs (default: BUILD/bench)")
    p.add_argument("--skip-iree", action="store_true", help="do not compile or run IREE")
    p.add_argument("--iree-extra-flags", metavar="FLAGS",
                   help="more iree-compile flags as one string; write it with '=' since "
                        "it starts with '--', e.g. for the NCHW->NHWC rewrite: "
                        "--iree-extra-flags='--iree-preprocessing-pass-pipeline=builtin."
                        "module(util.func(iree-preprocessing-convert-conv-to-channels-last))'")
    p.add_argument("--keep-artifacts", action="store_true",
                   help="keep the compiled modules and outputs in the work dir")
    p.add_argument("--out", default=os.path.join(REPO, "docs", "benchmarks.md"),
                   help="Markdown report; the chart goes beside it as .png")
    p.add_argument("--json",
                   help="raw results (default: bench/results.json, with --int8 "
                        "bench/results_int8.json)")
    p.add_argument("--float-json", default=os.path.join(HERE, "results.json"),
                   help="with --int8: the float results whose sections the report keeps")
    p.add_argument("--int8-json", default=os.path.join(HERE, "results_int8.json"),
                   help="without --int8: the int8 results whose section the report keeps")
    p.add_argument("--note", help="a line quoted at the top of the report "
                                  "(e.g. that the machine was busy)")
    p.add_argument("--from-json", metavar="FILE",
                   help="only re-render the report from a saved results file")
    args = p.parse_args(argv)
    try:
        args.threads = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        p.error("--threads takes comma-separated integers, e.g. 1,2")
    if not args.threads or min(args.threads) < 1:
        p.error("--threads needs at least one count >= 1")
    if args.runs < 1 or args.warmup < 0 or args.rounds < 1:
        p.error("--runs and --rounds must be >= 1 and --warmup >= 0")
    args.models_dir = args.models_dir or os.path.join(args.build, "models")
    args.models = args.models or (INT8_MODELS if args.int8 else DEFAULT_MODELS)
    args.json = args.json or os.path.join(HERE, "results_int8.json" if args.int8 else "results.json")
    if args.int8:
        args.skip_iree = True
    return args


def write_report(results, args):
    """Writes the report from RESULTS and, for the other kind (float or
    int8), the results saved last time; redraws only RESULTS' chart."""
    int8 = results.get("kind") == "int8"
    other_path = args.float_json if int8 else args.int8_json
    other = None
    if os.path.isfile(other_path):
        with open(other_path) as f:
            other = json.load(f)
        if (other.get("kind") == "int8") == int8:
            log(f"{other_path} holds {'int8' if int8 else 'float'} results too; not used")
            other = None
    base = os.path.splitext(args.out)[0]
    charts = {False: base + ".png", True: base + "_int8.png"}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    try:
        report.write_chart(results, charts[int8],
                           title="int8: " if int8 else "")
        drawn = charts[int8]
    except ImportError:
        log("matplotlib is not installed (pip install -r bench/requirements.txt); no chart")
        charts[int8] = drawn = None
    if other is not None and not os.path.isfile(charts[not int8]):
        charts[not int8] = None
    float_res, int8_res = (other, results) if int8 else (results, other)
    report.write_markdown(float_res, args.out, charts[False], int8_res, charts[True])
    log(f"wrote {args.out}" + (f" and {drawn}" if drawn else ""))


def main(argv=None):
    args = parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            results = json.load(f)
        if args.note:  # e.g. add a caveat to a saved run
            results["note"] = args.note
        write_report(results, args)
        return 0

    t_start = time.perf_counter()
    bench = Bench(args)
    os.makedirs(bench.work, exist_ok=True)
    ensure_models(args.models, args.models_dir)

    results = {
        "kind": "int8" if args.int8 else "float",
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "note": args.note,
        "settings": {"runs": args.runs, "warmup": args.warmup, "rounds": args.rounds,
                     "threads": args.threads,
                     "rtol": RTOL, "atol": ATOL, "min_cosine": INT8_MIN_COSINE},
        "machine": machine_info(),
        "versions": versions(),
        "iree_flags": [] if args.skip_iree else bench.iree_target_flags(),
        "models": {},
    }
    log(f"CPU: {results['machine']['cpu']}, {results['machine']['logical_cpus']} logical CPUs")

    def save():
        results["wall_s"] = time.perf_counter() - t_start
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)

    # The FMA peak and SGEMM belong to the float report.
    if not args.int8:
        results["peak"] = measure_peak(bench.work, args.threads)
        log("FMA peak: " + ", ".join(f"{v:.1f} GFLOP/s at {k}T"
                                     for k, v in results["peak"]["gflops"].items()))
    results["sgemm"] = None if args.int8 else run_sgemm_bench(bench.build)
    if results["sgemm"]:
        log("SGEMM 1024^3: " + ", ".join(f"{v:.1f} GFLOP/s at {k}T"
                                         for k, v in results["sgemm"]["gflops"].items()))
    save()

    for i, name in enumerate(args.models, 1):
        log(f"[{i}/{len(args.models)}] {name}")
        t0 = time.perf_counter()
        try:
            results["models"][name] = bench.run_model(name)
        except Exception as e:  # noqa: BLE001  a broken model dir, a bad meta.json
            log(f"  {name} FAILED: {type(e).__name__}: {e}")
            results["models"][name] = {"error": f"{type(e).__name__}: {e}"}
        results["models"][name]["wall_s"] = time.perf_counter() - t0
        save()

    for t in args.threads:
        g = report.geomean([report.ratio(r, "cambrian", t) for r in results["models"].values()])
        if g:
            log(f"geomean Cambrian/ORT at {t}T: {g:.3f}")
    save()
    write_report(results, args)
    log(f"done in {results['wall_s'] / 60:.1f} min; raw results in {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
