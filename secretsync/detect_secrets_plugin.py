"""A detect-secrets plugin: placeholder values under secret-bearing keys.

detect-secrets looks for real secrets; a ``changeme`` or ``sk-xxxx`` that reaches production
is invisible to it. Teams already on detect-secrets add this plugin rather than a second
hook, and its findings land in their existing baseline and audit flow:

    plugin=$(python -c 'import secretsync.detect_secrets_plugin as m; print(m.__file__)')
    detect-secrets scan --plugin "$plugin"

or, in a ``.secrets.baseline``, ``{"name": "SecretsyncPlaceholderDetector",
"path": "file://.../secretsync/detect_secrets_plugin.py"}`` under ``plugins_used``. The
decisions are ``secretsync scan``'s own (same classifier, same ``secretsync: ignore``
marker, no placeholder findings in tests, docs and example files), made line by line.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.plugins.base import BasePlugin

from secretsync.scan.formats import extract, format_of
from secretsync.scan.paths import placeholders_expected
from secretsync.scan.scanner import is_suppressed, judge

__all__ = ["SECRET_TYPE", "SecretsyncPlaceholderDetector"]

#: Stable: detect-secrets baselines key their entries by it.
SECRET_TYPE = "secretsync placeholder"


class SecretsyncPlaceholderDetector(BasePlugin):
    """Reports placeholder values (``changeme``, ``sk-xxxx``, ``<token>``) under keys that
    hold secrets, so they never ship in place of the real value."""

    secret_type = SECRET_TYPE

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        """The placeholder values in one line of text of unknown format."""
        yield from _placeholders("line.txt", string)

    def analyze_line(
        self,
        filename: str,
        line: str,
        line_number: int = 0,
        context: Any = None,
        **kwargs: Any,
    ) -> set[PotentialSecret]:
        if placeholders_expected(filename) or is_suppressed(line):
            return set()
        return {
            PotentialSecret(
                type=self.secret_type,
                filename=filename,
                secret=value,
                line_number=line_number,
            )
            for value in _placeholders(filename, line)
        }


def _placeholders(filename: str, line: str) -> Iterator[str]:
    in_code = format_of(filename) == "code"
    for candidate in extract(filename, line):
        verdict = judge(candidate.key, candidate.value, in_code=in_code)
        if verdict is not None and verdict[0] == "placeholder":
            yield candidate.value
