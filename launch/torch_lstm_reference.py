#!/usr/bin/env python3
"""PyTorch's side of examples/fashion-mnist-lstm.yaml, for the README's comparison.

The same model (nn.LSTM(28, 128, batch_first=True) over the 28 rows of each image, its last
hidden state into nn.Linear(128, 10)), the same normalization ((x/255 − 0.2860)/0.3530), global
batch (128 = 2 ranks × 64), optimizer (Adam, lr 0.002) and epochs (3), trained in one process
on one thread from in-memory tensors; prints the test accuracy after each epoch.
    python3 launch/torch_lstm_reference.py [SEED] [--source /usr/share/datasets/fashion-mnist]
Needs torch and numpy (`pip install torch numpy`); Lockstep itself never does.
"""
import argparse
import time

import numpy as np
import torch
import torch.nn as nn

from reference_data import load


class RowLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(28, 128, batch_first=True)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("seed", nargs="?", type=int, default=42)
    p.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=3)
    a = p.parse_args()
    norm = lambda x: torch.tensor((x.astype(np.float32) / 255 - 0.2860) / 0.3530)
    xtr, xte = norm(load(a.source, "train-images")), norm(load(a.source, "t10k-images"))
    ytr = torch.tensor(load(a.source, "train-labels").astype(np.int64))
    yte = torch.tensor(load(a.source, "t10k-labels").astype(np.int64))
    torch.manual_seed(a.seed)
    torch.set_num_threads(1)
    model, loss = RowLSTM(), nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=0.002)
    start = time.time()
    for epoch in range(a.epochs):
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr) - 127, 128):
            b = order[i:i + 128]
            opt.zero_grad()
            loss(model(xtr[b]), ytr[b]).backward()
            opt.step()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1} test accuracy {100 * acc:.2f}% ({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
