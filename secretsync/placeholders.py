"""Is this value a real secret, or something a person left in its place?

:func:`classify` sorts one value into empty / placeholder / reference / secret and names the
pattern that decided it. Every rule is a shape a person can check by eye (a dominant run of
``x``, nothing but placeholder words, an unrendered template, a documented vendor example),
never a score, so a finding explains itself. ``kind`` and ``reason`` never quote the value:
at most a public token prefix (``sk-``), one padding character, or a vocabulary word.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from secretsync import providers

__all__ = ["Classification", "Verdict", "classify", "is_placeholder", "looks_secret_bearing_key"]


class Verdict(str, Enum):
    EMPTY = "empty"
    PLACEHOLDER = "placeholder"
    REFERENCE = "reference"
    SECRET = "secret"


@dataclass(frozen=True)
class Classification:
    """The verdict, a stable id of the pattern that decided it, and a sentence for people."""

    verdict: Verdict
    kind: str
    reason: str


def _ph(kind: str, reason: str) -> Classification:
    return Classification(Verdict.PLACEHOLDER, kind, reason)


# --- vocabulary -----------------------------------------------------------------------


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


#: Words that on their own say "nothing real here"; the first one found names the kind.
_MARKERS = _wordset(
    "changeme change replaceme replace todo tbd fixme dummy example examples sample samples "
    "test testing tests placeholder redacted insert enter paste put fill your yours xxx foo "
    "bar baz qux foobar fake mock demo notreal unset nothing hidden filtered masked secret "
    "password passwd pwd passphrase default insecure fixture fixtures stub bogus invalid"
)
#: Words that fill out placeholder phrases ("my-api-key-here") but decide nothing alone.
_FILLERS = _wordset(
    "a an the my me mine our here there this that it to in of for with goes go and or be "
    "is not no real actual own set add generate generated some any new value values str "
    "string text long short random strong secure complex unique very super top please now "
    "later key keys token tokens api apikey access auth authorization bearer credential "
    "credentials secrets pass password1 pw private public client id app application service "
    "account user username admin root login session cookie signing encryption hash salt jwt "
    "webhook hook url uri dsn sid pat sk org project dev development local localhost prod "
    "production staging stage env environment db database server host name bot personal "
    "ssh pem cert license master shared sso oauth refresh openai anthropic github gitlab "
    "stripe slack aws amazon google gcp azure twilio sendgrid vercel pinecone pulumi docker "
    "dockerhub npm pypi gong lambda snowflake sentry redis postgres postgresql mysql mongo "
    "mongodb rabbitmq supabase firebase heroku cloudflare datadog do use only never commit "
    "run output command openssl rand hex base64 bit bits char chars characters length least "
    "at abc xyz"
)
_VOCABULARY = _MARKERS | _FILLERS
_CREDENTIAL_NOUNS = ("key", "token", "credential", "pass")
#: Markers looked for inside run-together words (``mysecretpassword``), most telling first.
_MARKER_ORDER = (
    "changeme", "replaceme", "placeholder", "redacted", "example", "sample", "dummy", "your",
    "todo", "fixme", "insert", "enter", "paste", "fake", "mock", "test", "foo", "secret",
    "password",
)  # fmt: skip
_TWO_LETTER = _wordset("a my me id db to in of it an is be or no go pw sk")

_NULL_LIKE = _wordset(
    "null none nil undefined n/a na - -- ~ nan (none) <none> <nil> <null> <empty> (empty) "
    "empty unset notset not_set (unset) '' \"\" <> {} []"
)
#: Well-known default passwords (vendor defaults and the top of every leaked-password list).
_COMMON_PASSWORDS = _wordset(
    "123456 1234567 12345678 123456789 1234567890 12345 1234 111111 000000 123123 654321 "
    "qwerty qwertyuiop qwerty123 abc123 abcd1234 abcdef password1 passw0rd letmein monkey "
    "dragon iloveyou trustno1 welcome welcome1 admin admin123 root toor changeit guest "
    "master shadow sunshine princess hunter2 login secret123 pass123 test123 1qaz2wsx "
    "qazwsx zxcvbnm asdfgh postgres mysql redis rabbitmq default"
)
_WEAK = _COMMON_PASSWORDS | _MARKERS
_LEET = str.maketrans("013457@$", "oieastas")
_DEFAULT_URL_PASSWORDS = _wordset(
    "password pass passwd pwd secret changeme example test admin root postgres mysql redis "
    "guest default mongo rabbitmq user"
)


_DEFAULT_URL_HOSTS = ("example.com", "example.org", "example.net", ".example", "your-")

# --- patterns, compiled once; none of them can backtrack badly ---------------------------

_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]*)-----(.*?)(?:-----END [A-Z0-9 ]*-----|\Z)", re.S)
_TOKEN = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_CHUNK = re.compile(r"[A-Za-z0-9]+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_RUN = re.compile(r"(.)\1{2,}", re.S)
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:(?P<user>[^:@/\s]*)(?::(?P<pw>[^@/\s]*))?@)?"
    r"(?P<host>[^/?#\s]*)(?P<rest>\S*)"
)

_REFERENCE_RULES: tuple[tuple[str, str, str], ...] = (
    (
        r"\$\{\{\s*(?:env|vars|inputs|github|needs|steps)\.[\w.-]+\s*\}\}",
        "reference:github-actions",
        "a GitHub Actions expression naming a variable",
    ),
    (r"\$\{env:[A-Za-z_]\w*\}", "reference:env", "points to an environment variable"),
    (r"\$[A-Z_][A-Z0-9_]*", "reference:env", "points to an environment variable"),
    (r"%[A-Z_][A-Z0-9_]*%", "reference:env", "points to a Windows environment variable"),
    (r"env:[A-Za-z_]\w*", "reference:env", "points to an environment variable"),
    (r"op://\S+", "reference:1password", "points to a 1Password item"),
    (r"vault:\S+", "reference:vault", "points to a HashiCorp Vault path"),
    (r"ref\+[a-z0-9]+://\S+", "reference:vals", "a vals-style secret reference"),
    (
        r"arn:aws:(?:secretsmanager|ssm):\S+",
        "reference:aws",
        "points to AWS Secrets Manager or SSM",
    ),
    (r"@Microsoft\.KeyVault\(.+\)", "reference:azure-key-vault", "points to Azure Key Vault"),
    (
        r"projects/[\w.-]+/secrets/[\w.-]+(?:/versions/[\w.-]+)?",
        "reference:gcp",
        "points to GCP Secret Manager",
    ),
    (r"(?:sm|gcp-sm|doppler|infisical|akv|aws-sm)://\S+", "reference:uri", "a secret-manager URI"),
    (r"ENC\[[A-Z0-9_]+,data:.*\]", "reference:sops", "a SOPS-encrypted value"),
    (r"(?:/var)?/run/secrets/[\w.-]+", "reference:file", "a path to a mounted secret file"),
    (
        r"(?:process\.env|import\.meta\.env)\.\w+|(?:os\.environ|ENV)\[[\"'][\w.-]+[\"']\]"
        r"|(?:os\.getenv|os\.environ\.get|ENV\.fetch|System\.getenv|Deno\.env\.get)\(.+\)",
        "reference:env",
        "code that reads an environment variable",
    ),
    (r"\$ANSIBLE_VAULT;.*", "reference:ansible-vault", "an Ansible Vault-encrypted value"),
)
#: All reference shapes as one alternation: one C-level match per value, not twelve.
_REFERENCES = re.compile(
    "|".join(f"(?P<r{i}>{rx})" for i, (rx, _, _) in enumerate(_REFERENCE_RULES)), re.S
)
#: ``${VAR}``, ``${VAR:-default}`` ... anywhere in the value: a shell/compose interpolation.
_INTERPOLATION = re.compile(r"\$\{[A-Za-z_][\w.]*(?::?[-=?+][^}]*)?\}")

_TEMPLATES: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(rx, re.S), kind, reason)
    for rx, kind, reason in (
        (
            r"\$\{\{\s*secrets\.[\w-]+\s*\}\}",
            "template:github-actions",
            "an unrendered GitHub Actions secrets expression",
        ),
        (r"%\([^()]+\)[sdr]", "template:printf", "an unrendered %(name)s template"),
        (r"#\{[^{}]+\}#?", "template:replace-tokens", "an unrendered #{name}# token"),
        (r"\$\(.+\)", "template:command", "an unexpanded $(...) command or macro"),
        (r"__[A-Za-z0-9][\w.-]*__", "template:dunder", "an unreplaced __NAME__ token"),
        (r"@[A-Za-z][\w.-]*@", "template:at", "an unreplaced @name@ token"),
        (r"\{[A-Za-z_][\w .-]*\}", "template:braces", "an unformatted {name} field"),
        (r"\[[A-Za-z][\w .:-]*\]", "template:brackets", "a [name] placeholder"),
        (r"<%.*%>", "template:erb", "an unrendered ERB template"),
        (r"<[^<>]+>", "template:angle", "a <name> placeholder"),
    )
)
_GHA_SECRET = re.compile(r"\$\{\{\s*secrets\.")
_GHA_VARIABLE = re.compile(r"\$\{\{\s*(?:env|vars|inputs|github|needs|steps)\.")
_TEMPLATE_STARTS = frozenset("$%#_@{[<")
_ANGLE_INSIDE = re.compile(r"<([A-Za-z][A-Za-z0-9_ .-]{1,60})>")

_AWS_DOC_KEYS = frozenset(
    ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AKIAI44QH8DHBEXAMPLE")
)
_STRIPE_DOC_KEYS = frozenset(
    ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "pk_test_TYooMQauvdEDq54NiTphI7jx",
     "sk_test_BQokikJOvBiI2HlWgH4olfQ2")
)  # fmt: skip
_GITHUB_DOC_BODY = "16C7e42F292c6912E7710c838347Ae178B4a"
_JWT_IO_CLAIMS = {"sub": "1234567890", "name": "John Doe"}

#: Public prefixes a provider-shaped placeholder may start with, longest first.
_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {(prefix, p.name) for p in providers.REGISTRY for prefix in p.prefixes}
        | {("sk-", "openai"), ("sk-ant-", "anthropic"), ("sk-proj-", "openai"),
           ("sk-svcacct-", "openai"), ("sk-admin-", "openai"), ("hf_", "huggingface"),
           ("pcsk_", "pinecone"), ("pypi-", "pypi"), ("xapp-", "slack_token"),
           ("github_pat_", "github"), ("gsk_", "groq"), ("r8_", "replicate")},
        key=lambda item: -len(item[0]),
    )
)  # fmt: skip
#: The prefixes above by their first two characters: one dict lookup instead of a scan.
_PREFIX_INDEX: dict[str, tuple[tuple[str, str], ...]] = {
    start: tuple(item for item in _PREFIXES if item[0][:2] == start)
    for start in {prefix[:2] for prefix, _ in _PREFIXES}
}
_RUNS_FROM_START = ("01234567890", "1234567890", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop")
_PAD_CHARS = frozenset("xX*#0.-_•…")
_ELISIONS = ("...", "…", "***", "•••")
_ELISION_RUN = re.compile(r"\.{3,}|…+|\*{3,}|•{3,}")
_PLAIN = re.compile(r"[A-Za-z0-9_.-]*")


# --- the rules ------------------------------------------------------------------------


def _tokens(text: str) -> Iterator[str]:
    """Lower-case word and number tokens; camelCase and letter/digit boundaries split too.

    A generator, so a rule that needs every token to be a known word stops at the first
    unknown one: on a random key that is usually the first few characters.
    """
    for chunk in _CHUNK.findall(text):
        parts = _TOKEN.findall(chunk)
        if len(parts) == 1:
            yield chunk.lower()
            continue
        for part in parts:
            # A one-letter piece cut out of a longer chunk is how random strings look.
            yield part.lower() if len(part) > 1 else "\0"


def _segmentable(word: str) -> bool:
    """Whether ``word`` is vocabulary words run together (``yourapikeyhere``)."""
    if len(word) > 40:
        return False
    # best[i]: (long pieces - short pieces) of the best split of word[:i], None if none.
    best: list[int | None] = [0] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 14), end):
            prev = best[start]
            piece = word[start:end]
            if prev is None or piece not in _VOCABULARY:
                continue
            score = prev + (1 if len(piece) > 2 else -1)
            if len(piece) <= 2 and piece not in _TWO_LETTER:
                continue
            if best[end] is None or score > best[end]:  # type: ignore[operator]
                best[end] = score
    final = best[len(word)]
    return final is not None and final >= 0


def _known(token: str, extra: frozenset[str]) -> bool:
    if token in _VOCABULARY or token in extra:
        return True
    if token.isdigit():
        return len(token) <= 4 or _sequential(token)
    if token == "\0" or len(token) < 3:
        return token in ("a", "i")
    plain = token.translate(_LEET)
    return plain in _VOCABULARY or _sequential(token) or _segmentable(plain)


def _sequential(text: str) -> bool:
    """``1234``, ``123456789``, ``abcdef``; short runs only from the start (5432 is a port)."""
    low = text.lower()
    if len(low) >= 6:
        return any(
            low in seq for seq in ("01234567890", "9876543210", "abcdefghijklmnopqrstuvwxyz")
        )
    return len(low) >= 4 and low.isalnum() and any(seq.startswith(low) for seq in _RUNS_FROM_START)


def _words(value: str, key_tokens: frozenset[str]) -> Classification | None:
    """Placeholder when every token is a known word, or a marker word carries a phrase
    with at most two other plain words in it (``dummy-password-for-timing-only``)."""
    tokens: list[str] = []
    unknown = 0
    for token in _tokens(value):
        if _known(token, key_tokens):
            tokens.append(token)
        elif unknown < 2 and _plain_word(token):
            unknown += 1
        else:
            return None
    if not any(t.isalpha() and len(t) > 2 for t in tokens):
        return None
    marker = next((t for t in tokens if t in _MARKERS), None)
    if marker is None:
        marker = next((m for t in tokens for m in _MARKER_ORDER if m in t), None)
    if unknown and (marker is None or len(tokens) < unknown):
        return None
    if marker is None:
        # "production" alone is a setting, not a placeholder; "my-api-key" is one.
        only = tokens[0]
        if len(tokens) == 1 and only in _VOCABULARY and not only.startswith(_CREDENTIAL_NOUNS):
            return None
        return _ph("generic-words", "nothing but generic words like 'api' and 'key'")
    return _ph(f"word:{marker}", f"placeholder word {marker!r}")


def _plain_word(token: str) -> bool:
    """An ordinary word we don't know (``timing``), not a piece of a random string."""
    return len(token) >= 3 and token.isalpha() and any(v in token for v in "aeiouy")


def _repeated_unit(text: str) -> bool:
    """``apikeyapikeyapikey``, ``abcabcabc``: one short unit written out three times or more."""
    for size in range(2, min(12, len(text) // 3) + 1):
        unit = text[:size]
        if (unit * (len(text) // size + 1)).startswith(text):
            return True
    return False


def _padding_run(body: str) -> str | None:
    """The padding character when runs of it make up at least half of ``body``."""
    if len(body) < 3:
        return None
    covered: dict[str, int] = {}
    for match in _RUN.finditer(body):
        char = match.group(1)
        if char in _PAD_CHARS or len(match.group(0)) == len(body):
            covered[char] = covered.get(char, 0) + len(match.group(0))
    if not covered:
        return None
    char, _ = max(covered.items(), key=lambda item: item[1])
    return char if sum(covered.values()) * 2 >= len(body) else None


def _elided(value: str) -> bool:
    """``sk-proj-...``, ``AKIA…WXYZ``, ``****1234``: a marker, a few plain characters around."""
    if not any(mark in value for mark in _ELISIONS):
        return False
    rest = _ELISION_RUN.sub("", value)
    return len(rest) <= 24 and _PLAIN.fullmatch(rest) is not None


def _body_placeholder(body: str, key_tokens: frozenset[str]) -> str | None:
    """Why the part after a provider prefix is not a real key, or None."""
    if _elided(body) or body.startswith(_ELISIONS):
        return "an elided remainder"
    if body.strip(" -_.") == "":
        return "only the prefix"
    pad = _padding_run(body)
    if pad is not None:
        return f"repeated {pad!r}"
    if _words(body, key_tokens) is not None:
        return "placeholder words"
    if any(p.match(body) for p, _, _ in _TEMPLATES):
        return "a template"
    return None


def _provider_placeholder(value: str, key_tokens: frozenset[str]) -> Classification | None:
    for prefix, name in _PREFIX_INDEX.get(value[:2], ()):
        if value.startswith(prefix):
            why = _body_placeholder(value[len(prefix) :], key_tokens)
            if why is None or (why == "placeholder words" and prefix.strip("_-.") in _MARKERS):
                return None  # "secret_key" is words, not Lambda's secret_ prefix
            return _ph(f"provider-placeholder:{name}", f"{prefix!r} followed by {why}")
    return None


def _vendor_example(value: str) -> Classification | None:
    if value in _AWS_DOC_KEYS or (len(value) >= 16 and value.endswith(("EXAMPLE", "EXAMPLEKEY"))):
        return _ph("vendor-example:aws", "an AWS documentation example key (…EXAMPLE)")
    if value in _STRIPE_DOC_KEYS:
        return _ph("vendor-example:stripe", "a key published in Stripe's documentation")
    if value[:4] in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_") and value[4:] == _GITHUB_DOC_BODY:
        return _ph("vendor-example:github", "a token published in GitHub's documentation")
    if value.startswith("eyJ") and value.count(".") == 2:
        payload = value.split(".")[1]
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (binascii.Error, ValueError):
            return None
        if isinstance(claims, dict) and all(claims.get(k) == v for k, v in _JWT_IO_CLAIMS.items()):
            return _ph("vendor-example:jwt.io", "the sample token from jwt.io")
    return None


def _url(value: str, key_tokens: frozenset[str]) -> Classification | None:
    match = _URL.fullmatch(value)
    if match is None:
        return None
    user, password, host = match.group("user"), match.group("pw"), match.group("host").lower()
    if password is not None:
        plain = password.lower()
        if (
            plain == (user or "").lower()
            or plain in _DEFAULT_URL_PASSWORDS
            or plain in _COMMON_PASSWORDS
            or _words(password, key_tokens) is not None
        ):
            return _ph("default-credentials-url", "a URL whose password is a well-known default")
    if host.endswith(_DEFAULT_URL_HOSTS[:4]) or host.startswith(_DEFAULT_URL_HOSTS[4]):
        return _ph("example-host", "a URL on a reserved example domain or 'your-...' host")
    label = host.split(".", 1)[0]
    if _padding_run(label) is not None or _padding_run(host) is not None:
        return _ph("padding", "a URL whose host name is a run of padding")
    in_host = _words(host, key_tokens)
    if in_host is not None and in_host.kind.startswith("word:"):
        return _ph("example-host", "a URL whose host is a placeholder phrase")
    if password is None and _padding_run(match.group("rest")) is None:
        return Classification(Verdict.SECRET, "url", "a URL with no credentials in it")
    return None


def _pem(value: str) -> Classification | None:
    match = _PEM.search(value)
    if match is None:
        return None
    body = re.sub(r"\s+|\\n", "", match.group(2))
    if len(body) < 32 or _elided(body) or _padding_run(body) or _words(body, frozenset()):
        return _ph("pem-placeholder", "a PEM block with no real key material")
    return None


@lru_cache(maxsize=1024)
def _key_tokens(key: str | None) -> frozenset[str]:
    return frozenset(_tokens(key)) - {"\0"} if key else frozenset()


def classify(value: str, key: str | None = None) -> Classification:
    """Sort ``value`` into empty / placeholder / reference / secret.

    ``key`` is the name the value is stored under (``OPENAI_API_KEY``); it lets a value that
    merely repeats its own name be caught, and its words count as placeholder words.
    """
    text = value.strip()
    if not text:
        kind = "empty" if value == "" else "whitespace"
        return Classification(Verdict.EMPTY, kind, f"the value is {kind}")
    lower = text.lower()
    if lower in _NULL_LIKE:
        return _ph("null-like", "a null-like word stands in for a value")
    if text.startswith("-----BEGIN"):
        return _pem(text) or _secret(text)
    ref = _REFERENCES.fullmatch(text)
    if ref is not None and ref.lastgroup is not None:
        _, kind, reason = _REFERENCE_RULES[int(ref.lastgroup[1:])]
        return Classification(Verdict.REFERENCE, kind, reason)
    if text[0] in _TEMPLATE_STARTS:
        for pattern, kind, reason in _TEMPLATES:
            if pattern.fullmatch(text):
                return _template(text, kind, reason)
    if "${{" in text:  # GitHub Actions expression inside a longer value
        if _GHA_SECRET.search(text):
            return _ph("template:github-actions", "an unrendered GitHub Actions secrets expression")
        if _GHA_VARIABLE.search(text):
            return Classification(
                Verdict.REFERENCE, "reference:github-actions", "a GitHub Actions expression"
            )
    if _jinja(text):
        return _ph("template:jinja", "an unrendered Jinja/Helm/Mustache template")
    if "${" in text and _INTERPOLATION.search(text):
        return Classification(
            Verdict.REFERENCE, "reference:interpolation", "interpolates a variable"
        )
    if "<" in text and _ANGLE_INSIDE.search(text):
        return _ph("template:angle", "contains a <name> placeholder")
    key_tokens = _key_tokens(key)
    found = (
        _vendor_example(text)
        or ("://" in text and _url(text, key_tokens))
        or _provider_placeholder(text, key_tokens)
        or _shape(text, key, key_tokens)
    )
    return found or _secret(text)


def _jinja(text: str) -> bool:
    """``{{ }}``, ``{% %}`` or ERB ``<% %>`` anywhere (string search: nothing to backtrack)."""
    for start, end in (("{{", "}}"), ("{%", "%}"), ("<%", "%>")):
        at = text.find(start)
        if at >= 0 and text.find(end, at + 2) >= 0:
            return True
    return False


def _template(text: str, kind: str, reason: str) -> Classification:
    inner = text.strip("<>[]{}").strip().lower()
    if inner in ("redacted", "hidden", "filtered", "masked", "removed"):
        return _ph("redacted", "a redaction marker")
    return _ph(kind, reason)


def _shape(text: str, key: str | None, key_tokens: frozenset[str]) -> Classification | None:
    if text.isdigit():
        # Numbers are ports, ids and PINs: only a run of one digit or 1234... is suspect.
        if (len(set(text)) == 1 and len(text) >= 3) or _sequential(text):
            return _ph("sequential", "a repeated or sequential run of digits")
        return None
    pad = _padding_run(text)
    if pad is not None:
        return _ph("padding", f"a run of repeated {pad!r}")
    if len(text) >= 6 and _repeated_unit(text):
        return _ph("repeated", "one short unit repeated over and over")
    if _elided(text):
        return _ph("elided", "a key shown with most of it elided")
    if key and _squash(text) == _squash(key):
        return _ph("self-named", "the value repeats its own key name")
    if key_tokens and _CHUNK.search(text) and all(t in key_tokens for t in _tokens(text)):
        return _ph("self-named", "the value is made of words of its own key name")
    found = _words(text, key_tokens) if len(text) <= 200 else None
    if found is not None:
        return found
    plain = text.lower()
    if plain in _COMMON_PASSWORDS or plain.rstrip("0123456789!.@#?").translate(_LEET) in _WEAK:
        return _ph("common-password", "a well-known default password")
    return None


def _squash(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


def _secret(text: str) -> Classification:
    provider = providers.detect(text)
    if provider is not None:
        return Classification(Verdict.SECRET, f"provider:{provider.name}", provider.description)
    return Classification(Verdict.SECRET, "opaque", "no placeholder pattern matched")


def is_placeholder(value: str, key: str | None = None) -> bool:
    """True when :func:`classify` calls the value a placeholder."""
    return classify(value, key).verdict is Verdict.PLACEHOLDER


_SECRET_KEY_WORDS = _wordset(
    "key keys token secret secrets password passwd pwd pass passphrase credential credentials "
    "private auth dsn apikey secretkey accesskey privatekey authtoken accesstoken clientsecret "
    "sessionkey signingkey pat"
)
_NOT_A_SECRET_TAIL = _wordset(
    "url uri endpoint path file dir name type length len ttl expiry expires header prefix "
    "env enabled mode field format count timeout"
)


def looks_secret_bearing_key(key: str) -> bool:
    """Whether a key name (``STRIPE_SECRET_KEY``, ``apiKey``) suggests it holds a secret."""
    tokens = [t for t in _tokens(key) if t != "\0"]
    if not tokens or tokens[-1] in _NOT_A_SECRET_TAIL:
        return False
    if "public" in tokens and not {"private", "secret"} & set(tokens):
        return False
    return any(t in _SECRET_KEY_WORDS for t in tokens)
