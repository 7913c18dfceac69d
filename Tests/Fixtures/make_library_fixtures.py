"""Reference tensors computed by PyTorch for the pieces of programs written on Lockstep's
library: GroupNorm (spatial, on features, as instance norm), and one step of a small DCGAN
whose discriminator gradient is the sum of two backward passes (real and generated images)
and whose generator gradient flows back through the discriminator's input.
Writes torch_library.h5 in the layout of torch_cases.py.
Regenerate: python3 make_library_fixtures.py  (needs torch, h5py)
"""
import torch
import torch.nn as nn

from torch_cases import Cases, put

torch.manual_seed(0)
torch.set_num_threads(1)
cases = Cases("torch_library.h5")
case = cases.case

case("group_norm", nn.GroupNorm(2, 4), torch.randn(3, 4, 3, 5) * 2 + 1, strip="", groups=2)
case("group_norm_features", nn.GroupNorm(3, 6), torch.randn(4, 6), strip="", groups=3)
case("group_norm_instance", nn.GroupNorm(4, 4), torch.randn(2, 4, 2, 2), strip="", groups=4)

# The DCGAN step: Lockstep's examples/gan networks at width 4 and a 4-dimensional code.
generator = nn.Sequential(
    nn.Linear(4, 8 * 7 * 7), nn.Unflatten(1, (8, 7, 7)), nn.BatchNorm2d(8), nn.ReLU(),
    nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
    nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1), nn.Tanh())
discriminator = nn.Sequential(
    nn.Conv2d(1, 4, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
    nn.Conv2d(4, 8, 4, stride=2, padding=1), nn.BatchNorm2d(8), nn.LeakyReLU(0.2),
    nn.Flatten(), nn.Linear(8 * 7 * 7, 1))
with torch.no_grad():
    for p in list(generator.parameters()) + list(discriminator.parameters()):
        p.copy_(torch.randn_like(p) * 0.3)
g = cases.out.create_group("gan_step")
z, real = torch.randn(3, 4), torch.rand(3, 1, 28, 28) * 2 - 1
ones, zeros = torch.ones(3, 1), torch.zeros(3, 1)
bce = nn.BCEWithLogitsLoss()
for name, p in generator.named_parameters():
    put(g, "generator." + name, p)
for name, p in discriminator.named_parameters():
    put(g, "discriminator." + name, p)
put(g, "z", z)
put(g, "real", real)
fake = generator(z)
put(g, "fake", fake)
loss_real, loss_fake = bce(discriminator(real), ones), bce(discriminator(fake.detach()), zeros)
loss_real.backward()
loss_fake.backward()
put(g, "loss_discriminator", (loss_real + loss_fake).reshape(1))
for name, p in discriminator.named_parameters():
    put(g, "grad_discriminator." + name, p.grad)
discriminator.zero_grad()
loss_generator = bce(discriminator(fake), ones)
loss_generator.backward()
put(g, "loss_generator", loss_generator.reshape(1))
for name, p in generator.named_parameters():
    put(g, "grad_generator." + name, p.grad)
cases.close()
