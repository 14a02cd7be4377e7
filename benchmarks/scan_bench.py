"""Scan throughput against detect-secrets, and the pre-commit hook's wall time.

    python benchmarks/scan_bench.py [--sample N] [--hook-runs N] [--importtime]

1. The running interpreter's standard library (``*.py`` files): secretsync's scanner (in
   process, one core) over all of it; then secretsync and detect-secrets (default plugins
   and filters, its default of one process per core) over the SAME sample of every k-th
   file, because detect-secrets needs minutes for the whole library. Prints files, bytes,
   seconds, MB/s and the ratio (target: secretsync >= 30x faster).
2. ``secretsync scan`` on ten files as a subprocess, wall time including interpreter
   start-up, the median of ``--hook-runs`` runs (target: under 150 ms), next to a bare
   ``python -c pass`` for reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from secretsync.scan.scanner import scan_files


def stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)


def run_secretsync(files: list[Path]) -> tuple[float, int, int]:
    """Seconds, bytes scanned and findings of an in-process scan."""
    start = time.perf_counter()
    report = scan_files((path, path.as_posix()) for path in files)
    return time.perf_counter() - start, report.bytes_scanned, len(report.findings)


def run_detect_secrets(files: list[Path]) -> tuple[float, int]:
    """Seconds and findings of ``SecretsCollection().scan_files`` with default settings."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        collection = SecretsCollection()
        start = time.perf_counter()
        collection.scan_files(*(str(path) for path in files))
        elapsed = time.perf_counter() - start
    return elapsed, sum(len(found) for _, found in collection.data.items())


def row(name: str, files: int, size: int, seconds: float) -> str:
    rate = size / 1e6 / seconds if seconds else float("inf")
    return f"{name:<28} {files:>6} files {size / 1e6:>8.2f} MB {seconds:>8.3f} s {rate:>8.2f} MB/s"


_CONFIGS = {
    "deploy.yaml": "service: api\nreplicas: 2\nenv:\n  OPENAI_API_KEY: ${OPENAI_API_KEY}\n",
    ".env.production": "DATABASE_URL=${DATABASE_URL}\nSTRIPE_SECRET_KEY=\nLOG_LEVEL=info\n",
    "package.json": '{"name": "web", "version": "1.0.0", "scripts": {"build": "tsc"}}\n',
    "pyproject.toml": '[project]\nname = "svc"\nversion = "0.1"\n[tool.svc]\ntoken = ""\n',
    "client.ts": "const apiKey = process.env.API_KEY;\nexport const name = 'client';\n",
}


def hook_timing(runs: int, importtime: bool) -> None:
    """``secretsync scan`` on a ten-file commit (five mid-size modules, five config files)."""
    modules = sorted(stdlib_files(), key=lambda p: p.stat().st_size)
    middle = len(modules) // 2
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        names = []
        for module in modules[middle : middle + 5]:
            (root / module.name).write_bytes(module.read_bytes())
            names.append(module.name)
        for name, text in _CONFIGS.items():
            (root / name).write_text(text, encoding="utf-8")
            names.append(name)
        # What pre-commit runs: the `secretsync` console script of this environment.
        script = Path(sys.executable).with_name("secretsync")
        launcher = [str(script)] if script.exists() else [sys.executable, "-m", "secretsync"]
        command = [*launcher, "scan", *names]
        bare = [sys.executable, "-c", "pass"]
        # A hook environment caches bytecode after its first run (pre-commit's does), so
        # PYTHONDONTWRITEBYTECODE is dropped and one warm-up run writes it.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        labelled = (("python -c pass", bare), ("secretsync scan (10 files)", command))
        for _, argv in labelled:
            subprocess.run(argv, cwd=root, capture_output=True, check=False, env=env)
        times: dict[str, list[float]] = {label: [] for label, _ in labelled}
        # Interleaved, so both face the same machine: a shared CPU's speed drifts.
        for _ in range(runs):
            for label, argv in labelled:
                start = time.perf_counter()
                done = subprocess.run(argv, cwd=root, capture_output=True, check=False, env=env)
                times[label].append(time.perf_counter() - start)
                if done.returncode not in (0, 1):
                    sys.exit(f"{label} failed: {done.stderr.decode(errors='replace')}")
        for label, measured in times.items():
            print(
                f"{label:<28} median {statistics.median(measured) * 1000:7.1f} ms"
                f"   min {min(measured) * 1000:7.1f} ms   ({runs} runs)"
            )
        if importtime:
            done = subprocess.run(
                [sys.executable, "-X", "importtime", "-m", "secretsync", "scan", *names],
                cwd=root,
                capture_output=True,
                text=True,
                check=False,
            )
            rows = [
                line
                for line in done.stderr.splitlines()
                if line.count("|") == 2 and line.split("|")[1].strip().isdigit()
            ]
            rows.sort(key=lambda line: int(line.split("|")[1]), reverse=True)
            print("slowest imports (cumulative microseconds):")
            for line in rows[:15]:
                print("   ", line.split(":", 1)[1].strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=100, help="files for detect-secrets")
    parser.add_argument("--hook-runs", type=int, default=9)
    parser.add_argument("--importtime", action="store_true", help="show the slowest imports")
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]}, stdlib {sysconfig.get_paths()['stdlib']}")
    # First, before the throughput runs load the CPU for seconds.
    hook_timing(args.hook_runs, args.importtime)
    files = stdlib_files()
    seconds, size, findings = run_secretsync(files)
    print(row("secretsync (whole stdlib)", len(files), size, seconds), f"{findings} findings")

    step = max(1, len(files) // args.sample)
    sample = files[::step][: args.sample]
    ours, sample_size, ours_found = run_secretsync(sample)
    theirs, theirs_found = run_detect_secrets(sample)
    print(row("secretsync (sample)", len(sample), sample_size, ours), f"{ours_found} findings")
    theirs_row = row("detect-secrets (sample)", len(sample), sample_size, theirs)
    print(theirs_row, f"{theirs_found} findings")
    print(f"ratio: secretsync is {theirs / ours:.1f}x faster than detect-secrets (target >= 30x)")


if __name__ == "__main__":
    main()
