"""Turn the harness's results (bench/results.json) into docs/benchmarks.md
and the bar chart docs/benchmarks.png.

Kept apart from the measuring so that a report can be re-rendered from a
saved results file: `python bench/run_bench.py --from-json bench/results.json`.
"""
import math
import os

RUNTIMES = ("cambrian", "ort", "iree")
LABELS = {"cambrian": "Cambrian", "ort": "ORT", "iree": "IREE"}


def median_ms(res, runtime, threads):
    """The median latency of RUNTIME at THREADS, or None if not measured."""
    t = res.get(runtime, {}).get("times", {}).get(str(threads))
    return t["median_ms"] if t and "median_ms" in t else None


def ratio(res, runtime, threads):
    """RUNTIME's median latency over onnxruntime's (below 1: faster)."""
    a, b = median_ms(res, runtime, threads), median_ms(res, "ort", threads)
    return a / b if a and b else None


def geomean(values):
    values = [v for v in values if v]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def pct_of_peak(res, runtime, threads, peaks):
    """Share of the measured FMA peak at THREADS that RUNTIME reaches."""
    ms, peak = median_ms(res, runtime, threads), peaks.get(str(threads))
    if not ms or not peak or not res.get("flops"):
        return None
    return 100.0 * res["flops"] / (ms * 1e-3) / (peak * 1e9)


def _fmt(v, spec, none="–"):
    return none if v is None else format(v, spec)


def _latency_cell(res, runtime, threads):
    """Median ms, '†' when the outputs did not match ORT's, 'fail' on error."""
    ms = median_ms(res, runtime, threads)
    r = res.get(runtime, {})
    if ms is None:
        if r.get("skipped"):
            return "skip"
        return "fail" if r.get("error") else "–"
    bad = r.get("check", {}).get(str(threads), {}).get("ok") is False
    return f"{ms:.2f}" + (" †" if bad else "")


def _first_error_line(text, limit=200):
    """The most telling line of a tool's error output, shortened."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    pick = next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else "")
    pick = pick.replace("|", "\\|")
    return pick if len(pick) <= limit else pick[:limit] + " …"


def write_chart(results, path, title=""):
    """Grouped bars per model: Cambrian's and IREE's latency over ORT's, one
    panel per thread count. Log scale; each bar starts at ORT's 1.0, so a bar
    pointing down is faster than onnxruntime and one pointing up is slower."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    threads = results["settings"]["threads"]
    models = list(results["models"])
    shown = [rt for rt in ("cambrian", "iree")
             if any(median_ms(results["models"][m], rt, t) for m in models for t in threads)]
    colors = {"cambrian": "#2a7ab9", "iree": "#e08a1e"}
    width = 0.8 / max(1, len(shown))
    fig, axes = plt.subplots(len(threads), 1, squeeze=False,
                             figsize=(max(8, 1.1 * len(models) + 2), 3.8 * len(threads)))
    for ax, t in zip(axes[:, 0], threads):
        all_r = [1.0]
        for k, rt in enumerate(shown):
            xs, ys = [], []
            for i, m in enumerate(models):
                r = ratio(results["models"][m], rt, t)
                if r:
                    xs.append(i - 0.4 + width * (k + 0.5))
                    ys.append(r)
            all_r += ys
            bars = ax.bar(xs, [y - 1.0 for y in ys], width, bottom=1.0,
                          label=f"{LABELS[rt]} / ORT", color=colors[rt])
            for b, y in zip(bars, ys):
                ax.annotate(f"{y:.2f}", (b.get_x() + b.get_width() / 2, y),
                            xytext=(0, 2 if y >= 1 else -2), textcoords="offset points",
                            ha="center", va="bottom" if y >= 1 else "top", fontsize=7)
        ax.axhline(1.0, color="black", linewidth=1, label="ORT = 1")
        ax.set_yscale("log", base=2)
        ax.set_ylim(min(all_r) / 1.6, max(all_r) * 1.6)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels(models, rotation=20, ha="right", fontsize=8)
        ax.set_xlim(-0.6, len(models) - 0.4)
        ax.set_ylabel("latency / ORT latency")
        ax.set_title(f"{title}{t} thread{'s' if t > 1 else ''}: latency relative to onnxruntime "
                     "(below 1 = faster)", fontsize=10)
        ax.grid(axis="y", which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_markdown(results, path, chart_path, int8_results=None, int8_chart=None):
    """docs/benchmarks.md: the float report from RESULTS (if any), then the
    int8 section from INT8_RESULTS (if any)."""
    out = ["# Benchmarks\n"]
    if results:
        out += _float_lines(results, chart_path)
    else:
        out.append("No float results (bench/results.json) yet: `make bench`.\n")
    if int8_results:
        out += _int8_lines(int8_results, int8_chart)
    with open(path, "w") as f:
        f.write("\n".join(out).rstrip() + "\n")


def _float_lines(results, chart_path):
    s = results["settings"]
    meta = results["machine"]
    ver = results["versions"]
    peaks = results["peak"]["gflops"]
    threads = s["threads"]
    models = results["models"]
    out = []
    w = out.append

    w("Latency of Cambrian's compiled modules next to onnxruntime and IREE on the "
      "same models and inputs, written by `bench/run_bench.py` (`make bench`). "
      "Lower is better; ratios below 1 mean Cambrian is faster than onnxruntime.\n")
    if results.get("note"):
        w(f"> {results['note']}\n")
    w(f"Run: {results['date']}, {results['wall_s'] / 60:.1f} min wall time for the run; "
      f"{s['runs']} timed runs after {s['warmup']} warm-up runs per measurement"
      + (f", the fastest of {s['rounds']} rounds" if s.get("rounds", 1) > 1 else "")
      + ".\n")

    w("## Machine and versions\n")
    w("| | |\n|---|---|")
    w(f"| CPU | {meta['cpu']} ({meta['logical_cpus']} logical CPUs, "
      f"{meta.get('threads_per_core', '?')} thread(s) per core) |")
    w(f"| ISA | {meta['isa']} |")
    if meta.get("caches"):
        w(f"| caches | {meta['caches']} |")
    w(f"| OS | {meta['os']} |")
    w(f"| Cambrian | commit `{ver['cambrian_commit']}` |")
    w(f"| onnxruntime | {ver['onnxruntime']} |")
    w(f"| IREE | iree-base-compiler {ver.get('iree_compiler') or '–'}, "
      f"iree-base-runtime {ver.get('iree_runtime') or '–'} |")
    w(f"| Python | {ver['python']}, numpy {ver['numpy']}, onnx {ver['onnx']} |")
    w("")

    w("## Method\n")
    w(f"- **Cambrian**: `cambrian-compile model.onnx --target x86 -o model.so` "
      f"(for the host CPU), timed by `cambrian-run model.so inputs... --bench {s['runs']} "
      f"--warmup {s['warmup']} --threads T`, which times `cambrian_module_run` "
      "with inputs and outputs already allocated.")
    w("- **onnxruntime**: `InferenceSession` on the CPU execution provider with "
      "`intra_op_num_threads=T`, `inter_op_num_threads=1`, sequential execution and "
      "every graph optimization (ORT's default); `session.run` timed with "
      "`time.perf_counter` in a fresh Python process per measurement.")
    w(f"- **IREE**: `iree-import-onnx`, then `iree-compile {' '.join(results.get('iree_flags', []))}`; "
      "run with `iree.runtime` on the `local-task` driver with "
      "`--task_topology_max_group_count=T` workers, inputs on the device beforehand, "
      "each timed call including reading the outputs back; a fresh process per measurement." +
      ("" if "channels-last" in " ".join(results.get("iree_flags", [])) else
       " With these plain flags IREE keeps ONNX's NCHW layout for convolutions, which its "
       "CPU backend runs far slower than after its channels-last rewrite "
       "(`run_bench.py --iree-extra-flags='--iree-preprocessing-pass-pipeline="
       "builtin.module(util.func(iree-preprocessing-convert-conv-to-channels-last))'`)."))
    rounds = s.get("rounds", 1)
    w("- Each figure is the **median** of the timed runs. Measurements are interleaved "
      "(for each model and thread count: ORT, Cambrian, IREE) so that background load "
      "affects the three alike." +
      (f" ORT and Cambrian are measured in {rounds} such rounds (IREE in the first "
       "only) and each keeps its fastest round's median: this machine is a VM whose "
       "neighbours' load comes in bursts of seconds, which otherwise decided single "
       "ratios by 10-30% (all rounds' medians are in `bench/results.json`)."
       if rounds > 1 else ""))
    w("- **Correctness**: every runtime's outputs at every thread count are compared with "
      "ORT's (`rtol=1e-3, atol=1e-4`); a latency marked † comes with outputs outside that "
      "tolerance; *max abs err* is the largest difference over the thread counts.")
    w("- **GFLOP**: counted from the ONNX graph after shape inference: "
      "Conv `2·N·OH·OW·F·(C/group)·KH·KW`, Gemm/MatMul `2·M·N·K` (with batch); "
      "elementwise ops, normalisation, pooling and softmax are not counted (`bench/flops.py`).")
    isa = results["peak"].get("isa", "?")
    w(f"- **Peak**: `bench/peak_fma.c` (`cc -O2 -march=native`), "
      f"{results['peak'].get('accumulators', '?')} independent {isa} FMA chains per thread, "
      "best of 5 repetitions: " +
      ", ".join(f"{v:.1f} GFLOP/s at {k} thread{'s' if int(k) > 1 else ''}"
                for k, v in peaks.items()) +
      ". *% peak* = GFLOP / Cambrian's median latency / peak at that thread count.")
    w("")

    w("## Results\n")
    w("Latency in ms (median); *% peak* is Cambrian's.\n")
    hdr = ["model", "GFLOP"]
    for t in threads:
        hdr += [f"Cambrian {t}T", f"ORT {t}T", f"IREE {t}T", f"ratio C/ORT {t}T"]
    hdr += [f"% peak {t}T" for t in threads]
    w("| " + " | ".join(hdr) + " |")
    w("|" + "---|" * len(hdr))
    for name, res in models.items():
        row = [name, _fmt(res.get("flops") and res["flops"] / 1e9, ".2f")]
        for t in threads:
            row += [_latency_cell(res, rt, t) for rt in RUNTIMES]
            row.append(_fmt(ratio(res, "cambrian", t), ".2f"))
        row += [_fmt(pct_of_peak(res, "cambrian", t, peaks), ".0f") for t in threads]
        w("| " + " | ".join(row) + " |")
    w("")

    w("**Geometric means** of the latency ratios over the models where both were measured:\n")
    w("| | " + " | ".join(f"{t} thread{'s' if t > 1 else ''}" for t in threads) + " |")
    w("|---|" + "---|" * len(threads))
    for rt in ("cambrian", "iree"):
        cells = []
        for t in threads:
            rs = [ratio(r, rt, t) for r in models.values()]
            rs = [x for x in rs if x]
            g = geomean(rs)
            cells.append(f"**{g:.3f}** (n = {len(rs)})" if g and rt == "cambrian"
                         else (f"{g:.3f} (n = {len(rs)})" if g else "–"))
        w(f"| {LABELS[rt]} / ORT | " + " | ".join(cells) + " |")
    w("")
    if chart_path:
        w(f"![Latency relative to onnxruntime]({os.path.basename(chart_path)})\n")

    w("## Compile times and output check\n")
    w("Wall time of compiling each model (the machine's cores all available to the "
      "compiler); *max abs err* is against ORT's outputs.\n")
    w("| model | Cambrian compile s | IREE import s | IREE compile s | "
      "Cambrian max abs err | IREE max abs err |")
    w("|---|---|---|---|---|---|")
    for name, res in models.items():
        c, i = res.get("cambrian", {}), res.get("iree", {})

        def err(r):
            if "max_abs_err" not in r:
                return "–"
            ok = r.get("ok")
            return f"{r['max_abs_err']:.2e}" + (" ✓" if ok else " ✗")
        w(f"| {name} | {_fmt(c.get('compile_s'), '.1f', 'fail' if c.get('error') else '–')} | "
          f"{_fmt(i.get('import_s'), '.1f', 'fail' if i.get('error') else '–')} | "
          f"{_fmt(i.get('compile_s'), '.1f', 'fail' if i.get('error') else '–')} | "
          f"{err(c)} | {err(i)} |")
    w("")
    r50 = models.get("resnet50", {}).get("cambrian", {}).get("compile_s")
    if r50 is not None:
        w(f"ResNet-50 compiles with Cambrian in {r50:.1f} s "
          f"({'within' if r50 < 20 else 'over'} the 20 s budget).\n")

    failures = [(n, rt, res[rt]["error"]) for n, res in models.items()
                for rt in RUNTIMES if res.get(rt, {}).get("error")]
    if failures:
        w("### Failures\n")
        for n, rt, e in failures:
            w(f"- **{n}**, {LABELS[rt]}: `{_first_error_line(e)}`")
        w("\nThe full error text is in the results JSON.\n")

    sg = results.get("sgemm")
    if sg:
        w("## SGEMM 1024×1024×1024\n")
        w(f"The kernel library's own benchmark (`{sg['binary']}`, built from "
          "`targets/x86/runtime/bench/sgemm_bench.c`; best of repeated calls over at "
          "least 0.5 s), against the peak measured above:\n")
        w("| threads | GFLOP/s | % of peak |")
        w("|---|---|---|")
        for t, g in sg.get("gflops", {}).items():
            pk = peaks.get(t)
            w(f"| {t} | {g:.1f} | {_fmt(pk and 100.0 * g / pk, '.0f')}% |")
        w("\nIts full output:\n")
        w("```\n" + sg.get("output", "").rstrip() + "\n```\n")
    return out


def _check_cell(res, threads):
    """'cosine, top-1 a/b' of Cambrian's outputs at THREADS against ORT's."""
    c = res.get("cambrian", {}).get("check", {}).get(str(threads))
    if not c or "cosine" not in c:
        return "–"
    a, b = c["top1"]
    return f"{c['cosine']:.5f}, {a}/{b}" + ("" if c["ok"] else " ✗")


def _int8_lines(results, chart_path):
    """The int8 section: Cambrian's module against ORT's int8 run of the same
    QDQ model (bench/run_bench.py --int8)."""
    s = results["settings"]
    meta = results["machine"]
    ver = results["versions"]
    threads = s["threads"]
    models = results["models"]
    out = []
    w = out.append

    w("## int8: QDQ models against onnxruntime's int8\n")
    w("`bench/run_bench.py --int8` (`make bench BENCH_ARGS=--int8`): the QDQ models of "
      "`scripts/export_models.py` (onnxruntime's `quantize_static`, MinMax over 8 seeded "
      "samples, per-channel int8 weights, int8 activations), compiled by Cambrian and run by "
      "onnxruntime with every graph optimization, i.e. its int8 kernels (QLinearConv, "
      "QLinearMatMul, ...). Timing as above: the median of "
      f"{s['runs']} runs after {s['warmup']} warm-ups"
      + (f", the fastest of {s['rounds']} interleaved rounds" if s.get("rounds", 1) > 1 else "")
      + f". Outputs (on each model's N(0, 1) input) are checked against ORT's as "
      f"`test/e2e/run_int8.py` does: cosine similarity ≥ {s.get('min_cosine', 0.999)} and the "
      "same top-1 (argmax of the last axis per row: per token for BERT), or, where ORT's "
      "own int8 and float-emulation runs of the graph are farther apart (deep random-weight "
      "networks amplify one rounding step), within twice that spread; ✗ marks a failed "
      "check. The cosine and top-1 shown are against ORT's int8 output.\n")
    if results.get("note"):
        w(f"> {results['note']}\n")
    w(f"Run: {results['date']}, {results['wall_s'] / 60:.1f} min; {meta['cpu']} "
      f"({meta['logical_cpus']} logical CPUs, {meta['isa']}); Cambrian `{ver['cambrian_commit']}`, "
      f"onnxruntime {ver['onnxruntime']}.\n")
    hdr = ["model", "GFLOP"]
    for t in threads:
        hdr += [f"Cambrian {t}T", f"ORT {t}T", f"ratio C/ORT {t}T"]
    hdr += ["cosine, top-1 vs ORT", "Cambrian compile s"]
    w("| " + " | ".join(hdr) + " |")
    w("|" + "---|" * len(hdr))
    for name, res in models.items():
        row = [name, _fmt(res.get("flops") and res["flops"] / 1e9, ".2f")]
        for t in threads:
            row += [_latency_cell(res, "cambrian", t), _latency_cell(res, "ort", t),
                    _fmt(ratio(res, "cambrian", t), ".2f")]
        row.append(_check_cell(res, threads[0]))
        c = res.get("cambrian", {})
        row.append(_fmt(c.get("compile_s"), ".1f", "fail" if c.get("error") else "–"))
        w("| " + " | ".join(row) + " |")
    w("")
    cells = []
    for t in threads:
        rs = [x for x in (ratio(r, "cambrian", t) for r in models.values()) if x]
        g = geomean(rs)
        worst = max(rs) if rs else None
        cells.append(f"**{g:.3f}** (n = {len(rs)}, worst {worst:.2f})" if g else "–")
    w("**Geometric mean** of Cambrian / ORT (int8), over the models where both were "
      "measured (issue 17 asks ≤ 0.8, no model above 1.0):\n")
    w("| | " + " | ".join(f"{t} thread{'s' if t > 1 else ''}" for t in threads) + " |")
    w("|---|" + "---|" * len(threads))
    w("| Cambrian / ORT | " + " | ".join(cells) + " |")
    w("")
    if chart_path:
        w(f"![int8 latency relative to onnxruntime]({os.path.basename(chart_path)})\n")
    failures = [(n, rt, res[rt]["error"]) for n, res in models.items()
                for rt in ("cambrian", "ort") if res.get(rt, {}).get("error")]
    failures += [(n, "cambrian", res["error"]) for n, res in models.items() if res.get("error")]
    if failures:
        w("### int8 failures\n")
        for n, rt, e in failures:
            w(f"- **{n}**, {LABELS[rt]}: `{_first_error_line(e)}`")
        w("\nThe full error text is in bench/results_int8.json.\n")
    return out
