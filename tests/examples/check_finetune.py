"""Checks finetune_lm's files: check_finetune.py BASE.h5 ADAPTERS FUSED.h5 SCALE.

- the adapters file holds only lora_a / lora_b of the attention projections
  (4 per encoder layer), with the format metadata;
- every parameter of the fused model but the projection weights is
  bit-identical to the base checkpoint's (they were frozen);
- each projection weight is the base's W + scale * (a @ b)^T.
The safetensors file is parsed here from its format (8-byte header size,
JSON header, raw little-endian data), independently of the library."""
import json
import struct
import sys

import h5py
import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    metadata = header.pop("__metadata__", {})
    assert all(v["dtype"] == "F32" for v in header.values()), header
    arrays = {}
    for name, v in header.items():
        begin, end = v["data_offsets"]
        raw = data[8 + size + begin : 8 + size + end]
        arrays[name] = np.frombuffer(raw, "<f4").reshape(v["shape"])
    return arrays, metadata


def model_of(path):
    with h5py.File(path, "r") as f:
        return {name: f["model"][name][...] for name in f["model"]}


def main(base_path, adapters_path, fused_path, scale):
    adapters, metadata = read_safetensors(adapters_path)
    assert metadata["format"] == "mlx-lora-adapters", metadata
    base = model_of(base_path)
    fused = model_of(fused_path)
    layers = sorted({k.split(".")[2] for k in base if k.startswith("transformer.layers.")})
    projections = [
        f"transformer.layers.{i}.attention.{p}"
        for i in layers
        for p in ("query_proj", "key_proj", "value_proj", "out_proj")
    ]
    expected_names = {f"{p}.lora_{ab}" for p in projections for ab in "ab"}
    assert set(adapters) == expected_names, sorted(set(adapters) ^ expected_names)
    assert set(fused) == set(base), sorted(set(fused) ^ set(base))
    changed = {f"{p}.weight" for p in projections}
    for name, value in base.items():
        if name in changed:
            p = name[: -len(".weight")]
            delta = scale * (adapters[p + ".lora_a"] @ adapters[p + ".lora_b"]).T
            assert np.abs(delta).max() > 0, f"{p}: the adapter did not train"
            err = np.abs(fused[name] - (value + delta)).max()
            assert err < 1e-5, f"{name}: fused differs from W + s a b by {err}"
        else:
            assert fused[name].dtype == value.dtype and np.array_equal(
                fused[name].view(np.uint8), value.view(np.uint8)
            ), f"{name} changed"
    print(
        f"adapters: {len(adapters)} arrays; {len(base) - len(changed)} frozen "
        f"parameters bit-identical; {len(changed)} fused weights = W + s a b"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
