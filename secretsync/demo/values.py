"""Fake but realistic-looking values for the demo, one generator per provider format.

Each value is random (the caller's ``random.Random``), matches the map's ``format:`` and is
judged a secret by the placeholder classifier, so the demo's audit finds exactly the
problems the demo seeded and nothing else. Nothing here is a real credential.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable

from secretsync import placeholders, providers
from secretsync.map.model import Secret

__all__ = ["GENERATORS", "fake_value", "placeholder_for"]

_ALNUM = string.ascii_letters + string.digits
_URLSAFE = _ALNUM + "-_"
_HEX = "0123456789abcdef"
_UPPER = string.ascii_uppercase + string.digits

Generator = Callable[[random.Random], str]


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _pem(rng: random.Random, label: str) -> str:
    body = base64.b64encode(rng.randbytes(1200)).decode()
    lines = [body[i : i + 70] for i in range(0, len(body), 70)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def _jwt(rng: random.Random) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = part(b'{"alg":"HS256","typ":"JWT"}')
    claims = part(json.dumps({"sub": _pick(rng, _ALNUM, 12), "iat": 1700000000}).encode())
    return f"{header}.{claims}.{part(rng.randbytes(32))}"


GENERATORS: dict[str, Generator] = {
    "github": lambda r: "ghp_" + _pick(r, _ALNUM, 36),
    "anthropic": lambda r: "sk-ant-api03-" + _pick(r, _URLSAFE, 93) + "AA",
    "openai": lambda r: "sk-proj-" + _pick(r, _URLSAFE, 120),
    "aws_access_key_id": lambda r: "AKIA" + _pick(r, _UPPER, 16),
    "aws_secret_access_key": lambda r: _pick(r, _ALNUM + "/+", 40),
    "slack_token": lambda r: (
        f"xoxb-{_pick(r, string.digits, 12)}-{_pick(r, string.digits, 13)}-{_pick(r, _ALNUM, 24)}"
    ),
    "slack_webhook": lambda r: (
        f"https://hooks.slack.com/services/T{_pick(r, _UPPER, 9)}/B{_pick(r, _UPPER, 9)}/"
        + _pick(r, _ALNUM, 24)
    ),
    "stripe": lambda r: "rk_test_" + _pick(r, _ALNUM, 40),
    "pulumi": lambda r: "pul-" + _pick(r, _HEX, 40),
    "dockerhub": lambda r: "dckr_pat_" + _pick(r, _URLSAFE, 27),
    "gitlab": lambda r: "glpat-" + _pick(r, _URLSAFE, 20),
    "npm": lambda r: "npm_" + _pick(r, _ALNUM, 36),
    "huggingface": lambda r: "hf_" + _pick(r, _ALNUM, 34),
    "pypi": lambda r: "pypi-AgEIcHlwaS5vcmc" + _pick(r, _URLSAFE, 80),
    "google_api_key": lambda r: "AIza" + _pick(r, _URLSAFE, 35),
    "twilio": lambda r: "SK" + _pick(r, _HEX, 32),
    "sendgrid": lambda r: f"SG.{_pick(r, _URLSAFE, 22)}.{_pick(r, _URLSAFE, 43)}",
    "vercel": lambda r: _pick(r, _ALNUM, 24),
    "pinecone": lambda r: f"pcsk_{_pick(r, _ALNUM, 6)}_{_pick(r, _ALNUM, 63)}",
    "snowflake_account": lambda r: f"sophia{_pick(r, string.digits, 4)}-analytics",
    "jwt": _jwt,
    "pem_private_key": lambda r: _pem(r, "PRIVATE KEY"),
    "ssh_private_key": lambda r: _pem(r, "OPENSSH PRIVATE KEY"),
    "connection_string": lambda r: (
        f"postgresql://svc_{_pick(r, string.ascii_lowercase, 6)}:{_pick(r, _ALNUM, 24)}"
        "@pg-prod-1.sophia.internal:5432/app"
    ),
    "url": lambda r: f"https://{_pick(r, string.ascii_lowercase, 10)}.sophia.internal/",
    "gong": lambda r: _pick(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 32),
    "lambda_labs": lambda r: f"secret_sophia-gpu_{_pick(r, _HEX, 32)}.{_pick(r, _ALNUM, 32)}",
    "uuid": lambda r: "-".join(_pick(r, _HEX, n) for n in (8, 4, 4, 4, 12)),
}

_BY_TYPE: dict[str, Generator] = {
    "secret": lambda r: _pick(r, _URLSAFE, 40),
    "pem": lambda r: _pem(r, "PRIVATE KEY"),
    "url": lambda r: f"https://{_pick(r, string.ascii_lowercase, 10)}.sophia.internal/",
    "int": lambda r: str(r.randint(1024, 65535)),
    "bool": lambda r: r.choice(("true", "false")),
    "json": lambda r: json.dumps({"region": "us-west-2", "id": _pick(r, _ALNUM, 12)}),
    # A readable, random account-like name (string values may show up in tables).
    "string": lambda r: f"sophia-{_pick(r, string.ascii_lowercase, 4)}-{r.randint(100, 999)}",
}


def fake_value(secret: Secret, rng: random.Random) -> str:
    """A value for ``secret`` that matches its format and classifies as a real one."""
    make = GENERATORS.get(secret.format or "") or _BY_TYPE.get(secret.type, _BY_TYPE["secret"])
    for _ in range(20):  # a random draw can look sequential or repeated: draw again
        value = make(rng)
        if secret.format and not providers.matches(secret.format, value):
            continue
        if secret.type in ("secret", "pem") and (
            placeholders.classify(value, secret.name).verdict is not placeholders.Verdict.SECRET
        ):
            continue
        return value
    return value


def placeholder_for(secret: Secret) -> str:
    """The kind of placeholder people paste: the provider's prefix and x's, or CHANGEME."""
    prefixes = providers.get(secret.format).prefixes if secret.format else ()
    candidate = f"{prefixes[0]}{'x' * 32}" if prefixes else "CHANGEME"
    if placeholders.is_placeholder(candidate, secret.name):
        return candidate
    return "CHANGEME"
