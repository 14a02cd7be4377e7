"""The shared progress helper: drawn for a watching terminal, nothing at all otherwise."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from secretsync.cli.app import App
from secretsync.cli.progress import progress, shows_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _app(*, stdout: io.StringIO, stderr: io.StringIO, verbosity: int = 0) -> App:
    app = App(environ={}, stdout=stdout, stderr=stderr, verbosity=verbosity)
    app.err = Console(file=stderr, force_terminal=stderr.isatty(), width=100)
    return app


def _use(app: App, output: Path | None = None) -> bool:
    with progress(app, output) as board:
        reading = board.task("reading production")
        files = board.task("scanning", total=3)
        assert list(files.track(["a", "b", "c"])) == ["a", "b", "c"]
        reading.update("writing production")
        reading.done("production: done")
        board.say("warning: something to know")
        return board.live


def test_drawn_on_stderr_when_both_streams_are_terminals() -> None:
    out, err = _Terminal(), _Terminal()
    assert _use(_app(stdout=out, stderr=err))
    drawn = err.getvalue()
    assert "scanning" in drawn and "3/3" in drawn and "production: done" in drawn
    assert "warning: something to know" in drawn
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("stdout", "stderr", "verbosity", "output"),
    [
        (io.StringIO, _Terminal, 0, None),  # `secretsync plan | cat`
        (_Terminal, io.StringIO, 0, None),  # stderr captured (CI, pre-commit)
        (io.StringIO, io.StringIO, 0, None),
        (_Terminal, _Terminal, -1, None),  # -q
        (_Terminal, _Terminal, 1, None),  # -v: the log is the progress
        (io.StringIO, _Terminal, 0, Path("-")),  # -o - is stdout
    ],
)
def test_nothing_extra_when_not_watched(
    stdout: type[io.StringIO], stderr: type[io.StringIO], verbosity: int, output: Path | None
) -> None:
    out, err = stdout(), stderr()
    app = _app(stdout=out, stderr=err, verbosity=verbosity)
    assert not shows_progress(app, output)
    assert not _use(app, output)
    assert out.getvalue() == ""
    # Only the message line, exactly as app.info writes it (and nothing under -q).
    assert err.getvalue() == ("" if verbosity < 0 else "warning: something to know\n")


def test_a_result_written_to_a_file_leaves_the_terminal_to_progress() -> None:
    out, err = io.StringIO(), _Terminal()
    assert _use(_app(stdout=out, stderr=err), Path("report.json"))
    assert "scanning" in err.getvalue()
