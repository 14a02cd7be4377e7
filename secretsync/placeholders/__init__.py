"""Is this value a real secret, or something a person left in its place?

:func:`classify` sorts one value into empty / placeholder / reference / secret and names the
pattern that decided it. Every rule is a shape a person can check by eye (a dominant run of
``x``, nothing but placeholder words, an unrendered template, a documented vendor example),
never a score, so a finding explains itself. ``kind`` and ``reason`` never quote the value:
at most a public token prefix (``sk-``), one padding character, or a vocabulary word.

Label policy for the cases people disagree on (what a reviewer of an example file would say):

- Placeholders: vendor and tutorial defaults (``root``, ``admin``, ``postgres``, ``secret``,
  ``p4SSW0rd``); one short lower-case word plus the digits people append (``doctor123``,
  ``tiger2024``) under a password key (``Summer2024!`` was typed to meet a policy: a
  secret); a product name plus an account name (``grafana_admin``); values mostly made of
  alphabet or digit runs (``a1b2c3d4``, ``...1234567890abcdef``); pointers and descriptions
  instead of a value (``same-as-above``, ``api key for the export job``); type names
  (``string``); base64 or hex of any of these (an ``echo | base64`` newline included);
  Helm/Jinja/GitHub templates left unrendered, and references with ``<name>`` holes in
  them. Also: a self-hosted product's name (``grafana``, ``tomcat``) or product + account
  (``jenkinsadmin``); a ``user:password`` default pair (``guest:guest``); a word written
  twice (``hogehoge``); three characters or fewer; a token cut off with ``...``; a JSON
  object, JS object or JAAS line whose quoted credential field is a placeholder; a word
  asking for generation (``auto``); the marker words in Spanish, Portuguese, French and
  German (``tu-clave-aqui``); consul-template fields (``{{ .Data.data.password }}``), as Helm's.
- Secrets: anything chosen rather than left in place, however weak: passphrases of ordinary
  words (``granite-tulip-ferry``), human passwords mixing words, digits and symbols
  (``Summer2024!Deploy``, ``Tr0ub4dor&3x``), and base64 of such a password.
- References: environment and secret-store pointers, including Terraform expressions
  (``var.db_password``), store URIs embedded in a URL, ``${VAR:default}`` and
  ``$VAR`` fields inside a DSN, calls that read a named variable (``env("X")``), CI and
  platform secrets (Jenkins ``credentials('id')``, Vercel ``@name``, Rails credentials),
  CloudFormation ``{{resolve:...}}``, paths to key files and SSM/Vault-style store paths;
  templates that only read a variable (``{{process.env.X}}``, Grafana's ``$__env{X}``), code
  reading a named file (``File.read('/run/secrets/x')``), env reads with a fallback
  (``process.env.X || 'dev'``), and ciphertext whose key lives elsewhere (``ENC(...)``,
  ``{cipher}...``, a SealedSecret body). Also env-only templates in other tools (gomplate
  ``{{ .Env.X }}``, dbt ``{{ env_var('X') }}``), Argo CD Vault plugin ``<path:kv/x#key>``,
  YAML ``!secret name`` / ``!env_var X`` tags, and provider objects naming a variable
  (Druid's ``{"type": "environment", "variable": "X"}``).
- Not placeholders: PascalCase type names from code (``SecretStr``): the vocabulary
  inside an identifier decides nothing.

The rule modules: :mod:`.vocabulary` (word lists), :mod:`.words` (reading a value as words),
:mod:`.patterns` (templates, references, vendor examples), :mod:`.shapes` (runs, encodings,
weak defaults, descriptions).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from functools import lru_cache

from secretsync import providers
from secretsync.placeholders import patterns, shapes, words
from secretsync.placeholders import vocabulary as vocab
from secretsync.placeholders.keys import looks_secret_bearing_key
from secretsync.placeholders.verdict import Classification, Verdict, placeholder

__all__ = ["Classification", "Verdict", "classify", "is_placeholder", "looks_secret_bearing_key"]


_ph = placeholder

_DEFAULT_URL_HOSTS = ("example.com", "example.org", "example.net", ".example", "your-")

# --- patterns, compiled once; none of them can backtrack badly ---------------------------

_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]*)-----(.*?)(?:-----END [A-Z0-9 ]*-----|\Z)", re.S)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_RUN = re.compile(r"(.)\1{2,}", re.S)
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:(?P<user>[^:@/\s]*)(?::(?P<pw>[^@/\s]*))?@)?"
    r"(?P<host>[^/?#\s]*)(?P<rest>\S*)"
)

_PAD_CHARS = frozenset("xX*#0.-_•…")
_ELISIONS = ("...", "…", "***", "•••")
_ELISION_RUN = re.compile(r"\.{3,}|…+|\*{3,}|•{3,}")
_PLAIN = re.compile(r"[A-Za-z0-9_.-]*")
_TRUNCATED = re.compile(r"[A-Za-z0-9_+/=.-]{4,}?(?:\.{3,}|…)")
_PAIR = re.compile(r"([A-Za-z][\w.-]{0,31}):([^\s:@/]{1,64})")
_SEPARATED = re.compile(r"[a-z][ _.-][A-Za-z]").search


# --- the rules ------------------------------------------------------------------------


def _repeated_unit(text: str) -> bool:
    """``apikeyapikeyapikey``, ``abcabcabc``: one short unit written out three times or more."""
    for size in range(2, min(12, len(text) // 3) + 1):
        unit = text[:size]
        if (unit * (len(text) // size + 1)).startswith(text):
            return True
    return False


def _default_pair(text: str, key_tokens: frozenset[str]) -> Classification | None:
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
    """``sk-proj-...``, ``AKIA…WXYZ``, ``****1234``: a marker, a few plain characters around;
    or a token of any length cut off with ``...`` (``eyJhbGciOi...``): no real key ends so."""
    if not any(mark in value for mark in _ELISIONS):
        return False
    rest = _ELISION_RUN.sub("", value)
    if len(rest) <= 24 and _PLAIN.fullmatch(rest) is not None:
        return True
    return value.endswith(("...", "…")) and _TRUNCATED.fullmatch(value) is not None


def _body_placeholder(body: str, key_tokens: frozenset[str]) -> str | None:
    """Why the part after a provider prefix is not a real key, or None."""
    if _elided(body) or body.startswith(_ELISIONS):
        return "an elided remainder"
    if body.strip(" -_.") == "":
        return "only the prefix"
    pad = _padding_run(body)
    if pad is not None:
        return f"repeated {pad!r}"
    if words.words(body, key_tokens) is not None:
        return "placeholder words"
    if any(p.match(body) for p, _, _ in patterns.TEMPLATES):
        return "a template"
    return None


def _provider_placeholder(value: str, key_tokens: frozenset[str]) -> Classification | None:
    for prefix, name in patterns.PREFIX_INDEX.get(value[:2], ()):
        if value.startswith(prefix):
            why = _body_placeholder(value[len(prefix) :], key_tokens)
            if why is None or (why == "placeholder words" and prefix.strip("_-.") in vocab.MARKERS):
                return None  # "secret_key" is words, not Lambda's secret_ prefix
            return _ph(f"provider-placeholder:{name}", f"{prefix!r} followed by {why}")
    return None


def _vendor_example(value: str) -> Classification | None:
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


def _url(value: str, key_tokens: frozenset[str]) -> Classification | None:
    match = _URL.fullmatch(value)
    if match is None:
        return None
    user, password, host = match.group("user"), match.group("pw"), match.group("host").lower()
    if password is not None:
        plain = password.lower()
        if (
            plain == (user or "").lower()
            or _user_stem(plain, user or "")
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
    if _padding_run(label) is not None or _padding_run(host) is not None:
        return _ph("padding", "a URL whose host name is a run of padding")
    in_host = words.words(host, key_tokens)
    if in_host is not None and in_host.kind.startswith("word:"):
        return _ph("example-host", "a URL whose host is a placeholder phrase")
    if password is None and _padding_run(match.group("rest")) is None:
        return Classification(Verdict.SECRET, "url", "a URL with no credentials in it")
    return None


def _user_stem(password: str, user: str) -> bool:
    """``butler_admin:butler``: the password is one word of the user name (four letters or
    more), the project or product the account was named after."""
    return len(password) >= 4 and password in words.tokens(user)


def _pem(value: str) -> Classification | None:
    match = _PEM.search(value)
    if match is None:
        return None
    body = re.sub(r"\s+|\\n", "", match.group(2))
    if len(body) < 32 or _elided(body) or _padding_run(body) or words.words(body, frozenset()):
        return _ph("pem-placeholder", "a PEM block with no real key material")
    return None


@lru_cache(maxsize=1024)
def _key_tokens(key: str | None) -> frozenset[str]:
    return frozenset(words.tokens(key)) - {"\0"} if key else frozenset()


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
    if lower in vocab.NULL_LIKE:
        return _ph("null-like", "a null-like word stands in for a value")
    if lower in vocab.DIRECTIVES:
        return _ph("directive", "asks for a value to be generated instead of being one")
    if text.startswith("-----BEGIN"):
        return _pem(text) or _secret(text)
    ref = patterns.reference(text)
    if ref is not None and "<" in text and patterns.ANGLE_INSIDE.search(text):
        # "arn:aws:secretsmanager:<region>:..." is a reference nobody filled in
        return _ph("template:angle", "a reference with a <name> placeholder in it")
    whole = _whole_reference(text, ref)
    if whole is not None:
        return whole
    if text[0] == "{" and text[-1] == "}" and '"' in text:
        inside = _json_fields(text)
        if inside is not None:
            return inside
    if ('"' in text or "'" in text) and patterns.INLINE_FIELD.search(text):
        inline = _inline_fields(text)
        if inline is not None:
            return inline
    if text[0] in patterns.TEMPLATE_STARTS:
        for pattern, kind, reason in patterns.TEMPLATES:
            if pattern.fullmatch(text):
                return _template(text, kind, reason)
    if "${{" in text:  # GitHub Actions expression inside a longer value
        if patterns.GHA_SECRET.search(text):
            return _ph("template:github-actions", "an unrendered GitHub Actions secrets expression")
        if patterns.GHA_VARIABLE.search(text):
            return Classification(
                Verdict.REFERENCE, "reference:github-actions", "a GitHub Actions expression"
            )
    if _jinja(text):
        return _ph("template:jinja", "an unrendered Jinja/Helm/Mustache template")
    if "${" in text and patterns.INTERPOLATION.search(text):
        return Classification(
            Verdict.REFERENCE, "reference:interpolation", "interpolates a variable"
        )
    if "<" in text and patterns.ANGLE_INSIDE.search(text):
        return _ph("template:angle", "contains a <name> placeholder")
    if "$" in text and patterns.EMBEDDED_VARIABLE.search(text):
        return Classification(
            Verdict.REFERENCE, "reference:interpolation", "interpolates a variable"
        )
    embedded = (
        patterns.EMBEDDED_REFERENCE.search(text) if ("://" in text or "arn:" in text) else None
    )
    if embedded is not None and embedded.lastgroup is not None:
        _, kind, reason = patterns.REFERENCE_RULES[int(embedded.lastgroup[1:])]
        return Classification(Verdict.REFERENCE, kind, f"{reason}, inside a longer value")
    key_tokens = _key_tokens(key)
    found = (
        _vendor_example(text)
        or ("://" in text and _url(text, key_tokens))
        or _provider_placeholder(text, key_tokens)
        or _shape(text, key, key_tokens)
    )
    return found or _last_shapes(text) or _secret(text)


def _last_shapes(text: str) -> Classification | None:
    """Structures checked only once every other rule passed: a redaction note, a token
    prefix over padding (``tskey-auth-xxxxx``), a SealedSecret ciphertext."""
    if shapes.redaction_marker(text):
        return _ph("redacted", "a copy with a [redacted] note where the secret was")
    if shapes.prefix_then_padding(text):
        return _ph("padding", "a token prefix followed by nothing but padding")
    if shapes.sealed_ciphertext(text):
        return Classification(
            Verdict.REFERENCE,
            "reference:encrypted",
            "a SealedSecret ciphertext: only the cluster can open it",
        )
    return None


_PATH_KINDS = frozenset(("reference:path", "reference:file"))


def _whole_reference(text: str, ref: re.Match[str] | None) -> Classification | None:
    """The reference rule the whole value matched, unless the match is really words."""
    if ref is None or ref.lastgroup is None:
        return None
    _, kind, reason = patterns.REFERENCE_RULES[int(ref.lastgroup[1:])]
    if kind in _PATH_KINDS and _holed_path(text):
        return None  # "/your/db/password": a path nobody filled in
    # Terraform names are snake_case; "local.dev.password" is words with dots.
    if kind == "reference:terraform" and not (
        "_" in text or "[" in text or text.startswith(("var.", "module.", "data."))
    ):
        return None
    return Classification(Verdict.REFERENCE, kind, reason)


def _holed_path(text: str) -> bool:
    """A placeholder word (``your``, ``example``) in a path's folders: a hole, not a place."""
    folders = text.rsplit("/", 1)[0]
    return any(token in vocab.MARKERS for token in words.tokens(folders))


def _jinja(text: str) -> bool:
    """``{{ }}``, ``{% %}`` or ERB ``<% %>`` anywhere (string search: nothing to backtrack)."""
    for start, end in (("{{", "}}"), ("{%", "%}"), ("<%", "%>")):
        at = text.find(start)
        if at >= 0 and text.find(end, at + 2) >= 0:
            return True
    return False


def _json_fields(text: str) -> Classification | None:
    """A JSON object (``{"type": "HS256", "key": "..."}``) judged by its credential fields:
    a placeholder or a reference in one of them decides for the whole value."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if patterns.environment_provider(data):
        return Classification(
            Verdict.REFERENCE, "reference:env", "a password provider naming an environment variable"
        )
    for name, field in data.items():
        if not isinstance(field, str) or not (
            name.lower() in _JSON_SECRET_FIELDS or looks_secret_bearing_key(name)
        ):
            continue
        found = classify(field, name)
        if found.verdict in (Verdict.PLACEHOLDER, Verdict.EMPTY):
            return _ph(found.kind, f"a JSON credential field: {found.reason}")
        if found.verdict is Verdict.REFERENCE:
            return Classification(Verdict.REFERENCE, found.kind, f"a JSON field {found.reason}")
    return None


_JSON_SECRET_FIELDS = frozenset(("key", "secret", "password", "token", "value"))


def _inline_fields(text: str) -> Classification | None:
    """``username: 'DUMMY', password: 'dummy'`` inside a JS object, a JAAS line or a flow
    map that is not strict JSON: a quoted credential field decides like a JSON one."""
    for match in patterns.INLINE_FIELD.finditer(text):
        name, field = match.group("name"), match.group("field")
        if len(field) * 2 > len(text):
            continue  # the field is most of the value: the value's own rules judge it
        found = classify(field, name)
        if found.verdict in (Verdict.PLACEHOLDER, Verdict.EMPTY):
            return _ph(found.kind, f"a quoted credential field: {found.reason}")
        if found.verdict is Verdict.REFERENCE:
            return Classification(Verdict.REFERENCE, found.kind, f"a field {found.reason}")
    return None


def _template(text: str, kind: str, reason: str) -> Classification:
    inner = text.strip("<>[]{}").strip().lower()
    if inner in ("redacted", "hidden", "filtered", "masked", "removed"):
        return _ph("redacted", "a redaction marker")
    return _ph(kind, reason)


def _shape(
    text: str, key: str | None, key_tokens: frozenset[str], *, decode: bool = True
) -> Classification | None:
    if text[0].isupper() and text.isalnum() and words.type_name(text):
        return None  # SecretStr: a type name from code
    if text.isdigit():
        # Numbers are ports, ids and PINs: only a run of one digit or 1234... is suspect.
        if (
            len(set(text)) == 1
            or words.sequential(text)
            or (len(text) >= 7 and shapes.longest_run(text) * 3 >= len(text) * 2)
        ):
            return _ph("sequential", "a repeated or sequential run of digits")
        return _too_short(text)
    pad = _padding_run(text)
    if pad is not None:
        return _ph("padding", f"a run of repeated {pad!r}")
    if len(text) >= 6 and (_repeated_unit(text) or shapes.doubled_word(text)):
        return _ph("repeated", "one short unit repeated over and over")
    pair = _default_pair(text, key_tokens) if ":" in text else None
    if pair is not None:
        return pair
    if _elided(text):
        return _ph("elided", "a key shown with most of it elided")
    if key and _squash(text) == _squash(key):
        return _ph("self-named", "the value repeats its own key name")
    if key_tokens and words.has_chunk(text) and all(t in key_tokens for t in words.tokens(text)):
        return _ph("self-named", "the value is made of words of its own key name")
    found = words.words(text, key_tokens) if len(text) <= 200 else None
    if found is not None:
        return found
    plain = text.lower()
    if (
        plain in vocab.COMMON_PASSWORDS
        or plain in vocab.TOP_PASSWORDS
        or plain.rstrip("0123456789!.@#?").translate(vocab.LEET) in vocab.WEAK
    ):
        return _ph("common-password", "a well-known default password")
    return _generic_shape(text, key, key_tokens, decode=decode)


def _generic_shape(
    text: str, key: str | None, key_tokens: frozenset[str], *, decode: bool
) -> Classification | None:
    """The shapes no word list names: runs, weak defaults, descriptions, encoded words."""
    short = _too_short(text) if decode else None
    if short is not None:
        return short
    low_key = key.lower() if key else ""
    password_key = "pass" in low_key or "pwd" in low_key  # a login password, not an API key
    if password_key and shapes.word_and_digits(text):
        return _ph("weak-default", "one short word and a few digits: a weak default")
    if 8 <= len(text) <= 512 and (
        _sequential_text(text) or ("." in text and _sequential_tail(text.rsplit(".", 1)[1]))
    ):
        return _ph("sequential", "mostly alphabet or digit runs like 'abcd' and '1234'")
    if (
        len(text) <= 120
        and shapes.digits_apart(text, vocab.VOCABULARY)
        and (len(text) <= 24 or _SEPARATED(text))
    ):
        tokens = list(words.tokens(text))
        if " " in text:  # prose: numbers ("32 characters") and flags ("-n") ride along
            tokens = [t for t in tokens if len(t) > 1 and not (t.isdigit() and len(t) <= 4)]
        if shapes.reads_like_prose(tokens, vocab.VOCABULARY | vocab.STOPWORDS | key_tokens):
            return _ph("description", "reads as a description of the value, not a value")
    if decode:
        decoded = shapes.decode_text(text)
        if decoded is not None:
            encoding, inner = decoded
            if _shape(inner.strip(), key, key_tokens, decode=False) is not None:
                return _ph(f"encoded:{encoding}", f"{encoding} of a placeholder")
    return None


def _too_short(text: str) -> Classification | None:
    """``a``, ``123``: three characters or fewer cannot be a secret anyone relies on."""
    if len(text) <= 3:
        return _ph("weak-default", "three characters or fewer: too short to be a secret")
    return None


def _sequential_text(text: str) -> bool:
    """At least eight characters, and a third of the value, in alphabet or digit runs."""
    covered, total = shapes.sequential_run(text)
    return covered >= 8 and covered * 3 >= total


def _sequential_tail(tail: str) -> bool:
    """A signature or last segment (``eyJ...}.1234567890abcdef``) that is one long run."""
    if len(tail) < 16:
        return False
    covered, total = shapes.sequential_run(tail)
    return covered * 5 >= total * 3


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
