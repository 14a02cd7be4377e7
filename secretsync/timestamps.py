"""The one timestamp form secretsync reads and writes: ISO 8601, UTC, ``...Z``.

GitHub sends ``2026-11-22T10:00:00Z``; ESC bookkeeping and audit reports hold the same
form. Python 3.10's ``fromisoformat`` does not accept a trailing ``Z``, and a timestamp
without an offset would compare wrongly with an aware one, so every parse goes through
:func:`parse_timestamp` and every write through :func:`format_timestamp`.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

__all__ = ["format_timestamp", "parse_timestamp"]


_FRACTION = re.compile(r"\.(\d+)")


def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime; a stamp without an offset is taken as UTC.

    Raises ``ValueError`` for text that is not an ISO 8601 date-time.
    """
    stripped = text.strip()
    if stripped[-1:] in ("Z", "z"):
        stripped = stripped[:-1] + "+00:00"
    # Python 3.10 reads only 3 or 6 fraction digits; services send 1 to 9.
    stripped = _FRACTION.sub(lambda m: "." + (m[1] + "000000")[:6], stripped, count=1)
    moment = datetime.fromisoformat(stripped)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def format_timestamp(moment: datetime) -> str:
    """``2026-11-22T10:00:00Z``: seconds precision, UTC (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    utc = moment.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)
    return utc.isoformat() + "Z"  # not strftime: %Y drops the leading zeros of year 999
