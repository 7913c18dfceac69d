#!/usr/bin/env python3
"""Writes export_reference.json: what torchvision and keras.applications themselves expect of a
weights file, for the export tests to compare Lockstep's exports with.

- "torchvision": for resnet18, resnet34, resnet50, vgg11, vgg11_bn, vgg16, vgg16_bn (1000
  classes): every entry of `model.state_dict()` in order, as [name, shape, dtype].
- "keras": for keras.applications VGG16 and ResNet50 (weights=None, 224×224×3, 1000 classes):
  the layers with weights in `model.layers` order (the order `load_weights` reads an HDF5 file
  in), as [layer name, [weight names], [shapes]].

Needs torch, torchvision and keras (any backend); Lockstep's tests need only the JSON.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras
import torch
import torchvision

out = {"versions": {"torch": torch.__version__, "torchvision": torchvision.__version__, "keras": keras.__version__}, "torchvision": {}, "keras": {}}
for name in ["resnet18", "resnet34", "resnet50", "vgg11", "vgg11_bn", "vgg16", "vgg16_bn"]:
    model = getattr(torchvision.models, name)()
    out["torchvision"][name] = [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in model.state_dict().items()]
for name, make in [("VGG16", keras.applications.VGG16), ("ResNet50", keras.applications.ResNet50)]:
    model = make(weights=None)
    out["keras"][name] = [[layer.name, [w.path.split("/")[-1] for w in layer.weights], [list(w.shape) for w in layer.weights]]
                          for layer in model.layers if layer.weights]
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "export_reference.json"), "w") as f:
    json.dump(out, f, indent=0)
