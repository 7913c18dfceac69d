"""Writes Tests/Fixtures/arrays/: small .npy files made by numpy.save, for `lockstep shard arrays`.

Values follow formulas the tests recompute: x_u8[n, h, w, c] = (n*24 + h*6 + w*2 + c) % 256 (uint8, NHWC),
x_f8_nchw[n, c, h, w] = n + c/10 + h/100 + w/1000 (float64, NCHW), labels n % 3 as int64 and one-hot.
Needs numpy:  python3 make_array_fixtures.py
"""
import os

import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "arrays")
os.makedirs(out, exist_ok=True)
n, h, w, c = 6, 4, 3, 2
x = np.fromfunction(lambda i, y, x_, ch: (i * 24 + y * 6 + x_ * 2 + ch) % 256, (n, h, w, c), dtype=np.int64).astype(np.uint8)
np.save(os.path.join(out, "x_u8.npy"), x)
f = np.fromfunction(lambda i, ch, y, x_: i + ch / 10 + y / 100 + x_ / 1000, (n, c, h, w), dtype=np.float64)
np.save(os.path.join(out, "x_f8_nchw.npy"), f)
np.save(os.path.join(out, "y_i64.npy"), np.arange(n, dtype=np.int64) % 3)
np.save(os.path.join(out, "y_onehot.npy"), np.eye(3, dtype=np.float32)[np.arange(n) % 3])
np.save(os.path.join(out, "x_fortran.npy"), np.asfortranarray(f[:, 0]))
print("wrote", sorted(os.listdir(out)))
