"""Jobs: renders requested over the studio, run outside the server's process.

model   Job, JobSpec, JobState, Event: the values
store   JobStore: jobs and their events in SQLite, the record the studio reads
runner  Runner: the interface the studio talks to (submit, get, events, cancel)
local   LocalRunner: worker processes on this machine (the default)
work    run(): one job through the same pipeline as the command line
worker  the local worker process
celery       the Celery app both sides share (task sayso.render, queues, delivery settings)
distributed  CeleryRunner: the studio's side of jobs on Celery workers (claims, beats, watchdog)
receive      a remote worker's files into the studio: checked by SHA-256, signed, in the library
remote       `sayso worker`: the Celery worker process and its HTTP client of the studio
"""

from .model import Event, Job, JobSpec, JobState
from .runner import Runner

__all__ = ["Event", "Job", "JobSpec", "JobState", "Runner"]
