"""``audit --verify``: ask the providers about the values the snapshot already holds.

No value is read twice: the decrypted ESC definitions and the values source of the
:class:`~secretsync.audit.gather.Snapshot` are what gets verified. An ESC environment that
could not be read is skipped here (its ``unreachable`` finding says so); one that does not
exist has no values to ask about.
"""

from __future__ import annotations

import dataclasses

from secretsync.audit.gather import Snapshot
from secretsync.verify import Candidate, Verifier, from_esc, from_source, verify_candidates

__all__ = ["candidates", "verify_snapshot"]


def candidates(snapshot: Snapshot) -> list[Candidate]:
    """Every audited secret with a value to ask about: ESC first, then the source."""
    found: list[Candidate] = []
    for environment in snapshot.environments:
        state = snapshot.esc.get(environment)
        if state is None or state.error is not None or state.definition is None:
            continue
        found += [c for c in from_esc(snapshot.smap, environment, state.definition) if c.value]
    if snapshot.source is not None:
        audited = {s.name for s in snapshot.audited()}
        found += [
            c
            for c in from_source(snapshot.smap, [None], snapshot.source)
            if c.secret.name in audited and c.value
        ]
    return found


async def verify_snapshot(snapshot: Snapshot, verifier: Verifier) -> Snapshot:
    """The snapshot with :attr:`Snapshot.verifications` filled in."""
    results = await verify_candidates(verifier, candidates(snapshot))
    return dataclasses.replace(snapshot, verifications=tuple(results))
