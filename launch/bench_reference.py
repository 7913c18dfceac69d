#!/usr/bin/env python3
"""PyTorch (and h5py) side of Lockstep's benchmark suite, for launch/bench-compare.

Runs the same workloads as `lockstep bench` (Sources/LockstepBench/Workload.swift): same
models, batch sizes, optimizers, warm-up and timed steps, the same data slicing, and prints
one JSON object per run with the same keys. Lockstep itself never needs Python; this script
needs torch and torchvision (W1-W4, W8-W10), numpy, and h5py (W6).

    python3 launch/bench_reference.py W1 --threads 1 --json
    torchrun --nproc_per_node 2 launch/bench_reference.py W3 --threads 1 --json   # DDP over gloo
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import tempfile
import time

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"


def read_idx(directory, base):
    path = os.path.join(directory, base + ".gz")
    opener = gzip.open if os.path.exists(path) else open
    with opener(path if os.path.exists(path) else os.path.join(directory, base), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def build(workload):
    """(model, per-sample input shape or None for Fashion-MNIST, batch, optimizer factory, warm-up, steps)."""
    import torch
    from torch import nn
    if workload == "W1":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
        return model, None, 128, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9), 20, 200
    if workload == "W2":
        model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                              nn.Linear(84, 10))
        return model, None, 128, lambda ps: torch.optim.Adam(ps, lr=1e-3), 10, 100
    if workload == "W3":
        from torchvision.models import resnet18
        model = resnet18(num_classes=10)
        model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        model.maxpool = nn.Identity()
        return model, (3, 32, 32), 32, lambda ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9), 3, 10
    if workload in ("W4", "W4-frozen"):
        from torchvision.models import vgg16
        model = vgg16()
        model.classifier[6] = nn.Linear(4096, 10)
        if workload == "W4-frozen":
            for p in model.features.parameters():
                p.requires_grad_(False)
        return model, (3, 64, 64), 8, lambda ps: torch.optim.SGD(ps, lr=0.001, momentum=0.9), 2, 5
    if workload == "W8":
        class RowLSTM(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn, self.fc = nn.LSTM(28, 128, batch_first=True), nn.Linear(128, 10)

            def forward(self, x):
                return self.fc(self.rnn(x.squeeze(1))[0][:, -1])
        return RowLSTM(), None, 128, lambda ps: torch.optim.Adam(ps, lr=2e-3), 5, 40
    if workload == "W9":
        class Encoder(nn.Module):
            def __init__(self, features=16, d=64, steps=32):
                super().__init__()
                self.embed, self.cls = nn.Linear(features, d), nn.Parameter(torch.randn(1, 1, d) * 0.02)
                t, i = torch.arange(steps + 1).unsqueeze(1), torch.arange(d).unsqueeze(0)
                angle = t / torch.pow(10000.0, (i - i % 2) / d)
                self.register_buffer("pos", torch.where(i % 2 == 0, torch.sin(angle), torch.cos(angle)))
                block = nn.TransformerEncoderLayer(d, 4, 4 * d, dropout=0.1, activation="gelu", batch_first=True, norm_first=True)
                self.encoder = nn.TransformerEncoder(block, 2, norm=nn.LayerNorm(d), enable_nested_tensor=False)
                self.fc = nn.Linear(d, 10)

            def forward(self, x):
                x = self.embed(x)
                x = torch.cat([self.cls.expand(x.shape[0], 1, -1), x], 1) + self.pos
                return self.fc(self.encoder(x)[:, 0])
        return Encoder(), (32, 16), 64, lambda ps: torch.optim.Adam(ps, lr=1e-3), 5, 40
    raise SystemExit(f"unknown training workload {workload}")


def train_workload(a):
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    torch.set_num_threads(a.threads)
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("gloo")
    torch.manual_seed(0)
    model, shape, batch, make_optimizer, warmup, steps = build(a.workload)
    if a.steps:
        steps = a.steps
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad])
    if shape is None:
        x_all = torch.from_numpy(read_idx(a.data, "train-images-idx3-ubyte").astype(np.float32) / 255).unsqueeze(1)
        y_all = torch.from_numpy(read_idx(a.data, "train-labels-idx1-ubyte").astype(np.int64))
    else:
        x_all, y_all = torch.randn(batch * 4, *shape), torch.randint(0, 10, (batch * 4,))
    n = x_all.shape[0]
    model.train()

    def step(i):
        j = ((i * world + rank) * batch) % (n - batch)
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x_all[j:j + batch]), y_all[j:j + batch]).backward()
        optimizer.step()

    for i in range(warmup):
        step(i)
    rates = []
    for r in range(a.repeats):
        if world > 1:
            dist.barrier()
        start = time.perf_counter()
        for i in range(steps):
            step(warmup + r * steps + i)
        elapsed = torch.tensor([time.perf_counter() - start], dtype=torch.float64)
        if world > 1:
            dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
        rates.append(steps * batch * world / float(elapsed))
    rss = torch.tensor([float(peak_rss())], dtype=torch.float64)
    if world > 1:
        dist.all_reduce(rss, op=dist.ReduceOp.MAX)
        dist.destroy_process_group()
    return rank, {"workload": a.workload, "framework": f"pytorch-{torch.__version__}", "ranks": world, "threads": a.threads,
                  "batch": batch, "samples_per_sec": statistics.median(rates), "samples_per_sec_all": rates,
                  "peak_rss_bytes": int(rss)}


def train_end_to_end(a):
    """W10: the same recipes as `lockstep bench W10` (W1's MLP with SGD, W2's LeNet-5 with Adam;
    batch 128 per rank, 2 epochs, normalized by Fashion-MNIST's mean and std, a reshuffle each
    epoch, rank r taking the r-th slice of every global batch, the test set evaluated after
    each epoch), trained from tensors in memory with no DataLoader. The time runs from reading
    the IDX files to the last evaluation, on the slowest rank."""
    import torch
    import torch.distributed as dist
    import torch.nn.functional as F
    torch.set_num_threads(a.threads)
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    if world > 1:
        dist.init_process_group("gloo")
    results = []
    for name, workload in (("mlp", "W1"), ("lenet", "W2")):
        if world > 1:
            dist.barrier()
        start = time.perf_counter()

        def tensors(prefix):
            x = torch.from_numpy((read_idx(a.data, prefix + "-images-idx3-ubyte").astype(np.float32) / 255 - 0.2860) / 0.3530)
            return x.unsqueeze(1), torch.from_numpy(read_idx(a.data, prefix + "-labels-idx1-ubyte").astype(np.int64))
        (x, y), (xt, yt) = tensors("train"), tensors("t10k")
        torch.manual_seed(1)
        model, _, batch, make_optimizer, _, _ = build(workload)
        if world > 1:
            model = torch.nn.parallel.DistributedDataParallel(model)
        optimizer = make_optimizer(model.parameters())
        epochs, steps = 2, x.shape[0] // (batch * world)
        for epoch in range(epochs):
            model.train()
            order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(1000 + epoch))
            for s in range(steps):
                idx = order[(s * world + rank) * batch:(s * world + rank + 1) * batch]
                optimizer.zero_grad(set_to_none=True)
                F.cross_entropy(model(x[idx]), y[idx]).backward()
                optimizer.step()
            model.eval()
            lo, hi = rank * xt.shape[0] // world, (rank + 1) * xt.shape[0] // world
            with torch.no_grad():
                correct = sum(int((model(xt[i:min(i + 256, hi)]).argmax(1) == yt[i:min(i + 256, hi)]).sum()) for i in range(lo, hi, 256))
            correct = torch.tensor([float(correct)], dtype=torch.float64)
            if world > 1:
                dist.all_reduce(correct)
        elapsed = torch.tensor([time.perf_counter() - start], dtype=torch.float64)
        rss = torch.tensor([float(peak_rss())], dtype=torch.float64)
        if world > 1:
            dist.all_reduce(elapsed, op=dist.ReduceOp.MAX)
            dist.all_reduce(rss, op=dist.ReduceOp.MAX)
        rate = epochs * steps * batch * world / float(elapsed)
        results.append({"workload": f"W10-{name}", "framework": f"pytorch-{torch.__version__}", "ranks": world, "threads": a.threads,
                        "batch": batch, "samples_per_sec": rate, "samples_per_sec_all": [rate], "peak_rss_bytes": int(rss),
                        "wall_s": float(elapsed), "test_accuracy": float(correct) / xt.shape[0]})
    if world > 1:
        dist.destroy_process_group()
    return rank, results


def hdf5_workload(a):
    """W6 with h5py: the same file layout as Lockstep's (uint8 [N, 28, 28, 1], 256 samples per
    chunk), random sorted batches of 128 and sequential batches, converted to float32 / 255."""
    import h5py
    path = os.path.join(a.scratch or tempfile.gettempdir(), "w6-h5py.h5")
    if not os.path.exists(path):
        images = read_idx(a.data, "train-images-idx3-ubyte")
        with h5py.File(path + ".tmp", "w") as f:
            f.create_dataset("images", data=images[..., None], chunks=(256, 28, 28, 1))
        os.replace(path + ".tmp", path)
    rng, batch = np.random.default_rng(0), 128
    with h5py.File(path, "r") as f:
        d = f["images"]
        n = d.shape[0]

        def timed(batches):
            start = time.perf_counter()
            for idx in batches:
                _ = d[idx].astype(np.float32) / 255
            return len(batches) * batch / (time.perf_counter() - start)

        def random_batches(count):
            return [np.sort(rng.choice(n, batch, replace=False)) for _ in range(count)]

        timed(random_batches(10))
        random, sequential = [], []
        for _ in range(a.repeats):
            random.append(timed(random_batches(a.steps or 200)))
            sequential.append(timed([slice(s, s + batch) for s in range(0, n - batch + 1, batch)]))
    import h5py as h
    return 0, {"workload": "W6", "framework": f"h5py-{h.__version__}", "ranks": 1, "threads": 1, "batch": batch,
               "samples_per_sec": statistics.median(random), "samples_per_sec_all": random,
               "sequential_samples_per_sec": statistics.median(sequential), "peak_rss_bytes": peak_rss()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workload", choices=["W1", "W2", "W3", "W4", "W4-frozen", "W6", "W8", "W9", "W10"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=0, help="timed steps per repeat (default: the workload's)")
    p.add_argument("--data", default=FASHION)
    p.add_argument("--scratch", default=None)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    run = {"W6": hdf5_workload, "W10": train_end_to_end}.get(a.workload, train_workload)
    rank, results = run(a)
    if rank == 0:
        for result in results if isinstance(results, list) else [results]:
            print(json.dumps(result) if a.json else result, flush=True)


if __name__ == "__main__":
    main()
