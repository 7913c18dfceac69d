#!/usr/bin/env python3
"""PyTorch's side of examples/fashion-mnist-autoencoder.yaml, for the README's comparison.

The same model (Conv2d(1,16,3,2,1) ReLU Conv2d(16,32,3,2,1) ReLU Flatten Linear(1568,32);
Linear(32,1568) ReLU Unflatten ConvTranspose2d(32,16,3,2,1,1) ReLU ConvTranspose2d(16,1,3,2,1,1)
Sigmoid), the same inputs (x/255), loss (nn.BCELoss against the input), global batch (128 =
2 ranks × 64), optimizer (Adam, lr 0.002) and epochs (5), trained in one process on one thread
from in-memory tensors; prints the test reconstruction loss after each epoch.
    python3 launch/torch_autoencoder_reference.py [SEED] [--source /usr/share/datasets/fashion-mnist]
Needs torch and numpy (`pip install torch numpy`); Lockstep itself never does.
"""
import argparse
import time

import numpy as np
import torch
import torch.nn as nn

from reference_data import load


def autoencoder():
    encoder = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(), nn.Flatten(),
                            nn.Linear(32 * 7 * 7, 32))
    decoder = nn.Sequential(nn.Linear(32, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
                            nn.ConvTranspose2d(32, 16, 3, 2, 1, 1), nn.ReLU(), nn.ConvTranspose2d(16, 1, 3, 2, 1, 1), nn.Sigmoid())
    return nn.Sequential(encoder, decoder)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("seed", nargs="?", type=int, default=42)
    p.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=5)
    a = p.parse_args()
    scale = lambda x: torch.tensor(x.astype(np.float32) / 255).unsqueeze(1)
    xtr, xte = scale(load(a.source, "train-images")), scale(load(a.source, "t10k-images"))
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    model, loss = autoencoder(), nn.BCELoss()
    opt = torch.optim.Adam(model.parameters(), lr=0.002)
    start = time.time()
    for epoch in range(a.epochs):
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr) - 127, 128):
            b = xtr[order[i:i + 128]]
            opt.zero_grad()
            loss(model(b), b).backward()
            opt.step()
        with torch.no_grad():
            test = sum(loss(model(xte[i:i + 1000]), xte[i:i + 1000]).item() for i in range(0, len(xte), 1000)) / (len(xte) // 1000)
        print(f"epoch {epoch + 1} test loss {test:.4f} ({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
