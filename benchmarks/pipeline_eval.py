"""Score the whole pipeline on real-world values, not only ``classify``.

    python benchmarks/pipeline_eval.py [--sets wild7,wild8,...] [--real wild9,wild10,wild11]

Three measures, each through the command a user runs:

1. ``secretsync scan`` on the real files of ``eval/real/<set>/`` (kept as found, real
   credentials scrambled), scored against the hand labels in ``eval/real/<set>.labels``
   (``file line key label``): a placeholder counts as reported when scan gives that line a
   ``placeholder`` or ``empty-value`` finding; a real-looking key is a false alarm when it
   gets one; a reference is left alone when its line has no finding at all.
2. ``secretsync scan`` on a rendered deploy config: every value of the labelled sets
   (``eval/<set>.jsonl``) written under its own key into a deployed ``.env`` and into a
   compose file's ``environment:``, as a release would carry it.
3. ``secretsync audit`` on the same values stored in ESC: each value becomes a mapped
   secret of an in-process emulator's ESC environment, and audit's ``placeholder`` and
   ``empty-value`` findings are counted per secret.

Prints one line per measure and set: placeholders reported / real-looking keys called
placeholders / references left alone (targets >= 95% / <= 1% / >= 95%).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "eval"
REAL = EVAL / "real"
REPORTED = frozenset(("placeholder", "empty-value"))
DEFAULT_SETS = ("wild7", "wild8")
DEFAULT_REAL = ("wild9", "wild10", "wild11")


@dataclass
class Score:
    """Counts per label of one measure on one set."""

    name: str
    total: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)

    def add(self, label: str, rules: set[str]) -> None:
        if label not in ("placeholder", "empty", "secret", "reference"):
            return  # "unsure" rows are not scored
        reported = bool(rules & REPORTED)
        ok = {
            "placeholder": reported,
            "empty": reported,
            "secret": not reported,
            "reference": not rules,
        }[label]
        self.total[label] += 1
        self.right[label] += ok

    def rate(self, label: str) -> float:
        return self.right[label] / self.total[label] if self.total[label] else 1.0

    @property
    def caught(self) -> float:
        return self.rate("placeholder")

    @property
    def false_alarms(self) -> float:
        return 1.0 - self.rate("secret") if self.total["secret"] else 0.0

    @property
    def references(self) -> float:
        return self.rate("reference")

    def line(self) -> str:
        parts = [
            f"placeholders reported {self.right['placeholder']}/{self.total['placeholder']}"
            f" = {self.caught:.1%}",
            f"real-looking called placeholders {self.total['secret'] - self.right['secret']}"
            f"/{self.total['secret']} = {self.false_alarms:.1%}",
            f"references left alone {self.right['reference']}/{self.total['reference']}"
            f" = {self.references:.1%}",
        ]
        if self.total["empty"]:
            parts.append(f"empties reported {self.right['empty']}/{self.total['empty']}")
        return f"{self.name:<28} " + "; ".join(parts)


def _scan_json(folder: Path, files: Sequence[str]) -> list[dict[str, object]]:
    """``secretsync scan --format json FILES`` run in ``folder``, as a hook would run it."""
    done = subprocess.run(
        [sys.executable, "-m", "secretsync", "scan", "--format", "json", *files],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"scan failed in {folder}: {done.stderr.strip()}")
    findings: list[dict[str, object]] = json.loads(done.stdout)["findings"]
    return findings


def _rules_by_line(findings: Iterable[dict[str, object]]) -> dict[tuple[str, int], set[str]]:
    found: dict[tuple[str, int], set[str]] = {}
    for f in findings:
        found.setdefault((str(f["path"]), int(str(f["line"]))), set()).add(str(f["rule"]))
    return found


def score_real(name: str) -> Score:
    """Measure 1: scan on one real set's files against its labels."""
    folder = REAL / name
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    found = _rules_by_line(_scan_json(folder, files))
    score = Score(f"scan, real files: {name}")
    for raw in (REAL / f"{name}.labels").read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        path, line, _key, label = raw.split()
        score.add(label, found.get((path, int(line)), set()))
    return score


def load_rows(name: str) -> list[dict[str, str]]:
    rows = []
    for raw in (EVAL / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        if raw.strip():
            row = json.loads(raw)
            rows.append({k: "" if v is None else str(v) for k, v in row.items()})
    return rows


_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


def env_name(key: str, index: int) -> str:
    """A variable/secret name for a row: its key, made a valid name, numbered."""
    name = _NOT_NAME.sub("_", key).strip("_").upper() or "SECRET"
    if name[0].isdigit() or name.startswith("GITHUB_"):
        name = "K_" + name
    return f"{name}_{index:04d}"


def _rendered(rows: Sequence[dict[str, str]]) -> tuple[str, str, list[int], list[int]]:
    """A deployed ``.env`` and a compose file holding every row, and each row's line."""
    env_lines, env_at = [], []
    compose = ["services:", "  app:", "    image: example/app:1.0", "    environment:"]
    compose_at = []
    for index, row in enumerate(rows):
        name = row["key"] or "SECRET_VALUE"
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name):
            name = env_name(name, index)
        quoted = json.dumps(row["value"])  # JSON strings are valid .env and YAML quoting
        env_at.append(len(env_lines) + 1)
        env_lines.append(f"{name}={quoted}")
        compose_at.append(len(compose) + 1)
        compose.append(f"      {name}: {quoted}")
    return "\n".join(env_lines) + "\n", "\n".join(compose) + "\n", env_at, compose_at


def score_rendered(name: str, rows: Sequence[dict[str, str]]) -> list[Score]:
    """Measure 2: the rows rendered into a deployed .env and a compose file, then scanned."""
    env_text, compose_text, env_at, compose_at = _rendered(rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / ".env.production").write_text(env_text, encoding="utf-8")
        (folder / "docker-compose.prod.yml").write_text(compose_text, encoding="utf-8")
        found = _rules_by_line(_scan_json(folder, [".env.production", "docker-compose.prod.yml"]))
    scores = []
    for file, at in ((".env.production", env_at), ("docker-compose.prod.yml", compose_at)):
        score = Score(f"scan, rendered {file.split('.')[0] or 'env'}: {name}")
        for row, line in zip(rows, at, strict=True):
            score.add(row["label"], found.get((file, line), set()))
        scores.append(score)
    return scores


_MAP_HEAD = """\
version: 1
github:
  org: eval-org
esc:
  org: eval-esc
  project: default
environments:
  production: {esc_env: eval-production}
categories:
  app: app
secrets:
"""


def score_audit(name: str, rows: Sequence[dict[str, str]]) -> Score:
    """Measure 3: every row a mapped secret whose value is stored in the emulator's ESC."""
    from secretsync.cli.app import App
    from secretsync.cli.main import main
    from secretsync.emulator import Emulator
    from secretsync.sync.definition import EscDefinition

    names = [env_name(row["key"] or "SECRET", i) for i, row in enumerate(rows)]
    emu = Emulator()
    definition = EscDefinition.parse("values: {}\n")
    lines = [_MAP_HEAD]
    for secret, row in zip(names, rows, strict=True):
        lines.append(f"  {secret}:\n    category: app\n")
        path = f"app.{secret.lower()}"
        definition.set_secret(path, row["value"])
        definition.set_env_var(secret, path)
        emu.seed_github_secret("orgs/eval-org", secret, row["value"] or "x")
    emu.seed_esc_environment("eval-esc", "default", "eval-production", definition.dump())
    with tempfile.TemporaryDirectory() as tmp:
        map_path = Path(tmp) / "secret_map.yaml"
        map_path.write_text("".join(lines), encoding="utf-8")
        out = io.StringIO()
        app = App(
            environ={
                "SECRETSYNC_MAP": str(map_path),
                "GH_TOKEN": "eval-github-token",  # secretsync: ignore (emulator takes any)
                "PULUMI_ACCESS_TOKEN": "eval-pulumi-token",  # secretsync: ignore
                "NO_COLOR": "1",
            },
            stdout=out,
            stderr=io.StringIO(),
            cwd=Path(tmp),
            transport=emu.transport(),
            color=False,
        )
        code = main(["audit", "-e", "production", "--format", "json"], app=app)
    if code not in (0, 1):
        raise RuntimeError(f"audit exited {code}")
    by_secret: dict[str, set[str]] = {}
    for finding in json.loads(out.getvalue())["findings"]:
        if finding.get("secret") and finding["rule"] in REPORTED:
            by_secret.setdefault(finding["secret"], set()).add(finding["rule"])
    score = Score(f"audit, values in ESC: {name}")
    for secret, row in zip(names, rows, strict=True):
        score.add(row["label"], by_secret.get(secret, set()))
    return score


def run(sets: Sequence[str], real: Sequence[str]) -> list[Score]:
    scores = [score_real(name) for name in real]
    for name in sets:
        rows = load_rows(name)
        scores.extend(score_rendered(name, rows))
        scores.append(score_audit(name, rows))
    return scores


def main_cli(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS), help="eval/<set>.jsonl sets")
    parser.add_argument("--real", default=",".join(DEFAULT_REAL), help="eval/real/<set> sets")
    args = parser.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    real = [s for s in args.real.split(",") if s]
    for score in run(sets, real):
        print(score.line())
    return 0


if __name__ == "__main__":
    sys.exit(main_cli())
