"""Reference tensors computed by PyTorch for Lockstep's decoder pieces (issue: sequence models,
autoencoders): transposed convolutions, nearest upsampling, BCELoss on probabilities, and a
small convolutional autoencoder laid out as Lockstep's `autoencoder`. Writes torch_decoder.h5
in the layout of torch_cases.py.
Regenerate: python3 make_decoder_fixtures.py  (needs torch, h5py)
"""
import torch
import torch.nn as nn

from torch_cases import Cases, put

torch.manual_seed(0)
torch.set_num_threads(1)
cases = Cases("torch_decoder.h5")
case = cases.case

case("conv_transpose", nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), torch.randn(2, 3, 4, 5), strip="",
     out_channels=2, kernel=3, stride=2, padding=1, output_padding=1)
case("conv_transpose_plain", nn.ConvTranspose2d(2, 3, 2), torch.randn(2, 2, 3, 3), strip="",
     out_channels=3, kernel=2, stride=1, padding=0, output_padding=0)
case("upsample", nn.Upsample(scale_factor=2, mode="nearest"), torch.randn(2, 3, 3, 4), scale=2)

# BCELoss on probabilities: x are probabilities (some near 0 and 1), t targets in [0, 1].
x = torch.cat([torch.rand(2, 5) * 0.98 + 0.01, torch.tensor([[1e-6, 1 - 1e-6, 0.5, 0.3, 0.9]])])
t = torch.cat([torch.rand(2, 5), torch.tensor([[0.0, 1.0, 1.0, 0.0, 0.2]])])
g = cases.out.create_group("bce")
xr = x.clone().requires_grad_(True)
loss = nn.BCELoss()(xr, t)
loss.backward()
put(g, "x", x)
put(g, "t", t)
put(g, "loss", loss.reshape(1))
put(g, "gx", xr.grad)


class Autoencoder(nn.Module):
    """Lockstep's `autoencoder` zoo model in PyTorch, parameter for parameter."""

    def __init__(self, channels, widths, code, side):
        super().__init__()
        a, b = widths
        q = side // 4
        self.encoder = nn.Sequential(nn.Conv2d(channels, a, 3, 2, 1), nn.ReLU(), nn.Conv2d(a, b, 3, 2, 1), nn.ReLU(), nn.Flatten(),
                                     nn.Linear(b * q * q, code))
        self.decoder = nn.Sequential(nn.Linear(code, b * q * q), nn.ReLU(), nn.Unflatten(1, (b, q, q)),
                                     nn.ConvTranspose2d(b, a, 3, 2, 1, 1), nn.ReLU(), nn.ConvTranspose2d(a, channels, 3, 2, 1, 1),
                                     nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


case("autoencoder", Autoencoder(1, (2, 3), 4, 8), torch.rand(2, 1, 8, 8), strip="", widths_a=2, widths_b=3, code=4)
cases.close()
