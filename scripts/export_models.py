#!/usr/bin/env python3
"""Export Cambrian's test and benchmark models to ONNX, with reference outputs.

Every model gets seeded random weights (never pretrained: nothing is
downloaded) and is exported in eval mode with static shapes, batch 1, opset 17,
do_constant_folding=True. For each model NAME this writes

    OUT/NAME/model.onnx          the model (weights inside, torch's default)
    OUT/NAME/input_<i>.npy       seeded inputs, in the order of the graph inputs
    OUT/NAME/expected_<o>.npy    onnxruntime's outputs (CPUExecutionProvider,
                                 graph optimizations disabled); <o> is the ONNX
                                 output name with every character outside
                                 [A-Za-z0-9._-] replaced by '_'
    OUT/NAME/meta.json           inputs, outputs, opset, op-type counts, timing

Model sets:
  ci     (default) resnet18, mobilenet_v2, squeezenet1_1, shufflenet_v2_x1_0
         (input 1x3x224x224 float32), bert_encoder (4 layers, hidden 256,
         4 heads, FFN 1024, seq 64, vocab 1000; int64 input_ids +
         attention_mask), and squeezenet1_1_ext (squeezenet1_1 re-saved with
         its weights as external data in weights.bin).
  bench  resnet50, mobilenet_v3_large, efficientnet_b0, bert_base (12 layers,
         hidden 768, 12 heads, seq 128), vit_s16 (ViT-S/16). Not used by CI.
  int8   int8 models for CI (test/e2e/run_int8.py), made from the float ones
         with onnxruntime.quantization.quantize_static: <base>_qdq (QDQ,
         per-channel int8 weights, int8 activations) for resnet18,
         mobilenet_v2, efficientnet_b0, resnet50 and bert_encoder;
         resnet18_qdq_u8 (uint8 activations); resnet18_qop and
         bert_encoder_qop (QOperator format: QLinearConv, QLinearMatMul, ...).
  bench-int8  squeezenet1_1_qdq, mobilenet_v3_large_qdq: the rest of the
         int8 benchmark (bench/run_bench.py --int8).
  all    every model.

A quantized model NAME also writes OUT/NAME/sample<k>_input_<i>.npy and
sample<k>_expected_<o>.npy for its further test samples (meta.json's
"samples" lists them all; sample 0 is input_<i>/expected_<o>, seeded normal
noise like the float models', samples 1 and 2 are smooth, ImageNet-normalized
image-like inputs; for BERT sample 1 has other token ids and more padding). Its expected outputs come
from onnxruntime with its default graph optimizations, i.e. its int8
kernels (QLinearConv, ...); meta.json also records how far onnxruntime's
float emulation of the same graph (optimizations off) is from them. Its float
base is taken from OUT/<base> when exported there, else exported into a
temporary folder and removed.

A model whose files already exist is skipped unless --force. --external-data
also writes OUT/NAME_ext/ for every selected model: the same model re-saved
with onnx.save_model(save_as_external_data=True, all_tensors_to_one_file=True,
location='weights.bin', size_threshold=1024), with the same inputs/expected.

Run it with the project's venv (scripts/setup-python.sh):
    .venv/bin/python scripts/export_models.py --out build/models
    .venv/bin/python scripts/export_models.py --out build/models --set bench
    .venv/bin/python scripts/export_models.py --out build/models --only resnet18 vit_s16 --force
    .venv/bin/python scripts/export_models.py --out build/models --list
"""
import argparse
import collections
import glob
import json
import logging
import math
import os
import re
import shutil
import sys
import time
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import tempfile
import torch
import torch.nn as nn
import torchvision

OPSET = 17
SEED = 0
EXT_SUFFIX = "_ext"


def sanitize(name):
    """File-name form of an ONNX tensor name (same rule as cambrian-run)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


# --------------------------------------------------------------------------
# BERT-style encoder, written with plain torch.nn so the exported graph shows
# the primitive ops: Gather (embeddings), LayerNormalization, MatMul, Softmax,
# Erf (exact GELU), Add (residuals), Reshape/Transpose (heads), Tanh (pooler).
# --------------------------------------------------------------------------
class SelfAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        assert hidden % heads == 0
        self.heads, self.head_dim = heads, hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, hidden)

    def split_heads(self, x):  # [B, S, H] -> [B, heads, S, head_dim]
        b, s, _ = x.shape
        return x.reshape(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, mask_bias):
        q = self.split_heads(self.query(x))
        k = self.split_heads(self.key(x))
        v = self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        probs = torch.softmax(scores + mask_bias, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2)  # [B, S, heads, head_dim]
        b, s = ctx.shape[0], ctx.shape[1]
        return self.out(ctx.reshape(b, s, self.heads * self.head_dim))


class EncoderLayer(nn.Module):
    """Post-LayerNorm transformer layer, as in BERT."""

    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.attn = SelfAttention(hidden, heads)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.gelu = nn.GELU()  # erf form (approximate='none')
        self.ffn_out = nn.Linear(ffn, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x, mask_bias):
        x = self.ln1(x + self.attn(x, mask_bias))
        return self.ln2(x + self.ffn_out(self.gelu(self.ffn_in(x))))


class BertEncoder(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, ffn, max_pos):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, hidden)
        self.pos_emb = nn.Embedding(max_pos, hidden)
        self.emb_ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(
            [EncoderLayer(hidden, heads, ffn) for _ in range(layers)])
        self.pooler = nn.Linear(hidden, hidden)
        self.register_buffer("pos_ids", torch.arange(max_pos).unsqueeze(0),
                             persistent=False)

    def forward(self, input_ids, attention_mask):
        seq = input_ids.shape[1]
        x = self.tok_emb(input_ids) + self.pos_emb(self.pos_ids[:, :seq])
        x = self.emb_ln(x)
        # [B, S] (1 = token, 0 = padding) -> additive bias [B, 1, 1, S]
        mask = attention_mask[:, None, None, :].to(x.dtype)
        mask_bias = (1.0 - mask) * -10000.0
        for layer in self.layers:
            x = layer(x, mask_bias)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return x, pooled


def randomize_layernorms(model, gen):
    """Give LayerNorm affine parameters non-trivial values."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.copy_(1.0 + 0.1 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))


def make_bert(vocab, hidden, layers, heads, ffn, seq):
    def build():
        model = BertEncoder(vocab, hidden, layers, heads, ffn, max_pos=seq)
        randomize_layernorms(model, torch.Generator().manual_seed(SEED + 1))
        return model

    def inputs(rng):
        ids = rng.integers(0, vocab, size=(1, seq), dtype=np.int64)
        mask = np.ones((1, seq), dtype=np.int64)
        mask[:, seq - seq // 8:] = 0  # last 1/8 is padding: exercises the mask
        return [("input_ids", ids), ("attention_mask", mask)]

    return build, inputs, ["last_hidden_state", "pooler_output"]


# --------------------------------------------------------------------------
# Vision models (torchvision, random init).
# --------------------------------------------------------------------------
def image_inputs(rng):
    return [("input", rng.standard_normal((1, 3, 224, 224)).astype(np.float32))]


def calibrate_batchnorm(model, gen):
    """Set BatchNorm running statistics from random data (train-mode passes).

    Randomly initialized BatchNorms have mean 0 / var 1, so in eval mode they
    are identities and activations of a deep random network drift in scale.
    A couple of train-mode passes make the statistics (and so the folded
    weights in the exported model) realistic and the outputs O(1).
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the passes below
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(4, 3, 224, 224, generator=gen))
    model.eval()


def randomize_zero_params(model, gen):
    """Give all-zero parameters (biases, ViT's class token, ...) small random values.

    torchvision zero-initializes many of them (e.g. all of squeezenet's conv
    biases); in a trained model they are not zero, and identical zero tensors
    also make the exporter deduplicate them into Identity nodes.
    """
    with torch.no_grad():
        for p in model.parameters():
            if p.is_floating_point() and not p.any():
                p.uniform_(-0.05, 0.05, generator=gen)


def torchvision_model(ctor):
    def build():
        model = ctor(weights=None)
        randomize_zero_params(model, torch.Generator().manual_seed(SEED + 2))
        calibrate_batchnorm(model, torch.Generator().manual_seed(SEED + 1))
        return model

    return build, image_inputs, ["output"]


def vit_s16():
    from torchvision.models.vision_transformer import VisionTransformer
    return VisionTransformer(image_size=224, patch_size=16, num_layers=12,
                             num_heads=6, hidden_dim=384, mlp_dim=1536)


def vit_model():
    def build():
        model = vit_s16()
        randomize_zero_params(model, torch.Generator().manual_seed(SEED + 2))
        randomize_layernorms(model, torch.Generator().manual_seed(SEED + 1))
        with torch.no_grad():  # torchvision zero-inits the head weight
            nn.init.normal_(model.heads.head.weight, std=0.05)
        return model

    return build, image_inputs, ["output"]


tvm = torchvision.models
# name -> (set, factory returning (build(), inputs(rng), output names))
MODELS = collections.OrderedDict([
    ("resnet18", ("ci", lambda: torchvision_model(tvm.resnet18))),
    ("mobilenet_v2", ("ci", lambda: torchvision_model(tvm.mobilenet_v2))),
    ("squeezenet1_1", ("ci", lambda: torchvision_model(tvm.squeezenet1_1))),
    ("shufflenet_v2_x1_0", ("ci", lambda: torchvision_model(tvm.shufflenet_v2_x1_0))),
    ("bert_encoder", ("ci", lambda: make_bert(vocab=1000, hidden=256, layers=4,
                                              heads=4, ffn=1024, seq=64))),
    ("resnet50", ("bench", lambda: torchvision_model(tvm.resnet50))),
    ("mobilenet_v3_large", ("bench", lambda: torchvision_model(tvm.mobilenet_v3_large))),
    ("efficientnet_b0", ("bench", lambda: torchvision_model(tvm.efficientnet_b0))),
    ("bert_base", ("bench", lambda: make_bert(vocab=30522, hidden=768, layers=12,
                                              heads=12, ffn=3072, seq=128))),
    ("vit_s16", ("bench", vit_model)),
])
# External-data variants that are part of a set by default.
EXT_IN_SET = {"squeezenet1_1": "ci"}


# --------------------------------------------------------------------------
# int8 models: onnxruntime's static quantization of the float models.
# --------------------------------------------------------------------------
# How many seeded calibration samples quantize_static sees: enough for
# stable min/max ranges, few enough that ResNet-50 calibrates in seconds.
CALIBRATION_SAMPLES = 8


class QuantSpec(collections.namedtuple("QuantSpec", "set base format activations")):
    """An int8 model: its float BASE (a key of MODELS), quantize_static's
    quant_format ("QDQ" or "QOperator") and activation type ("QInt8" or
    "QUInt8"). Weights are always per-channel int8."""


# QOperator models quantize only the ops whose QLinear* form issue 17 lists;
# left to itself the tool also writes com.microsoft's QGemm and
# QLinearSoftmax. QDQ models quantize every op the tool knows.
QOPERATOR_OPS = ["Conv", "MatMul", "Add", "Mul", "AveragePool", "GlobalAveragePool",
                 "Concat", "Sigmoid", "MaxPool", "Relu", "Clip"]


QUANT_MODELS = collections.OrderedDict([
    ("resnet18_qdq", QuantSpec("int8", "resnet18", "QDQ", "QInt8")),
    ("resnet18_qdq_u8", QuantSpec("int8", "resnet18", "QDQ", "QUInt8")),
    ("resnet18_qop", QuantSpec("int8", "resnet18", "QOperator", "QUInt8")),
    ("mobilenet_v2_qdq", QuantSpec("int8", "mobilenet_v2", "QDQ", "QInt8")),
    ("efficientnet_b0_qdq", QuantSpec("int8", "efficientnet_b0", "QDQ", "QInt8")),
    ("resnet50_qdq", QuantSpec("int8", "resnet50", "QDQ", "QInt8")),
    ("bert_encoder_qdq", QuantSpec("int8", "bert_encoder", "QDQ", "QInt8")),
    ("bert_encoder_qop", QuantSpec("int8", "bert_encoder", "QOperator", "QUInt8")),
    ("squeezenet1_1_qdq", QuantSpec("bench-int8", "squeezenet1_1", "QDQ", "QInt8")),
    ("mobilenet_v3_large_qdq", QuantSpec("bench-int8", "mobilenet_v3_large", "QDQ", "QInt8")),
])

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)


def image_like(rng, shape):
    """A smooth random picture in [0, 1], normalized like ImageNet inputs.

    Coarse noise upsampled to full size plus a colour gradient and a little
    pixel noise: values and spatial correlation closer to a photograph's
    than white noise, which quantization ranges care about.
    """
    n, c, h, w = shape
    coarse = rng.random((n, c, h // 16 + 1, w // 16 + 1)).astype(np.float32)
    pic = np.repeat(np.repeat(coarse, 16, axis=2), 16, axis=3)[:, :, :h, :w]
    k = np.ones(9, np.float32) / 9  # blur the block edges
    pic = np.apply_along_axis(lambda v: np.convolve(v, k, "same"), 2, pic)
    pic = np.apply_along_axis(lambda v: np.convolve(v, k, "same"), 3, pic)
    ramp = np.linspace(0, 1, w, dtype=np.float32)[None, None, None, :]
    pic = 0.7 * pic + 0.3 * ramp * rng.random((n, c, 1, 1)).astype(np.float32)
    pic += 0.03 * rng.standard_normal(pic.shape).astype(np.float32)
    return ((np.clip(pic, 0, 1) - IMAGENET_MEAN) / IMAGENET_STD).astype(np.float32)


def quant_sample(base_inputs, rng, kind):
    """Inputs shaped like BASE_INPUTS (a [(name, array)] list). Float inputs:
    kind "normal" is seeded N(0, 1) noise, "image" an image-like picture.
    (Uniform random pixels are left out: on them some random-weight networks,
    EfficientNet-B0, MobileNetV3, answer 30 times larger than on the others,
    and calibrating on both leaves the others a handful of output levels.)
    Token ids are seeded at random whatever the kind; "image" pads a quarter
    of the attention mask instead of an eighth."""
    out = []
    for name, a in base_inputs:
        if a.dtype == np.float32:
            if kind == "image":
                v = image_like(rng, a.shape)
            else:
                v = rng.standard_normal(a.shape).astype(np.float32)
        elif name == "attention_mask":
            v = np.ones_like(a)
            pad = a.shape[1] // (4 if kind == "image" else 8)
            v[:, a.shape[1] - pad:] = 0
        else:  # token ids: the float model's vocabulary bounds them
            v = rng.integers(0, int(a.max()) + 1, size=a.shape, dtype=a.dtype)
        out.append((name, v))
    return out


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    den = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / den) if den else float(np.array_equal(a, b))


def export_quantized(name, out_dir):
    """Quantize QUANT_MODELS[name]'s float base into out_dir/name."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    t0 = time.time()
    spec = QUANT_MODELS[name]
    d = os.path.join(out_dir, name)
    tmp = d + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=out_dir) as scratch:
        base_dir = os.path.join(out_dir, spec.base)
        if not files_complete(base_dir):  # a bench model in a CI run: keep it out of OUT
            export_one(spec.base, scratch)
            base_dir = os.path.join(scratch, spec.base)
        with open(os.path.join(base_dir, "meta.json")) as f:
            base_meta = json.load(f)
        base_inputs = [(i["name"], np.load(os.path.join(base_dir, i["file"])))
                       for i in base_meta["inputs"]]

        # Shape inference and onnxruntime's basic graph cleanup, as the
        # quantization tool recommends; no fusions into contrib ops.
        pre = os.path.join(scratch, "pre.onnx")
        quant_pre_process(os.path.join(base_dir, "model.onnx"), pre)

        rng = np.random.default_rng(SEED + 100)
        kinds = ("normal", "image")
        calib = [dict(quant_sample(base_inputs, rng, kinds[k % 2]))
                 for k in range(CALIBRATION_SAMPLES)]

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.it = iter(calib)

            def get_next(self):
                return next(self.it, None)

        model_path = os.path.join(tmp, "model.onnx")
        # The quantization tool logs a warning per tensor it leaves float
        # (int64 shapes, masks); the op counts in meta.json say what it did.
        logging.disable(logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_static(pre, model_path, Reader(),
                            quant_format=getattr(QuantFormat, spec.format),
                            activation_type=getattr(QuantType, spec.activations),
                            weight_type=QuantType.QInt8, per_channel=True,
                            op_types_to_quantize=(QOPERATOR_OPS if spec.format == "QOperator"
                                                  else None))
        logging.disable(logging.NOTSET)
    onnx.checker.check_model(model_path)

    # Sample 0 is the float model's own input (N(0, 1) noise or token ids),
    # then two image-like pictures (other token ids for BERT).
    rng = np.random.default_rng(SEED + 200)
    image_model = any(a.dtype == np.float32 for _, a in base_inputs)
    samples = [("normal" if image_model else "tokens", base_inputs)]
    samples += ([(k, quant_sample(base_inputs, rng, "image")) for k in ("image", "image-2")]
                if image_model else [("tokens-padded", quant_sample(base_inputs, rng, "image"))])
    outs, meta = write_reference(tmp, model_path, samples[0][1], {"model": name},
                                 optimize=True)
    meta["quantization"] = {"base": spec.base, "format": spec.format,
                            "activations": spec.activations, "weights": "QInt8 per-channel",
                            "calibration": f"MinMax over {CALIBRATION_SAMPLES} seeded samples "
                                           "(normal noise and image-like in turn)",
                            "reference": "onnxruntime, default graph optimizations (int8 kernels)"}
    meta["samples"] = []
    spread = []
    for k, (kind, inputs) in enumerate(samples):
        prefix = "" if k == 0 else f"sample{k}_"
        feeds = dict(inputs)
        ref = outs if k == 0 else run_ort(model_path, feeds, optimize=True)
        entry = {"kind": kind, "inputs": [], "expected": [], "emulation": []}
        emul = run_ort(model_path, feeds, optimize=False)
        for i, (iname, arr) in enumerate(inputs):
            fname = f"{prefix}input_{i}.npy"
            if k:
                np.save(os.path.join(tmp, fname), arr)
            entry["inputs"].append(fname)
        for oname, arr in ref.items():
            fname = f"{prefix}expected_{sanitize(oname)}.npy"
            if k:
                np.save(os.path.join(tmp, fname), arr)
            entry["expected"].append(fname)
            # The same graph run as written (Dequantize -> float op ->
            # Quantize): as correct as the int8 kernels, rounded otherwise.
            fname = f"{prefix}emulation_{sanitize(oname)}.npy"
            np.save(os.path.join(tmp, fname), emul[oname])
            entry["emulation"].append(fname)
        spread.append(min(cosine(emul[o], ref[o]) for o in ref))
        meta["samples"].append(entry)
    # How far apart two correct executions of this graph are (the int8
    # kernels and the float emulation): deep random-weight networks amplify
    # one-step rounding differences, some inputs far more than others.
    meta["ort_emulation_vs_int8_min_cosine"] = min(spread)
    meta["export_seconds"] = round(time.time() - t0, 2)
    with open(os.path.join(tmp, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    shutil.rmtree(d, ignore_errors=True)
    os.rename(tmp, d)
    return meta


# --------------------------------------------------------------------------
# Export machinery.
# --------------------------------------------------------------------------
def op_counts(model_proto):
    """Op-type counts over the graph and any subgraphs, 'domain::Op' if not ONNX."""
    counts = collections.Counter()

    def walk(graph):
        for node in graph.node:
            key = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
            counts[key] += 1
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)

    walk(model_proto.graph)
    return dict(sorted(counts.items()))


def run_ort(model_path, feeds, optimize=False):
    """onnxruntime's outputs, {name: array}: with graph optimizations off (as
    written, the reference for float models), or with its default ones
    (OPTIMIZE: for a QDQ model, its int8 kernels)."""
    opts = ort.SessionOptions()
    opts.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize
                                     else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    sess = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


def files_complete(d):
    return (os.path.isfile(os.path.join(d, "model.onnx"))
            and os.path.isfile(os.path.join(d, "meta.json"))
            and glob.glob(os.path.join(d, "input_*.npy"))
            and glob.glob(os.path.join(d, "expected_*.npy")))


def write_reference(d, model_path, inputs, meta_extra, optimize=False):
    """Save inputs, run onnxruntime (graph optimizations off unless
    OPTIMIZE), save expected outputs and meta.json."""
    feeds = {}
    meta_inputs = []
    for i, (name, arr) in enumerate(inputs):
        fname = f"input_{i}.npy"
        np.save(os.path.join(d, fname), arr)
        feeds[name] = arr
        meta_inputs.append({"name": name, "file": fname,
                            "shape": list(arr.shape), "dtype": str(arr.dtype)})
    outs = run_ort(model_path, feeds, optimize)
    meta_outputs = []
    for name, arr in outs.items():
        fname = f"expected_{sanitize(name)}.npy"
        np.save(os.path.join(d, fname), arr)
        meta_outputs.append({"name": name, "file": fname,
                             "shape": list(arr.shape), "dtype": str(arr.dtype)})
    proto = onnx.load(model_path, load_external_data=False)
    meta = {
        "opset": {(o.domain or "ai.onnx"): o.version for o in proto.opset_import},
        "inputs": meta_inputs,
        "outputs": meta_outputs,
        "op_counts": op_counts(proto),
        "num_nodes": len(proto.graph.node),
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__,
                     "onnx": onnx.__version__, "onnxruntime": ort.__version__},
    }
    meta.update(meta_extra)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return outs, meta


def dir_size(d):
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def export_one(name, out_dir):
    """Export MODELS[name] into out_dir/name. Returns (meta, seconds)."""
    t0 = time.time()
    build, make_inputs, output_names = MODELS[name][1]()
    torch.manual_seed(SEED)
    model = build().eval()
    inputs = make_inputs(np.random.default_rng(SEED))

    d = os.path.join(out_dir, name)
    tmp = d + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    model_path = os.path.join(tmp, "model.onnx")
    args = tuple(torch.from_numpy(a) for _, a in inputs)
    # Export with autograd enabled: under no_grad, torch 1.13's
    # nn.MultiheadAttention (used by ViT) takes its "fast path",
    # aten::_native_multi_head_attention, which has no ONNX export.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, model_path,
                          input_names=[n for n, _ in inputs],
                          output_names=output_names,
                          opset_version=OPSET, do_constant_folding=True)
    with torch.no_grad():
        ref = model(*args)
    ref = ref if isinstance(ref, (tuple, list)) else (ref,)
    onnx.checker.check_model(model_path)

    outs, meta = write_reference(tmp, model_path, inputs, {"model": name})
    # Sanity check: onnxruntime agrees with torch.
    max_diff = max(float(np.abs(o - r.numpy()).max()) for o, r in zip(outs.values(), ref))
    scale = max(float(np.abs(r.numpy()).max()) for r in ref)
    if max_diff > 1e-3 * max(scale, 1.0):
        raise RuntimeError(f"onnxruntime differs from torch by {max_diff} (scale {scale})")
    meta["torch_vs_ort_max_abs_diff"] = max_diff
    meta["export_seconds"] = round(time.time() - t0, 2)
    with open(os.path.join(tmp, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    shutil.rmtree(d, ignore_errors=True)
    os.rename(tmp, d)
    return meta


def export_external(name, out_dir):
    """Re-save out_dir/name/model.onnx with external data into out_dir/name_ext."""
    t0 = time.time()
    src = os.path.join(out_dir, name)
    d = src + EXT_SUFFIX
    tmp = d + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    proto = onnx.load(os.path.join(src, "model.onnx"))
    model_path = os.path.join(tmp, "model.onnx")
    onnx.save_model(proto, model_path, save_as_external_data=True,
                    all_tensors_to_one_file=True, location="weights.bin",
                    size_threshold=1024)
    onnx.checker.check_model(model_path)
    os.chmod(os.path.join(tmp, "weights.bin"), 0o644)  # onnx writes it 0600
    with open(os.path.join(src, "meta.json")) as f:
        src_meta = json.load(f)
    inputs = [(i["name"], np.load(os.path.join(src, i["file"]))) for i in src_meta["inputs"]]
    outs, meta = write_reference(tmp, model_path, inputs,
                                 {"model": name + EXT_SUFFIX, "external_data": "weights.bin"})
    for o in src_meta["outputs"]:  # must match the single-file model exactly
        if not np.array_equal(outs[o["name"]], np.load(os.path.join(src, o["file"]))):
            raise RuntimeError(f"external-data model output {o['name']} differs")
    meta["export_seconds"] = round(time.time() - t0, 2)
    with open(os.path.join(tmp, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    shutil.rmtree(d, ignore_errors=True)
    os.rename(tmp, d)
    return meta


def describe(meta, d, skipped):
    ops = meta["op_counts"]
    status = "skip (exists)" if skipped else f"exported in {meta['export_seconds']:.1f}s"
    return (f"{meta['model']}: {status}, {dir_size(d) / 1e6:.1f} MB, opset "
            f"{meta['opset'].get('ai.onnx')}, {meta['num_nodes']} nodes, "
            f"{len(ops)} op types -> {d}")


def main(argv=None):
    all_names = list(MODELS) + [n + EXT_SUFFIX for n in MODELS] + list(QUANT_MODELS)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="export just these (any of: %s)" % ", ".join(all_names))
    p.add_argument("--set", choices=["ci", "bench", "int8", "bench-int8", "all"], default="ci",
                   help="model set when --only is not given (default: ci)")
    p.add_argument("--force", action="store_true", help="re-export existing models")
    p.add_argument("--external-data", action="store_true",
                   help="also write NAME_ext/ (weights in weights.bin) for each model")
    p.add_argument("--list", action="store_true", help="list the models and exit")
    p.add_argument("--ops", action="store_true", help="also print op-type counts")
    args = p.parse_args(argv)

    if args.list:
        for n, (s, _) in MODELS.items():
            print(f"{n}\t{s}" + ("\t(+%s%s)" % (n, EXT_SUFFIX) if EXT_IN_SET.get(n) else ""))
        for n, q in QUANT_MODELS.items():
            print(f"{n}\t{q.set}\t({q.format}, {q.activations} activations, from {q.base})")
        return 0

    if args.only:
        unknown = [n for n in args.only if n not in all_names]
        if unknown:
            p.error(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(all_names)}")
        wanted = list(args.only)
    else:
        wanted = [n for n, (s, _) in MODELS.items() if args.set in (s, "all")]
        wanted += [n + EXT_SUFFIX for n, s in EXT_IN_SET.items()
                   if args.set in (s, "all")]
        wanted += [n for n, q in QUANT_MODELS.items() if args.set in (q.set, "all")]
    if args.external_data:
        wanted += [n + EXT_SUFFIX for n in wanted
                   if not n.endswith(EXT_SUFFIX) and n not in QUANT_MODELS]
    wanted = list(dict.fromkeys(wanted))  # dedupe, keep order

    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    failed = []
    done = set()
    for name in wanted:
        base = name[:-len(EXT_SUFFIX)] if name.endswith(EXT_SUFFIX) else name
        jobs = [base, name] if base != name else [name]
        for job in jobs:
            if job in done:
                continue
            done.add(job)
            d = os.path.join(args.out, job)
            # A base model exported as a prerequisite of NAME_ext is not forced.
            force = args.force and job in wanted
            try:
                if files_complete(d) and not force:
                    with open(os.path.join(d, "meta.json")) as f:
                        meta = json.load(f)
                    skipped = True
                else:
                    if job in QUANT_MODELS:
                        meta = export_quantized(job, args.out)
                    elif job != base:
                        meta = export_external(base, args.out)
                    else:
                        meta = export_one(job, args.out)
                    skipped = False
                print(describe(meta, d, skipped), flush=True)
                if args.ops:
                    print("  ops: " + ", ".join(f"{k}={v}" for k, v in meta["op_counts"].items()),
                          flush=True)
            except Exception as e:  # keep going; report at the end
                print(f"{job}: FAILED: {type(e).__name__}: {e}", flush=True)
                shutil.rmtree(os.path.join(args.out, job + ".tmp"), ignore_errors=True)
                failed.append(job)
                break  # an _ext job needs its base
    if failed:
        print(f"export failed for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
