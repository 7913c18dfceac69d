"""Fashion-MNIST for the PyTorch reference scripts (launch/torch_*_reference.py): the IDX files
of the dataset-fashion-mnist package, gzipped or not, as numpy arrays."""
import gzip
import os

import numpy as np


def idx(path):
    """An IDX file (gzipped or not) as a numpy array."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(source, stem):
    """The file of `source` whose name starts with `stem` (train-images, t10k-labels, …)."""
    name = next(f for f in sorted(os.listdir(source)) if f.startswith(stem))
    return idx(os.path.join(source, name))
