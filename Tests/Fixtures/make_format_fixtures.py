"""Writes the files of the formats users' tools write beyond the common ones:

- images/cmyk.jpg, images/cmyk_progressive.jpg: Pillow's `convert("CMYK").save(...)` of a smooth
  picture (Adobe's inverted CMYK, as Photoshop writes); images/cmyk_ycck.jpg: the same inks
  written by libjpeg as YCCK (write_ycck_jpeg.c, built here with cc and -ljpeg); and
  images/cmyk_expected.h5: what Pillow decodes each to with `convert("RGB")`.
- arrays/x_be_f4.npy (big-endian float32), arrays/x_fortran_be_i2.npy (Fortran order and
  big-endian int16), arrays/xy.npz (`numpy.savez`: x uint8, y int64) and
  arrays/xy_compressed.npz (`numpy.savez_compressed`, the same arrays).

Array values follow formulas the tests recompute: x[n, h, w] = (n*31 + h*7 + w*3) % 256 for
shape (5, 4, 6); the float array is that / 8, the int16 one that * 100 - 9000; y[n] = n % 3.
Needs Pillow, numpy and h5py:  python3 make_format_fixtures.py
"""
import os
import subprocess
import tempfile

import h5py
import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
images, arrays = os.path.join(here, "images"), os.path.join(here, "arrays")

h, w = 21, 34
yy, xx = np.mgrid[0:h, 0:w]
rgb = np.stack([(xx * 255 / (w - 1)), (yy * 255 / (h - 1)), 128 + 100 * np.sin(xx / 3.0) * np.cos(yy / 4.0)], axis=-1)
rgb = np.clip(rgb + np.random.default_rng(11).normal(0, 12, rgb.shape), 0, 255).astype(np.uint8)
cmyk = Image.fromarray(rgb, "RGB").convert("CMYK")
with h5py.File(os.path.join(images, "cmyk_expected.h5"), "w") as f:
    for name, options in [("cmyk.jpg", {"quality": 90}), ("cmyk_progressive.jpg", {"quality": 85, "progressive": True})]:
        path = os.path.join(images, name)
        cmyk.save(path, **options)
        decoded = Image.open(path)
        assert decoded.mode == "CMYK", decoded.mode
        f[name] = np.asarray(decoded.convert("RGB"))
    # YCCK: libjpeg converts the stored (inverted) inks itself; Pillow reads the file back as CMYK.
    with tempfile.TemporaryDirectory() as tmp:
        tool = os.path.join(tmp, "write_ycck_jpeg")
        subprocess.run(["cc", "-O1", "-o", tool, os.path.join(here, "write_ycck_jpeg.c"), "-ljpeg"], check=True)
        inks = 255 - np.asarray(Image.open(os.path.join(images, "cmyk.jpg")))
        path = os.path.join(images, "cmyk_ycck.jpg")
        subprocess.run([tool, path, "90"], input=f"{w} {h}\n".encode() + inks.astype(np.uint8).tobytes(), check=True)
        decoded = Image.open(path)
        assert decoded.mode == "CMYK" and decoded.info.get("adobe_transform") == 2, (decoded.mode, decoded.info)
        f["cmyk_ycck.jpg"] = np.asarray(decoded.convert("RGB"))

x = np.fromfunction(lambda n, y, x_: (n * 31 + y * 7 + x_ * 3) % 256, (5, 4, 6), dtype=np.int64)
np.save(os.path.join(arrays, "x_be_f4.npy"), (x / 8).astype(">f4"))
np.save(os.path.join(arrays, "x_fortran_be_i2.npy"), np.asfortranarray((x * 100 - 9000).astype(">i2")))
y = np.arange(5, dtype=np.int64) % 3
np.savez(os.path.join(arrays, "xy.npz"), x=x.astype(np.uint8), y=y)
np.savez_compressed(os.path.join(arrays, "xy_compressed.npz"), x=x.astype(np.uint8), y=y)
print("wrote", sorted(os.listdir(images)), sorted(os.listdir(arrays)))
