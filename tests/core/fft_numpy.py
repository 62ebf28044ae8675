"""Writes NumPy's results for the cases of fft_test.cpp (MatchesNumPy) to
the .npz file named on the command line: the inputs "c" (complex64) and "r"
(float32), shape (4, 6, 5), and one array per case."""
import sys

import numpy as np

rng = np.random.default_rng(0)
c = (rng.uniform(-1, 1, (4, 6, 5)) + 1j * rng.uniform(-1, 1, (4, 6, 5))).astype(
    np.complex64
)
r = rng.uniform(-1, 1, (4, 6, 5)).astype(np.float32)
f = np.fft

cases = {
    "fft": f.fft(c),
    "fft_n_pad": f.fft(c, 8, 1),
    "fft_n_crop": f.fft(c, 3, 0),
    "fft_ortho": f.fft(c, norm="ortho"),
    "ifft_forward": f.ifft(c, axis=0, norm="forward"),
    "fft2": f.fft2(c),
    "fft2_s_axes": f.fft2(c, (3, 7), (0, 2)),
    "ifft2": f.ifft2(c),
    "fftn": f.fftn(c),
    "fftn_axes": f.fftn(c, axes=(2, 0)),
    "fftn_s": f.fftn(c, (2, 8), (1, 0)),
    "ifftn": f.ifftn(c),
    "ifftn_s_ortho": f.ifftn(c, (5, 4, 3), (0, 1, 2), norm="ortho"),
    "rfft": f.rfft(r),
    "rfft_n": f.rfft(r, 9, 1),
    "rfft_axis0": f.rfft(r, axis=0),
    "rfft2": f.rfft2(r),
    "rfft2_s": f.rfft2(r, (5, 3), (2, 0)),
    "rfftn": f.rfftn(r),
    "rfftn_forward": f.rfftn(r, axes=(0, 1), norm="forward"),
    "irfft": f.irfft(c),
    "irfft_n_odd": f.irfft(c, 9),
    "irfft_axis1": f.irfft(c, axis=1),
    "irfft2": f.irfft2(c),
    "irfft2_s": f.irfft2(c, (3, 7), (0, 1)),
    "irfftn": f.irfftn(c),
    "irfftn_s_ortho": f.irfftn(c, (4, 5, 4), (0, 1, 2), norm="ortho"),
    "fftshift": f.fftshift(c),
    "ifftshift_axes": f.ifftshift(c, (0, 2)),
}
out = {"c": c, "r": r}
for name, value in cases.items():
    out[name] = value.astype(np.complex64 if np.iscomplexobj(value) else np.float32)
np.savez(sys.argv[1], **out)
