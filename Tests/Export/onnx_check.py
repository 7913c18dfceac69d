#!/usr/bin/env python3
"""Runs an exported ONNX model in ONNX Runtime on a Lockstep dataset and compares its outputs
with `lockstep predict --logits`: the inputs are read from the shards and preprocessed as the
model's metadata says (what a user serving the model would do).

    onnx_check.py MODEL.onnx MANIFEST.json LOGITS.h5 [--rtol 1e-4]

Prints the worst difference relative to the outputs' magnitude (max |a - b| / max |b|, over all
outputs) and the inputs per second of ONNX Runtime; exits 1 when it exceeds --rtol. Needs onnx, onnxruntime, numpy, h5py
(tests only: Lockstep never needs Python).
"""
import argparse, json, os, sys, time

import h5py
import numpy as np
import onnx
import onnxruntime as ort


def floats(text):
    return np.array(json.loads(text), dtype=np.float32)


def inputs(manifest_path, meta):
    m = json.load(open(manifest_path))
    folder = os.path.dirname(manifest_path)
    x = np.concatenate([h5py.File(os.path.join(folder, s["file"]))[m.get("input_dataset", "images")][:] for s in m["shards"]])
    if m.get("layout") == "NHWC" and x.ndim == 4:
        x = x.transpose(0, 3, 1, 2)
    scale = meta["preprocess.scale"]
    scale = (1 / 255 if x.dtype == np.uint8 else 1.0) if scale == "auto" else float(scale)
    shape = (1, -1) + (1,) * (x.ndim - 2) if x.ndim == 4 else (1,)
    x = (x.astype(np.float32) * np.float32(scale) - floats(meta["preprocess.mean"]).reshape(shape)) / floats(meta["preprocess.std"]).reshape(shape)
    if "preprocess.transform.mean" in meta:
        if meta["preprocess.transform.reverse_channels"] == "true":
            x = x[:, ::-1]
        x = (x - floats(meta["preprocess.transform.mean"]).reshape(shape)) / floats(meta["preprocess.transform.std"]).reshape(shape)
    return np.ascontiguousarray(x, dtype=np.float32)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model"); p.add_argument("manifest"); p.add_argument("logits")
    p.add_argument("--rtol", type=float, default=1e-4)
    a = p.parse_args()
    model = onnx.load(a.model)
    onnx.checker.check_model(model, full_check=True)
    meta = {e.key: e.value for e in model.metadata_props}
    x = inputs(a.manifest, meta)
    session = ort.InferenceSession(a.model, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    start = time.perf_counter()
    y = np.concatenate([session.run(None, {name: x[i:i + 64]})[0] for i in range(0, len(x), 64)])
    seconds = time.perf_counter() - start
    expected = h5py.File(a.logits)["logits"][:]
    y = y.reshape(len(y), -1)
    if y.shape != expected.shape:
        print(f"onnx_check: {a.model}: ONNX Runtime gave {y.shape}, lockstep predict {expected.shape}"); sys.exit(1)
    worst = float(np.max(np.abs(y - expected)) / max(float(np.max(np.abs(expected))), 1e-30))
    print(f"onnx_check: {os.path.basename(a.model)}: {len(x)} inputs, worst relative difference {worst:.2e} (limit {a.rtol:g}); "
          f"ONNX Runtime {len(x) / seconds:.0f} inputs/s")
    sys.exit(0 if worst <= a.rtol else 1)


main()
