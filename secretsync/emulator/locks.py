"""Locks the emulator serves under: one per ESC environment and per GitHub secret scope.

A request holds the shared side of its service's :class:`SharedLock` plus the lock of the
one environment (or scope) it touches, so a slow request on one environment never makes
another environment wait; what changes the set of environments, scopes or repositories
(create, delete, reset, seeding, ``state()``) takes the exclusive side instead.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

__all__ = ["KeyedLocks", "SharedLock"]


class SharedLock:
    """Many shared holders or one exclusive holder; a waiting exclusive holder goes first.

    The exclusive holder may enter either side again (seeding calls shared code); a shared
    holder must not ask again while an exclusive one waits.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._shared = 0
        self._exclusive: int | None = None  # thread id of the exclusive holder
        self._depth = 0  # re-entries of the exclusive holder
        self._waiting = 0  # exclusive holders waiting

    @contextmanager
    def shared(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._exclusive == me:  # the exclusive holder may call shared code
                self._depth += 1
                reentered = True
            else:
                reentered = False
                while self._exclusive is not None or self._waiting:
                    self._cond.wait()
                self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                if reentered:
                    self._depth -= 1
                else:
                    self._shared -= 1
                    if not self._shared:
                        self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            if self._exclusive == me:
                self._depth += 1
            else:
                self._waiting += 1
                while self._exclusive is not None or self._shared:
                    self._cond.wait()
                self._waiting -= 1
                self._exclusive, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if not self._depth:
                    self._exclusive = None
                    self._cond.notify_all()


class KeyedLocks:
    """One lock per key, made on first use (keys are environments or scopes: few)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, key: Hashable) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield
