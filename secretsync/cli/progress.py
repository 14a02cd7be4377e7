"""Progress on a terminal, nothing when piped: the one helper every long command uses.

A command opens a board with :func:`progress` and adds a task per piece of work; a task
advances, is relabelled, or is marked done. The board draws (rich, on stderr, erased when
the block ends) only when someone watches: stderr is a terminal, and so is stdout unless
the result goes to ``-o FILE``; never with ``-q`` or ``-v`` (the log lines are the progress
then). Otherwise every call does nothing and rich is not even imported, so a pre-commit hook
or a pipe pays nothing and gets nothing extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from secretsync.cli.app import App

__all__ = ["Board", "Task", "progress", "shows_progress"]

T = TypeVar("T")


class Task:
    """One line of a board; every method does nothing when the board does not draw."""

    def __init__(self, bar: Progress | None = None, task_id: TaskID | None = None) -> None:
        self._bar = bar
        self._id = task_id

    def advance(self, steps: float = 1) -> None:
        """``steps`` more units of the task's total are done."""
        if self._bar is not None and self._id is not None:
            self._bar.advance(self._id, steps)

    def update(
        self, text: str | None = None, *, total: float | None = None, completed: float | None = None
    ) -> None:
        """Relabel the task, give it a total (its spinner becomes a bar), or set how much
        is done."""
        if self._bar is not None and self._id is not None:
            self._bar.update(self._id, description=text, total=total, completed=completed)

    def done(self, text: str | None = None) -> None:
        """The task is finished: its bar full, its spinner replaced by a tick."""
        if self._bar is not None and self._id is not None:
            task = next(t for t in self._bar.tasks if t.id == self._id)
            total = task.total or 1
            self._bar.update(self._id, description=text, total=total, completed=total)

    def track(self, items: Iterable[T]) -> Iterator[T]:
        """``items`` one by one, advancing the task after each."""
        for item in items:
            yield item
            self.advance()


class Board:
    """The tasks of one command; see :func:`progress`."""

    def __init__(self, app: App, bar: Progress | None = None) -> None:
        self._app = app
        self._bar = bar

    @property
    def live(self) -> bool:
        """True while progress is being drawn."""
        return self._bar is not None

    def task(self, text: str, total: float | None = None) -> Task:
        """A new line: a spinner while ``total`` is None, else a bar with a count."""
        if self._bar is None:
            return Task()
        return Task(self._bar, self._bar.add_task(text, total=total))

    def say(self, line: str) -> None:
        """A message line: ``app.info``, which prints above the bars while they draw."""
        self._app.info(line)


def shows_progress(app: App, output: Path | None = None) -> bool:
    """Whether a board draws for this run (see the module docstring)."""
    if app.verbosity != 0 or not app.stderr.isatty():
        return False
    to_file = output is not None and str(output) != "-"
    return to_file or app.stdout.isatty()


@contextmanager
def progress(app: App, output: Path | None = None) -> Iterator[Board]:
    """A board for one command, erased when the block ends (also on an error).

    ``output`` is the command's ``-o FILE``, if any: a result written to a file leaves the
    terminal free for progress even when stdout is not one.
    """
    if not shows_progress(app, output):
        yield Board(app)
        return
    from rich.progress import Progress

    bar = Progress(
        *_columns(),
        console=app.err,
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with bar:
        app.live = bar.console
        try:
            yield Board(app, bar)
        finally:
            app.live = None


def _columns() -> tuple[Any, ...]:
    """Spinner, text, bar, ``done/total`` (bars only) and time taken."""
    from rich.progress import (
        BarColumn,
        ProgressColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class Count(ProgressColumn):
        def render(self, task: Any) -> Text:
            if task.total is None:
                return Text("")
            return Text(f"{int(task.completed)}/{int(task.total)}", style="progress.download")

    return (
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}"),
        BarColumn(),
        Count(),
        TimeElapsedColumn(),
    )
