"""Regular expressions compiled on first use, not at import.

The pre-commit hook pays for every module it imports, and compiling the classifier's and
the providers' patterns was the largest part of that; most runs need only a few of them.
"""

from __future__ import annotations

import re
from typing import Any, cast

__all__ = ["lazy_compile"]


class _LazyPattern:
    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._source, self._flags)
        return getattr(compiled, name)


def lazy_compile(source: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(source, flags)``, deferred until the pattern is first used."""
    return cast("re.Pattern[str]", _LazyPattern(source, flags))
