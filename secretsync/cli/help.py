"""How ``--help`` looks: one wrap width and one paragraph rule for every command.

argparse wraps each parser at the terminal's full width and lets a command opt into raw
text; the result was a different width per command. Every parser gets this formatter
instead: the terminal's width up to :data:`HELP_WIDTH`, descriptions written as plain
paragraphs (a blank line between them) and re-wrapped, lines starting with ``- `` kept as
list items.
"""

from __future__ import annotations

import argparse
import re
import shutil
import textwrap

__all__ = ["HELP_WIDTH", "HelpFormatter"]

HELP_WIDTH = 88
_MIN_WIDTH = 40


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter at one width, with paragraphs and list items kept."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 28,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = min(shutil.get_terminal_size().columns - 2, HELP_WIDTH)
        super().__init__(prog, indent_increment, max_help_position, max(width, _MIN_WIDTH))

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        blocks = re.split(r"\n[ \t]*\n", textwrap.dedent(text).strip())
        return "\n\n".join(_fill_block(block, width, indent) for block in blocks)


def _fill_block(block: str, width: int, indent: str) -> str:
    items: list[list[str]] = []
    for line in block.splitlines():
        if line.startswith("- ") or not items:
            items.append([line.strip()])
        else:
            items[-1].append(line.strip())
    filled = []
    for item in items:
        text = " ".join(item)
        hang = "  " if text.startswith("- ") else ""
        filled.append(
            textwrap.fill(
                text,
                width,
                initial_indent=indent,
                subsequent_indent=indent + hang,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(filled)
