"""Shared by the leak canary, the fault matrix and the fuzz tests (and the CLI tests,
which run ``secretsync`` through :func:`run_cli`).

* :class:`Canaries`: recognisable secret values shaped like real keys (one per provider
  format, a multi-line PEM, one with ``$`` and unicode) and every form in which a leak of
  one would show up: the value, each long line, base64, JSON escapes, its unique tag.
* :class:`Interposer`: an httpx transport wrapper that lets a test answer chosen requests
  itself (a service error whose body echoes the input) or act between two requests (a
  concurrent writer), while everything else goes to the real emulator.
* :func:`run_cli`: one in-process ``secretsync`` run with captured stdout/stderr.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from secretsync.cli.app import App
from secretsync.cli.main import main

__all__ = [
    "Canaries",
    "Canary",
    "Interposer",
    "Rule",
    "Run",
    "canary_map",
    "make_canaries",
    "pem_canary",
    "run_cli",
    "run_in",
]

ESC_ORG, ESC_PROJECT, GITHUB_ORG = "acme-esc", "default", "acme"
ESC_ENVS = {"production": "app-production", "staging": "app-staging"}


def _tag() -> str:
    return uuid.uuid4().hex


def pem_canary(tag: str, seed: int = 7) -> str:
    """An OpenSSH private key block: 64-column base64 lines, the tag inside the key body."""
    rng = random.Random(seed)
    body = base64.b64encode(b"openssh-key-v1\0" + rng.randbytes(600)).decode()
    body = body[:80] + "CANARY" + tag + body[80 + 6 + len(tag) :]
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        + "\n".join(lines)
        + "\n-----END OPENSSH PRIVATE KEY-----\n"
    )


@dataclass(frozen=True)
class Canary:
    name: str
    value: str
    tag: str  # unique to this value: finding it anywhere is a (partial) leak
    format: str | None = None
    type: str = "secret"


def make_canaries() -> dict[str, Canary]:
    """Fresh canaries for one test (uuid-based, so two tests never share a value)."""
    t = [_tag() for _ in range(7)]
    aws = t[2][:10].upper()
    items = [
        Canary("OPENAI_API_KEY", f"sk-proj-CANARY{t[0]}{t[0][:16]}", t[0], "openai"),
        Canary("GH_DEPLOY_TOKEN", f"ghp_CANARY{t[1][:30]}", t[1][:30], "github"),
        Canary("AWS_ACCESS_KEY_ID", f"AKIACANARY{aws}", aws, "aws_access_key_id"),
        Canary("STRIPE_SECRET_KEY", f"sk_live_CANARY{t[3]}", t[3], "stripe"),
        Canary("DEPLOY_SSH_KEY", pem_canary(t[4]), t[4], "ssh_private_key", "pem"),
        Canary("DB_PASSWORD", f"CANARY-{t[5]}-$päss${{wörd}}$$-日本-🔑 ", t[5]),
        Canary("SLACK_BOT_TOKEN", f"xoxb-7302914856-CANARY{t[6][:20]}", t[6][:20], "slack_token"),
    ]
    return {c.name: c for c in items}


def canary_map(canaries: Mapping[str, Canary]) -> str:
    """A map with two environments holding every canary (DEPLOY_SSH_KEY: production only)."""
    lines = [
        "version: 1",
        f"github: {{org: {GITHUB_ORG}}}",
        f"esc: {{org: {ESC_ORG}, project: {ESC_PROJECT}}}",
        "environments:",
        *(f"  {env}: {{esc_env: {name}}}" for env, name in ESC_ENVS.items()),
        "categories:",
        "  app: app.secrets",
        "secrets:",
    ]
    for c in canaries.values():
        extra = f", format: {c.format}" if c.format else ""
        if c.type != "secret":
            extra += f", type: {c.type}, environments: [production]"
        lines.append(f"  {c.name}: {{category: app{extra}}}")
    return "\n".join(lines) + "\n"


@dataclass
class Canaries:
    """The canaries of one test and the needles a leak of any of them would leave."""

    items: dict[str, Canary] = field(default_factory=make_canaries)

    @property
    def values(self) -> dict[str, str]:
        return {name: c.value for name, c in self.items.items()}

    def needles(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for c in self.items.values():
            raw = c.value.encode("utf-8")
            forms = {
                "value": c.value,
                "stripped": c.value.strip(),
                "tag": c.tag,
                "json": json.dumps(c.value)[1:-1],
                "base64": base64.b64encode(raw).decode().rstrip("="),
                "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
            }
            for i, line in enumerate(c.value.splitlines()):
                if len(line) >= 16 and not line.startswith("-----"):
                    forms[f"line {i + 1}"] = line
            found += [(f"{c.name} ({kind})", text) for kind, text in forms.items()]
        return found

    def leaks(self, text: str) -> list[str]:
        return [label for label, needle in self.needles() if needle in text]

    def assert_clean(self, where: str, text: str) -> None:
        leaks = self.leaks(text)
        assert not leaks, f"{where} leaks {', '.join(leaks)}:\n{text[:3000]}"

    def assert_tree_clean(self, root: Path, skip: Iterable[Path] = ()) -> int:
        """Every file under ``root`` except the inputs in ``skip``; returns how many."""
        skipped = {p.resolve() for p in skip}
        count = 0
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.resolve() not in skipped:
                self.assert_clean(str(path), path.read_text("utf-8", errors="replace"))
                count += 1
        return count

    def assert_records_clean(self, records: Iterable[logging.LogRecord]) -> int:
        formatter = logging.Formatter()
        count = 0
        for record in records:
            text = f"{record.name} {record.getMessage()} {record.args!r}"
            if record.exc_info:
                text += formatter.formatException(record.exc_info)
            self.assert_clean(f"log record of {record.name}", text)
            count += 1
        return count


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(
    argv: list[str],
    environ: Mapping[str, str],
    *,
    stdin: str = "",
    transport: httpx.AsyncBaseTransport | None = None,
    cwd: Path | None = None,
) -> Run:
    out, err = io.StringIO(), io.StringIO()
    app = App(
        environ=dict(environ),
        stdout=out,
        stderr=err,
        stdin=io.StringIO(stdin),
        transport=transport,
    )
    if cwd is not None:
        app.cwd = cwd
    code = main(argv, app=app)
    return Run(code, out.getvalue(), err.getvalue())


def run_in(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one run in ``cwd`` with an empty environment."""
    result = run_cli(argv, {}, cwd=cwd)
    return result.code, result.out, result.err


Hook = Callable[[httpx.Request], Awaitable[httpx.Response | None]]


@dataclass
class Rule:
    """For requests ``method`` whose path contains ``path_part``: run ``act`` (at most
    ``times`` times); ``act`` returns an answer to send instead, or None to pass on."""

    method: str
    path_part: str
    act: Hook
    times: int = 1
    hits: int = 0

    def wants(self, request: httpx.Request) -> bool:
        return (
            self.hits < self.times
            and request.method == self.method
            and self.path_part in request.url.path
        )


class Interposer(httpx.AsyncBaseTransport):
    """Wraps a transport; rules see each request first (see :class:`Rule`)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, rules: Iterable[Rule] = ()) -> None:
        self.inner = inner
        self.rules = list(rules)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for rule in self.rules:
            if rule.wants(request):
                rule.hits += 1
                answer = await rule.act(request)
                if answer is not None:
                    return answer
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Nothing: one transport serves every client of a run (each closes it on exit)."""


def answer(status: int, document: object, headers: Mapping[str, str] | None = None) -> Hook:
    """A hook that answers with ``status`` and a JSON body (e.g. a message echoing input)."""

    async def act(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=document, headers=headers, request=request)

    return act
