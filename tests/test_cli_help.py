"""Every command's ``--help``: one wrap width, plain words, a line for every option."""

from __future__ import annotations

import argparse
import itertools
import re

import pytest

from secretsync.cli.help import HELP_WIDTH
from secretsync.cli.main import COMMANDS, build_parser

_MARKUP = re.compile(r"``|:(mod|func|class|meth|attr|data):`")


def _command_parser(name: str) -> argparse.ArgumentParser:
    parser = build_parser([name])
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    chosen: argparse.ArgumentParser = sub.choices[name]
    return chosen


def _description_paragraphs(text: str) -> list[list[str]]:
    """The paragraphs between the usage block and the first argument section."""
    blocks = text.split("\n\n")
    found = []
    for block in blocks[1:]:
        if block.startswith(("options:", "positional arguments:", "optional arguments:")):
            break
        found.append(block.splitlines())
    return found


@pytest.mark.parametrize("name", list(COMMANDS))
@pytest.mark.parametrize("columns", [200, 70])
def test_help_wraps_at_one_width(name: str, columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    width = min(columns - 2, HELP_WIDTH)
    text = _command_parser(name).format_help()
    for line in text.splitlines():
        assert len(line) <= width, f"{name}: {line!r}"
    # Filled to that width, not to a narrower one of its own: no line of a description
    # paragraph could have taken the next line's first word.
    for paragraph in _description_paragraphs(text):
        for line, following in itertools.pairwise(paragraph):
            if following.lstrip().startswith("- "):
                continue
            assert len(line) + 1 + len(following.split()[0]) > width, f"{name}: {line!r}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_is_plain_text_with_every_option_explained(name: str) -> None:
    parser = _command_parser(name)
    text = parser.format_help()
    assert not _MARKUP.search(text), f"{name}: reStructuredText in --help"
    assert parser.description, f"{name} has no description"
    for action in parser._actions:
        assert action.help and action.help != argparse.SUPPRESS, (
            f"{name}: {'/'.join(action.option_strings) or action.dest} has no help text"
        )


def test_the_top_level_help_lists_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    text = build_parser().format_help()
    assert all(f"    {name}" in text for name in COMMANDS)
    assert max(len(line) for line in text.splitlines()) <= HELP_WIDTH
