"""sayso: one photo and one prompt -> a talking, moving MP4, offline on a CPU.

    import sayso
    result = sayso.make("portrait.jpg", "She smiles and says 'Hello there.'", "hello.mp4")
    print(result.video, result.duration)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import SaysoError
from .pipeline import MakeResult, make
from .plan import Plan, plan

__all__ = ["MakeResult", "Plan", "SaysoError", "make", "plan", "__version__"]
