# ruff: noqa: E501, S311
# Data tables read best one example per line; the generator is seeded on purpose (a
# reproducible file), nothing here is cryptographic.
"""Build the labelled sets the placeholder classifier is measured on.

Run ``python eval/build_placeholder_eval.py`` to rewrite ``eval/placeholders.jsonl`` (dev: the
set the classifier was tuned against) and ``eval/holdout.jsonl`` (written before tuning and
only scored, never tuned against). Placeholders and references are written by hand in the
shapes public ``.env.example`` files, Helm charts, docker-compose files and secret-scanner
fixtures use; real-looking secrets are synthesized here from a seeded generator, so no
real credential is ever stored. Each row: ``{"value", "key", "label", "source"}``.

``eval/wild.jsonl`` is not generated: it holds placeholders and references copied verbatim
from public example files found with the search tool (no secrets: real keys seen there
were left out), scored once before the classifier was adjusted to it.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
UPPER_ALNUM = string.ascii_uppercase + string.digits

Row = dict[str, str | None]


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- real-looking secrets, one generator per shape -------------------------------------


def _jwt(rng: random.Random) -> str:
    header = {"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}
    claims = {
        "sub": str(uuid.UUID(int=rng.getrandbits(128))),
        "iat": rng.randint(1_600_000_000, 1_800_000_000),
        "role": rng.choice(["service", "anon", "deploy"]),
    }
    parts = [
        _b64url(json.dumps(header, separators=(",", ":")).encode()),
        _b64url(json.dumps(claims, separators=(",", ":")).encode()),
        _b64url(rng.randbytes(32)),
    ]
    return ".".join(parts)


def _pem(rng: random.Random) -> str:
    kind = rng.choice(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    body = base64.b64encode(rng.randbytes(rng.choice([121, 240, 600]))).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----\n"


def _passphrase(rng: random.Random) -> str:
    words = [
        "correct", "horse", "battery", "staple", "orbit", "canyon", "lemon", "violet",
        "granite", "falcon", "tundra", "pepper", "harbor", "quartz", "meadow", "cobalt",
        "saffron", "glacier", "lantern", "walnut", "ember", "prairie", "cinder", "marble",
    ]  # fmt: skip
    chosen = rng.sample(words, rng.randint(3, 5))
    sep = rng.choice(["-", "_", ".", ""])
    tail = _pick(rng, string.ascii_lowercase + string.digits, rng.randint(4, 6))
    return sep.join([*chosen, tail]) if sep else "".join(w.title() for w in chosen) + tail


def _password(rng: random.Random) -> str:
    alphabet = ALNUM + "!@#%^&*()-_=+[]{};:,.?~"
    while True:
        pw = _pick(rng, alphabet, rng.randint(12, 32))
        if any(c.isdigit() for c in pw) and any(c.isupper() for c in pw):
            return pw


def _conn(rng: random.Random) -> str:
    scheme = rng.choice(["postgres", "postgresql", "mysql", "redis", "mongodb+srv", "amqp"])
    user = rng.choice(["app", "svc_orders", "sophia", "billing_rw", "etl"])
    host = rng.choice(["db.internal", "10.0.4.12", "prod-db.abc123.us-east-1.rds.amazonaws.com"])
    return f"{scheme}://{user}:{_pick(rng, ALNUM, rng.randint(16, 32))}@{host}:5432/app"


SECRET_SHAPES: dict[str, Callable[[random.Random], str]] = {
    "github": lambda r: r.choice(["ghp_", "gho_", "ghs_", "ghu_"]) + _pick(r, ALNUM, 36),
    "github_fine_grained": lambda r: f"github_pat_{_pick(r, ALNUM, 22)}_{_pick(r, ALNUM, 59)}",
    "openai_legacy": lambda r: "sk-" + _pick(r, ALNUM, 48),
    "openai_project": lambda r: "sk-proj-" + _pick(r, B64URL, 100) + "T3BlbkFJ" + _pick(r, B64URL, 20),
    "anthropic": lambda r: "sk-ant-api03-" + _pick(r, B64URL, 93) + "AA",
    "aws_access_key_id": lambda r: r.choice(["AKIA", "ASIA"]) + _pick(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    "aws_secret_access_key": lambda r: _pick(r, B64, 40),
    "slack_bot": lambda r: f"xoxb-{_pick(r, string.digits, 12)}-{_pick(r, string.digits, 13)}-{_pick(r, ALNUM, 24)}",
    "slack_webhook": lambda r: "https://hooks.slack.com/services/T"
    + _pick(r, UPPER_ALNUM, 10) + "/B" + _pick(r, UPPER_ALNUM, 10) + "/" + _pick(r, ALNUM, 24),
    "stripe_live": lambda r: r.choice(["sk_live_", "rk_live_"]) + _pick(r, ALNUM, 99),
    "stripe_test": lambda r: "sk_test_" + _pick(r, ALNUM, 99),
    "pulumi": lambda r: "pul-" + _pick(r, HEX, 40),
    "dockerhub": lambda r: "dckr_pat_" + _pick(r, B64URL, 27),
    "gitlab": lambda r: "glpat-" + _pick(r, B64URL, 20),
    "npm": lambda r: "npm_" + _pick(r, ALNUM, 36),
    "pypi": lambda r: "pypi-AgEIcHlwaS5vcmc" + _pick(r, B64URL, 150),
    "google_api_key": lambda r: "AIza" + _pick(r, B64URL, 35),
    "twilio_auth_token": lambda r: _pick(r, HEX, 32),
    "sendgrid": lambda r: f"SG.{_pick(r, B64URL, 22)}.{_pick(r, B64URL, 43)}",
    "vercel": lambda r: _pick(r, ALNUM, 24),
    "pinecone": lambda r: f"pcsk_{_pick(r, ALNUM, 6)}_{_pick(r, ALNUM, 63)}",
    "pinecone_legacy_uuid": lambda r: str(uuid.UUID(int=r.getrandbits(128))),
    "gong_access_key": lambda r: _pick(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 32),
    "lambda_labs": lambda r: f"secret_{_pick(r, 'abcdefghijklmnopqrstuvwxyz0123456789', 8)}_{_pick(r, HEX, 32)}.{_pick(r, ALNUM, 32)}",
    "jwt": _jwt,
    "pem": _pem,
    "hex_key_32": lambda r: _pick(r, HEX, 64),
    "hex_key_16": lambda r: _pick(r, HEX, 32),
    "base64_blob": lambda r: base64.b64encode(r.randbytes(r.choice([24, 32, 48, 64]))).decode(),
    "django_secret": lambda r: _pick(r, string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)", 50),
    "password": _password,
    "passphrase": _passphrase,
    "connection_string": _conn,
    "uuid_key": lambda r: str(uuid.UUID(int=r.getrandbits(128))),
}  # fmt: skip

SECRET_KEYS = {
    "github": "GH_PAT", "github_fine_grained": "GITHUB_TOKEN", "openai_legacy": "OPENAI_API_KEY",
    "openai_project": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
    "aws_access_key_id": "AWS_ACCESS_KEY_ID", "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "slack_bot": "SLACK_BOT_TOKEN", "slack_webhook": "SLACK_WEBHOOK_URL",
    "stripe_live": "STRIPE_SECRET_KEY", "stripe_test": "STRIPE_SECRET_KEY",
    "pulumi": "PULUMI_ACCESS_TOKEN", "dockerhub": "DOCKERHUB_TOKEN", "gitlab": "GITLAB_TOKEN",
    "npm": "NPM_TOKEN", "pypi": "PYPI_API_TOKEN", "google_api_key": "GOOGLE_API_KEY",
    "twilio_auth_token": "TWILIO_AUTH_TOKEN", "sendgrid": "SENDGRID_API_KEY",
    "vercel": "VERCEL_TOKEN", "pinecone": "PINECONE_API_KEY",
    "pinecone_legacy_uuid": "PINECONE_API_KEY", "gong_access_key": "GONG_ACCESS_KEY",
    "lambda_labs": "LAMBDA_API_KEY", "jwt": "SUPABASE_SERVICE_ROLE_KEY", "pem": "TLS_PRIVATE_KEY",
    "hex_key_32": "ENCRYPTION_KEY", "hex_key_16": "SESSION_SECRET", "base64_blob": "SIGNING_KEY",
    "django_secret": "DJANGO_SECRET_KEY", "password": "DB_PASSWORD",
    "passphrase": "ADMIN_PASSPHRASE", "connection_string": "DATABASE_URL",
    "uuid_key": "HEROKU_API_KEY",
}  # fmt: skip


def _secrets(rng: random.Random, per_shape: int, note: str) -> Iterator[Row]:
    for shape, make in SECRET_SHAPES.items():
        for _ in range(per_shape):
            key = SECRET_KEYS[shape] if rng.random() < 0.8 else None
            yield {"value": make(rng), "key": key, "label": "secret", "source": f"{note}:{shape}"}


# --- the held-out set: written before the classifier was tuned --------------------------

HOLDOUT_PLACEHOLDERS: list[tuple[str, str | None, str]] = [
    ("your-openai-key", "OPENAI_API_KEY", "env.example"),
    ("YOUR_STRIPE_SECRET", "STRIPE_SECRET_KEY", "env.example"),
    ("put-your-token-here", "SLACK_BOT_TOKEN", "readme"),
    ("<insert api key>", "API_KEY", "readme"),
    ("<YOUR_PINECONE_KEY>", "PINECONE_API_KEY", "readme"),
    ("{{ .Values.db.password }}", "DB_PASSWORD", "helm template"),
    ("{{ required \"token\" .Values.token }}", "TOKEN", "helm template"),
    ("${{ secrets.NPM_TOKEN }}", "NPM_TOKEN", "workflow"),
    ("#{SqlPassword}#", "SQL_PASSWORD", "azure devops replace tokens"),
    ("__SENTRY_DSN__", "SENTRY_DSN", "token replacement"),
    ("@db.password@", "DB_PASSWORD", "maven filtering"),
    ("%(redis_password)s", "REDIS_PASSWORD", "python ini"),
    ("$(cat /run/secrets/token)", "TOKEN", "shell"),
    ("CHANGE_ME_PLEASE", "JWT_SECRET", "docker-compose"),
    ("Change-Me-Now", "SESSION_SECRET", "docker-compose"),
    ("please-change-this-secret", "APP_SECRET", "env.example"),
    ("insecure-dev-key-change-me", "SECRET_KEY", "django settings"),
    ("supersecretpassword", "ADMIN_PASSWORD", "docker-compose"),
    ("mysecretpassword", "POSTGRES_PASSWORD", "docker docs"),
    ("secretpassword", "MYSQL_PASSWORD", "docker-compose"),
    ("sample-webhook-secret", "WEBHOOK_SECRET", "env.example"),
    ("example-token-123", "API_TOKEN", "fixture"),
    ("test-secret", "JWT_SECRET", "test config"),
    ("testing123", "DB_PASSWORD", "ci config"),
    ("dummy_key", "STRIPE_SECRET_KEY", "ci config"),
    ("fake-api-key", "SENDGRID_API_KEY", "unit test"),
    ("not-a-real-token", "GITHUB_TOKEN", "unit test"),
    ("TODO", "GONG_ACCESS_KEY", "config"),
    ("tbd", "VERCEL_TOKEN", "config"),
    ("FIXME: real key", "NPM_TOKEN", "config"),
    ("foobar", "PASSWORD", "tutorial"),
    ("foo", "API_SECRET", "tutorial"),
    ("REDACTED", "AWS_SECRET_ACCESS_KEY", "log paste"),
    ("[REDACTED]", "TOKEN", "log paste"),
    ("***", "PASSWORD", "ui mask"),
    ("********", "DB_PASSWORD", "ui mask"),
    ("xxxxxxxx", "API_KEY", "env.example"),
    ("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "TWILIO_AUTH_TOKEN", "docs"),
    ("################", "SECRET", "docs"),
    ("0000000000000000", "ENCRYPTION_KEY", "docs"),
    ("................", "TOKEN", "docs"),
    ("sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OPENAI_API_KEY", "readme"),
    ("sk-proj-XXXXXXXXXXXXXXXXXXXX", "OPENAI_API_KEY", "readme"),
    ("sk-ant-api03-xxxxxxxx", "ANTHROPIC_API_KEY", "readme"),
    ("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GH_TOKEN", "readme"),
    ("github_pat_XXXXXXXXXXXXXXXXXXXXXX", "GITHUB_TOKEN", "readme"),
    ("AKIAXXXXXXXXXXXXXXXX", "AWS_ACCESS_KEY_ID", "readme"),
    ("xoxb-your-bot-token", "SLACK_BOT_TOKEN", "slack docs style"),
    ("xoxp-xxxxxxxxxxxx-xxxxxxxxxxxx", "SLACK_USER_TOKEN", "readme"),
    ("sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "STRIPE_SECRET_KEY", "readme"),
    ("pul-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PULUMI_ACCESS_TOKEN", "readme"),
    ("dckr_pat_XXXXXXXXXXXXXXXXXXXXXXXXXXX", "DOCKERHUB_TOKEN", "readme"),
    ("glpat-xxxxxxxxxxxxxxxxxxxx", "GITLAB_TOKEN", "readme"),
    ("npm_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "NPM_TOKEN", "readme"),
    ("AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "GOOGLE_API_KEY", "readme"),
    ("SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SENDGRID_API_KEY", "readme"),
    ("pcsk_xxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PINECONE_API_KEY", "readme"),
    ("secret_xxx.xxx", "LAMBDA_API_KEY", "readme"),
    ("sk-...", "OPENAI_API_KEY", "readme"),
    ("pcsk_...", "PINECONE_API_KEY", "readme"),
    ("hf_...", "HF_TOKEN", "readme"),
    ("sk-ant-api03-R2D...igAA", "ANTHROPIC_API_KEY", "key hint"),
    ("AKIA…WXYZ", "AWS_ACCESS_KEY_ID", "console hint"),
    ("••••••••3f9a", "STRIPE_SECRET_KEY", "dashboard mask"),
    ("************abcd", "API_KEY", "dashboard mask"),
    ("AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID", "aws docs"),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_SECRET_ACCESS_KEY", "aws docs"),
    ("AKIAI44QH8DHBEXAMPLE", "AWS_ACCESS_KEY_ID", "aws docs"),
    ("je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY", "AWS_SECRET_ACCESS_KEY", "aws docs"),
    ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "STRIPE_SECRET_KEY", "stripe docs"),
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l"
        "IiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "JWT_SECRET", "jwt.io sample",
    ),
    ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "GITHUB_TOKEN", "github docs example"),
    ("postgres://postgres:postgres@localhost:5432/app", "DATABASE_URL", "docker-compose"),
    ("mysql://root:root@127.0.0.1:3306/shop", "DATABASE_URL", "docker-compose"),
    ("mongodb://admin:admin@mongo:27017", "MONGO_URL", "docker-compose"),
    ("redis://:password@localhost:6379/0", "REDIS_URL", "env.example"),
    ("postgresql://user:pass@host:5432/dbname", "DATABASE_URL", "readme"),
    ("amqp://guest:guest@rabbitmq:5672/", "AMQP_URL", "docker-compose"),
    ("postgres://myuser:<password>@db.example.com/mydb", "DATABASE_URL", "readme"),
    ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", "SLACK_WEBHOOK_URL", "slack docs"),
    ("https://example.com/webhook", "WEBHOOK_URL", "readme"),
    ("OPENAI_API_KEY", "OPENAI_API_KEY", "self-named"),
    ("stripe-secret-key", "STRIPE_SECRET_KEY", "self-named"),
    ("pineconeApiKey", "PINECONE_API_KEY", "self-named"),
    ("null", "API_KEY", "yaml"),
    ("None", "SECRET_KEY", "python repr"),
    ("undefined", "NEXT_PUBLIC_KEY", "js"),
    ("N/A", "GONG_ACCESS_KEY", "spreadsheet"),
    ("-", "TOKEN", "table"),
    ("nil", "API_TOKEN", "ruby"),
    ("password", "DB_PASSWORD", "docker-compose"),
    ("Passw0rd!", "SA_PASSWORD", "mssql docs style"),
    ("admin", "ADMIN_PASSWORD", "default"),
    ("123456", "PIN", "default"),
    ("changeit", "KEYSTORE_PASSWORD", "java default"),
    ("secret", "CLIENT_SECRET", "tutorial"),
    ("placeholder", "API_KEY", "config"),
    ("my-placeholder-key", "API_KEY", "config"),
    ("replace_with_your_key", "MAPS_KEY", "env.example"),
    ("enter-your-api-key", "API_KEY", "ui hint"),
    ("INSERT_TOKEN_HERE", "TOKEN", "readme"),
    ("<redacted>", "PASSWORD", "log paste"),
    ("your_api_key", "WEATHER_API_KEY", "env.example"),
    ("YourStrongPassword123", "SA_PASSWORD", "readme"),
]  # fmt: skip

HOLDOUT_REFERENCES: list[tuple[str, str | None, str]] = [
    ("${OPENAI_API_KEY}", "OPENAI_API_KEY", "compose interpolation"),
    ("${DB_PASSWORD:-}", "DB_PASSWORD", "compose interpolation"),
    ("${REDIS_PASSWORD:?must be set}", "REDIS_PASSWORD", "compose interpolation"),
    ("$STRIPE_KEY", "STRIPE_SECRET_KEY", "shell"),
    ("op://Engineering/Stripe/credential", "STRIPE_SECRET_KEY", "1password"),
    ("op://prod/db/password", "DB_PASSWORD", "1password"),
    ("vault:secret/data/app#api_key", "API_KEY", "vault"),
    ("ref+vault://secret/app#/token", "TOKEN", "vals"),
    ("ref+awssecrets://prod/app/db_password", "DB_PASSWORD", "vals"),
    ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/app-AbCdEf", "DB_SECRET", "ecs"),
    ("arn:aws:ssm:us-east-1:123456789012:parameter/prod/api_key", "API_KEY", "ecs"),
    ("@Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/dbpw/)", "DB_PASSWORD", "azure app service"),
    ("@Microsoft.KeyVault(VaultName=myvault;SecretName=apikey)", "API_KEY", "azure app service"),
    ("projects/my-project/secrets/db-password/versions/latest", "DB_PASSWORD", "gcp"),
    ("sm://my-project/api-key", "API_KEY", "gcp sm"),
    ("doppler://prod/STRIPE_KEY", "STRIPE_SECRET_KEY", "doppler"),
    ("env:GITHUB_TOKEN", "GITHUB_TOKEN", "config"),
    ("${{ env.SLACK_TOKEN }}", "SLACK_BOT_TOKEN", "workflow"),
    ("postgres://app:${DB_PASSWORD}@db:5432/app", "DATABASE_URL", "compose interpolation"),
    ("Bearer ${API_TOKEN}", "AUTH_HEADER", "compose interpolation"),
]  # fmt: skip

HOLDOUT_EMPTY: list[tuple[str, str | None, str]] = [
    ("", "API_KEY", "empty"),
    ("   ", "TOKEN", "spaces"),
    ("\t", "SECRET", "tab"),
    ("\n", "PASSWORD", "newline"),
    (" \r\n ", None, "mixed whitespace"),
]


def _rows(items: list[tuple[str, str | None, str]], label: str) -> Iterator[Row]:
    for value, key, source in items:
        yield {"value": value, "key": key, "label": label, "source": source}


def holdout() -> list[Row]:
    rng = random.Random(20261122)
    rows: list[Row] = []
    rows += _rows(HOLDOUT_PLACEHOLDERS, "placeholder")
    rows += _rows(HOLDOUT_REFERENCES, "reference")
    rows += _rows(HOLDOUT_EMPTY, "empty")
    rows += _secrets(rng, 3, "synthetic")
    return rows


# --- the dev set: generated from the same public shapes, tuned against ----------------

PHRASES: list[tuple[str, ...]] = [
    ("change", "me"), ("changeme",), ("change", "this"), ("change", "in", "production"),
    ("your", "api", "key", "here"), ("your", "api", "key"), ("your", "token"),
    ("your", "secret", "key"), ("your", "password"), ("your", "access", "token", "here"),
    ("replace", "me"), ("replaceme",), ("replace", "with", "your", "key"),
    ("insert", "key", "here"), ("insert", "your", "token"), ("enter", "your", "secret"),
    ("enter", "api", "key"), ("put", "your", "password", "here"), ("todo",), ("fixme",),
    ("tbd",), ("dummy",), ("dummy", "token"), ("example",), ("example", "key"),
    ("sample",), ("sample", "secret"), ("test",), ("test", "password"), ("testing",),
    ("placeholder",), ("my", "placeholder", "key"), ("placeholder", "value"),
    ("redacted",), ("foo",), ("bar",), ("foo", "bar"), ("foobar",), ("xxx",),
    ("secret",), ("password",), ("my", "secret"), ("super", "secret"),
    ("my", "super", "secret", "password"), ("not", "a", "real", "key"), ("fake", "key"),
    ("fake", "token"), ("mock", "secret"), ("default", "secret", "please", "change"),
    ("dev", "secret", "change", "me"), ("local", "dev", "password"), ("secret", "key"),
    ("api", "key"), ("access", "token"), ("client", "secret"), ("jwt", "secret"),
    ("set", "me"), ("fill", "me", "in"), ("add", "your", "key", "here"),
    ("paste", "your", "token", "here"), ("my", "api", "key"), ("some", "random", "string"),
    ("generate", "a", "random", "secret"), ("long", "random", "string"),
    ("your", "sendgrid", "api", "key"), ("your", "openai", "api", "key"),
    ("your", "github", "token"), ("your", "stripe", "secret", "key"),
    ("your", "slack", "bot", "token"), ("your", "aws", "access", "key", "id"),
    ("your", "pinecone", "api", "key"), ("your", "vercel", "token"),
    ("test", "key", "123"), ("password", "123"), ("secret", "1234"), ("admin", "123"),
]  # fmt: skip

STYLES: list[Callable[[tuple[str, ...]], str]] = [
    lambda w: "-".join(w),
    lambda w: "_".join(w),
    lambda w: "_".join(w).upper(),
    lambda w: w[0] + "".join(x.title() for x in w[1:]),
    lambda w: "".join(x.title() for x in w),
    lambda w: "".join(w),
    lambda w: " ".join(w),
    lambda w: " ".join(x.title() for x in w),
    lambda w: ".".join(w),
]

TEMPLATES = [
    "<{}>", "<{}>", "{{{{ {} }}}}", "{{{{{}}}}}", "{{{{ .Values.{} }}}}", "${{{{ secrets.{} }}}}",
    "%({})s", "#{{{}}}#", "$({})", "__{}__", "@{}@", "{{{}}}", "[{}]", "{{% {} %}}",
]  # fmt: skip

KEY_NAMES = [
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN", "STRIPE_SECRET_KEY", "SLACK_BOT_TOKEN",
    "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "DATABASE_URL", "JWT_SECRET", "SENDGRID_API_KEY",
    "PINECONE_API_KEY", "VERCEL_TOKEN", "GONG_ACCESS_KEY_SECRET", "NPM_TOKEN", "PYPI_TOKEN",
    "PULUMI_ACCESS_TOKEN", "REDIS_PASSWORD", "SESSION_SECRET", "WEBHOOK_SECRET", "API_KEY",
]  # fmt: skip

PADDING = ["x", "X", "*", "#", "0", ".", "-", "•"]

PROVIDER_PREFIXES = [
    "sk-", "sk-proj-", "sk-svcacct-", "sk-admin-", "sk-ant-api03-", "ghp_", "gho_", "ghs_",
    "github_pat_", "AKIA", "ASIA", "xoxb-", "xoxp-", "sk_live_", "sk_test_", "rk_live_",
    "pk_live_", "whsec_", "pul-", "dckr_pat_", "glpat-", "npm_", "pypi-", "AIza", "SG.",
    "pcsk_", "secret_", "AC", "SK",
]  # fmt: skip

VENDOR_EXAMPLES = [
    ("AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID"),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_SECRET_ACCESS_KEY"),
    ("ASIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID"),
    ("AKIAJEXAMPLEKEY12345EXAMPLE", None),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "AWS_SECRET_ACCESS_KEY"),
    ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "STRIPE_API_KEY"),
    ("pk_test_TYooMQauvdEDq54NiTphI7jx", "STRIPE_PUBLISHABLE_KEY"),
    ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "GH_TOKEN"),
    ("gho_16C7e42F292c6912E7710c838347Ae178B4a", None),
    (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l"
        "IiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "API_JWT",
    ),
]  # fmt: skip

DEFAULT_URLS = [
    "postgres://postgres:postgres@localhost:5432/postgres",
    "postgresql://user:password@localhost/mydb",
    "postgres://admin:admin@db:5432/app",
    "mysql://root:root@localhost:3306/app",
    "mysql://root:password@127.0.0.1/test",
    "mongodb://root:example@mongo:27017/",
    "redis://default:redis@localhost:6379",
    "redis://:changeme@redis:6379/0",
    "amqp://guest:guest@localhost:5672//",
    "postgres://username:password@host:5432/database",
    "postgresql://USER:PASSWORD@HOST:PORT/DB",
    "mongodb+srv://<username>:<password>@cluster0.mongodb.net/test",
    "postgres://{{ user }}:{{ password }}@db/app",
    "https://user:pass@example.com/api",
    "postgres://app:secret@localhost/app",
    "mysql://test:test@localhost/test_db",
    "https://api.example.com/v1",
    "https://your-domain.com/webhook",
    "https://hooks.slack.com/services/TXXXXXXXX/BXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX",
]  # fmt: skip

NULL_LIKE = [
    "null",
    "NULL",
    "None",
    "none",
    "nil",
    "undefined",
    "N/A",
    "n/a",
    "NA",
    "-",
    "~",
    "--",
    "''",
    '""',
    "<none>",
    "(none)",
    "unset",
    "empty",
]

COMMON_PASSWORDS = [
    "password1", "Password123", "Password123!", "P@ssw0rd", "passw0rd", "p4ssw0rd", "letmein",
    "qwerty", "qwerty123", "abc123", "admin123", "root", "toor", "welcome1", "12345678",
    "123456789", "1234567890", "abcdef", "abcd1234", "changeit", "s3cr3t", "Secret123",
    "iloveyou", "monkey", "trustno1", "default", "guest", "postgres", "mysql", "redis",
]  # fmt: skip

REFERENCE_SHAPES = [
    "${{{k}}}", "${{{k}:-}}", "${{{k}:-changeme}}", "${{{k}:?required}}", "${{{k}-default}}",
    "${{{{ env.{k} }}}}", "${{{{ vars.{k} }}}}", "env:{k}", "${{env:{k}}}", "${k}",
    "op://Private/{lk}/credential", "op://vaults/prod/items/{lk}/password",
    "vault:secret/data/{lk}#value", "vault://kv/app/{lk}", "ref+vault://secret/app#/{lk}",
    "ref+awsssm://prod/{lk}", "ref+gcpsecrets://my-proj/{lk}",
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/{lk}-a1B2c3",
    "arn:aws:ssm:eu-central-1:111122223333:parameter/app/{lk}",
    "@Microsoft.KeyVault(SecretUri=https://kv-prod.vault.azure.net/secrets/{lk}/)",
    "@Microsoft.KeyVault(VaultName=kv-prod;SecretName={lk})",
    "projects/my-project/secrets/{lk}/versions/latest", "projects/123456789/secrets/{lk}",
    "sm://my-project/{lk}", "doppler://prod/{k}", "https://app:${{{k}}}@db.internal/app",
    "Bearer ${{{k}}}", "${{{k}}}${{SUFFIX}}",
]  # fmt: skip


def _style(rng: random.Random, words: tuple[str, ...]) -> str:
    return rng.choice(STYLES)(words)


def _dev_placeholders(rng: random.Random) -> Iterator[Row]:
    def row(value: str, key: str | None, source: str) -> Row:
        return {"value": value, "key": key, "label": "placeholder", "source": source}

    for words in PHRASES:
        for _ in range(3):
            yield row(_style(rng, words), rng.choice([*KEY_NAMES, None]), "phrase")
    for template in TEMPLATES:
        for _ in range(3):
            inner = _style(rng, rng.choice(PHRASES[:40]))
            if template.startswith("${{ secrets") or ".Values" in template:
                inner = rng.choice(KEY_NAMES)
            yield row(template.format(inner), rng.choice(KEY_NAMES), "unrendered template")
    for pad in PADDING:
        for n in (3, 8, 16, 32, 40):
            yield row(pad * n, rng.choice(KEY_NAMES), "padding")
    yield row("xxxx-xxxx-xxxx-xxxx", "LICENSE_KEY", "padding")
    yield row("XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX", "PINECONE_API_KEY", "padding")
    yield row("00000000-0000-0000-0000-000000000000", "API_KEY", "padding")
    for prefix in PROVIDER_PREFIXES:
        pad = rng.choice(["x", "X", "*", "0", "#"])
        yield row(prefix + pad * rng.choice([4, 20, 36, 48]), None, "provider placeholder")
        yield row(prefix + _style(rng, rng.choice(PHRASES[4:12])), None, "provider placeholder")
        yield row(prefix + rng.choice(["...", "…", "***"]), None, "elided")
        yield row(prefix + "..." + _pick(rng, ALNUM, 4), None, "elided")
    for _ in range(6):
        yield row(
            rng.choice(["****", "••••", "********"]) + _pick(rng, ALNUM, 4), "API_KEY", "elided"
        )
    for value, key in VENDOR_EXAMPLES:
        yield row(value, key, "vendor example")
    for url in DEFAULT_URLS:
        yield row(url, "DATABASE_URL", "default credentials / example url")
    for value in NULL_LIKE:
        yield row(value, rng.choice(KEY_NAMES), "null-like")
    for value in COMMON_PASSWORDS:
        yield row(
            value, rng.choice(["DB_PASSWORD", "ADMIN_PASSWORD", "PASSWORD"]), "common password"
        )
    for key in KEY_NAMES:
        words = tuple(key.lower().split("_"))
        yield row(_style(rng, words), key, "self-named")


def _dev_references(rng: random.Random) -> Iterator[Row]:
    for shape in REFERENCE_SHAPES:
        for _ in range(3):
            key = rng.choice(KEY_NAMES)
            lk = key.lower().replace("_", "-")
            yield {
                "value": shape.format(k=key, lk=lk),
                "key": key,
                "label": "reference",
                "source": "reference",
            }
    for key in KEY_NAMES[:8]:
        yield {"value": "$" + key, "key": key, "label": "reference", "source": "shell reference"}


def _tricky_secrets(rng: random.Random) -> Iterator[Row]:
    """Random tokens that happen to contain placeholder-ish fragments: must stay secrets."""
    fragments = [
        "test",
        "todo",
        "xxx",
        "XXX",
        "0000",
        "demo",
        "fake",
        "key",
        "secret",
        "foo",
        "tbd",
        "...",
    ]
    for fragment in fragments:
        for _ in range(3):
            body = _pick(rng, ALNUM, rng.randint(28, 44))
            at = rng.randint(0, len(body))
            yield {
                "value": body[:at] + fragment + body[at:],
                "key": "API_KEY",
                "label": "secret",
                "source": f"random with {fragment!r}",
            }
    for _ in range(6):
        yield {
            "value": "sk_test_" + _pick(rng, ALNUM, 24),
            "key": "STRIPE_SECRET_KEY",
            "label": "secret",
            "source": "stripe test-mode key",
        }


def dev() -> list[Row]:
    rng = random.Random(7)
    rows: list[Row] = []
    rows += _dev_placeholders(rng)
    rows += _dev_references(rng)
    rows += _rows([("", k, "empty") for k in KEY_NAMES[:5]], "empty")
    rows += _rows([(" " * n, None, "spaces") for n in (1, 2, 8)], "empty")
    rows += _rows([("\t\n", "TOKEN", "whitespace")], "empty")
    rows += _secrets(rng, 6, "synthetic")
    rows += _tricky_secrets(rng)
    return rows


def _write(path: Path, rows: list[Row]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    _write(HERE / "holdout.jsonl", holdout())
    _write(HERE / "placeholders.jsonl", dev())


if __name__ == "__main__":
    main()
