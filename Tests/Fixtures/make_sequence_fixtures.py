"""Reference tensors computed by PyTorch for Lockstep's sequence layers (issue: sequence
models). Writes torch_sequence.h5 in the layout of torch_layers.h5 (make_torch_fixtures.py):
one group per case, attributes for the settings, datasets x, y, gy (seeded upstream
gradient), gx (input gradient, absent for token ids) and, per parameter P (torch names),
P and grad_P. Parameters are drawn at random (not the defaults), so every gradient is tested.
Regenerate: python3 make_sequence_fixtures.py  (needs torch, h5py)
"""
import h5py
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_num_threads(1)
out = h5py.File("torch_sequence.h5", "w")


def put(g, name, t):
    g.create_dataset(name, data=t.detach().cpu().numpy().astype(np.float32))


def case(name, module, x, differentiable=True, **attrs):
    g = out.create_group(name)
    for k, v in attrs.items():
        g.attrs[k] = v
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    for pname, p in module.named_parameters():
        put(g, pname.rsplit(".", 1)[-1], p)
    if differentiable:
        x = x.clone().requires_grad_(True)
    y = module(x)
    gy = torch.randn_like(y)
    y.backward(gy)
    put(g, "x", x)
    put(g, "y", y)
    put(g, "gy", gy)
    if differentiable:
        put(g, "gx", x.grad)
    for pname, p in module.named_parameters():
        put(g, "grad_" + pname.rsplit(".", 1)[-1], p.grad)


case("layernorm", nn.LayerNorm(6), torch.randn(2, 3, 6) * 2 + 1, features=6)
case("layernorm_2d", nn.LayerNorm(5, eps=1e-3), torch.randn(4, 5), features=5, eps=1e-3)
ids = torch.tensor([[1, 4, 4, 0, 6], [6, 2, 1, 1, 3]])
case("embedding", nn.Embedding(7, 3), ids, differentiable=False, vocabulary=7, dimension=3)


class Recurrent(nn.Module):
    """A batch-first recurrent layer returning its whole output sequence or the last step."""

    def __init__(self, rnn, last):
        super().__init__()
        self.rnn, self.last = rnn, last

    def forward(self, x):
        y, _ = self.rnn(x)
        return y[:, -1] if self.last else y


case("lstm_sequence", Recurrent(nn.LSTM(5, 4, batch_first=True), last=False), torch.randn(3, 6, 5), hidden=4)
case("lstm_last", Recurrent(nn.LSTM(3, 7, batch_first=True), last=True), torch.randn(2, 9, 3), hidden=7)
case("gru_sequence", Recurrent(nn.GRU(5, 4, batch_first=True), last=False), torch.randn(3, 6, 5), hidden=4)
case("gru_last", Recurrent(nn.GRU(3, 6, batch_first=True), last=True), torch.randn(2, 8, 3), hidden=6)
out.close()
