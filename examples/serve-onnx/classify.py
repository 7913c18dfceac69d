#!/usr/bin/env python3
"""Classifies images with a model `lockstep export --format onnx` wrote, in ONNX Runtime: no
Lockstep needed. The model's metadata says what its input must be (channels and size, the
normalization the recipe trained with) and names the classes.

    pip install onnxruntime numpy pillow
    python3 classify.py MODEL.onnx IMAGE_OR_FOLDER... [--batch 64]

Prints a CSV (file, class, probability) and, on stderr, the images per second, with decoding
and of ONNX Runtime alone.
Images are brought to the model's size as `lockstep predict --fit crop` does: scaled to cover
it (bilinear), then the centre cut out.
"""
import argparse, json, os, sys, time

import numpy as np
import onnxruntime as ort
from PIL import Image


def files(paths):
    for path in paths:
        if os.path.isdir(path):
            for folder, dirs, names in sorted(os.walk(path)):
                dirs.sort()
                yield from (os.path.join(folder, n) for n in sorted(names) if n.lower().endswith((".jpg", ".jpeg", ".png")))
        else:
            yield path


def load(path, channels, height, width, meta):
    image = Image.open(path).convert("L" if channels == 1 else "RGB")
    scale = max(height / image.height, width / image.width)
    w, h = max(width, round(image.width * scale)), max(height, round(image.height * scale))
    image = image.resize((w, h), Image.BILINEAR)
    left, top = (w - width) // 2, (h - height) // 2
    x = np.asarray(image.crop((left, top, left + width, top + height)), dtype=np.float32).reshape(height, width, channels)
    x = x.transpose(2, 0, 1) * (1 / 255 if meta["preprocess.scale"] == "auto" else float(meta["preprocess.scale"]))
    per_channel = lambda key: np.array(json.loads(meta[key]), dtype=np.float32).reshape(-1, 1, 1)
    x = (x - per_channel("preprocess.mean")) / per_channel("preprocess.std")
    if "preprocess.transform.mean" in meta:
        if meta["preprocess.transform.reverse_channels"] == "true":
            x = x[::-1]
        x = (x - per_channel("preprocess.transform.mean")) / per_channel("preprocess.transform.std")
    return x


def main():
    p = argparse.ArgumentParser(description="Classify images with a Lockstep model exported to ONNX.")
    p.add_argument("model"); p.add_argument("images", nargs="+")
    p.add_argument("--batch", type=int, default=64)
    a = p.parse_args()
    session = ort.InferenceSession(a.model, providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    channels, height, width = (int(v) for v in meta["input.shape"].split("x"))
    classes = meta["class_names"].split("\n")
    paths = list(files(a.images))
    begin = time.perf_counter()
    x = np.stack([load(f, channels, height, width, meta) for f in paths])
    start = time.perf_counter()
    logits = np.concatenate([session.run(None, {session.get_inputs()[0].name: x[i:i + a.batch]})[0] for i in range(0, len(x), a.batch)])
    seconds = time.perf_counter() - start
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    print("file,class,probability")
    for path, row in zip(paths, probabilities):
        print(f"{path},{classes[int(row.argmax())]},{row.max():.6f}")
    total = time.perf_counter() - begin
    print(f"classified {len(paths)} images in {total:.2f} s ({len(paths) / total:.0f} images/s with decoding; "
          f"ONNX Runtime alone {len(paths) / seconds:.0f} images/s)", file=sys.stderr)


main()
