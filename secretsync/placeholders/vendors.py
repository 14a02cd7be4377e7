"""Values judged against outside knowledge: provider prefixes over filler, keys printed in
vendors' documentation, URLs with default credentials or example hosts, PEM blocks with no
key material, and ``user:password`` default pairs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from secretsync._lazyre import lazy_compile
from secretsync.placeholders import patterns, words
from secretsync.placeholders import vocabulary as vocab
from secretsync.placeholders.padding import ELISIONS, elided, padding_run
from secretsync.placeholders.verdict import Classification, Verdict
from secretsync.placeholders.verdict import placeholder as _ph

_DEFAULT_URL_HOSTS = ("example.com", "example.org", "example.net", ".example", "your-")
_PEM = lazy_compile(r"-----BEGIN ([A-Z0-9 ]*)-----(.*?)(?:-----END [A-Z0-9 ]*-----|\Z)", re.S)
_URL = lazy_compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:(?P<user>[^:@/\s]*)(?::(?P<pw>[^@/\s]*))?@)?"
    r"(?P<host>[^/?#\s]*)(?P<rest>\S*)"
)
#: A downloader prefix in front of a whole URL (``secrets://https://...``).
_WRAPPER = lazy_compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?=[A-Za-z][A-Za-z0-9+.-]*://)")
_PAIR = lazy_compile(r"([A-Za-z][\w.-]{0,31}):([^\s:@/]{1,64})")


def default_pair(text: str, key_tokens: frozenset[str]) -> Classification | None:
    """``guest:guest``, ``admin:changeme``: a user:password pair that is a default login."""
    match = _PAIR.fullmatch(text)
    if match is None:
        return None
    user, password = match.group(1).lower(), match.group(2)
    plain = password.lower()
    if (
        plain == user
        or plain.rstrip("0123456789!.@#?").translate(vocab.LEET) in vocab.WEAK
        or words.words(password, key_tokens) is not None
    ):
        return _ph("weak-default", "a user:password pair of well-known defaults")
    return None


def body_placeholder(body: str, key_tokens: frozenset[str]) -> str | None:
    """Why the part after a provider prefix is not a real key, or None."""
    if elided(body) or body.startswith(ELISIONS):
        return "an elided remainder"
    if body.strip(" -_.") == "":
        return "only the prefix"
    pad = padding_run(body)
    if pad is not None:
        return f"repeated {pad!r}"
    if words.words(body, key_tokens) is not None:
        return "placeholder words"
    if any(p.match(body) for p, _, _ in patterns.TEMPLATES):
        return "a template"
    return None


def provider_placeholder(value: str, key_tokens: frozenset[str]) -> Classification | None:
    for prefix, name in patterns.PREFIX_INDEX.get(value[:2], ()):
        if value.startswith(prefix):
            why = body_placeholder(value[len(prefix) :], key_tokens)
            if why is None or (why == "placeholder words" and prefix.strip("_-.") in vocab.MARKERS):
                return None  # "secret_key" is words, not Lambda's secret_ prefix
            return _ph(f"provider-placeholder:{name}", f"{prefix!r} followed by {why}")
    return None


def vendor_example(value: str) -> Classification | None:
    if value in patterns.AWS_DOC_KEYS or (
        len(value) >= 16 and value.endswith(("EXAMPLE", "EXAMPLEKEY"))
    ):
        return _ph("vendor-example:aws", "an AWS documentation example key (…EXAMPLE)")
    if value in patterns.STRIPE_DOC_KEYS:
        return _ph("vendor-example:stripe", "a key published in Stripe's documentation")
    if (
        value[:4] in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")
        and value[4:] == patterns.GITHUB_DOC_BODY
    ):
        return _ph("vendor-example:github", "a token published in GitHub's documentation")
    if value.startswith("eyJ") and value.count(".") == 2:
        payload = value.split(".")[1]
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (binascii.Error, ValueError):
            return None
        if isinstance(claims, dict) and all(
            claims.get(k) == v for k, v in patterns.JWT_IO_CLAIMS.items()
        ):
            return _ph("vendor-example:jwt.io", "the sample token from jwt.io")
    return None


def url(value: str, key_tokens: frozenset[str]) -> Classification | None:
    wrapped = _WRAPPER.match(value)
    if wrapped is not None:  # helm-secrets "secrets://https://...": judge the inner URL
        value = value[wrapped.end() :]
    match = _URL.fullmatch(value)
    if match is None:
        return None
    user, password, host = match.group("user"), match.group("pw"), match.group("host").lower()
    if password is not None:
        plain = password.lower()
        stem = plain.rstrip("0123456789")
        if (
            plain == (user or "").lower()
            or user_stem(plain, user or "")
            or (len(stem) >= 3 and stem == (user or "").lower())
            or plain in vocab.DEFAULT_URL_PASSWORDS
            or plain in vocab.COMMON_PASSWORDS
            or plain in vocab.TOP_PASSWORDS
            or plain in vocab.PRODUCT_DEFAULTS
            or words.words(password, key_tokens) is not None
        ):
            return _ph("default-credentials-url", "a URL whose password is a well-known default")
    if host.endswith(_DEFAULT_URL_HOSTS[:4]) or host.startswith(_DEFAULT_URL_HOSTS[4]):
        return _ph("example-host", "a URL on a reserved example domain or 'your-...' host")
    label = host.split(".", 1)[0]
    if padding_run(label) is not None or padding_run(host) is not None:
        return _ph("padding", "a URL whose host name is a run of padding")
    in_host = words.words(host, key_tokens)
    if in_host is not None and in_host.kind.startswith("word:"):
        return _ph("example-host", "a URL whose host is a placeholder phrase")
    rest = match.group("rest") or ""
    if _marked_segment(rest):
        return _ph("url-placeholder", "a URL whose path or query holds a stand-in to fill in")
    if password is None and padding_run(match.group("rest")) is None:
        return Classification(Verdict.SECRET, "url", "a URL with no credentials in it")
    return None


_SEGMENTS = lazy_compile(r"[/?&=#;]+")


def _marked_segment(rest: str) -> bool:
    """``/v2/YOUR_API_KEY``, ``?key=<token>``: a segment of two or more words, one of them
    a placeholder marker (``your``, ``here``, ``xxx``)."""
    for segment in _SEGMENTS.split(rest):
        if len(segment) < 6:
            continue
        if segment[0] == "<" and segment[-1] == ">":
            return True
        found = [t for t in words.tokens(segment) if t != "\0"]
        if (
            len(found) >= 2
            and all(t.isalpha() for t in found)
            and any(t in vocab.MARKERS for t in found)
            and found[0] != "example"
        ):
            return True
    return False


def user_stem(password: str, user: str) -> bool:
    """``butler_admin:butler``: the password is one word of the user name (four letters or
    more), the project or product the account was named after."""
    return len(password) >= 4 and password in words.tokens(user)


def pem(value: str) -> Classification | None:
    match = _PEM.search(value)
    if match is None:
        return None
    body = re.sub(r"\s+|\\n", "", match.group(2))
    if len(body) < 32 or elided(body) or padding_run(body) or words.words(body, frozenset()):
        return _ph("pem-placeholder", "a PEM block with no real key material")
    return None
