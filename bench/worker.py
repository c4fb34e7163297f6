"""Time one model in onnxruntime or IREE, in a process of its own.

run_bench.py starts this once per (runtime, model, thread count), so that
each measurement starts from a fresh process: IREE's runtime flags (the
task executor's thread count) are process-wide, a crash in one runtime
cannot take the harness down, and no thread pool of an earlier measurement
is still around.

    python bench/worker.py ort  MODEL_DIR --threads T --runs N --warmup W [--save-outputs DIR]
    python bench/worker.py iree MODEL_DIR --vmfb M.vmfb --threads T ...

MODEL_DIR holds model.onnx, input_<i>.npy and meta.json as written by
scripts/export_models.py. The last line printed is a JSON object:
{"median_ms", "min_ms", "mean_ms", "stdev_ms", "runs", "warmup", "threads", ...}.
With --save-outputs, the outputs of the first call are written there as
<i>.npy in the order of the model's outputs.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np


def load_inputs(model_dir):
    """[(name, ndarray)] in the order of the graph inputs."""
    with open(os.path.join(model_dir, "meta.json")) as f:
        meta = json.load(f)
    return [(i["name"], np.load(os.path.join(model_dir, i["file"])))
            for i in meta["inputs"]]


def time_calls(call, runs, warmup):
    """Run call() `warmup` times, then time `runs` calls with perf_counter.

    Returns the summary dict (milliseconds) and the first call's result.
    """
    first = call()
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1e3)
    summary = {
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "mean_ms": statistics.fmean(times),
        "stdev_ms": statistics.stdev(times) if len(times) > 1 else 0.0,
        "runs": runs,
        "warmup": warmup,
    }
    return summary, first


def ort_runner(model_dir, threads):
    """A callable running the model in onnxruntime on its inputs.

    One intra-op thread pool of THREADS threads, no inter-op parallelism,
    sequential execution, every graph optimization (ORT's default level).
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(os.path.join(model_dir, "model.onnx"), opts,
                                providers=["CPUExecutionProvider"])
    feeds = dict(load_inputs(model_dir))
    return (lambda: sess.run(None, feeds)), {"onnxruntime": ort.__version__}


def iree_runner(model_dir, vmfb, threads):
    """A callable running the compiled IREE module on the model's inputs.

    The local-task driver's executor gets THREADS workers through the
    --task_topology_max_group_count flag, which must be parsed before the
    device is created. Inputs are copied to the device once; each call
    includes reading the outputs back to host arrays (which also waits for
    the asynchronous execution to finish).
    """
    import iree.runtime as rt

    rt.flags.parse_flags(f"--task_topology_max_group_count={threads}")
    device = rt.get_device("local-task", cache=False)
    config = rt.Config(device=device)
    ctx = rt.SystemContext(config=config)
    vm_module = rt.VmModule.mmap(config.vm_instance, vmfb)
    ctx.add_vm_module(vm_module)
    # The ONNX importer names the entry function after the graph; the
    # module also exports an `$async` variant and `__init`.
    entries = [f for f in vm_module.function_names
               if not f.startswith("__") and not f.endswith("$async")]
    if len(entries) != 1:
        raise RuntimeError(f"cannot pick the entry function among {entries}")
    fn = ctx.modules[vm_module.name][entries[0]]
    args = [rt.asdevicearray(device, x) for _, x in load_inputs(model_dir)]

    def call():
        res = fn(*args)
        res = res if isinstance(res, (tuple, list)) else (res,)
        return [r.to_host() for r in res]

    from importlib.metadata import version
    return call, {"iree_runtime": version("iree-base-runtime"), "entry": entries[0]}


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runtime", choices=["ort", "iree"])
    p.add_argument("model_dir")
    p.add_argument("--vmfb", help="IREE: the compiled module")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--save-outputs", metavar="DIR")
    a = p.parse_args()

    if a.runtime == "ort":
        call, info = ort_runner(a.model_dir, a.threads)
    else:
        if not a.vmfb:
            p.error("iree needs --vmfb")
        call, info = iree_runner(a.model_dir, a.vmfb, a.threads)

    summary, first = time_calls(call, a.runs, a.warmup)
    if a.save_outputs:
        os.makedirs(a.save_outputs, exist_ok=True)
        for i, out in enumerate(first):
            np.save(os.path.join(a.save_outputs, f"{i}.npy"), np.asarray(out))
    summary.update(threads=a.threads, **info)
    print(json.dumps(summary))


if __name__ == "__main__":
    sys.exit(main())
