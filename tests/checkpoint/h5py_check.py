"""h5py reads a checkpoint written by CheckpointTest.H5pyReadsNamesShapesAndValues:
usage: h5py_check.py FILE. The expected values are AllDtypes' in
checkpoint_test.cpp; bfloat16's are its bit patterns (1.0 = 0x3f80,
-3.5 = 0xc060, 2**-7 = 0x3c00)."""
import sys

import h5py
import numpy as np


def text(value):
    """String attributes are fixed-length UTF-8: h5py gives numpy bytes."""
    return value.decode("utf-8")


def main(path):
    with h5py.File(path, "r") as f:
        assert text(f.attrs["format"]) == "mlx-checkpoint", f.attrs["format"]
        assert f.attrs["format_version"] == 1
        assert f.attrs["world_size"] == 1
        assert f.attrs["step"] == 0
        assert "checkpoint_test" in text(f.attrs["command_line"])
        assert set(f) == {"model", "optimizer", "random", "metadata"}, set(f)

        m = f["model"]
        expected = {
            "f32": (np.float32, np.array([[1.5, -0.0], [np.inf, np.nan]])),
            "f16": (np.float16, np.array([0.5, -2.0, 65504.0])),
            "bf16": (np.uint16, np.array([0x3F80, 0xC060, 0x3C00])),
            "f64": (np.float64, np.array([0.1, -1e300])),
            "i8": (np.int8, np.array([-128, 127])),
            "i16": (np.int16, np.array([-32768, 32767])),
            "i32": (np.int32, np.array([-(2**31), 7])),
            "i64": (np.int64, np.array([-(2**63), 2**63 - 1])),
            "u8": (np.uint8, np.array([0, 255])),
            "u16": (np.uint16, np.array([65535])),
            "u32": (np.uint32, np.array([2**32 - 1])),
            "u64": (np.uint64, np.array([2**64 - 1], dtype=np.uint64)),
            "b": (np.bool_, np.array([True, False, True])),
            "c64": (np.complex64, np.array([1 + 2j, -3 + 0.5j])),
            "scalar": (np.float32, np.array(3.0)),
            "empty": (np.float32, np.zeros((0, 3))),
        }
        assert set(m) == set(expected), sorted(m)
        for name, (dtype, values) in expected.items():
            data = m[name][()]
            assert data.dtype == dtype, (name, data.dtype)
            assert data.shape == values.shape, (name, data.shape)
            assert np.array_equal(data, values.astype(dtype), equal_nan=True), (
                name,
                data,
            )
            mlx_dtype = {"bf16": "bfloat16", "b": "bool", "c64": "complex64"}
            if name in mlx_dtype:
                assert text(m[name].attrs["dtype"]) == mlx_dtype[name]
        assert np.signbit(m["f32"][0, 1])  # -0.0 kept

        o = f["optimizer"]
        assert text(o.attrs["name"]) == "Adam"
        assert o["step"][()] == 0 and o["step"].dtype == np.uint64
        assert np.isclose(o["learning_rate"][()], 0.01)
        assert o["f32.m"].shape == (2, 2) and o["f32.v"].shape == (2, 2)

        key = f["random/key"][()]
        assert key.dtype == np.uint32 and key.shape == (2,)
        meta = {k: text(v) for k, v in f["metadata"].attrs.items()}
        assert meta == {"world": "1"}, meta
    print("h5py check passed")


if __name__ == "__main__":
    main(sys.argv[1])
