"""Where lines start, counted the way the parser of each file format counts them.

A position (``file:line:column``) and the ``secretsync: ignore`` check both need the
line an offset falls on, and both must agree with the parser that found the offset.
The parsers disagree on what ends a line:

* YAML (libyaml and PyYAML alike): ``\\r\\n``, ``\\r``, ``\\n``, NEL (U+0085), LINE
  SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029);
* everything else secretsync reads (TOML, .env, JSON, source code, plain text):
  ``\\r\\n``, ``\\r`` and ``\\n``, as Python's universal newlines, TOML, dotenv loaders,
  editors and git count them. ``str.splitlines`` would also split at form feed, vertical
  tab, U+001C-U+001E and U+2028, which none of those parsers treat as line ends.

:class:`LineTable` is the one offset/line table for the scanner, its extractors and the
workflow reference search.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from secretsync._lazyre import lazy_compile

__all__ = ["TEXT_BREAKS", "YAML_BREAKS", "LineTable", "breaks_for"]

YAML_BREAKS = lazy_compile("\r\n|[\r\n\x85\u2028\u2029]")
TEXT_BREAKS = lazy_compile("\r\n|[\r\n]")


def breaks_for(fmt: str) -> re.Pattern[str]:
    """The line breaks of a format name from :func:`secretsync.scan.formats.format_of`."""
    return YAML_BREAKS if fmt == "yaml" else TEXT_BREAKS


class LineTable:
    """Offsets to 1-based (line, column) and back, for one text under one set of breaks."""

    def __init__(self, text: str, breaks: re.Pattern[str] = TEXT_BREAKS) -> None:
        self.text = text
        self._starts = [0]
        self._ends: list[int] = []  # where each line's break begins (its text ends)
        for match in breaks.finditer(text):
            self._ends.append(match.start())
            self._starts.append(match.end())
        self._ends.append(len(text))

    def __len__(self) -> int:
        return len(self._starts)

    def __repr__(self) -> str:  # never the text: it is a file that may hold secrets
        return f"LineTable({len(self)} lines)"

    def offset(self, line: int, column: int) -> int:
        """The offset of 0-based ``line`` and ``column`` (a parser's mark)."""
        return self._starts[min(line, len(self._starts) - 1)] + column

    def locate(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of an offset; an offset on a break belongs to its line."""
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1

    def line(self, number: int) -> str:
        """The text of 1-based line ``number``, without its break."""
        return self.text[self._starts[number - 1] : self._ends[number - 1]]

    def lines(self) -> Iterator[tuple[int, str]]:
        """``(start offset, text with its break)`` of every line, in order."""
        bounds = [*self._starts[1:], len(self.text)]
        for start, end in zip(self._starts, bounds, strict=True):
            if start < end:
                yield start, self.text[start:end]
