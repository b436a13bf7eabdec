"""Jobs: renders requested over the studio, run outside the server's process.

model   Job, JobSpec, JobState, Event: the values
store   JobStore: jobs and their events in SQLite, the record the studio reads
runner  Runner: the interface the studio talks to (submit, get, events, cancel)
local   LocalRunner: worker processes on this machine (the default)
work    run(): one job through the same pipeline as the command line
worker  the local worker process
"""

from .model import Event, Job, JobSpec, JobState
from .runner import Runner

__all__ = ["Event", "Job", "JobSpec", "JobState", "Runner"]
