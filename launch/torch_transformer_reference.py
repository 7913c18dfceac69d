#!/usr/bin/env python3
"""PyTorch's side of examples/sequence-lookup-transformer.yaml, for the README's comparison.

The same model as Lockstep's `transformer` (Embedding(23, 32), a [CLS] token, sinusoidal
positions, 2 pre-norm nn.TransformerEncoderLayer blocks (4 heads, GELU, feed-forward 128,
dropout 0) and a final LayerNorm, the [CLS] state into Linear(32, 8)), the same shards (read
with h5py), global batch (64 = 2 ranks × 32), optimizer (Adam, lr 0.003) and epochs (12),
trained in one process on one thread; prints the test accuracy after each epoch.
    python3 launch/torch_transformer_reference.py [SEED] [--data data]
Needs torch, h5py and numpy (`pip install torch h5py numpy`); Lockstep itself never does.
"""
import argparse
import json
import math
import os
import time

import h5py
import numpy as np
import torch
import torch.nn as nn


def split(data, name):
    """A split's token ids and labels, from its manifest and shards."""
    manifest = json.load(open(os.path.join(data, f"{name}.manifest.json")))
    xs, ys = [], []
    for shard in manifest["shards"]:
        with h5py.File(os.path.join(data, shard["file"])) as f:
            xs.append(f[manifest["input_dataset"]][()])
            ys.append(f["labels"][()])
    return torch.tensor(np.concatenate(xs)).long(), torch.tensor(np.concatenate(ys)).long()


class Lookup(nn.Module):
    def __init__(self, vocabulary, d, heads, layers, classes, steps):
        super().__init__()
        self.embed = nn.Embedding(vocabulary, d)
        self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        t = torch.arange(steps + 1).unsqueeze(1)
        i = torch.arange(d).unsqueeze(0)
        angle = t / torch.pow(10000.0, (i - i % 2) / d)
        self.register_buffer("pos", torch.where(i % 2 == 0, torch.sin(angle), torch.cos(angle)))
        block = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, layers, norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.fc = nn.Linear(d, classes)

    def forward(self, x):
        x = self.embed(x)
        x = torch.cat([self.cls.expand(x.shape[0], 1, -1), x], 1) + self.pos
        return self.fc(self.encoder(x)[:, 0])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("seed", nargs="?", type=int, default=1)
    p.add_argument("--data", default="data")
    p.add_argument("--epochs", type=int, default=12)
    a = p.parse_args()
    xtr, ytr = split(a.data, "lookup-train")
    xte, yte = split(a.data, "lookup-test")
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    classes = int(max(ytr.max(), yte.max())) + 1
    model = Lookup(classes + xtr.shape[1] - 1, 32, 4, 2, classes, xtr.shape[1])  # the task's vocabulary
    loss = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=0.003)
    start = time.time()
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr) - 63, 64):
            b = order[i:i + 64]
            opt.zero_grad()
            loss(model(xtr[b]), ytr[b]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1} test accuracy {100 * acc:.2f}% ({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
