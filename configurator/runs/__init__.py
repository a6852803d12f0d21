"""Floor 7, runs: many cases at once, through the `Environment`.

Scenario suites (`suites`, with the pytest plugin in `pytest_plugin`), batch
evaluation and batch rendering on one worker pool (`pool`), the publish gates
and the demo - the main job end to end.
"""

from __future__ import annotations

from .batch import run_batch
from .batch_render import render_batch
from .demo import run_demo
from .suites import run_suites

__all__ = ["render_batch", "run_batch", "run_demo", "run_suites"]
