"""Finding secret references in workflow files, with their positions."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from secretsync.audit.workflows import SecretReference, find_references, scan_workflows

WORKFLOW = """\
name: deploy
on: push
# a comment: ${{ secrets.IN_A_COMMENT }}
env:
  OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}
  BOTH: "${{ secrets.first || secrets['Second_one'] }}"
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          # shell comment still expanded: ${{ secrets.IN_SCRIPT }}
          echo "${{ secrets[ "DOUBLE" ] }}"
      - uses: actions/checkout@v4
        with:
          token: ${{ secrets.GITHUB_TOKEN }}
          other: ${{ github.secrets.NOT_ONE }} ${{ inputs.secrets }}
          spaced: ${{secrets . SPACED}}
"""


def names(refs: list[SecretReference]) -> list[tuple[int, int, str]]:
    return [(r.line, r.column, r.name) for r in refs]


def test_references_with_positions() -> None:
    refs = find_references(WORKFLOW, ".github/workflows/deploy.yml")
    assert names(refs) == [
        (5, 23, "OPENAI_API_KEY"),
        (6, 14, "first"),
        (6, 31, "Second_one"),
        (12, 47, "IN_SCRIPT"),
        (13, 21, "DOUBLE"),
        (16, 22, "GITHUB_TOKEN"),
        (18, 22, "SPACED"),
    ]
    assert {r.path for r in refs} == {".github/workflows/deploy.yml"}
    assert refs[1].key == "FIRST"


def test_positions_point_at_the_reference() -> None:
    lines = WORKFLOW.splitlines()
    for ref in find_references(WORKFLOW):
        assert lines[ref.line - 1][ref.column - 1 :].startswith("secrets")


def test_yaml_comment_is_ignored_but_script_comment_is_not() -> None:
    found = {r.name for r in find_references(WORKFLOW)}
    assert "IN_A_COMMENT" not in found
    assert "IN_SCRIPT" in found


def test_broken_yaml_falls_back_to_lines() -> None:
    text = "key: [unclosed\n# ${{ secrets.COMMENTED }}\n  x: ${{ secrets.STILL_FOUND }}\n"
    assert names(find_references(text)) == [(3, 10, "STILL_FOUND")]


def test_repeated_reference_on_one_spot_once_and_crlf_lines() -> None:
    text = "a: ${{ secrets.X }}\r\nb: ${{ secrets.X }}\r\n"
    assert names(find_references(text)) == [(1, 8, "X"), (2, 8, "X")]


def test_no_expression_no_reference() -> None:
    assert find_references("run: echo secrets.NOT_AN_EXPRESSION\n") == []


def test_scan_workflows_reads_yml_and_yaml_only(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "b.yaml").write_text("x: ${{ secrets.B }}\n", encoding="utf-8")
    (folder / "a.yml").write_text("x: ${{ secrets.A }}\n", encoding="utf-8")
    (folder / "notes.md").write_text("${{ secrets.MD }}\n", encoding="utf-8")
    refs = scan_workflows(tmp_path)
    assert [(r.path, r.name) for r in refs] == [
        (".github/workflows/a.yml", "A"),
        (".github/workflows/b.yaml", "B"),
    ]


def test_scan_without_workflows_folder(tmp_path: Path) -> None:
    assert scan_workflows(tmp_path) == []


_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)


@given(
    names=st.lists(_NAMES, min_size=1, max_size=5),
    indexed=st.lists(st.booleans(), min_size=5, max_size=5),
    indent=st.integers(min_value=0, max_value=6),
)
def test_every_reference_found_where_it_is(
    names: list[str], indexed: list[bool], indent: int
) -> None:
    lines = ["jobs:", "  a:", "    steps:", "      - run: |"]
    expected = []
    for number, (name, by_index) in enumerate(zip(names, indexed, strict=False)):
        ref = f"secrets['{name}']" if by_index else f"secrets.{name}"
        prefix = " " * (8 + indent) + f"echo {number} "
        lines.append(f"{prefix}${{{{ {ref} }}}}")
        expected.append((len(lines), len(prefix) + 5, name))
    refs = find_references("\n".join(lines) + "\n")
    assert [(r.line, r.column, r.name) for r in refs] == expected


def test_positions_count_yaml_line_breaks() -> None:
    text = "a: 1\u2028b: ${{ secrets.Y }}\x85c: ${{ secrets.Z }}\rd: ${{ secrets.W }}\n"
    assert names(find_references(text)) == [(2, 8, "Y"), (3, 8, "Z"), (4, 8, "W")]
