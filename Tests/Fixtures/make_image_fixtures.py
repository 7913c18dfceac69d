"""Writes Tests/Fixtures/images/: JPEG and PNG files made by Pillow, and what Pillow decodes them to.

Lockstep decodes with libjpeg-turbo and libpng; the tests compare its pixels with Pillow's
(`convert("L"/"RGB")`, the way torchvision's ImageFolder loads), and its resize with Pillow's
BILINEAR resize. Needs Pillow, numpy and h5py:  python3 make_image_fixtures.py
"""
import os

import h5py
import numpy as np
from PIL import Image

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)

# A smooth picture with some detail, so JPEG and resampling have something to do.
h, w = 23, 37
yy, xx = np.mgrid[0:h, 0:w]
rgb = np.stack([(xx * 255 / (w - 1)), (yy * 255 / (h - 1)), 128 + 100 * np.sin(xx / 3.0) * np.cos(yy / 4.0)], axis=-1)
rgb = np.clip(rgb + rng.normal(0, 12, rgb.shape), 0, 255).astype(np.uint8)
base = Image.fromarray(rgb, "RGB")

files = {
    "rgb.jpg": lambda p: base.save(p, quality=90),
    "gray.jpg": lambda p: base.convert("L").save(p, quality=90),
    "progressive.jpg": lambda p: base.save(p, quality=85, progressive=True),
    "rgb.png": lambda p: base.save(p),
    "rgba.png": lambda p: Image.fromarray(np.dstack([rgb, rng.integers(0, 256, (h, w), dtype=np.uint8)]), "RGBA").save(p),
    "gray_alpha.png": lambda p: base.convert("LA").save(p),
    "palette.png": lambda p: base.convert("P", palette=Image.ADAPTIVE, colors=16).save(p, transparency=3),
    "gray.png": lambda p: base.convert("L").save(p),
    "bilevel.png": lambda p: base.convert("1").save(p),
}
with h5py.File(os.path.join(out, "expected.h5"), "w") as f:
    for name, save in files.items():
        path = os.path.join(out, name)
        save(path)
        im = Image.open(path)
        mode = "L" if im.mode in ("L", "LA", "1") else "RGB"
        f[name] = np.asarray(im.convert(mode))
    # Pillow's BILINEAR resize of rgb.png: a reduction (with its antialiasing) and an enlargement.
    for (rh, rw) in [(11, 16), (40, 50), (7, 7)]:
        f[f"resize_{rh}x{rw}"] = np.asarray(base.resize((rw, rh), Image.BILINEAR))
    # 16-bit grey: Lockstep keeps the high byte (Pillow's convert("L") clips at 255 instead).
    g16 = (np.arange(h * w, dtype=np.uint32).reshape(h, w) * 97 % 65536).astype(np.uint16)
    Image.fromarray(g16).save(os.path.join(out, "gray16.png"))
    f["gray16.png"] = (g16 >> 8).astype(np.uint8)

# Damaged files: a JPEG and a PNG cut in half, and a text file named .jpg.
for name in ["rgb.jpg", "rgb.png"]:
    data = open(os.path.join(out, name), "rb").read()
    open(os.path.join(out, "truncated." + name.split(".")[1]), "wb").write(data[: len(data) // 2])
open(os.path.join(out, "not_an_image.jpg"), "w").write("hello\n")
print("wrote", sorted(os.listdir(out)))
