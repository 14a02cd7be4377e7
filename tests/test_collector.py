"""The collector pause: nested and overlapping holders, and the state it finds is the
state it leaves."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from secretsync._collector import paused


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer holder is still inside
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with paused():
        pass
    assert not gc.isenabled()


def test_the_last_of_overlapping_threads_turns_it_back_on() -> None:
    inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with paused():
            inside.set()
            release.wait(10)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(10)
    with paused():
        pass
    assert not gc.isenabled()  # the other thread is still inside
    release.set()
    thread.join(10)
    assert seen == [False] and gc.isenabled()


def test_an_exception_inside_still_restores_it() -> None:
    with pytest.raises(RuntimeError), paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
