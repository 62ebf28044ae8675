#!/usr/bin/python3
"""Checks that NumPy reads the files io_test writes (IoTest.NumPyReadsOurFiles).

Usage: io_check.py DIR. The arrays hold io_test's sample() values, computed
here by the same formula; .safetensors files are parsed by hand (struct +
json), as a reader independent of ours.
"""
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

NPY_DTYPES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
              "int32", "int64", "float16", "float32", "float64", "complex64"]
SAFETENSORS_DTYPES = {"BOOL": "bool", "U8": "uint8", "I8": "int8",
                      "U16": "<u2", "I16": "<i2", "F16": "<f2", "U32": "<u4",
                      "I32": "<i4", "F32": "<f4", "U64": "<u8", "I64": "<i8",
                      "F64": "<f8", "C64": "<c8"}


def sample(dtype, shape):
    """io_test's sample(): values every dtype represents exactly."""
    i = np.arange(int(np.prod(shape, dtype=np.int64)))
    if dtype == "complex64":
        v = (0.5 * i - 1.0) + 1j * (2.0 - i)
    elif dtype == "bool":
        v = i % 3 == 1
    else:
        k = i * 7 % 23
        kind = np.dtype(dtype).kind
        v = 230 + k if kind == "u" else (k - 11) * 0.75 if kind == "f" else k - 11
    return v.astype(dtype).reshape(shape)


def expect_equal(got, want, what):
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert np.array_equal(got, want), f"{what}: {got} != {want}"


def read_safetensors(path):
    """Parses a .safetensors file with the reference reader's checks."""
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    assert 8 + n <= len(data), "header runs past the file"
    assert (8 + n) % 8 == 0, "data section not 8-byte aligned"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    body = data[8 + n:]
    pos = 0
    for begin, end in sorted(tuple(t["data_offsets"]) for t in header.values()):
        assert begin == pos, "tensors must be contiguous"
        pos = end
    assert pos == len(body), "tensors must cover the data section"
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        raw = body[begin:end]
        if t["dtype"] == "BF16":
            # bfloat16 is the high half of a float32.
            bits = np.frombuffer(raw, "<u2").astype("<u4") << 16
            array = bits.view("<f4")
        else:
            array = np.frombuffer(raw, SAFETENSORS_DTYPES[t["dtype"]])
            assert begin % array.itemsize == 0, f"{name} is not aligned"
        tensors[name] = (t["dtype"], array.reshape(t["shape"]))
    return tensors, metadata


def main(directory):
    d = Path(directory)
    for name in NPY_DTYPES:
        expect_equal(np.load(d / f"npy_{name}.npy"), sample(name, (2, 3)), name)
    expect_equal(np.load(d / "npy_transposed.npy"),
                 sample("float32", (3, 2)).T, "transposed")
    expect_equal(np.load(d / "npy_scalar.npy"), sample("float64", ()), "scalar")
    expect_equal(np.load(d / "npy_empty.npy"), sample("int32", (0, 3)), "empty")

    for archive, method in [("stored.npz", zipfile.ZIP_STORED),
                            ("deflated.npz", zipfile.ZIP_DEFLATED)]:
        with zipfile.ZipFile(d / archive) as z:
            assert z.testzip() is None, f"{archive}: CRC check failed"
            assert all(i.compress_type == method for i in z.infolist())
        with np.load(d / archive) as npz:
            assert sorted(npz.files) == sorted(NPY_DTYPES), npz.files
            for name in NPY_DTYPES:
                expect_equal(npz[name], sample(name, (2, 3)), f"{archive}/{name}")

    tensors, metadata = read_safetensors(d / "all.safetensors")
    assert metadata == {"format": "mlx", "note": "\u00e9 \"q\""}, metadata
    assert sorted(tensors) == sorted(NPY_DTYPES + ["bfloat16", "transposed"])
    for name in NPY_DTYPES:
        expect_equal(tensors[name][1], sample(name, (2, 3)), f"safetensors/{name}")
    assert tensors["bfloat16"][0] == "BF16"
    expect_equal(tensors["bfloat16"][1], sample("float32", (2, 3)), "bfloat16")
    expect_equal(tensors["transposed"][1], sample("float32", (3, 2)).T,
                 "safetensors/transposed")
    print(f"io_check: NumPy read every file in {directory}")


if __name__ == "__main__":
    main(sys.argv[1])
