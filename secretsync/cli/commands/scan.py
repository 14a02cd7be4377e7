"""``secretsync scan``: placeholders and hard-coded secrets in files; the pre-commit hook.

Imports stay inside ``run``: a pre-commit hook pays interpreter start-up on every commit.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secretsync.cli.options import add_format, add_output

if TYPE_CHECKING:
    from secretsync.cli.app import App
    from secretsync.scan.scanner import Finding, ScanReport

__all__ = ["register", "render", "run"]

FORMATS = ("table", "json", "sarif", "markdown")
SCHEMA = "secretsync/scan/v1"

_DESCRIPTION = """\
Scan files for placeholder values under secret-bearing keys and for hard-coded secrets.

Which files: the PATHs given (folders are walked, vendored folders skipped); with no PATH,
the files git tracks under the current folder (every file when not in a git repository);
with --all-files, every file git tracks in the repository. pre-commit passes the staged
files itself. Lockfiles, binary files and files over 1 MiB are skipped (-v names each one).

A finding is dropped when its own line (not the line above) holds `secretsync: ignore`, in
any comment style. Templates a tool fills in (${{ secrets.X }}, {{ .Values.x }}, __TOKEN__)
are not placeholders. Tests, docs and example files (.env.example, *.sample, ...) hold fake
values on purpose: there only secrets in a provider's format (ghp_..., AKIA...) count.

Exit 1 when there are findings that are not in the --baseline, else 0; exit 2 when a file
named on the command line cannot be read (a hook never passes a file it did not read).
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="placeholder and hard-coded secret scan of files (the pre-commit hook)",
        description=_DESCRIPTION,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to scan")
    parser.add_argument(
        "--all-files", action="store_true", help="every file git tracks in the repository"
    )
    add_format(parser, FORMATS)
    add_output(parser)
    parser.add_argument(
        "--baseline", type=Path, metavar="FILE", help="accepted findings: report only new ones"
    )
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="accept the current findings of the scanned files into --baseline FILE",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    from secretsync.cli.progress import progress
    from secretsync.errors import UsageError
    from secretsync.scan.paths import discover
    from secretsync.scan.scanner import scan_files

    if args.update_baseline and args.baseline is None:
        raise UsageError("--update-baseline needs --baseline FILE")
    files = discover(args.paths, cwd=app.cwd, all_files=args.all_files)
    shown = _as_given(files, args.paths)
    baseline = None
    if args.baseline is not None:
        from secretsync.scan.baseline import Baseline

        baseline = Baseline.load(
            app.cwd / args.baseline, missing_ok=args.update_baseline, label=str(args.baseline)
        )
    with progress(app, args.output) as board:
        many = len(files) >= _MANY_FILES
        task = board.task("scanning", total=len(files)) if many else None
        report = scan_files(
            task.track(files) if task else files, salt=baseline.salt if baseline else None
        )
    _refuse_unread(report, files, args.paths, app, shown)
    for warning in report.warnings:
        app.info(f"warning: {_shown_in(warning, shown)}")
    if app.verbosity > 0:
        for path, reason in report.skipped.items():
            app.info(f"skipped {shown.get(path, path)}: {reason}")
    if baseline is not None and args.update_baseline:
        baseline.update(report.findings, [name for _, name in files], app.cwd)
        baseline.save()
        app.info(f"{args.baseline}: {len(baseline.entries)} accepted findings")
        return 0
    findings = report.findings
    if baseline is not None:
        findings = baseline.new_findings(findings, app.cwd)
    accepted = len(report.findings) - len(findings)
    # Findings keep the path they were judged by (relative to the scan's folder, as the
    # baseline and SARIF need it); tables, lines and JSON show a path as the user gave it.
    displayed = [replace(f, path=shown[f.path]) if f.path in shown else f for f in findings]
    if args.format == "table" and app.interactive and args.output is None:
        if findings:
            app.out.print(_rich_table(displayed, app.out.width))
    else:
        chosen = findings if args.format == "sarif" else displayed
        text = render(args.format, chosen, cwd=app.cwd)
        if text or args.output is not None:
            app.write_output(text, args.output)
    notes = [f"{accepted} accepted by the baseline"] if accepted else []
    if report.skipped:
        notes.append(
            f"{len(report.skipped)} skipped" + ("" if app.verbosity > 0 else ": -v says why")
        )
    note = f" ({'; '.join(notes)})" if notes else ""
    app.info(f"{_count(len(findings), 'finding')} in {_count(report.files_scanned, 'file')}{note}")
    return 1 if findings else 0


# A scan of fewer files is over before a progress bar could say anything.
_MANY_FILES = 50


def _as_given(files: list[tuple[Path, str]], paths: list[str]) -> dict[str, str]:
    """Judged name -> the name to show, for files under a path given absolute: shown
    absolute as typed, not as a ``../../..`` path relative to the current folder."""
    roots = [Path(given) for given in paths if Path(given).is_absolute()]
    if not roots:
        return {}
    shown: dict[str, str] = {}
    for full, name in files:
        if any(full == root or root in full.parents for root in roots):
            shown[name] = full.as_posix()
    return shown


def _shown_in(line: str, shown: dict[str, str]) -> str:
    for name, display in shown.items():
        if line.startswith(f"{name}:"):
            return display + line[len(name) :]
    return line


def _refuse_unread(
    report: ScanReport,
    files: list[tuple[Path, str]],
    paths: list[str],
    app: App,
    shown: dict[str, str],
) -> None:
    """A file named on the command line (as pre-commit names staged files) that could not
    be read is a configuration error, not a clean scan: exit 2, nothing written."""
    from secretsync.errors import ConfigError

    named = {
        name
        for full, name in files
        if any(
            full == (given if given.is_absolute() else app.cwd / given)
            for given in map(Path, paths)
        )
    }
    unread = [name for name in named if report.skipped.get(name) == "unreadable"]
    if not unread:
        return
    first = sorted(unread)[0]
    prefix = f"{first}: cannot read: "
    reason = next((w[len(prefix) :] for w in report.warnings if w.startswith(prefix)), "unreadable")
    more = f" (and {len(unread) - 1} more)" if len(unread) > 1 else ""
    raise ConfigError(f"cannot read {shown.get(first, first)}: {reason}{more}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def render(fmt: str, findings: list[Finding], *, cwd: Path) -> str:
    """The findings as text in ``fmt`` (table means plain ``path:line:col:`` lines)."""
    if fmt == "json":
        import json

        document = {"schema": SCHEMA, "findings": [f.to_dict() for f in findings]}
        return json.dumps(document, indent=2)
    if fmt == "sarif":
        return _sarif(findings, cwd)
    if fmt == "markdown":
        return _markdown(findings)
    return "\n".join(
        f"{f.path}:{f.line}:{f.column}: {f.rule}: {f.message} [{f.kind}]" for f in findings
    )


def _rich_table(findings: list[Finding], width: int) -> Any:
    from secretsync.cli.tables import Column, fitted_table

    columns = (
        Column("location", whole=True),
        Column("rule", whole=True),
        Column("key", whole=True),
        Column("kind", whole=True),
        Column("message"),
    )
    # Cells become rich Text there: a path or key may hold `[...]`, which is not markup.
    rows = [(f"{f.path}:{f.line}:{f.column}", f.rule, f.key, f.kind, f.message) for f in findings]
    return fitted_table("secretsync scan", columns, rows, width)


def _markdown(findings: list[Finding]) -> str:
    lines = ["## secretsync scan", ""]
    if not findings:
        return "\n".join([*lines, "No findings."])
    lines += ["| location | rule | key | kind | message |", "|---|---|---|---|---|"]
    for f in findings:
        cells = (f"`{f.path}:{f.line}`", f.rule, f"`{f.key}`", f.kind, f.message)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


_RULE_HELP = {
    "placeholder": (
        "Placeholder value under a secret-bearing key",
        "A value like `changeme` or `sk-xxxx` sits where a real secret belongs. Put the real "
        "value in the secret store and read it through settings, or mark the line "
        "`secretsync: ignore` when the placeholder is intended.",
    ),
    "hardcoded-secret": (
        "Hard-coded secret",
        "A value shaped like a real credential is written in the file. Rotate it, move it to "
        "the secret store (GitHub secrets / Pulumi ESC) and read it through settings.",
    ),
}


def _sarif(findings: list[Finding], cwd: Path) -> str:
    import hashlib
    import os

    from secretsync.sarif import SarifResult, SarifRule, render_sarif

    rules = [
        SarifRule(
            id=rule, name=rule.title().replace("-", ""), short=short, help=text, level="error"
        )
        for rule, (short, text) in _RULE_HELP.items()
    ]
    root = _repository_root(cwd)
    results = []
    seen: dict[str, int] = {}
    for f in findings:
        path = Path(os.path.relpath((cwd / f.path).absolute(), root)).as_posix()
        stable = "\0".join((f.rule, path, f.key, f.kind))
        seen[stable] = seen.get(stable, 0) + 1
        digest = hashlib.sha256(f"{stable}\0{seen[stable]}".encode()).hexdigest()[:32]
        results.append(SarifResult(f.rule, "error", f.message, path, f.line, f.column, digest))
    return render_sarif(rules, results)


def _repository_root(cwd: Path) -> Path:
    """The folder holding ``.git`` above ``cwd`` (SARIF paths are repository-relative)."""
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists():
            return folder
    return cwd
