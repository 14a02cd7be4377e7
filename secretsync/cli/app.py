"""What every command gets: consoles, the environment, the map, where output goes."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from secretsync.errors import ConfigError
from secretsync.masking import Redactor

if TYPE_CHECKING:
    import httpx
    from rich.console import Console

    from secretsync.map.model import SecretMap

__all__ = ["App", "ambient_secrets"]


# Secrets a run may hold without having read them as values (validate, lint and a crash
# before the source was loaded): a traceback is scrubbed of these too.
_TOKEN_VARS = ("GH_TOKEN", "GITHUB_TOKEN", "PULUMI_ACCESS_TOKEN")


def ambient_secrets(environ: Mapping[str, str]) -> list[str]:
    """Tokens and source values in the environment, for scrubbing tracebacks and logs."""
    found = [environ[name] for name in _TOKEN_VARS if environ.get(name)]
    raw = environ.get("SECRETSYNC_SECRETS_JSON")
    if raw:
        import json

        try:
            document = json.loads(raw)
        except ValueError:
            document = None
        if isinstance(document, dict):
            found += [v for v in document.values() if isinstance(v, str)]
    return found


@dataclass
class App:
    """The context a command runs in; built once by ``main`` (or by ``demo`` and tests)."""

    # Tokens and $SECRETSYNC_SECRETS_JSON live here: never in a repr.
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ), repr=False)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    map_option: Path | None = None
    verbosity: int = 0  # -1 quiet, 0 normal, 1+ verbose
    color: bool = True
    cwd: Path = field(default_factory=Path.cwd)
    transport: httpx.AsyncBaseTransport | None = None
    redactor: Redactor = field(default_factory=Redactor)
    _map: SecretMap | None = field(default=None, init=False, repr=False)
    _found_map: Path | None = field(default=None, init=False, repr=False)
    # While progress is drawn (secretsync.cli.progress), message lines go through its
    # console, which prints them above the bars instead of under a redraw.
    live: Console | None = field(default=None, init=False, repr=False)

    # Consoles are built on first use: importing rich costs start-up time that the
    # pre-commit hook (scan) cannot spare.
    @cached_property
    def out(self) -> Console:
        from rich.console import Console

        return Console(file=self.stdout, no_color=self._no_color, highlight=False, soft_wrap=True)

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(
            file=self.stderr,
            no_color=self._no_color,
            highlight=False,
            soft_wrap=True,
            stderr=True,
        )

    @property
    def _no_color(self) -> bool:
        return not self.color or "NO_COLOR" in self.environ

    @property
    def interactive(self) -> bool:
        """True when stdout is a terminal: tables there, plain lines into a pipe or file.
        (Progress follows its own rule: :mod:`secretsync.cli.progress`.)"""
        return self.stdout.isatty()

    def map_path(self) -> Path:
        """``--map``, else the discovered map (searched for once per run)."""
        if self.map_option is not None:
            return self.map_option
        if self._found_map is None:
            from secretsync.map.load import find_map

            self._found_map = find_map(self.cwd, self.environ)
        return self._found_map

    def load_map(self) -> SecretMap:
        """The validated map (loaded once); raises ``MapError``/``ConfigError``."""
        if self._map is None:
            # Validated once per map content, then read from the JSON cache (as runtime
            # settings do): a 1,000-secret map costs ~0.3 s to validate, every run.
            from secretsync.map.cache import load_map_cached

            shown = self.map_path()
            where = shown if shown.is_absolute() else self.cwd / shown
            self._map = load_map_cached(where, self.environ, display=shown)
        return self._map

    def info(self, message: str) -> None:
        """A progress line on stderr, silenced by ``-q``."""
        if self.verbosity < 0:
            return
        if self.live is not None:
            from rich.text import Text

            self.live.print(Text(self.redactor.redact(message)))
        else:
            self.stderr.write(self.redactor.redact(message) + "\n")

    def write_output(self, text: str, path: Path | None) -> None:
        """The command's result: to ``-o FILE`` (written whole, atomically) or stdout."""
        text = self.redactor.redact(text)
        if not text.endswith("\n"):
            text += "\n"
        if path is None or str(path) == "-":
            self.stdout.write(text)
            self.stdout.flush()
            return
        if not path.is_absolute():
            path = self.cwd / path
        tmp = path.with_name(f".{path.name}.secretsync-tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
