"""A detect-secrets plugin: placeholder and empty values under keys that name credentials.

detect-secrets looks for real secrets; a ``changeme`` or ``sk-xxxx`` that reaches production
is invisible to it. Teams already on detect-secrets add this plugin rather than a second
hook, and its findings land in their existing baseline and audit flow. The decisions are
``secretsync scan``'s own: the whole file is judged once (format, neighbours, a Kubernetes
Secret's decoded data, templates by file kind, the ``secretsync: ignore`` marker, no
findings in tests, docs and example files) and each line answers from that.

Three things make it work inside detect-secrets 1.5 as it is:

- **Default filters.** detect-secrets drops a "secret" that looks templated (``<token>``,
  ``${...}``), is not alphanumeric (``*****``), is a sequence (``123456``) or starts with
  ``$``: exactly what placeholders look like. So the plugin reports the assignment as it
  stands on the line (``DB_PASSWORD=<your-password>``), which none of those filters drop,
  and which also keys the baseline entry by key and value together.
- **A portable path.** ``detect-secrets scan --plugin FILE`` records FILE's absolute path,
  which breaks on every other machine and after the repository moves. ``python -m
  secretsync.detect_secrets_plugin shim`` writes a two-line module into the repository that
  imports the plugin, and ``... portable .secrets.baseline`` rewrites the baseline's entry to
  that file's path relative to the baseline's folder (where pre-commit and CI run).
- **Audit.** detect-secrets 1.5 builds its table of plugins before it reads the baseline's
  custom plugins and never refreshes it, so ``detect-secrets audit`` raises ``TypeError`` for
  every custom plugin (upstream issue #611). ``python -m secretsync.detect_secrets_plugin
  audit ARGS`` loads the baseline's settings first, then runs detect-secrets' own audit.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.plugins.base import BasePlugin

from secretsync.scan.formats import extract, format_of
from secretsync.scan.kinds import rendered_templates
from secretsync.scan.paths import placeholders_expected
from secretsync.scan.scanner import MAX_FILE_BYTES, is_suppressed, judge, scan_text

__all__ = ["SECRET_TYPE", "SHIM_NAME", "SecretsyncPlaceholderDetector", "main"]

#: Stable: detect-secrets baselines key their entries by it.
SECRET_TYPE = "secretsync placeholder"
#: The module ``shim`` writes into a repository; a baseline names it by a relative path.
SHIM_NAME = "detect_secrets_secretsync.py"
_RULES = ("placeholder", "empty-value")
_SHIM_TEXT = (
    '"""detect-secrets loads plugins from files: this one is secretsync\'s (see\n'
    "secretsync.detect_secrets_plugin). Kept in the repository so the baseline path is\n"
    'relative and works on every machine."""\n\n'
    "from secretsync.detect_secrets_plugin import SecretsyncPlaceholderDetector\n\n"
    '__all__ = ["SecretsyncPlaceholderDetector"]\n'
)


class SecretsyncPlaceholderDetector(BasePlugin):
    """Reports placeholder values (``changeme``, ``sk-xxxx``, ``<token>``) and empty ones
    under keys that hold credentials, so they never ship in place of the real value."""

    secret_type = SECRET_TYPE

    def __init__(self, **_: Any) -> None:
        self._file: tuple[str, int, float] | None = None
        self._by_line: dict[int, list[str]] = {}

    def analyze_string(self, string: str) -> Generator[str, None, None]:
        """The placeholder assignments in one line of text of unknown format."""
        yield from _line_findings("line.txt", string)

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
        found = self._from_file(filename, line_number)
        if found is None:  # no file to read (a diff, a string): judge the line alone
            found = list(_line_findings(filename, line))
        return {
            PotentialSecret(
                type=self.secret_type,
                filename=filename,
                secret=text,
                line_number=line_number,
            )
            for text in found
        }

    def _from_file(self, filename: str, line_number: int) -> list[str] | None:
        """The findings on ``line_number`` from judging the whole file once."""
        if not line_number:
            return None
        try:
            status = os.stat(filename)
        except OSError:
            return None
        stamp = (filename, status.st_size, status.st_mtime)
        if self._file != stamp:
            self._file, self._by_line = stamp, _file_findings(filename, status.st_size)
        return self._by_line.get(line_number, [])


def _file_findings(filename: str, size: int) -> dict[int, list[str]]:
    if size > MAX_FILE_BYTES:
        return {}
    try:
        text = Path(filename).read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:
        return {}
    lines = text.splitlines()
    found: dict[int, list[str]] = {}
    for finding in scan_text(filename, text):
        if finding.rule in _RULES and 0 < finding.line <= len(lines):
            line = lines[finding.line - 1]
            found.setdefault(finding.line, []).append(_assignment(line, finding.column - 1))
    return found


def _assignment(line: str, value_at: int) -> str:
    """The line from its first non-blank character (the key) on: ``DB_PASSWORD=<x>``, never
    the bare value, which detect-secrets' filters would drop."""
    text = line.strip()
    return text if text else line[value_at:]


def _line_findings(filename: str, line: str) -> Iterator[str]:
    fmt = format_of(filename)
    in_code = fmt in ("code", "text")
    renders = rendered_templates(filename, fmt)
    for candidate in extract(filename, line):
        verdict = judge(
            candidate.key,
            candidate.value,
            in_code=in_code,
            renders=renders,
            config=fmt in ("env", "yaml", "json", "toml"),
        )
        if verdict is not None and verdict[0] in _RULES:
            yield _assignment(line, candidate.offset)


# --- the command: shim, portable, audit -----------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``shim [PATH]``, ``portable BASELINE [--shim PATH]`` or ``audit ARGS...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    try:
        if command == "shim":
            return _shim(Path(rest[0]) if rest else Path(SHIM_NAME))
        if command == "portable" and rest:
            shim = Path(rest[2]) if len(rest) >= 3 and rest[1] == "--shim" else None
            return _portable(Path(rest[0]), shim)
        if command == "audit":
            return _audit(rest)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"error: unknown command {command!r}; use shim, portable or audit", file=sys.stderr)
    return 2


def _shim(path: Path) -> int:
    path.write_text(_SHIM_TEXT, encoding="utf-8")
    print(f"wrote {path}; scan with: detect-secrets scan --plugin {path} > .secrets.baseline")
    print("then: python -m secretsync.detect_secrets_plugin portable .secrets.baseline")
    return 0


def _portable(baseline: Path, shim: Path | None) -> int:
    """Point the baseline's secretsync plugin entry at the shim, relative to the baseline."""
    document = json.loads(baseline.read_text(encoding="utf-8"))
    folder = baseline.resolve().parent
    target = (shim or folder / SHIM_NAME).resolve()
    if not target.is_file():
        raise ValueError(f"{target}: no shim; run: python -m {__name__} shim")
    relative = os.path.relpath(target, folder).replace(os.sep, "/")
    changed = 0
    for plugin in document.get("plugins_used", []):
        if plugin.get("name") == SecretsyncPlaceholderDetector.__name__:
            plugin["path"] = f"file://{relative}"
            changed += 1
    if not changed:
        raise ValueError(f"{baseline}: no {SecretsyncPlaceholderDetector.__name__} plugin in it")
    baseline.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"{baseline}: plugin path is now file://{relative} (run detect-secrets from {folder})")
    return 0


def _audit(args: list[str]) -> int:
    """detect-secrets' audit, with the baseline's plugins configured before it starts."""
    from detect_secrets.core import baseline as ds_baseline
    from detect_secrets.main import main as detect_secrets_main
    from detect_secrets.settings import configure_settings_from_baseline

    files = [a for a in args if not a.startswith("-")]
    if not files:
        raise ValueError("audit needs a baseline file")
    configure_settings_from_baseline(ds_baseline.load_from_file(files[0]), filename=files[0])
    return int(detect_secrets_main(["audit", *args]) or 0)


if __name__ == "__main__":
    sys.exit(main())
