"""Tables that fit the terminal: nothing cut off, no column that only holds blanks.

rich shrinks a table that is too wide by cutting cells (``…``) or folding them mid-word,
wherever it finds room, so a plan lost the end of its ESC paths while a column stood
empty, and the audit broke locations in the middle. Here a column is either *whole* (a
path, a name, a location: kept on one line) or *text* (wraps between words); the widths are
chosen before rich sees the table: whole columns at their full width, text columns at least
as wide as their longest word, the rest of the terminal shared out. Only when even that
does not fit does every column fold, which still loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

__all__ = ["Column", "fitted_table"]


@dataclass(frozen=True)
class Column:
    """A column: its header, whether its cells stay on one line, whether to keep it even
    when every cell is empty."""

    header: str
    whole: bool = False
    keep_empty: bool = False


def fitted_table(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str | Text]],
    width: int,
    *,
    caption: str | None = None,
) -> Table:
    """A rich table of ``rows`` (one cell per column) laid out for ``width`` columns."""
    from rich.table import Table
    from rich.text import Text

    texts = [[cell if isinstance(cell, Text) else Text(cell) for cell in row] for row in rows]
    kept = [
        index
        for index, column in enumerate(columns)
        if column.keep_empty or any(row[index].plain for row in texts)
    ]
    chosen = [columns[index] for index in kept]
    cells = [[row[index] for index in kept] for row in texts]
    widths = _widths(chosen, cells, width)
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for position, column in enumerate(chosen):
        table.add_column(
            column.header,
            width=widths[position] if widths else None,
            no_wrap=bool(widths) and column.whole,
            overflow="fold",
        )
    for row in cells:
        table.add_row(*row)
    return table


def _widths(columns: Sequence[Column], cells: Sequence[Sequence[Text]], width: int) -> list[int]:
    """Each column's width, or ``[]`` when the table fits as it is or cannot fit at all."""
    overhead = 3 * len(columns) + 1  # a border and two spaces of padding per column, plus one
    natural = [
        max([len(column.header), *(_longest_line(row[i].plain) for row in cells)])
        for i, column in enumerate(columns)
    ]
    if sum(natural) + overhead <= width:
        return []
    least = [
        natural[i]
        if column.whole
        else max([len(column.header), *(_longest_word(row[i].plain) for row in cells)])
        for i, column in enumerate(columns)
    ]
    spare = width - overhead - sum(least)
    if spare < 0:
        return []
    wants = [n - m for n, m in zip(natural, least, strict=True)]
    total_want = sum(wants)
    given = [
        m + (spare * w // total_want if total_want else 0)
        for m, w in zip(least, wants, strict=True)
    ]
    return [min(g, n) for g, n in zip(given, natural, strict=True)]


def _longest_line(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)
