"""The one timestamp parser and formatter: every form the services send, always UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from secretsync.timestamps import format_timestamp, parse_timestamp

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T10:00:00Z", datetime(2026, 11, 22, 10, tzinfo=UTC)),  # GitHub
        ("2026-11-22T10:00:00z", datetime(2026, 11, 22, 10, tzinfo=UTC)),
        ("2026-11-22T10:00:00.123456Z", datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-22T10:00:00.1234567Z", datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-22T10:00:00.5Z", datetime(2026, 11, 22, 10, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-22T12:00:00+02:00", datetime(2026, 11, 22, 10, tzinfo=UTC)),  # ESC
        ("2026-11-22T10:00:00", datetime(2026, 11, 22, 10, tzinfo=UTC)),  # no offset: UTC
        (" 2026-11-22T10:00:00Z\n", datetime(2026, 11, 22, 10, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["", "Z", "yesterday", "2026-13-01T00:00:00Z"])
def test_parse_timestamp_rejects_non_timestamps(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_format_timestamp_is_utc_seconds_with_z() -> None:
    east = timezone(timedelta(hours=5, minutes=30))
    assert format_timestamp(datetime(2026, 11, 22, 15, 30, 59, 999, tzinfo=east)) == (
        "2026-11-22T10:00:59Z"
    )
    assert format_timestamp(datetime(2026, 11, 22, 10, 0)) == "2026-11-22T10:00:00Z"


_MOMENTS = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31))


@example(datetime(1978, 1, 1), ZoneInfo("Asia/Hovd"))  # a local time in a zone's gap
@given(_MOMENTS.map(lambda d: d.replace(microsecond=0)), st.timezones())
def test_round_trip(naive: datetime, zone: tzinfo) -> None:
    moment = naive.replace(tzinfo=zone)
    # Compared in UTC: Python treats an aware time in a zone's gap or fold as unequal to
    # every time in another zone (PEP 495), even the very same instant.
    assert parse_timestamp(format_timestamp(moment)) == moment.astimezone(timezone.utc)
