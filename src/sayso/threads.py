"""How many threads the libraries under sayso may start.

OpenBLAS (numpy's matrix products) starts one thread per core and keeps them spinning
between calls. The render's products are small (a thin-plate field: ~10k x 80 times
80 x 2 a frame), so on 2 cores those threads bought nothing and cost a 720p frame 22 ms
of CPU instead of 6 ms, stealing the core the encoder and the other render thread need.
They also made the frames depend on the core count (a threaded product rounds a little
differently). So sayso asks for one BLAS thread: through the environment before numpy
loads (sayso/__init__.py), and at run time if numpy was loaded first.
"""

from __future__ import annotations

import ctypes
import glob
import os

BLAS_ENV = "OPENBLAS_NUM_THREADS"


def one_blas_thread() -> None:
    """Set OpenBLAS to one thread, unless OPENBLAS_NUM_THREADS says otherwise. Safe to
    repeat; does nothing where numpy's OpenBLAS cannot be found."""
    if os.environ.get(BLAS_ENV, "1") != "1":
        return  # the user chose
    for library in _openblas_files():
        try:
            lib = ctypes.CDLL(library)
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads"):
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(ctypes.c_int(1))
                break


def _openblas_files() -> list[str]:
    """The OpenBLAS shared libraries numpy ships (numpy.libs beside the package)."""
    import numpy

    root = os.path.dirname(os.path.dirname(numpy.__file__))
    return sorted(glob.glob(os.path.join(root, "numpy.libs", "*openblas*.so*")))
