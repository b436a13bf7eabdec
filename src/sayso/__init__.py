"""sayso: one photo and one prompt -> a talking, moving MP4, offline on a CPU.

    import sayso
    result = sayso.make("portrait.jpg", "She smiles and says 'Hello there.'", "hello.mp4")
    print(result.video, result.duration)
"""

from __future__ import annotations

__version__ = "0.1.0"

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads: see sayso.threads

from .errors import SaysoError  # noqa: E402
from .pipeline import MakeResult, make, remix  # noqa: E402
from .plan import Plan, plan  # noqa: E402
from .threads import one_blas_thread  # noqa: E402

one_blas_thread()  # numpy was loaded before sayso


def verify(video):
    """What a video says about itself: see sayso.trust.verify.Report."""
    from .trust.verify import verify as _verify

    return _verify(video)


__all__ = ["MakeResult", "Plan", "SaysoError", "make", "plan", "remix", "verify", "__version__"]
