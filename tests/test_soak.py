"""The bounded soak: sync and push under 30 % dropped answers and 30 % 503s (and a few
trials at 70 % 503s, so failures happen too), beside another writer, over real HTTP;
every invariant of ``soak_support`` after every trial.

Fixed seeds keep the fault dice replayable (thread timing still varies, which is the
point: the invariants must hold whatever the interleaving). The long run of the same
trials is ``benchmarks/soak_bench.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from soak_support import Soak, Trial

from secretsync.emulator import ServedEmulator

# (seed, fail_rate); every trial also drops 30 % of answers after applying the request.
# The last of each fails every request: the run must then exit 1 with nothing changed.
SYNC = [*((seed, 0.3) for seed in range(101, 109)), *((seed, 0.7) for seed in range(302, 305))]
SYNC.append((305, 1.0))
PUSH = [*((seed, 0.3) for seed in range(201, 206)), *((seed, 0.7) for seed in (401, 402))]
PUSH.append((403, 1.0))


@pytest.fixture
def soak(secretsync_emulator_server: ServedEmulator, tmp_path: Path) -> Soak:
    return Soak(secretsync_emulator_server, tmp_path)


def _check(trials: list[Trial]) -> None:
    broken = {t.seed: t.violations for t in trials if t.violations}
    assert not broken, broken
    # The trials exercised what they claim: faults were injected (a short trial can draw
    # none) and both outcomes occurred overall.
    assert sum(t.faults_seen for t in trials) >= len(trials)
    assert {t.code for t in trials} == {0, 1}, [t.code for t in trials]


def test_sync_soak(soak: Soak) -> None:
    trials = [soak.trial("sync", seed, fail_rate=rate) for seed, rate in SYNC]
    _check(trials)
    assert sum(t.writer_edits for t in trials) >= len(trials)  # it really wrote too


def test_push_soak(soak: Soak) -> None:
    _check([soak.trial("push", seed, fail_rate=rate) for seed, rate in PUSH])
