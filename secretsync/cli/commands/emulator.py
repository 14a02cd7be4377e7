"""``secretsync emulator``: serve the GitHub + ESC emulator until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from secretsync.cli.app import App
from secretsync.errors import ConfigError, UsageError

__all__ = ["DESCRIPTION", "register", "run"]

DESCRIPTION = """\
Serve the GitHub REST API (Actions secrets, repositories, environments; also under
/api/v3, plus the GraphQL the GitHub CLI needs) at http://HOST:PORT/ and the Pulumi ESC
API at http://HOST:PORT/api/esc, in memory, until interrupted. The second line it prints
is the export to copy.

Point secretsync at it with SECRETSYNC_GITHUB_API_URL=http://127.0.0.1:8900 and
SECRETSYNC_ESC_API_URL=http://127.0.0.1:8900/api/esc. Any token works (GH_TOKEN,
PULUMI_ACCESS_TOKEN or `secretsync login`), but one must be sent: without it the
emulator answers 401, as the services do.

sync never creates an ESC environment, and a repository or environment secret needs its
repository or environment to exist. --seed MAP starts with all of them: the map's GitHub
organization, every repository and environment its GitHub scopes name, and every ESC
environment, empty. Or make one yourself, as on the service: curl -X POST -H
'Authorization: token any' -H 'Content-Type: application/json' -d
'{"project": "default", "name": "dev"}' http://127.0.0.1:8900/api/esc/environments/ORG
(ORG: the map's esc.org).

The GitHub CLI works unmodified: GH_HOST=github.localhost
HTTP_PROXY=http://127.0.0.1:8900 GH_TOKEN=any gh secret list --org ORG (set
GH_TELEMETRY=false; check with gh auth status --hostname github.localhost).

Test controls (JSON, no token): GET /_emulator/state, POST /_emulator/reset (back to
the start-up state: empty, or what --seed made), GET|DELETE /_emulator/requests,
PUT /_emulator/clock, PUT /_emulator/faults.
"""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "emulator",
        help="serve a local GitHub + Pulumi ESC API for tests and demos",
        description=DESCRIPTION,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8900, help="port (default: 8900; 0: any free)")
    parser.add_argument(
        "--latency-ms", type=int, default=0, metavar="N", help="delay every API answer by N ms"
    )
    parser.add_argument(
        "--seed",
        metavar="MAP",
        help="start holding the map's organization, repositories, environments and ESC "
        "environments (empty)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (anyone who can reach it can read every value)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, app: App) -> int:
    from secretsync.emulator import Emulator, EmulatorServer, Faults, FaultsError
    from secretsync.emulator.server import is_loopback

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is not a port number (0-65535)")
    try:
        faults = Faults(latency_ms=args.latency_ms)
    except FaultsError as exc:
        raise UsageError(f"--latency-ms: {exc}") from None
    if not is_loopback(args.host):
        if not args.allow_remote:
            raise UsageError(
                f"refusing to serve on non-loopback address {args.host}",
                hint="the emulator has no real authentication; pass --allow-remote if you mean it",
            )
        app.stderr.write(
            f"warning: serving on {args.host}: anyone who can reach it can read every value\n"
        )
    emulator = Emulator(faults)
    seeded = None
    if args.seed is not None:
        from secretsync.map.load import load_map

        try:
            seeded = emulator.seed_map(load_map(Path(args.seed)))
        except ValueError as exc:  # a name the emulated services refuse
            raise ConfigError(f"{args.seed}: cannot seed the emulator: {exc}") from None
    try:
        server = EmulatorServer(emulator, args.host, args.port, allow_remote=True)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        url = server.start()
        if seeded is not None and app.verbosity >= 0:
            app.stderr.write("".join(f"{line}\n" for line in seeded.lines()))
        app.stdout.write(f"listening on {url}\n{export_line(url)}\n")
        app.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if app.verbosity >= 0:
        app.stderr.write("emulator stopped\n")
    return 0


def export_line(url: str) -> str:
    """What to paste into a shell so secretsync talks to the emulator at ``url``."""
    url = url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
    return (
        f"export SECRETSYNC_GITHUB_API_URL={url} SECRETSYNC_ESC_API_URL={url}/api/esc"
        "  # any token works"
    )
