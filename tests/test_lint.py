"""The os.getenv lint: every read form, import aliases, and what is not a finding."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from secretsync.scan.lint import LintTarget, lint_file, lint_source, targets_from_map

TARGETS = {
    "OPENAI_API_KEY": LintTarget("OPENAI_API_KEY", "openai_api_key"),
    "LAMBDA_SSH_KEY": LintTarget("LAMBDA_LABS_SSH_KEY", "lambda_ssh_key"),
}


def hits(text: str) -> list[tuple[int, int, str, str]]:
    return [(f.line, f.column, f.name, f.via) for f in lint_source("m.py", text, TARGETS)]


# Each case: a module's text and every (line, column, name, via) the lint reports.
# The ids are the names these cases had as separate tests.
HIT_CASES = [
    pytest.param(
        (
            "import os\n"
            "a = os.getenv('OPENAI_API_KEY')\n"
            "b = os.getenv(\"OPENAI_API_KEY\", 'default')\n"
            "c = os.environ['OPENAI_API_KEY']\n"
            "d = os.environ.get('OPENAI_API_KEY')\n"
            "e = os.environ.get('OPENAI_API_KEY', None)\n"
            "f = os.environ.setdefault('OPENAI_API_KEY', '')\n"
        ),
        [
            (2, 5, "OPENAI_API_KEY", "os.getenv"),
            (3, 5, "OPENAI_API_KEY", "os.getenv"),
            (4, 5, "OPENAI_API_KEY", "os.environ[...]"),
            (5, 5, "OPENAI_API_KEY", "os.environ.get"),
            (6, 5, "OPENAI_API_KEY", "os.environ.get"),
            (7, 5, "OPENAI_API_KEY", "os.environ.setdefault"),
        ],
        id="every_read_form_of_os",
    ),
    pytest.param(
        (
            "import os as o\n"
            "from os import getenv, environ\n"
            "from os import getenv as ge, environ as env\n"
            "def f():\n"
            "    return o.getenv('OPENAI_API_KEY'), getenv('OPENAI_API_KEY')\n"
            "x = ge('OPENAI_API_KEY'); y = environ['OPENAI_API_KEY']\n"
            "z = env.get('OPENAI_API_KEY'); w = o.environ['OPENAI_API_KEY']\n"
        ),
        [
            (5, 12, "OPENAI_API_KEY", "os.getenv"),
            (5, 40, "OPENAI_API_KEY", "os.getenv"),
            (6, 5, "OPENAI_API_KEY", "os.getenv"),
            (6, 31, "OPENAI_API_KEY", "os.environ[...]"),
            (7, 5, "OPENAI_API_KEY", "os.environ.get"),
            (7, 36, "OPENAI_API_KEY", "os.environ[...]"),
        ],
        id="import_aliases",
    ),
    pytest.param(
        "import os\nlabel = 'é'; key = os.getenv('OPENAI_API_KEY')\n",
        [(2, 20, "OPENAI_API_KEY", "os.getenv")],
        id="columns_count_characters_not_bytes",
    ),
]


@pytest.mark.parametrize(("text", "expected"), HIT_CASES)
def test_hits(text: str, expected: list[tuple[int, int, str, str]]) -> None:
    assert hits(text) == expected


def test_env_var_name_maps_to_its_secret() -> None:
    found = lint_source("m.py", "import os\nk = os.getenv('LAMBDA_SSH_KEY')\n", TARGETS)
    assert [str(f) for f in found] == [
        "m.py:2:5: LAMBDA_LABS_SSH_KEY read via os.getenv; use settings.lambda_ssh_key"
    ]
    assert found[0].variable == "LAMBDA_SSH_KEY"


@pytest.mark.parametrize(
    "text",
    [
        "import os\nx = os.getenv('HOME')\n",  # not mapped
        "import os\nname = 'OPENAI_API_KEY'\nx = os.getenv(name)\n",  # not a literal
        "import os\nos.environ['OPENAI_API_KEY'] = 'v'\n",  # a write, not a read
        "import os\ndel os.environ['OPENAI_API_KEY']\n",
        "# os.getenv('OPENAI_API_KEY') in a comment\n",
        "doc = \"call os.getenv('OPENAI_API_KEY')\"\n",  # in a string
        "getenv('OPENAI_API_KEY')\n",  # some other getenv, not imported from os
        "import osx\nosx.getenv('OPENAI_API_KEY')\n",
        "from myconf import environ\nenviron['OPENAI_API_KEY']\n",
        "import os\n'OPENAI_API_KEY' in os.environ\n",
        "from .os import getenv\ngetenv('OPENAI_API_KEY')\n",  # a relative module named os
    ],
)
def test_non_findings(text: str) -> None:
    assert hits(text) == []


def test_lint_file_reads_bom_and_skips_without_parsing(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"\xef\xbb\xbfimport os\nos.getenv('OPENAI_API_KEY')\n")
    assert [f.line for f in lint_file(path, "m.py", TARGETS)] == [2]
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")  # no environ/getenv: never parsed
    assert lint_file(broken, "broken.py", TARGETS) == []
    broken.write_text("import os\nos.getenv('X'\n")
    with pytest.raises(SyntaxError):
        lint_file(broken, "broken.py", TARGETS)


def test_targets_from_map_covers_names_and_env_vars() -> None:
    secrets = [
        SimpleNamespace(name="A_KEY", env_var="A_KEY", field="a_key"),
        SimpleNamespace(name="B_TOKEN", env_var="B_ENV", field="b"),
    ]
    assert targets_from_map(secrets) == {
        "A_KEY": LintTarget("A_KEY", "a_key"),
        "B_ENV": LintTarget("B_TOKEN", "b"),
        "B_TOKEN": LintTarget("B_TOKEN", "b"),
    }


def test_finding_json_shape() -> None:
    (finding,) = lint_source("m.py", "import os\nos.environ['OPENAI_API_KEY']\n", TARGETS)
    assert finding.to_dict() == {
        "path": "m.py",
        "line": 2,
        "column": 1,
        "secret": "OPENAI_API_KEY",
        "variable": "OPENAI_API_KEY",
        "via": "os.environ[...]",
        "field": "openai_api_key",
        "message": "OPENAI_API_KEY read via os.environ[...]; use settings.openai_api_key",
    }
