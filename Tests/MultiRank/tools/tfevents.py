#!/usr/bin/env python3
"""An event-file reader independent of Lockstep's writer, for the tests: Python's standard
library only (TFRecord framing with its own CRC-32C, protobuf wire format by hand).

    tfevents.py DIR    prints one JSON object per event, file by file in name order:
                       {"file": …, "step": …, "version": …} / {"…", "session": 1} /
                       {"…", "scalars": {"train/loss": 0.41, …}}
    tfevents.py --effective DIR
                       prints {tag: {step: value}} as TensorBoard shows them: a session
                       START at step S drops the earlier files' events at steps >= S
Exits 1 naming the file and offset when a length or data CRC does not check.
When the `tensorboard` package is importable, its own reader must see the same scalars.
"""
import json, os, struct, sys

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF

def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF

def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]; i += 1
        value |= (b & 0x7F) << shift; shift += 7
        if not b & 0x80: return value, i

def fields(buf):
    """(field number, wire type, value) of a message's fields."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0: value, i = varint(buf, i)
        elif wire == 1: value = buf[i:i + 8]; i += 8
        elif wire == 5: value = buf[i:i + 4]; i += 4
        elif wire == 2:
            n, i = varint(buf, i); value = buf[i:i + n]; i += n
        else: raise ValueError("wire type %d" % wire)
        yield number, wire, value

def records(path):
    data = open(path, "rb").read()
    i = 0
    while i < len(data):
        header = data[i:i + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[i + 8:i + 12])
        if length_crc != masked(header): sys.exit("%s: bad length CRC at offset %d" % (path, i))
        body = data[i + 12:i + 12 + length]
        (data_crc,) = struct.unpack("<I", data[i + 12 + length:i + 16 + length])
        if data_crc != masked(body): sys.exit("%s: bad data CRC at offset %d" % (path, i))
        yield body
        i += 16 + length

def event(path, body):
    out = {"file": os.path.basename(path), "step": 0}
    for number, wire, value in fields(body):
        if number == 1: out["wall_time"] = struct.unpack("<d", value)[0]
        elif number == 2: out["step"] = value
        elif number == 3: out["version"] = value.decode()
        elif number == 7: out["session"] = dict((n, v) for n, _, v in fields(value)).get(1, 0)
        elif number == 5:
            scalars = {}
            for n, _, v in fields(value):
                if n != 1: continue
                parts = {k: x for k, _, x in fields(v)}
                scalars[parts[1].decode()] = struct.unpack("<f", parts[2])[0]
            out["scalars"] = scalars
    return out

def effective(events):
    scalars = {}
    for e in events:
        if e.get("session") == 1:
            scalars = {tag: {k: v for k, v in steps.items() if k < e["step"]} for tag, steps in scalars.items()}
        for tag, v in e.get("scalars", {}).items(): scalars.setdefault(tag, {})[e["step"]] = v
    return scalars

def main(directory, show_effective=False):
    events = []
    for name in sorted(os.listdir(directory)):
        if "tfevents" in name:
            path = os.path.join(directory, name)
            events += [event(path, body) for body in records(path)]
    if show_effective:
        print(json.dumps(effective(events), sort_keys=True))
        return
    for e in events: print(json.dumps(e, sort_keys=True))
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError:
        return
    # TensorBoard's reader, which also drops what a session START at step S supersedes.
    acc = event_accumulator.EventAccumulator(directory)
    acc.Reload()
    mine_all = effective(events)
    for tag in acc.Tags()["scalars"]:
        theirs = [(s.step, s.value) for s in acc.Scalars(tag)]
        mine = mine_all.get(tag, {})
        if sorted(mine.items()) != theirs:
            sys.exit("tensorboard reads %s as %s, this reader as %s" % (tag, theirs, sorted(mine.items())))
    print(json.dumps({"tensorboard_reader": "agrees", "tags": len(acc.Tags()["scalars"])}))

if __name__ == "__main__":
    main(sys.argv[-1], "--effective" in sys.argv)
