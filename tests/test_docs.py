"""The docs are tested: every ``secretsync`` command they show runs, and every command is shown.

Each ``sh`` block line that starts with ``secretsync`` runs in-process, in document order,
against the served emulator seeded from the shipped map (the demo's scenario with its
placeholder fixed and its orphan pruned, so only the stale secret is left to warn about).
A line may end with ``# exits N`` (the exit code it must give; default 0) or
``# not run: why`` (shown, not run: e.g. a server that runs until Ctrl-C). Lines that are
not secretsync commands (``esc``, ``gh``, ``read``...) are skipped. Every command a run
sees is what a shell inside the sync workflow would have: tokens, the emulator's URLs,
``SECRETSYNC_SECRETS_JSON`` holding what GitHub holds, and, as an operator about to push,
a fresh value exported for every mapped secret. ``login`` reads its token from stdin.
Python blocks of docs/SECRET_MANAGEMENT.md run too, in order, in one namespace.
"""

from __future__ import annotations

import io
import json
import random
import re
import shlex
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from secretsync.cli.app import App
from secretsync.cli.main import main
from secretsync.demo import scenario as demo_scenario
from secretsync.demo import values as demo_values
from secretsync.emulator import ServedEmulator
from secretsync.map.load import load_map
from secretsync.runtime import reset_settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHIPPED_MAP = ROOT / "config" / "secret_map.yaml"
_EXITS = re.compile(r"#\s*exits\s+(\d+)\s*$")
_NOT_RUN = re.compile(r"#\s*not run\b")


@dataclass(frozen=True)
class DocCommand:
    doc: str
    line: int
    text: str  # as written, continuation lines joined
    expect: int | None  # None: shown, not run

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.text}"


def fenced_blocks(text: str, language: str) -> list[tuple[int, list[str]]]:
    """``(first line number, lines)`` of every fenced block in ``language``."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        fence = line.strip()
        if current is None and fence.startswith("```"):
            if fence[3:].strip() == language:
                current, start = [], number + 1
            elif fence != "```":
                current, start = None, 0
        elif current is not None and fence.startswith("```"):
            blocks.append((start, current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def doc_commands(path: Path, root: Path = ROOT) -> list[DocCommand]:
    """The secretsync lines of the ``sh`` blocks of one document."""
    found: list[DocCommand] = []
    for start, lines in fenced_blocks(path.read_text(encoding="utf-8"), "sh"):
        pending, first = "", 0
        for offset, raw in enumerate(lines):
            if not pending:
                first = start + offset
            pending += raw.rstrip()
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            text, pending = " ".join(pending.split()), ""
            if not text.startswith("secretsync "):
                continue
            exits = _EXITS.search(text)
            expect = None if _NOT_RUN.search(text) else int(exits.group(1)) if exits else 0
            found.append(DocCommand(path.relative_to(root).as_posix(), first, text, expect))
    return found


def _argv(command: DocCommand) -> list[str]:
    words = shlex.split(command.text, comments=True)
    assert not {"|", ">", ">>", "<", "&&", ";"} & set(words), (
        f"{command}: keep doc commands plain (use -o FILE, --source json:FILE)"
    )
    return words[1:]


class DocWorld:
    """The served emulator, a folder that looks like the repository, and the environment."""

    def __init__(self, served: ServedEmulator, folder: Path) -> None:
        self.served, self.folder = served, folder
        (folder / "config").mkdir()
        shutil.copy(SHIPPED_MAP, folder / "config" / "secret_map.yaml")
        shutil.copytree(ROOT / ".github", folder / ".github")
        smap = load_map(SHIPPED_MAP)
        scenario = demo_scenario.build_scenario(smap, random.Random(0))
        demo_scenario.seed(served.emulator, scenario)
        org = f"orgs/{smap.github_org}"
        for name, value in scenario.fixes.items():
            served.emulator.seed_github_secret(org, name, value)
        rng = random.Random(1)
        self.exported = {s.name: demo_values.fake_value(s, rng) for s in smap.secrets.values()}
        self.values = [*scenario.all_values(), *self.exported.values()]
        code, output = self.run(["sync", "--all", "--prune"])
        assert code == 0, output

    def environ(self) -> dict[str, str]:
        secrets = {s["name"]: s["value"] for s in self.served.emulator.state()["github"]["secrets"]}
        return {
            **self.exported,
            "GH_TOKEN": "docs-github-token",
            # The map has a PULUMI_ACCESS_TOKEN secret too: the token a service runs with.
            "PULUMI_ACCESS_TOKEN": self.exported["PULUMI_ACCESS_TOKEN"],
            "SECRETSYNC_GITHUB_API_URL": self.served.github_url,
            "SECRETSYNC_ESC_API_URL": self.served.esc_url,
            # verify asks the emulator's provider facets, never a real provider.
            "SECRETSYNC_PROVIDERS_URL": self.served.url + "/_providers",
            "SECRETSYNC_SECRETS_JSON": json.dumps(secrets),
            "NO_COLOR": "1",
        }

    def run(self, argv: list[str]) -> tuple[int, str]:
        buffer = io.StringIO()
        stdin = "docs-test-token\n" if argv[:1] == ["login"] else ""
        app = App(
            environ=self.environ(),
            stdout=buffer,
            stderr=buffer,
            stdin=io.StringIO(stdin),
            cwd=self.folder,
        )
        code = main(argv, app=app)
        return code, buffer.getvalue()


@pytest.fixture
def world(
    secretsync_emulator_server: ServedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> DocWorld:
    # `-o FILE` is relative to the process's folder: never write into the checkout.
    monkeypatch.chdir(tmp_path)
    return DocWorld(secretsync_emulator_server, tmp_path)


def _doc_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.slow  # the operations doc runs the demo and a dozen commands: about 8 s
@pytest.mark.parametrize("doc", DOCS, ids=_doc_id)
def test_every_command_in_the_docs_exits_as_documented(doc: Path, world: DocWorld) -> None:
    failures = []
    for command in doc_commands(doc):
        if command.expect is None:
            continue
        code, output = world.run(_argv(command))
        if code != command.expect:
            failures.append(f"{command}\n  exited {code}, the doc says {command.expect}\n{output}")
        for value in world.values:
            assert value not in output, f"{command}: a value leaked"
    assert not failures, "\n\n".join(failures)


def _help_commands(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The commands ``secretsync --help`` lists, read from the help text itself."""
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    section = text.split("positional arguments:")[1].split("options:")[0]
    return re.findall(r"^ {4}(\w+) ", section, flags=re.MULTILINE)


def undocumented(commands: list[str], docs: list[Path]) -> tuple[list[str], list[str]]:
    """Commands no doc mentions as ``secretsync CMD``, and commands no ``sh`` block runs."""
    text = "\n".join(path.read_text(encoding="utf-8") for path in docs)
    shown = {c.text.split()[1] for path in docs for c in doc_commands(path, path.parent)}
    unmentioned = [c for c in commands if not re.search(rf"secretsync {c}\b", text)]
    return unmentioned, [c for c in commands if c not in shown]


def test_every_command_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _help_commands(capsys)
    assert {"validate", "sync", "audit", "emulator", "demo"} <= set(commands)
    unmentioned, unshown = undocumented(commands, DOCS)
    assert not unmentioned, f"commands with no mention in the docs: {unmentioned}"
    assert not unshown, f"commands no sh block shows: {unshown}"


def test_the_documentation_check_can_fail(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text("Run `secretsync plan`, or `secretsync syncing`:\n```sh\nsecretsync plan\n```\n")
    assert undocumented(["plan", "sync", "audit"], [doc]) == (["sync", "audit"], ["sync", "audit"])


def test_the_operations_doc_shows_the_essential_procedures() -> None:
    commands = [c.text for c in doc_commands(ROOT / "docs" / "SECRET_MANAGEMENT.md")]
    for needed in ("secretsync push --only", "secretsync sync", "secretsync audit"):
        assert any(c.startswith(needed) for c in commands), needed


def test_python_blocks_of_the_operations_doc_run(
    world: DocWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = ROOT / "docs" / "SECRET_MANAGEMENT.md"
    blocks = fenced_blocks(doc.read_text(encoding="utf-8"), "python")
    assert blocks
    for name, value in {**world.environ(), "SECRETSYNC_ENVIRONMENT": "production"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRETSYNC_MAP", str(world.folder / "config" / "secret_map.yaml"))
    namespace: dict[str, object] = {"__name__": "docs_example"}
    world.served.emulator.clear_request_log()
    reset_settings()
    try:
        for start, lines in blocks:
            source = textwrap.dedent("\n".join(lines))
            code = compile("\n" * (start - 1) + source, str(doc), "exec")
            exec(code, namespace)
    finally:
        reset_settings()
    # The rollback example really read revision 2 and wrote it back.
    calls = [(e["method"], e["path"]) for e in world.served.emulator.request_log()]
    production = "/api/esc/environments/scoobyjava-org/default/sophia-ai-production"
    read_at = calls.index(("GET", production + "/versions/2"))
    assert ("PATCH", production) in calls[read_at:]


def test_the_extractor_reads_annotations(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "```sh\nsecretsync plan --all \\\n  --exit-code  # exits 1\n"
        "esc env get a/b/c\nsecretsync emulator  # not run: serves\nsecretsync validate\n```\n"
        "```python\nsecretsync validate\n```\n"
    )
    found = [(c.line, c.text, c.expect) for c in doc_commands(doc, tmp_path)]
    assert found == [
        (2, "secretsync plan --all --exit-code # exits 1", 1),
        (5, "secretsync emulator # not run: serves", None),
        (6, "secretsync validate", 0),
    ]
