"""Which files a scan reads, and which of them may hold placeholders on purpose.

All of it is judged from a file's path alone, so pre-commit's parallel batches agree with a
whole-repository run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath

from secretsync.errors import UsageError
from secretsync.placeholders.vocabulary import wordset

__all__ = ["discover", "placeholders_expected", "skip_reason"]


_LOCK_FILES = wordset(
    "package-lock.json npm-shrinkwrap.json yarn.lock pnpm-lock.yaml poetry.lock pipfile.lock"
    " cargo.lock composer.lock gemfile.lock go.sum uv.lock pdm.lock bun.lockb flake.lock"
    " packages.lock.json podfile.lock mix.lock pubspec.lock"
)
_BINARY_SUFFIXES = wordset(
    ".png .jpg .jpeg .gif .ico .bmp .tif .tiff .webp .psd .pdf .zip .gz .tgz .bz2 .xz .7z"
    " .rar .jar .war .class .so .dylib .dll .exe .o .a .lib .pyc .pyo .whl .egg .woff"
    " .woff2 .ttf .otf .eot .mp3 .mp4 .mov .avi .webm .wav .ogg .sqlite .db .bin .pkl"
    " .npy .parquet .der .p12 .pfx .keystore .jks"
)
_MINIFIED_SUFFIXES = (".min.js", ".min.css", ".js.map", ".css.map", ".lock")
_VENDORED_DIRS = wordset(
    "node_modules vendor third_party site-packages .git .venv venv __pycache__ .tox"
    " .mypy_cache .ruff_cache .pytest_cache .hypothesis .nox .eggs bower_components"
)
_EXPECTED_DIRS = wordset(
    "test tests testing __tests__ spec specs fixtures testdata test_data examples docs doc"
)
_DOC_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".adoc")
_EXAMPLE_MARKERS = (".example", ".sample", ".template", ".dist", "example.", "sample.")


def skip_reason(path: str) -> str | None:
    """Why a file is not scanned, judged from its name alone (lockfile, binary, vendored)."""
    pure = PurePath(path)
    name = pure.name.lower()
    if name in _LOCK_FILES or name.endswith(_MINIFIED_SUFFIXES):
        return "lockfile or generated"
    if pure.suffix.lower() in _BINARY_SUFFIXES:
        return "binary"
    if any(part in _VENDORED_DIRS for part in pure.parts[:-1]):
        return "vendored"
    return None


def placeholders_expected(path: str) -> bool:
    """Tests, docs and example files hold placeholders on purpose; only real secrets count."""
    pure = PurePath(path)
    name = pure.name.lower()
    if any(part.lower() in _EXPECTED_DIRS for part in pure.parts[:-1]):
        return True
    if name.endswith(_DOC_SUFFIXES) or any(marker in name for marker in _EXAMPLE_MARKERS):
        return True
    stem = name.split(".", 1)[0]
    return (
        stem.startswith("test_")
        or stem.endswith(("_test", "_spec"))
        or stem == "conftest"
        or ".test." in name
        or ".spec." in name
    )


def discover(
    paths: Sequence[str], *, cwd: Path, all_files: bool = False, suffixes: tuple[str, ...] = ()
) -> list[tuple[Path, str]]:
    """The files to scan as ``(path, display name)``; see ``secretsync scan --help``.

    Named files are taken as given; folders are walked (vendored folders pruned); no paths
    means the tracked files under ``cwd`` (every file under it outside git); ``all_files``
    means every tracked file of the repository. ``suffixes`` filters by file suffix.
    """
    if paths and all_files:
        raise UsageError("give paths or --all-files, not both")
    found: dict[str, Path] = {}
    named: set[str] = set()  # files given by name: taken whatever their suffix
    if all_files:
        top = _git(["rev-parse", "--show-toplevel"], cwd)
        if top is None:
            raise UsageError(f"--all-files needs a git repository; {cwd} is not in one")
        root = Path(top.strip("\0\n"))
        everything = _git(["ls-files", "-z", "--full-name"], root) or ""
        for name in filter(None, everything.split("\0")):
            found.setdefault(_display(root / name, cwd), root / name)
    elif not paths:
        listed = _git(["ls-files", "-z"], cwd)
        if listed is None:
            for full in _walk(cwd):
                found.setdefault(_display(full, cwd), full)
        else:
            for name in filter(None, listed.split("\0")):
                found.setdefault(_display(cwd / name, cwd), cwd / name)
    for given in paths:
        full = cwd / given
        if full.is_dir():
            for inner in _walk(full):
                found.setdefault(_display(inner, cwd), inner)
        elif full.is_file():
            named.add(_display(full, cwd))
            found.setdefault(_display(full, cwd), full)
        else:
            raise UsageError(f"no such file or directory: {given}")
    return [
        (full, shown)
        for shown, full in sorted(found.items())
        if shown in named
        or ((not suffixes or shown.endswith(suffixes)) and (paths or full.is_file()))
    ]


def _walk(folder: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _VENDORED_DIRS and d != ".git")
        for name in sorted(files):
            yield Path(root) / name


def _display(path: Path, cwd: Path) -> str:
    """Relative to ``cwd`` with ``/`` separators (``../x`` outside it).

    Relative, so the path policy (``tests/``, ``vendor/``) never judges the folders above
    the project; absolute only where no relative path exists (another drive on Windows).
    """
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        pass
    try:
        return Path(os.path.relpath(path, cwd)).as_posix()
    except ValueError:
        return path.as_posix()


def _git(args: list[str], cwd: Path) -> str | None:
    """``git ARGS`` output, or None outside a repository or without git."""
    import subprocess  # only when listing tracked files: keeps the hook's start-up lean

    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None
