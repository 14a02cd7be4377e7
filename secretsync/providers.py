"""Token formats of the providers secretsync knows, for the map's ``format:`` and for spotting
hard-coded secrets.

Each :class:`Provider` is an anchored regular expression plus, for formats a regex cannot
pin down (a JWT's header), a small check. ``distinctive`` formats carry a public prefix or
structure that names the provider on its own; :func:`detect` only reports those, so a
random 40-character string is never called "an AWS secret key" without a key name to say so.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from secretsync._lazyre import lazy_compile

__all__ = ["REGISTRY", "Provider", "detect", "format_names", "get", "matches"]


def _jwt_header_ok(value: str) -> bool:
    """The first part of a JWT must decode to a JSON object that names an ``alg``."""
    head = value.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        header = json.loads(raw)
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict) and isinstance(header.get("alg"), str)


@dataclass(frozen=True)
class Provider:
    """One token format: what it is called, what it looks like, and how to recognise it."""

    name: str
    description: str
    regex: str = field(repr=False)
    #: Public prefixes of this format; the only part of a value a message may quote.
    prefixes: tuple[str, ...] = ()
    #: True when a match alone names the provider (a prefix or structure nobody else uses).
    distinctive: bool = True
    #: The distinctive part of ``regex`` when only some of its forms are (Pinecone's UUIDs).
    detect_regex: str | None = field(default=None, repr=False)
    check: Callable[[str], bool] | None = field(default=None, repr=False, compare=False)
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    detect_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Compiled on first use: a scan consults the few providers whose prefix matches.
        object.__setattr__(self, "pattern", lazy_compile(self.regex))
        object.__setattr__(self, "detect_pattern", lazy_compile(self.detect_regex or self.regex))

    def matches(self, value: str) -> bool:
        """Whether ``value`` has this format (anchored at both ends)."""
        if self.pattern.fullmatch(value) is None:
            return False
        return self.check is None or self.check(value)

    def detects(self, value: str) -> bool:
        """Whether ``value`` is, on its own, recognisably this provider's credential."""
        if not self.distinctive or (self.prefixes and not value.startswith(self.prefixes)):
            return False
        if self.detect_pattern.fullmatch(value) is None:
            return False
        return self.check is None or self.check(value)


_B64URL = r"[A-Za-z0-9_-]"

REGISTRY: tuple[Provider, ...] = (
    Provider(
        "github",
        "GitHub token: ghp_/gho_/ghu_/ghs_ + 36 alphanumerics (ghr_ refresh tokens up to 76), "
        "or a fine-grained github_pat_ + 22 + '_' + 59",
        r"gh[pous]_[A-Za-z0-9]{36}|ghr_[A-Za-z0-9]{36,76}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    Provider(
        "anthropic",
        "Anthropic API or admin key: sk-ant-api03-/sk-ant-admin01- + 93 URL-safe characters + 'AA'",
        rf"sk-ant-(?:api03|admin01)-{_B64URL}{{93}}AA",
        ("sk-ant-api03-", "sk-ant-admin01-"),
    ),
    Provider(
        "openai",
        "OpenAI API key: sk- (legacy, 48 alphanumerics) or sk-proj-/sk-svcacct-/sk-admin- "
        "+ URL-safe characters",
        rf"sk-[A-Za-z0-9]{{48}}|sk-(?:proj|svcacct|admin)-{_B64URL}{{40,250}}",
        ("sk-",),
    ),
    Provider(
        "aws_access_key_id",
        "AWS access key id: AKIA (long-term) or ASIA (temporary) + 16 upper-case alphanumerics",
        r"(?:AKIA|ASIA)[A-Z0-9]{16}",
        ("AKIA", "ASIA"),
    ),
    Provider(
        "aws_secret_access_key",
        "AWS secret access key: 40 characters of A-Z a-z 0-9 / +",
        r"[A-Za-z0-9/+]{40}",
        distinctive=False,
    ),
    Provider(
        "slack_token",
        "Slack token: xoxb-/xoxp-/xoxa-/xoxr-/xoxs-/xoxe- + numeric ids and a secret part",
        r"xox[bparse]-[0-9]{1,16}(?:-[0-9A-Za-z]{1,40}){1,3}|xoxe\.xox[bp]-1-[0-9A-Za-z-]{40,250}",
        ("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xoxe."),
    ),
    Provider(
        "slack_webhook",
        "Slack incoming webhook: https://hooks.slack.com/services/T.../B.../<24 alphanumerics>",
        r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{24}",
        ("https://hooks.slack.com/",),
    ),
    Provider(
        "stripe",
        "Stripe key: sk_/rk_/pk_ + live_/test_ + alphanumerics, or a whsec_ webhook secret",
        r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{24,247}|whsec_[A-Za-z0-9]{32,64}",
        ("sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_", "whsec_"),
    ),
    Provider(
        "pulumi",
        "Pulumi access token: pul- + 40 hex digits",
        r"pul-[0-9a-f]{40}",
        ("pul-",),
    ),
    Provider(
        "dockerhub",
        "Docker Hub access token: dckr_pat_ (personal) or dckr_oat_ (organization) + 27 "
        "URL-safe characters",
        rf"dckr_[po]at_{_B64URL}{{27,32}}",
        ("dckr_pat_", "dckr_oat_"),
    ),
    Provider(
        "gitlab",
        "GitLab personal access token: glpat- + 20 URL-safe characters (or the longer "
        "routable form)",
        rf"glpat-{_B64URL}{{20}}|glpat-{_B64URL}{{27,300}}\.[0-9a-z]{{2}}\.[0-9a-z]{{7,9}}",
        ("glpat-",),
    ),
    Provider(
        "npm",
        "npm access token: npm_ + 36 alphanumerics",
        r"npm_[A-Za-z0-9]{36}",
        ("npm_",),
    ),
    # Hugging Face documents the hf_ prefix; the 34 alphanumerics are what its tokens
    # (and trufflehog's detector) show, not a published length.
    Provider(
        "huggingface",
        "Hugging Face user access token: hf_ + 34 alphanumerics",
        r"hf_[A-Za-z0-9]{34}",
        ("hf_",),
    ),
    Provider(
        "pypi",
        "PyPI API token: pypi- + a macaroon that starts AgEIcHlwaS5vcmc (base64 of 'pypi.org')",
        rf"pypi-AgEIcHlwaS5vcmc{_B64URL}{{50,1000}}",
        ("pypi-AgEIcHlwaS5vcmc",),
    ),
    Provider(
        "google_api_key",
        "Google API key: AIza + 35 URL-safe characters",
        rf"AIza{_B64URL}{{35}}",
        ("AIza",),
    ),
    Provider(
        "twilio",
        "Twilio account SID (AC) or API key SID (SK): two letters + 32 hex digits",
        r"(?:AC|SK)[0-9a-f]{32}",
        ("AC", "SK"),
    ),
    Provider(
        "sendgrid",
        "SendGrid API key: SG. + 22 + '.' + 43 URL-safe characters",
        rf"SG\.{_B64URL}{{22}}\.{_B64URL}{{43}}",
        ("SG.",),
    ),
    # Vercel documents no format; classic tokens are 24 alphanumerics (the CLI rejects
    # anything else). The vc?_ form is inferred, not verified.
    Provider(
        "vercel",
        "Vercel access token: 24 alphanumerics (or a vc?_ prefixed token)",
        r"[A-Za-z0-9]{24}|vc[a-z]_[A-Za-z0-9]{24,64}",
        distinctive=False,
    ),
    # pcsk_ lengths measured on public samples (6 + 63), not from Pinecone's docs.
    Provider(
        "pinecone",
        "Pinecone API key: pcsk_ + 6-character id + '_' + 63 alphanumerics, or a legacy UUID",
        r"pcsk_[A-Za-z0-9]{5,7}_[A-Za-z0-9]{56,70}"
        r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ("pcsk_",),
        detect_regex=r"pcsk_[A-Za-z0-9]{5,7}_[A-Za-z0-9]{56,70}",
    ),
    Provider(
        "snowflake_account",
        "Snowflake account identifier: orgname-accountname, or a locator like "
        "xy12345.us-east-1[.aws]",
        r"[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9_]+|[A-Za-z]{2}[0-9]{5}(?:\.[a-z0-9-]+){0,2}",
        distinctive=False,
    ),
    Provider(
        "jwt",
        "JSON Web Token: three base64url parts, the header a JSON object with an alg",
        rf"eyJ{_B64URL}{{5,}}\.{_B64URL}{{2,}}\.{_B64URL}*",
        ("eyJ",),
        check=_jwt_header_ok,
    ),
    Provider(
        "pem_private_key",
        "PEM private key: -----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----",
        r"\s*-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----[\s\S]+?-----END \1-----(?:\s|\\n)*",
    ),
    Provider(
        "ssh_private_key",
        "SSH private key: an OpenSSH, RSA, EC or DSA private key block",
        r"\s*-----BEGIN ((?:OPENSSH|RSA|EC|DSA) PRIVATE KEY)-----"
        r"[\s\S]+?-----END \1-----(?:\s|\\n)*",
    ),
    Provider(
        "connection_string",
        "URL with a password: scheme://user:password@host",
        r"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:[^\s/@]+@[^\s/@]+(?:[/?#]\S*)?",
    ),
    Provider(
        "url",
        "URL: scheme://host...",
        r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+(?:[/?#]\S*)?",
        distinctive=False,
    ),
    # Gong publishes no format: inferred from a public sample (32 base32 characters).
    Provider(
        "gong",
        "Gong API access key (no public prefix): 32 upper-case base32 characters; the access "
        "key secret that goes with it is a JWT",
        r"[A-Z2-7]{32}",
        distinctive=False,
    ),
    # Lambda documents only "secret_"; the id.token split is from public example files.
    Provider(
        "lambda_labs",
        "Lambda Cloud API key: secret_ + key id + '.' + token",
        r"secret_[A-Za-z0-9_-]{1,80}\.[A-Za-z0-9]{16,128}",
        ("secret_",),
    ),
    Provider(
        "uuid",
        "UUID: 8-4-4-4-12 hex digits",
        r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}",
        distinctive=False,
    ),
)

_BY_NAME: dict[str, Provider] = {p.name: p for p in REGISTRY}
_DETECTORS: tuple[Provider, ...] = tuple(p for p in REGISTRY if p.distinctive)
#: Prefixed detectors by the first two characters of their prefixes, so a value is only
#: tried against formats it could start like.
_DETECTORS_BY_START: dict[str, tuple[Provider, ...]] = {
    start: tuple(p for p in _DETECTORS if any(x[:2] == start for x in p.prefixes))
    for start in {x[:2] for p in _DETECTORS for x in p.prefixes}
}
_UNPREFIXED_DETECTORS = tuple(p for p in _DETECTORS if not p.prefixes)
_FORMAT_NAMES = frozenset(_BY_NAME)
_MIN_DISTINCT = 10


def format_names() -> frozenset[str]:
    """Every name the map's ``format:`` accepts."""
    return _FORMAT_NAMES


def get(format_name: str) -> Provider:
    """The provider of that format name; ``KeyError`` for an unknown one."""
    return _BY_NAME[format_name]


def matches(format_name: str, value: str) -> bool:
    """Whether ``value`` has the shape of ``format_name`` (``KeyError`` if unknown)."""
    return _BY_NAME[format_name].matches(value)


def detect(value: str) -> Provider | None:
    """The provider whose distinctive format ``value`` has, if any.

    Meant for values :func:`secretsync.placeholders.classify` already called secrets. As a
    second guard it ignores values with fewer than 10 different characters: a real token is
    varied, ``ghp_`` followed by 36 ``x`` is not.
    """
    if len(value) < 16:
        return None
    candidates = _DETECTORS_BY_START.get(value[:2], ()) + _UNPREFIXED_DETECTORS
    for provider in candidates:
        if provider.detects(value):
            return provider if len(set(value)) >= _MIN_DISTINCT else None
    return None
