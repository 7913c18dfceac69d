"""The case writer of make_sequence_fixtures.py and make_decoder_fixtures.py: one HDF5 group
per case, holding a module's input x, output y, a random upstream gradient gy, the input
gradient gx (when x is differentiable), and each parameter P with its gradient grad_P, stored
under Lockstep's name for it (PyTorch's less the wrapper prefix `strip`). Parameters are drawn
N(0, 0.5²) first, not left at their defaults, so every gradient is tested."""
import h5py
import numpy as np
import torch


def put(group, name, t):
    group.create_dataset(name, data=t.detach().cpu().numpy().astype(np.float32))


class Cases:
    def __init__(self, path):
        self.out = h5py.File(path, "w")

    def case(self, name, module, x, differentiable=True, strip="rnn.", gy=None, datasets=None, **attrs):
        """`datasets`: more tensors the case needs (e.g. `lengths` of padded sequences)."""
        g = self.out.create_group(name)
        for k, v in (datasets or {}).items():
            put(g, k, v)
        for k, v in attrs.items():
            g.attrs[k] = v
        with torch.no_grad():
            for p in module.parameters():
                p.copy_(torch.randn_like(p) * 0.5)
        for pname, p in module.named_parameters():
            put(g, pname.removeprefix(strip), p)
        if differentiable:
            x = x.clone().requires_grad_(True)
        y = module(x)
        gy = torch.randn_like(y) if gy is None else gy
        y.backward(gy)
        put(g, "x", x)
        put(g, "y", y)
        put(g, "gy", gy)
        if differentiable:
            put(g, "gx", x.grad)
        for pname, p in module.named_parameters():
            put(g, "grad_" + pname.removeprefix(strip), p.grad)

    def close(self):
        self.out.close()
