"""sayso: one photo and one prompt -> a talking, moving MP4, offline on a CPU.

    import sayso
    result = sayso.make("portrait.jpg", "She smiles and says 'Hello there.'", "hello.mp4")
    print(result.video, result.duration)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import SaysoError
from .pipeline import MakeResult, make, remix
from .plan import Plan, plan


def verify(video):
    """What a video says about itself: see sayso.trust.verify.Report."""
    from .trust.verify import verify as _verify

    return _verify(video)


__all__ = ["MakeResult", "Plan", "SaysoError", "make", "plan", "remix", "verify", "__version__"]
