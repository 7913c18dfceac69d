#!/usr/bin/env python3
"""Mutated inputs through the real `lockstep` binary: every one must end in a clear error or a
normal run within the timeout, never in a crash (a signal, a trap) or a hang.

    fuzz.py LOCKSTEP WORKDIR [--per-kind N] [--seed S]

Starting from files Lockstep itself writes in WORKDIR (a small sharded dataset, a trained MLP,
its checkpoint) and a Keras weights file, it makes N inputs of each kind -- recipes, --set
overrides, manifests, shards read with checksums off, safetensors weights, checkpoints, weight
files, Keras files, numpy archives and arrays, CMYK JPEGs -- by byte flips (spread out, or inside HDF5's own structures),
truncations, overwritten runs and JSON/YAML value mutations, runs each once, and prints one
line per crash or hang (with what to rerun) and a tally. Exit 1 on any crash or hang.
"""
import json, os, random, re, shutil, struct, subprocess, sys, time

BIN, WORK = sys.argv[1], os.path.abspath(sys.argv[2])
PER_KIND = int(sys.argv[sys.argv.index("--per-kind") + 1]) if "--per-kind" in sys.argv else 45
SEED = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1
TIMEOUT = 30
rng = random.Random(SEED)
os.chdir(WORK)


def run(args):
    """The binary's exit code (124 for a timeout) and its output; the slowest run is kept."""
    started = time.monotonic()
    try:
        r = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=TIMEOUT, errors="replace")
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        return 124, ""
    finally:
        took = time.monotonic() - started
        if took > LONGEST[0]:
            LONGEST[:] = [took, " ".join(args)]


def sh(*args):
    subprocess.run(list(args), check=True, capture_output=True)


# --- the files Lockstep writes, which the mutations start from ---------------------------------
RECIPE = """name: fz
seed: 1
model: {name: mlp, hidden: [8], activation: relu}
data: {train: d/synthetic-train.manifest.json, test: d/synthetic-test.manifest.json, normalize: {mean: 0.5, std: 0.25}}
training: {epochs: 1, batch_per_rank: 8, max_steps: 2, log_every: 1}
optimizer: {name: sgd, lr: 0.1, momentum: 0.9}
checkpoint: {every_steps: 1}
"""
sh(BIN, "shard", "synthetic", "--shape", "8x8x1", "--classes", "3", "--train-samples", "64", "--test-samples", "16",
   "--shards", "2", "--out", "d")
open("r.yaml", "w").write(RECIPE)
sh(BIN, "train", "r.yaml", "--out", "base")
CKPT = "base/checkpoints/ckpt-000000002.h5"
TRAIN = ["train", "r.yaml", "--set", "data.test=null", "--set", "checkpoint.every_steps=0"]


def safetensors_for_the_mlp():
    """Weights of the recipe's MLP as F32 safetensors, written here by hand (the format is 8
    bytes of header length, a JSON header, then the raw little-endian data)."""
    shapes = {"1.weight": [8, 64], "1.bias": [8], "3.weight": [3, 8], "3.bias": [3]}
    header, data, offset = {}, b"", 0
    for name, shape in shapes.items():
        n = 1
        for d in shape:
            n *= d
        blob = struct.pack(f"<{n}f", *[rng.uniform(-0.1, 0.1) for _ in range(n)])
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        data += blob
        offset += len(blob)
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


SAFETENSORS = safetensors_for_the_mlp()

# --- mutations ----------------------------------------------------------------------------------
JUNK = ["-1", "0", "1e308", "-1e308", ".nan", ".inf", "99999999999999999999", "[]", "[1, [2]]", "{}", "null", "''",
        "x", "true", "'../../../../etc/passwd'", "[100000000000]", "[-3, 4]", "1.5", "2147483648", "{a: 1}"]
KEYS = ["name", "seed", "output", "model.name", "model.hidden", "model.activation", "model.stem", "model.widths",
        "model.dropout", "loss", "loss.name", "loss.label_smoothing", "data.train", "data.test", "data.normalize.mean",
        "data.normalize.std", "data.normalize.scale", "data.prefetch", "data.classes", "data.limit", "data.preprocess",
        "data.channels", "data.resize", "data.crop", "training.epochs", "training.batch_per_rank",
        "training.eval_batch_per_rank", "training.log_every", "training.max_steps", "training.bucket_mb",
        "training.stall_timeout", "training.on_nonfinite", "optimizer.name", "optimizer.lr", "optimizer.momentum",
        "optimizer.nesterov", "optimizer.beta1", "optimizer.eps", "optimizer.clip_grad_norm", "optimizer.param_groups",
        "schedule", "schedule.name", "schedule.warmup_steps", "schedule.gamma", "schedule.reference_batch",
        "checkpoint.keep_last", "checkpoint.monitor", "checkpoint.mode", "pretrained", "head.classes", "freeze",
        "unfreeze_after_epochs", "regularization", "regularization.l2", "model"]


def flip(data):
    b = bytearray(data)
    how = rng.randrange(3)
    if how == 0:
        for _ in range(rng.randint(1, 16)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif how == 1:
        b = b[:rng.randrange(len(b))]
    else:
        i, n = rng.randrange(len(b)), rng.randint(1, 256)
        b[i:i + n] = bytes(rng.randrange(256) for _ in range(min(n, len(b) - i)))
    return bytes(b)


def flip_metadata(data):
    """Byte changes inside HDF5's own structures (B-trees, heaps, symbol tables: where
    libhdf5 follows offsets it read), which flips spread over a file rarely hit."""
    b = bytearray(data)
    starts = [m.start() for sig in (b"TREE", b"HEAP", b"SNOD", b"GCOL") for m in re.finditer(sig, data)] + [0]
    for _ in range(rng.randint(1, 4)):
        i = min(len(b) - 1, rng.choice(starts) + rng.randrange(64))
        b[i] = rng.randrange(256)
    return bytes(b)


def mutate_json(value):
    """A random change deep inside a JSON value."""
    if isinstance(value, dict) and value:
        k = rng.choice(list(value))
        if rng.random() < 0.2:
            del value[k]
        else:
            value[k] = mutate_json(value[k])
        return value
    if isinstance(value, list) and value and rng.random() < 0.8:
        i = rng.randrange(len(value))
        value[i] = mutate_json(value[i])
        return value
    return rng.choice([-1, 0, 2 ** 31, 2 ** 63 - 1, -2 ** 62, 1e300, "x", None, [], {}, True, 3.5, [2 ** 31, 2 ** 31]])


def case_recipe(i):
    lines = RECIPE.splitlines()
    how = rng.randrange(3)
    if how == 0:
        j = rng.randrange(len(lines))
        key = lines[j].split(":")[0]
        lines[j] = f"{key}: {rng.choice(JUNK)}"
    elif how == 1:
        del lines[rng.randrange(len(lines))]
    else:
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(["  - x", "{", "]]", "a: b: c", "\t", "key: [1, 2", "!!binary x"]))
    open(f"rc{i}.yaml", "w").write("\n".join(lines) + "\n")
    return ["train", f"rc{i}.yaml", "--set", "data.test=null", "--out", f"o{i}"]


def case_override(i):
    sets = []
    for _ in range(rng.randint(1, 3)):
        sets += ["--set", f"{rng.choice(KEYS)}={rng.choice(JUNK)}"]
    return TRAIN + sets + ["--out", f"o{i}"]


def copy_dataset(i):
    shutil.copytree("d", f"m{i}")
    return f"m{i}"


def case_manifest(i):
    d = copy_dataset(i)
    path = f"{d}/synthetic-train.manifest.json"
    manifest = json.load(open(path))
    for _ in range(rng.randint(1, 3)):
        manifest = mutate_json(manifest)
    open(path, "w").write(json.dumps(manifest) if isinstance(manifest, (dict, list)) else str(manifest))
    return TRAIN + ["--set", f"data.train={path}", "--set", f"data.verify_checksums={rng.choice(['true', 'false'])}", "--out", f"o{i}"]


def case_shard(i):
    d = copy_dataset(i)
    shard = f"{d}/synthetic-train-0000{rng.randrange(2)}-of-00002.h5"
    data = open(shard, "rb").read()
    open(shard, "wb").write(flip_metadata(data) if rng.random() < 0.5 else flip(data))
    return TRAIN + ["--set", f"data.train={d}/synthetic-train.manifest.json", "--set", "data.verify_checksums=false", "--out", f"o{i}"]


def case_safetensors(i):
    path = f"w{i}.safetensors"
    if rng.random() < 0.5:
        open(path, "wb").write(flip(SAFETENSORS))
    else:
        (n,) = struct.unpack("<Q", SAFETENSORS[:8])
        header = mutate_json(json.loads(SAFETENSORS[8:8 + n]))
        h = json.dumps(header).encode()
        open(path, "wb").write(struct.pack("<Q", len(h)) + h + SAFETENSORS[8 + n:])
    return TRAIN + ["--set", f"pretrained={path}", "--out", f"o{i}"]


def case_checkpoint(i):
    os.makedirs(f"c{i}/checkpoints")
    target = f"c{i}/checkpoints/ckpt-000000002.h5"
    data = open(CKPT, "rb").read()
    open(target, "wb").write(flip(data))
    sidecar = open(CKPT + ".sha256").read()
    open(target + ".sha256", "w").write(sidecar if rng.random() < 0.8 else flip(sidecar.encode()).decode("latin-1"))
    open(f"c{i}/checkpoints/latest", "w").write("ckpt-000000002.h5\n")
    resume = "auto" if rng.random() < 0.5 else target
    return TRAIN + ["--set", "training.max_steps=4", "--out", f"c{i}", "--resume", resume]


def case_weights(i):
    path = f"wt{i}.h5"
    open(path, "wb").write(flip(open("base/model.h5", "rb").read()))
    if rng.random() < 0.7:
        shutil.copy("base/model.h5.sha256", path + ".sha256")
    return ["eval", "r.yaml", "--weights", path]


KERAS = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../Fixtures/keras2_vgg_mini.h5"), "rb").read()
LONGEST = [0.0, ""]  # the slowest input so far: seconds, which


def case_keras(i):
    """A foreign HDF5 file (Keras weights, as h5py wrote them), damaged, read by inspect within
    the deadline that fits its size (5 s and a little for these 30 KB): libhdf5 may crash or
    loop on it, Lockstep must say so."""
    path = f"k{i}.h5"
    open(path, "wb").write(flip_metadata(KERAS) if rng.random() < 0.7 else flip(KERAS))
    return ["inspect", path]


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../Fixtures")
NPZ = open(os.path.join(FIXTURES, "arrays/xy_compressed.npz"), "rb").read()
NPZ_STORED = open(os.path.join(FIXTURES, "arrays/xy.npz"), "rb").read()
NPY = open(os.path.join(FIXTURES, "arrays/x_fortran_be_i2.npy"), "rb").read()
CMYK = open(os.path.join(FIXTURES, "images/cmyk.jpg"), "rb").read()


def case_npz(i):
    """A numpy archive (zip64 records, stored or deflated members), damaged, sharded."""
    path = f"z{i}.npz"
    open(path, "wb").write(flip(NPZ if rng.random() < 0.5 else NPZ_STORED))
    return ["shard", "arrays", "--inputs", path + ":x", "--labels", path + ":y", "--out", f"zo{i}", "--val-fraction", "0.4"]


def case_npy(i):
    """A Fortran-order, big-endian .npy file with a damaged header or body, sharded."""
    path = f"n{i}.npy"
    b = bytearray(NPY)
    if rng.random() < 0.5:  # inside the header's text: the dict numpy writes
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(10, 128)] = rng.choice(b"(),:' 0123456789<>|=ifubTFrue")
        data = bytes(b)
    else:
        data = flip(NPY)
    open(path, "wb").write(data)
    return ["shard", "arrays", "--inputs", path, "--labels", os.path.join(FIXTURES, "arrays/y_i64.npy"), "--out", f"no{i}"]


def case_jpeg(i):
    """A CMYK JPEG (Adobe's inverted inks), damaged, in an image folder sharded with resizing."""
    folder = f"j{i}"
    for c in ("a", "b"):
        os.makedirs(f"{folder}/{c}", exist_ok=True)
        open(f"{folder}/{c}/x.jpg", "wb").write(flip(CMYK) if c == "a" else CMYK)
    return ["shard", "images", folder, "--size", "8x8", "--out", f"jo{i}", "--val-fraction", "0.5"]


KINDS = [("recipe", case_recipe), ("override", case_override), ("manifest", case_manifest), ("shard", case_shard),
         ("safetensors", case_safetensors), ("checkpoint", case_checkpoint), ("weights", case_weights), ("keras", case_keras),
         ("npz", case_npz), ("npy", case_npy), ("jpeg", case_jpeg)]

tally = {"accepted": 0, "error": 0, "crash": 0, "hang": 0}
problems = []
n = 0
for kind, make in KINDS:
    for _ in range(PER_KIND):
        n += 1
        args = make(n)
        code, out = run(args)
        if os.environ.get("FUZZ_VERBOSE"):
            print(f"{kind} #{n}: exit {code}: {(out.strip().splitlines() or [''])[-1][:160]}")
        if code == 0:
            tally["accepted"] += 1
        elif code == 1 and "error" in out:
            tally["error"] += 1
        elif code == 124:
            tally["hang"] += 1
            problems.append(f"HANG  {kind} #{n}: lockstep {' '.join(args)} (in {WORK})")
        else:
            tally["crash"] += 1
            tail = " | ".join(out.strip().splitlines()[-3:])
            problems.append(f"CRASH {kind} #{n}: exit {code}: lockstep {' '.join(args)} (in {WORK}): {tail}")
if LONGEST[0] > 12:  # every input here is small: none may keep a user waiting
    problems.append(f"SLOW  {LONGEST[0]:.1f} s: lockstep {LONGEST[1]} (in {WORK})")
for p in problems:
    print(p)
print(f"fuzz: {n} inputs of {len(KINDS)} kinds: {tally['accepted']} ran, {tally['error']} clear errors, "
      f"{tally['crash']} crashes, {tally['hang']} hangs; the slowest took {LONGEST[0]:.1f} s (lockstep {LONGEST[1]})")
sys.exit(1 if problems else 0)
