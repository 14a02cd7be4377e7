"""verify's result and its renderings: a table on a terminal, plain lines when piped, and
the ``secretsync/verify/v1`` JSON document. No renderer sees a value: results hold none.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from secretsync.verify.status import Status, VerifyResult

__all__ = ["JSON_SCHEMA_ID", "VerifyReport"]

JSON_SCHEMA_ID = "secretsync/verify/v1"
_STYLE = {
    Status.LIVE: "green",
    Status.REJECTED: "bold red",
    Status.UNKNOWN: "yellow",
    Status.UNVERIFIABLE: "dim",
}
_ORDER = (Status.REJECTED, Status.UNKNOWN, Status.LIVE, Status.UNVERIFIABLE)


@dataclass(frozen=True)
class VerifyReport:
    """The results of one run and what they mean for the exit code.

    ``strict``: an ``unknown`` answer fails the run too (by default it does not: a
    provider that is down must not block a deploy, and is never a pass either).
    """

    results: tuple[VerifyResult, ...]
    environments: tuple[str, ...]
    strict: bool = False
    #: Reads that failed (an ESC environment): the run did not do its job, exit 1.
    errors: tuple[str, ...] = ()

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def passed(self) -> bool:
        if self.count(Status.REJECTED) or self.errors:
            return False
        return not (self.strict and self.count(Status.UNKNOWN))

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def summary_line(self) -> str:
        counts = ", ".join(
            f"{self.count(s)} {'not verifiable' if s is Status.UNVERIFIABLE else s.value}"
            for s in (Status.LIVE, Status.REJECTED, Status.UNKNOWN, Status.UNVERIFIABLE)
        )
        verdict = "passed" if self.passed else "FAILED"
        scope = ", ".join(self.environments) or "no environment"
        return f"verify {verdict} ({scope}): {counts}"

    def to_json(self) -> str:
        doc: dict[str, Any] = {
            "schema": JSON_SCHEMA_ID,
            "environments": list(self.environments),
            "summary": {s.value: self.count(s) for s in Status} | {"passed": self.passed},
            "results": [r.to_json() for r in self.results],
            "errors": list(self.errors),
        }
        return json.dumps(doc, indent=2)

    def to_plain(self) -> str:
        """One tab-separated line per result (status first), then the summary."""
        lines = [
            "\t".join((r.status.value, r.secret, r.environment or "-", r.provider or "-", r.detail))
            for r in self._sorted()
        ]
        return "\n".join([*lines, self.summary_line()]) + "\n"

    def rich(self) -> RenderableType:
        table = Table(
            title=self.summary_line(),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            collapse_padding=True,
        )
        for column in ("status", "secret", "environment", "provider", "detail"):
            table.add_column(column, no_wrap=column != "detail")
        for r in self._sorted():
            table.add_row(
                Text(r.status.value, style=_STYLE[r.status]),
                r.secret,
                r.environment or "-",
                r.provider or "-",
                r.detail,
            )
        return table

    def _sorted(self) -> Sequence[VerifyResult]:
        """Worst first; within a status, the order verify read them (map order)."""
        return sorted(self.results, key=lambda r: _ORDER.index(r.status))
