#!/usr/bin/env python3
"""Checks Lockstep's exports of full-size models in the runtimes users load them in:

- torchvision: a randomly initialized model (random BatchNorm statistics too) saved as
  safetensors is exported by `lockstep export` as safetensors and ONNX; torchvision's
  `load_state_dict(strict=True)` must take the safetensors export with every tensor equal, and
  ONNX Runtime must give torchvision's outputs on the same input (ImageNet size).
- Keras: keras.applications' VGG16 and ResNet50 (random weights) saved as .h5 are exported as
  Keras .h5 and ONNX; `keras.applications.X(weights=None).load_weights` must take the Keras
  export with every weight equal, and ONNX Runtime must give Keras's outputs.

    runtime_check.py LOCKSTEP_BINARY WORK_DIR [--models resnet18,vgg16,...]

Needs torch, torchvision, keras (torch backend), onnxruntime, numpy: too large for CI, so
launch/test checks the exports against files those runtimes made (Tests/Fixtures) instead.
"""
import argparse, os, subprocess, sys

os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np
import onnxruntime as ort
import torch
import torchvision
from safetensors.torch import load_file, save_file

RECIPE = """name: runtime-check
model:
  name: {model}
data:
  train: absent.manifest.json
training:
  batch_per_rank: 1
"""


def lockstep(binary, work, model, weights, fmt, out):
    recipe = os.path.join(work, f"{model}.yaml")
    open(recipe, "w").write(RECIPE.format(model=model))
    subprocess.run([binary, "export", recipe, "--weights", weights, "--format", fmt, "--out", out,
                    "--input-shape", "3x224x224", "--classes", "1000"], check=True, stdout=subprocess.DEVNULL)


def onnx_outputs(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def relative(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def check_torchvision(binary, work, name, x):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)().eval()
    for m in model.modules():  # statistics other than 0 and 1, so the export must carry them
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1); m.running_var.uniform_(0.5, 1.5); m.num_batches_tracked.fill_(7)
    source = os.path.join(work, f"{name}.safetensors")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, source)
    exported, onnx_file = os.path.join(work, f"{name}-out.safetensors"), os.path.join(work, f"{name}.onnx")
    lockstep(binary, work, name, source, "safetensors", exported)
    lockstep(binary, work, name, source, "onnx", onnx_file)
    fresh = getattr(torchvision.models, name)().eval()
    fresh.load_state_dict(load_file(exported), strict=True)
    same = all(torch.equal(a, b) for (k, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items())
               if not k.endswith("num_batches_tracked"))
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    diff = relative(onnx_outputs(onnx_file, x), expected)
    print(f"torchvision {name}: load_state_dict(strict=True) took the export, tensors equal: {same}; "
          f"ONNX Runtime vs torchvision: {diff:.2e}")
    return same and diff <= 1e-4


def check_keras(binary, work, name, x):
    import keras
    keras.utils.set_random_seed(0)
    make = getattr(keras.applications, name)
    model = make(weights=None)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(np.random.uniform(-0.1, 0.1, layer.moving_mean.shape).astype("float32"))
            layer.moving_variance.assign(np.random.uniform(0.5, 1.5, layer.moving_variance.shape).astype("float32"))
    source = os.path.join(work, f"keras-{name}.h5")
    model.save(source)
    ours = {"VGG16": "vgg16", "ResNet50": "resnet50-keras"}[name]
    exported, onnx_file = os.path.join(work, f"keras-{name}-out.h5"), os.path.join(work, f"keras-{name}.onnx")
    lockstep(binary, work, ours, source, "keras", exported)
    lockstep(binary, work, ours, source, "onnx", onnx_file)
    fresh = make(weights=None)
    fresh.load_weights(exported)
    same = all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(model.weights, fresh.weights))
    expected = np.asarray(model.predict(x.transpose(0, 2, 3, 1), verbose=0))
    # Keras's top ends in a softmax; Lockstep's graph gives logits.
    logits = onnx_outputs(onnx_file, x)
    probabilities = np.exp(logits - logits.max(1, keepdims=True)); probabilities /= probabilities.sum(1, keepdims=True)
    diff = relative(probabilities, expected)
    print(f"keras {name}: load_weights took the export, weights equal: {same}; ONNX Runtime vs Keras (softmax): {diff:.2e}")
    return same and diff <= 1e-4


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary"); p.add_argument("work")
    p.add_argument("--models", default="resnet18,resnet34,resnet50,vgg11,vgg11_bn,vgg16,vgg16_bn,VGG16,ResNet50")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    x = np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype("float32")
    ok = True
    for name in a.models.split(","):
        ok &= (check_keras if name[0].isupper() else check_torchvision)(a.binary, a.work, name, x)
    sys.exit(0 if ok else 1)


main()
