"""Provider formats: every required name exists, synthesized tokens match, near misses don't.

All vectors are generated here from a seeded generator in each provider's documented shape;
none is a real credential.
"""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from secretsync import providers

ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
RNG = random.Random(1234)


def r(alphabet: str, n: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def b64url_json(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


REQUIRED = {
    "github", "openai", "anthropic", "aws_access_key_id", "aws_secret_access_key", "slack_token",
    "slack_webhook", "stripe", "pulumi", "dockerhub", "gitlab", "npm", "pypi", "google_api_key",
    "twilio", "sendgrid", "vercel", "pinecone", "snowflake_account", "jwt", "pem_private_key",
    "ssh_private_key", "connection_string", "url", "gong", "lambda_labs", "uuid",
}  # fmt: skip

JWT = ".".join(
    [b64url_json({"alg": "HS256", "typ": "JWT"}), b64url_json({"sub": "svc-42"}), r(B64URL, 43)]
)
PEM_BODY = base64.b64encode(bytes(RNG.getrandbits(8) for _ in range(96))).decode()

VALID: dict[str, list[str]] = {
    "github": [
        "ghp_" + r(ALNUM, 36), "gho_" + r(ALNUM, 36), "ghu_" + r(ALNUM, 36),
        "ghs_" + r(ALNUM, 36), "ghr_" + r(ALNUM, 76),
        f"github_pat_{r(ALNUM, 22)}_{r(ALNUM, 59)}",
    ],
    "openai": [
        "sk-" + r(ALNUM, 48), "sk-proj-" + r(B64URL, 156), "sk-svcacct-" + r(B64URL, 120),
        "sk-admin-" + r(B64URL, 80),
    ],
    "anthropic": ["sk-ant-api03-" + r(B64URL, 93) + "AA", "sk-ant-admin01-" + r(B64URL, 93) + "AA"],
    "aws_access_key_id": ["AKIA" + r(BASE32, 16), "ASIA" + r(BASE32, 16)],
    "aws_secret_access_key": [r(ALNUM + "/+", 40)],
    "slack_token": [
        f"xoxb-{r('0123456789', 12)}-{r('0123456789', 13)}-{r(ALNUM, 24)}",
        f"xoxp-{r('0123456789', 12)}-{r('0123456789', 12)}-{r('0123456789', 13)}-{r(HEX, 32)}",
    ],
    "slack_webhook": [
        f"https://hooks.slack.com/services/T{r(BASE32, 10)}/B{r(BASE32, 10)}/{r(ALNUM, 24)}"
    ],
    "stripe": [
        "sk_live_" + r(ALNUM, 99), "sk_test_" + r(ALNUM, 24), "rk_live_" + r(ALNUM, 99),
        "pk_live_" + r(ALNUM, 99), "whsec_" + r(ALNUM, 32),
    ],
    "pulumi": ["pul-" + r(HEX, 40)],
    "dockerhub": ["dckr_pat_" + r(B64URL, 27), "dckr_oat_" + r(B64URL, 32)],
    "gitlab": ["glpat-" + r(B64URL, 20)],
    "npm": ["npm_" + r(ALNUM, 36)],
    "huggingface": ["hf_" + r(ALNUM, 34)],
    "pypi": ["pypi-AgEIcHlwaS5vcmc" + r(B64URL, 180)],
    "google_api_key": ["AIza" + r(B64URL, 35)],
    "twilio": ["AC" + r(HEX, 32), "SK" + r(HEX, 32)],
    "sendgrid": [f"SG.{r(B64URL, 22)}.{r(B64URL, 43)}"],
    "vercel": [r(ALNUM, 24)],
    "pinecone": [f"pcsk_{r(ALNUM, 6)}_{r(ALNUM, 63)}", "0d6f6d0e-8f5b-4b7c-9a1e-2c3d4e5f6a7b"],
    "snowflake_account": ["myorg-analytics_prod", "xy12345.us-east-1", "xy12345.us-east-2.aws"],
    "jwt": [JWT, JWT[: JWT.rindex(".") + 1]],
    "pem_private_key": [
        f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n",
        f"-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}\n-----END EC PRIVATE KEY-----",
    ],
    "ssh_private_key": [
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n-----END OPENSSH PRIVATE KEY-----\n"
    ],
    "connection_string": [
        f"postgres://app:{r(ALNUM, 20)}@db.internal:5432/app",
        f"mongodb+srv://etl:{r(ALNUM, 24)}@cluster0.abcde.mongodb.net/?retryWrites=true",
        f"redis://:{r(ALNUM, 16)}@cache:6379/0",
    ],
    "url": ["https://api.example.com/v1/items?x=1", "postgres://db.internal:5432/app"],
    "gong": [r(BASE32, 32)],
    "lambda_labs": [f"secret_{r('abcdef0123456789', 8)}_{r(HEX, 32)}.{r(ALNUM, 32)}"],
    "uuid": ["123e4567-e89b-12d3-a456-426614174000"],
}  # fmt: skip

INVALID: dict[str, list[str]] = {
    "github": ["ghp_" + r(ALNUM, 35), "ghx_" + r(ALNUM, 36), "github_pat_" + r(ALNUM, 81)],
    "openai": ["sk-" + r(ALNUM, 20), "sk-ant-api03-" + r(B64URL, 93) + "AA"],
    "anthropic": ["sk-ant-api03-" + r(B64URL, 93), "sk-ant-api02-" + r(B64URL, 93) + "AA"],
    "aws_access_key_id": ["AKIA" + r(BASE32, 15), "akia" + r(BASE32, 16), "AKIA" + "a" * 16],
    "aws_secret_access_key": [r(ALNUM, 39), r(ALNUM, 39) + "="],
    "slack_token": ["xoxq-123-abc", "xoxb-"],
    "slack_webhook": ["https://hooks.slack.com/services/T0/B0/abc", "https://example.com/x"],
    "stripe": ["sk_prod_" + r(ALNUM, 24), "sk_live_" + r(ALNUM, 10)],
    "pulumi": ["pul-" + r(HEX, 39), "pul-" + "g" * 40],
    "dockerhub": ["dckr_pat_" + r(B64URL, 10), "dckr_xyz_" + r(B64URL, 27)],
    "gitlab": ["glpat-" + r(B64URL, 19), "glpat_" + r(B64URL, 20)],
    "npm": ["npm_" + r(ALNUM, 35)],
    "huggingface": ["hf_" + r(ALNUM, 33), "hf-" + r(ALNUM, 34), "hf_" + r(ALNUM, 33) + "-"],
    "pypi": ["pypi-" + r(B64URL, 80)],
    "google_api_key": ["AIza" + r(B64URL, 34), "AIzb" + r(B64URL, 35)],
    "twilio": ["AC" + r(HEX, 31), "AB" + r(HEX, 32)],
    "sendgrid": ["SG." + r(B64URL, 22), f"SG.{r(B64URL, 21)}.{r(B64URL, 43)}"],
    "vercel": [r(ALNUM, 23), r(ALNUM, 23) + "-"],
    "pinecone": ["pcsk_" + r(ALNUM, 40), "not-a-uuid"],
    "snowflake_account": ["my org", "https://xy12345.snowflakecomputing.com"],
    "jwt": [
        "eyJ" + r(B64URL, 10) + "." + r(B64URL, 10) + "." + r(B64URL, 10),  # header not JSON
        b64url_json({"typ": "JWT"}) + ".eyJzdWIiOiJ4In0.abc",  # no alg
        "abc.def.ghi",
    ],
    "pem_private_key": [
        f"-----BEGIN PUBLIC KEY-----\n{PEM_BODY}\n-----END PUBLIC KEY-----",
        f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
    ],
    "ssh_private_key": [f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"],
    "connection_string": ["postgres://app@db/app", "postgres://db.internal/app", "app:pw@db"],
    "url": ["not a url", "http//missing-colon.example"],
    "gong": [r(BASE32, 31), r(BASE32, 31) + "a"],
    "lambda_labs": ["secret_" + r(ALNUM, 20), "secret_abc." + r(HEX, 8)],
    "uuid": ["123e4567-e89b-12d3-a456-42661417400", "123e4567e89b12d3a456426614174000"],
}  # fmt: skip


def test_every_required_format_is_registered() -> None:
    assert providers.format_names() >= REQUIRED
    assert providers.format_names() == set(VALID)
    assert providers.format_names() == set(INVALID)


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, values in VALID.items() for v in values])
def test_valid_vectors_match(name: str, value: str) -> None:
    assert providers.matches(name, value)


@pytest.mark.parametrize(
    ("name", "value"), [(n, v) for n, values in INVALID.items() for v in values]
)
def test_near_misses_do_not_match(name: str, value: str) -> None:
    assert not providers.matches(name, value)


def test_unknown_format_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        providers.matches("no-such-format", "x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (VALID["github"][0], "github"),
        (VALID["github"][-1], "github"),
        (VALID["openai"][1], "openai"),
        (VALID["anthropic"][0], "anthropic"),
        (VALID["aws_access_key_id"][0], "aws_access_key_id"),
        (VALID["slack_token"][0], "slack_token"),
        (VALID["slack_webhook"][0], "slack_webhook"),
        (VALID["stripe"][1], "stripe"),
        (VALID["pulumi"][0], "pulumi"),
        (VALID["dockerhub"][0], "dockerhub"),
        (VALID["gitlab"][0], "gitlab"),
        (VALID["npm"][0], "npm"),
        (VALID["huggingface"][0], "huggingface"),
        (VALID["pypi"][0], "pypi"),
        (VALID["google_api_key"][0], "google_api_key"),
        (VALID["sendgrid"][0], "sendgrid"),
        (VALID["pinecone"][0], "pinecone"),
        (VALID["jwt"][0], "jwt"),
        (VALID["pem_private_key"][0], "pem_private_key"),
        (VALID["ssh_private_key"][0], "pem_private_key"),
        (VALID["connection_string"][0], "connection_string"),
        (VALID["lambda_labs"][0], "lambda_labs"),
    ],
)
def test_detect_names_distinctive_formats(value: str, expected: str) -> None:
    found = providers.detect(value)
    assert found is not None
    assert found.name == expected


@pytest.mark.parametrize(
    "value",
    [
        VALID["aws_secret_access_key"][0],  # any 40-char base64 string looks like this
        VALID["vercel"][0],
        VALID["gong"][0],
        VALID["uuid"][0],
        VALID["pinecone"][1],  # legacy Pinecone keys are plain UUIDs
        VALID["url"][0],
        "ghp_" + "x" * 36,  # the right shape, but nothing varied enough to be a real token
        "AKIAXXXXXXXXXXXXXXXX",
        "short",
    ],
)
def test_detect_stays_quiet_without_a_distinctive_shape(value: str) -> None:
    assert providers.detect(value) is None


def test_provider_repr_and_public_fields() -> None:
    github = providers.get("github")
    assert github.name == "github"
    assert "ghp_" in github.prefixes
    assert "regex" not in repr(github)
    assert all(p.description for p in providers.REGISTRY)
    assert len({p.name for p in providers.REGISTRY}) == len(providers.REGISTRY)


def test_encrypted_pem_with_headers_and_escaped_newlines() -> None:
    encrypted = (
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00FF\n\n"
        f"{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
    )
    escaped = f"-----BEGIN PRIVATE KEY-----\\n{PEM_BODY}\\n-----END PRIVATE KEY-----\\n"
    assert providers.matches("pem_private_key", encrypted)
    assert providers.matches("ssh_private_key", encrypted)
    assert providers.matches("pem_private_key", escaped)
