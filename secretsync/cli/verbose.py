"""``-v``: the ``secretsync`` loggers on stderr, every line through the run's redactor."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from secretsync.cli.app import App, ambient_secrets
from secretsync.masking import Redactor

__all__ = ["log_to_stderr"]


class _RedactingFormatter(logging.Formatter):
    """Every log line (exception text included) through the run's redactor."""

    def __init__(self, app: App) -> None:
        super().__init__("%(name)s: %(message)s")
        self._app = app
        # Tokens and source values a run holds before (or without) loading them as values.
        self._ambient = Redactor(ambient_secrets(app.environ))

    def format(self, record: logging.LogRecord) -> str:
        return self._ambient.redact(self._app.redactor.redact(super().format(record)))


@contextlib.contextmanager
def log_to_stderr(app: App) -> Iterator[None]:
    """With ``-v``, the ``secretsync`` loggers (client requests, retries, timings) on stderr.

    INFO with ``-v``, DEBUG with ``-vv``. Without ``-v`` nothing is attached. The logger
    does not propagate while attached, so a root handler someone else configured gets no
    copy; the root logger itself is never touched. All is undone after the command, so
    ``main`` can run many times in one process (tests, ``demo``).
    """
    logger = logging.getLogger("secretsync")
    handler = logging.StreamHandler(app.stderr)
    handler.setFormatter(_RedactingFormatter(app))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if app.verbosity > 1 else logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
