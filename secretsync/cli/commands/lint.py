"""``secretsync lint``: mapped secrets read through ``os.getenv``/``os.environ``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from secretsync.cli.options import add_format, add_output

if TYPE_CHECKING:
    from secretsync.cli.app import App
    from secretsync.scan.lint import LintFinding

__all__ = ["register", "run"]

SCHEMA = "secretsync/lint/v1"

_DESCRIPTION = """\
Report Python code that reads a mapped secret (by its name or env_var) through os.getenv,
os.environ[...], os.environ.get or os.environ.setdefault, under any import alias; such code
should use settings.<field>. With no PATH: the Python files git tracks under the current
folder. Exit 1 when there are findings.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lint",
        help="Python code reading mapped secrets via os.getenv: use settings.<field>",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to lint")
    add_format(parser, ("table", "json"))
    add_output(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    from secretsync.scan.lint import lint_file, targets_from_map
    from secretsync.scan.paths import discover

    targets = targets_from_map(app.load_map().secrets.values())
    files = discover(args.paths, cwd=app.cwd, suffixes=(".py", ".pyi"))
    findings: list[LintFinding] = []
    for path, shown in files:
        try:
            findings.extend(lint_file(path, shown, targets))
        except SyntaxError as exc:
            app.info(f"warning: {shown}:{exc.lineno or 1}: cannot parse: {exc.msg}")
        except UnicodeDecodeError:
            app.info(f"warning: {shown}: not valid UTF-8; skipped")
        except (ValueError, RecursionError):  # NUL bytes; nesting deeper than ast allows
            app.info(f"warning: {shown}: cannot parse; skipped")
        except OSError as exc:
            app.info(f"warning: {shown}: cannot read: {exc.strerror}")
    findings.sort()
    if args.format == "json":
        import json

        document = {"schema": SCHEMA, "findings": [f.to_dict() for f in findings]}
        app.write_output(json.dumps(document, indent=2), args.output)
    elif app.interactive and args.output is None:
        from rich.markup import escape

        for f in findings:
            app.out.print(
                f"[bold]{escape(f.path)}:{f.line}:{f.column}[/]: [red]{escape(f.name)}[/] "
                f"read via {f.via}; use [green]settings.{escape(f.field)}[/]",
                highlight=False,
            )
    elif findings or args.output is not None:
        app.write_output("\n".join(str(f) for f in findings), args.output)
    plural = ("" if len(findings) == 1 else "s", "" if len(files) == 1 else "s")
    app.info(f"{len(findings)} finding{plural[0]} in {len(files)} file{plural[1]}")
    return 1 if findings else 0
