"""Reference tensors computed by PyTorch for Lockstep's sequence layers (issue: sequence
models). Writes torch_sequence.h5 in the layout of torch_layers.h5 (make_torch_fixtures.py):
one group per case (torch_cases.py), attributes for the settings, datasets x, y, gy (seeded
upstream gradient), gx (input gradient, absent for token ids) and, per parameter P (Lockstep's
names), P and grad_P. Parameters are drawn at random (not the defaults), so every gradient is tested.
Regenerate: python3 make_sequence_fixtures.py  (needs torch, h5py)
"""
import torch
import torch.nn as nn

from torch_cases import Cases

torch.manual_seed(0)
torch.set_num_threads(1)
case = Cases("torch_sequence.h5").case


case("layernorm", nn.LayerNorm(6), torch.randn(2, 3, 6) * 2 + 1, features=6)
case("layernorm_2d", nn.LayerNorm(5, eps=1e-3), torch.randn(4, 5), features=5, eps=1e-3)
ids = torch.tensor([[1, 4, 4, 0, 6], [6, 2, 1, 1, 3]])
case("embedding", nn.Embedding(7, 3), ids, differentiable=False, vocabulary=7, dimension=3)


class Recurrent(nn.Module):
    """A batch-first recurrent layer returning its whole output sequence, or the top layer's
    last state of each direction side by side (h_n[-2:] when bidirectional): Lockstep's
    returnSequences false."""

    def __init__(self, rnn, last):
        super().__init__()
        self.rnn, self.last = rnn, last

    def forward(self, x):
        y, h = self.rnn(x)
        if not self.last:
            return y
        h = h[0] if isinstance(h, tuple) else h
        return torch.cat([h[-2], h[-1]], 1) if self.rnn.bidirectional else h[-1]


case("lstm_sequence", Recurrent(nn.LSTM(5, 4, batch_first=True), last=False), torch.randn(3, 6, 5), hidden=4)
case("lstm_last", Recurrent(nn.LSTM(3, 7, batch_first=True), last=True), torch.randn(2, 9, 3), hidden=7)
case("gru_sequence", Recurrent(nn.GRU(5, 4, batch_first=True), last=False), torch.randn(3, 6, 5), hidden=4)
case("gru_last", Recurrent(nn.GRU(3, 6, batch_first=True), last=True), torch.randn(2, 8, 3), hidden=6)

# Stacked and bidirectional recurrent layers, and the simple RNN (tanh and ReLU).
case("lstm_stacked_bidirectional", Recurrent(nn.LSTM(4, 3, num_layers=2, bidirectional=True, batch_first=True), last=False),
     torch.randn(2, 5, 4), hidden=3, layers=2, bidirectional=1)
case("lstm_bidirectional_last", Recurrent(nn.LSTM(3, 4, bidirectional=True, batch_first=True), last=True),
     torch.randn(3, 6, 3), hidden=4, layers=1, bidirectional=1)
case("gru_stacked_last", Recurrent(nn.GRU(4, 5, num_layers=3, batch_first=True), last=True),
     torch.randn(2, 7, 4), hidden=5, layers=3, bidirectional=0)
case("gru_stacked_bidirectional_last", Recurrent(nn.GRU(3, 3, num_layers=2, bidirectional=True, batch_first=True), last=True),
     torch.randn(2, 4, 3), hidden=3, layers=2, bidirectional=1)
case("rnn_tanh", Recurrent(nn.RNN(5, 4, batch_first=True), last=False), torch.randn(3, 6, 5),
     hidden=4, layers=1, bidirectional=0, relu=0)
case("rnn_relu_stacked_bidirectional_last", Recurrent(nn.RNN(3, 4, num_layers=2, nonlinearity="relu", bidirectional=True,
                                                         batch_first=True), last=True),
     torch.randn(2, 5, 3), hidden=4, layers=2, bidirectional=1, relu=1)

# Attention and the Transformer's pieces (dropout 0, so training mode is deterministic).
case("linear_sequence", nn.Linear(5, 3), torch.randn(2, 4, 5), strip="")


class SelfAttention(nn.Module):
    """nn.MultiheadAttention called on one sequence as query, key and value."""

    def __init__(self, d, heads, causal):
        super().__init__()
        self.attn, self.causal = nn.MultiheadAttention(d, heads, batch_first=True), causal

    def forward(self, x):
        t = x.shape[1]
        mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1) if self.causal else None
        return self.attn(x, x, x, attn_mask=mask, need_weights=False)[0]


case("attention", SelfAttention(8, 2, causal=False), torch.randn(3, 5, 8), strip="attn.", heads=2, causal=0)
case("attention_causal", SelfAttention(6, 3, causal=True), torch.randn(2, 4, 6), strip="attn.", heads=3, causal=1)
for norm_first in (False, True):
    layer = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, activation="gelu", batch_first=True, norm_first=norm_first)
    case("transformer_" + ("pre" if norm_first else "post"), layer, torch.randn(2, 5, 8), strip="",
         dimension=8, heads=2, feed_forward=12, norm_first=int(norm_first))


class Transformer(nn.Module):
    """Lockstep's TransformerClassifier in PyTorch, parameter for parameter: features embedded
    by a Linear, a [CLS] token, learned positions, 2 pre-norm blocks and a final LayerNorm,
    the [CLS] state classified."""

    def __init__(self, features, d, heads, ff, steps, classes):
        super().__init__()
        self.embed = nn.Linear(features, d)
        self.cls = nn.Module()
        self.cls.weight = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Module()
        self.pos.weight = nn.Parameter(torch.zeros(steps + 1, d))
        block = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, 2, norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.fc = nn.Linear(d, classes)

    def forward(self, x):
        x = self.embed(x)
        x = torch.cat([self.cls.weight.expand(x.shape[0], 1, -1), x], 1) + self.pos.weight
        return self.fc(self.encoder(x)[:, 0])


case("transformer_classifier", Transformer(3, 8, 2, 16, 6, 4), torch.randn(3, 6, 3), strip="",
     dimension=8, heads=2, feed_forward=16, classes=4)


class StackedRecurrent(nn.Module):
    """Lockstep's RecurrentClassifier: a 2-layer bidirectional LSTM's last states into a Linear."""

    def __init__(self):
        super().__init__()
        self.rnn, self.fc = nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True), nn.Linear(10, 3)

    def forward(self, x):
        _, (h, _) = self.rnn(x)
        return self.fc(torch.cat([h[-2], h[-1]], 1))


case("lstm_classifier", StackedRecurrent(), torch.randn(3, 7, 4), strip="", hidden=5, layers=2, classes=3)

# Variable-length sequences: padding at the end of each row, `lengths` real steps.
class Packed(nn.Module):
    """A recurrent layer run on packed sequences, as Lockstep runs it with padding: the
    output sequence zero past each row's length, or the top layer's last real states."""

    def __init__(self, rnn, lengths, last):
        super().__init__()
        self.rnn, self.lengths, self.last = rnn, lengths, last

    def forward(self, x):
        packed = nn.utils.rnn.pack_padded_sequence(x, self.lengths, batch_first=True, enforce_sorted=False)
        y, h = self.rnn(packed)
        if not self.last:
            return nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])[0]
        h = h[0] if isinstance(h, tuple) else h
        return torch.cat([h[-2], h[-1]], 1) if self.rnn.bidirectional else h[-1]


lengths = torch.tensor([5, 2, 4])
case("lstm_packed_stacked_bidirectional_last", Packed(nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), lengths, True),
     torch.randn(3, 5, 3), datasets={"lengths": lengths.float()}, hidden=4, layers=2, bidirectional=1)
case("gru_packed_bidirectional_sequence", Packed(nn.GRU(3, 4, bidirectional=True, batch_first=True), lengths, False),
     torch.randn(3, 5, 3), datasets={"lengths": lengths.float()}, hidden=4, layers=1, bidirectional=1)


class PaddedAttention(nn.Module):
    """Self-attention with the padding of each row hidden as keys (`key_padding_mask`)."""

    def __init__(self, d, heads, lengths):
        super().__init__()
        self.attn, self.lengths = nn.MultiheadAttention(d, heads, batch_first=True), lengths

    def forward(self, x):
        mask = torch.arange(x.shape[1]).unsqueeze(0) >= self.lengths.unsqueeze(1)
        return self.attn(x, x, x, key_padding_mask=mask, need_weights=False)[0]


case("attention_padded", PaddedAttention(8, 2, lengths), torch.randn(3, 5, 8), strip="attn.", datasets={"lengths": lengths.float()},
     heads=2, causal=0)


class PaddedEncoderLayer(nn.Module):
    def __init__(self, lengths):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.lengths = lengths

    def forward(self, x):
        mask = torch.arange(x.shape[1]).unsqueeze(0) >= self.lengths.unsqueeze(1)
        return self.layer(x, src_key_padding_mask=mask)


case("transformer_pre_padded", PaddedEncoderLayer(lengths), torch.randn(3, 5, 8), strip="layer.", datasets={"lengths": lengths.float()},
     dimension=8, heads=2, feed_forward=12, norm_first=1)
case.__self__.close()
