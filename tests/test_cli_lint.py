"""``secretsync lint`` end to end against the shipped map."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from canary_support import run_in

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "config" / "secret_map.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    shutil.copy(SHIPPED, tmp_path / "config" / "secret_map.yaml")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "llm.py").write_text(
        "import os as o\n"
        "from os import environ\n"
        "KEY = o.getenv('OPENAI_API_KEY', '')\n"
        "SSH = environ['LAMBDA_SSH_KEY']\n"
        "HOME = o.getenv('HOME')\n",
        encoding="utf-8",
    )
    (tmp_path / "svc" / "ok.py").write_text(
        "from secretsync import settings\nkey = settings.openai_api_key\n", encoding="utf-8"
    )
    return tmp_path


def test_findings_as_lines_and_exit_1(project: Path) -> None:
    code, out, err = run_in(["lint", "svc"], project)
    assert code == 1
    assert out == (
        "svc/llm.py:3:7: OPENAI_API_KEY read via os.getenv; use settings.openai_api_key\n"
        "svc/llm.py:4:7: LAMBDA_LABS_SSH_KEY read via os.environ[...]; "
        "use settings.lambda_ssh_key\n"
    )
    assert err == "2 findings in 2 files\n"


def test_json(project: Path) -> None:
    code, out, _ = run_in(["lint", "--format", "json", "svc/llm.py"], project)
    assert code == 1
    document = json.loads(out)
    assert document["schema"] == "secretsync/lint/v1"
    assert [(f["secret"], f["line"], f["column"]) for f in document["findings"]] == [
        ("OPENAI_API_KEY", 3, 7),
        ("LAMBDA_LABS_SSH_KEY", 4, 7),
    ]


def test_clean_and_unparsable_files(project: Path) -> None:
    (project / "svc" / "broken.py").write_text("import os\nos.getenv(\n", encoding="utf-8")
    (project / "svc" / "latin.py").write_bytes(b"import os\n# caf\xe9\nos.getenv('X')\n")
    (project / "svc" / "nul.py").write_bytes(b"import os\nos.getenv('X')\0\n")
    argv = ["lint", "svc/ok.py", "svc/broken.py", "svc/latin.py", "svc/nul.py"]
    code, out, err = run_in(argv, project)
    assert (code, out) == (0, "")
    lines = err.splitlines()
    assert lines[0].startswith("warning: svc/broken.py:2: cannot parse: ")
    assert lines[1] == "warning: svc/latin.py: not valid UTF-8; skipped"
    # SyntaxError on 3.11+, ValueError on 3.10: a warning either way.
    assert lines[2].startswith("warning: svc/nul.py") and "cannot parse" in lines[2]
    assert lines[3:] == ["0 findings in 4 files"]


def test_default_is_tracked_python_files(project: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "svc/ok.py"], cwd=project, check=True)
    code, out, err = run_in(["lint"], project)
    assert (code, out, err) == (0, "", "0 findings in 1 file\n")


def test_unknown_path_and_missing_map(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    code, _, err = run_in(["lint", "nope.py"], project)
    assert (code, err) == (2, "error: no such file or directory: nope.py\n")
    empty = tmp_path_factory.mktemp("nomap")
    code, _, err = run_in(["lint"], empty)
    assert code == 2 and err.startswith("error: no config/secret_map.yaml")
