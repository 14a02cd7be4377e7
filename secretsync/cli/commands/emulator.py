"""``secretsync emulator``: serve the GitHub + ESC emulator until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType
from typing import Any

from secretsync.cli.app import App
from secretsync.errors import ConfigError, UsageError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "emulator",
        help="serve a local GitHub + Pulumi ESC API for tests and demos",
        description=(
            "Serve the GitHub Actions secrets API at http://HOST:PORT/ and the Pulumi ESC API "
            "at http://HOST:PORT/api/esc, in memory, until interrupted."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8900, help="port (default: 8900; 0: any free)")
    parser.add_argument(
        "--latency-ms", type=int, default=0, metavar="N", help="delay every API answer by N ms"
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
    try:
        server = EmulatorServer(Emulator(faults), args.host, args.port, allow_remote=True)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        url = server.start()
        app.stdout.write(f"listening on {url}\n")
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
