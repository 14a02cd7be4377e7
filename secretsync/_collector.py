"""The cyclic garbage collector, paused while large acyclic trees are built and dropped.

A parse of a 1,000-secret definition makes tens of thousands of objects, none of them in
a cycle; every few hundred allocations the collector would walk the whole heap looking
for cycles that are not there. Measured in the served emulator, that made one PATCH cost
anywhere from 60 to 120 ms, and in sync it was the difference between fitting between a
busy writer's edits and never fitting. What such code drops is freed by reference counting
all the same; the collector comes back on when the last holder leaves.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]


class _State:
    lock = threading.Lock()
    inside = 0
    was_on = False


@contextmanager
def paused() -> Iterator[None]:
    """No collector passes inside the block; safe to nest and to enter from many threads."""
    with _State.lock:
        if _State.inside == 0:
            _State.was_on = gc.isenabled()
            gc.disable()
        _State.inside += 1
    try:
        yield
    finally:
        with _State.lock:
            _State.inside -= 1
            if _State.inside == 0 and _State.was_on:
                gc.enable()
