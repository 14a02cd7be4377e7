"""The file scan behind ``secretsync scan`` and the pre-commit hook.

Three rules. ``placeholder``: a placeholder value (``changeme``, ``sk-xxxx``) under a key
that names a credential, in a file where real values belong (not tests, docs or
``*.example``). ``empty-value``: nothing under such a key, in a deployed configuration file.
``hardcoded-secret``: a value the classifier calls a secret that either has a provider's
distinctive shape or sits under a secret-bearing key and looks random. References
(``${VAR}``) and reads from the environment are never findings.

What counts as a credential key, as SPEC section 4 says: any spelling
(:func:`secretsync.placeholders.looks_secret_bearing_key`, glued words included); URL, DSN,
connection-string and webhook keys when the value carries a credential (a URL whose
password or path holds one); every key of a Kubernetes Secret but its names and hosts; and,
whatever the key, a URL with a password in it or a JSON document with credential fields.
A ``${VAR:-default}`` is judged by its default (what runs when VAR is unset). A template is
fine only in a file its tool renders (:mod:`.kinds`); a password derived from its block's
names is a default (:mod:`.neighbours`).

Every decision depends on one file only (its path and text), so any subset of files gives
the same findings for those files: pre-commit runs hooks on parallel batches. A finding
never holds its value: only ``value_hash``, an HMAC under the caller's salt (the baseline's),
empty when there is none.
"""

from __future__ import annotations

import math
import string
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from secretsync._lazyre import lazy_compile
from secretsync.placeholders.vocabulary import wordset
from secretsync.scan.formats import Candidate, extract, format_of
from secretsync.scan.kinds import TOOL_TEMPLATES, rendered_templates
from secretsync.scan.neighbours import NAME_TAILS, derived_from_names, names_of
from secretsync.scan.paths import placeholders_expected, skip_reason
from secretsync.textlines import LineTable, breaks_for

__all__ = [
    "MAX_FILE_BYTES",
    "RULES",
    "FileScan",
    "Finding",
    "ScanReport",
    "is_suppressed",
    "judge",
    "looks_random",
    "scan_file",
    "scan_files",
    "scan_text",
]


MAX_FILE_BYTES = 1024 * 1024
RULES = ("placeholder", "empty-value", "hardcoded-secret")
_SUPPRESS = lazy_compile(r"secretsync:\s*ignore\b")
_NOT_RANDOM_CHARS = lazy_compile(r"[\s()\[\]{}<>\\|^]")
# Alone, these names mostly mean something else in code: a mapping key (`for key in d`),
# the `pass` keyword's neighbours, an auth scheme. With another word (`api_key`) they count.
_AMBIGUOUS_ALONE = frozenset({"key", "keys", "k", "auth", "pass", "pat", "private"})
# Template syntax a tool fills in: fine where that tool renders the file (scan.kinds), a
# placeholder anywhere else. `<token>`, `[key]` and redaction markers are placeholders always.
_FILLED_BY_TOOLS = rendered_templates("x.py", "code")
#: Formats whose files are deployed configuration: an empty credential there is a finding.
_CONFIG_FORMATS = frozenset(("env", "yaml", "json", "toml"))
#: Last words of keys whose value is a locator that may carry a credential.
_LOCATOR_TAILS = wordset(
    "url urls uri uris dsn conn connection connstr connectionstring webhook hook broker "
    "backend endpoint addr address server"
)
#: Keys of a Kubernetes Secret that name or locate rather than authenticate.
_SECRET_DOC_PLAIN = NAME_TAILS | wordset(
    "host hostname port region id email mail domain bucket account org organization tenant "
    "crt cert certificate ca version env environment mode level origin origins from to "
    "number phone sid path file dir timeout ttl type enabled"
)
_KUBE_VARIABLE = lazy_compile(r"\$\([A-Za-z_][A-Za-z0-9_.]*\)")
_DEFAULTED = lazy_compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)(:-|-|:(?![?+=-]))([^{}]*)\}")
_URL_USERINFO = lazy_compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s@]*:[^/\s@]+@")
_URL_QUERY_CREDENTIAL = lazy_compile(
    r"(?i)[?&](?:password|passwd|pwd|pass|secret|token|api_?key|access_?token|key|sig)=[^&\s]"
)
#: ``Name=value;`` connection strings (ADO.NET, Azure) with a credential or emulator field.
_CONNSTRING_CREDENTIAL = lazy_compile(
    r"(?i)(?:^|;)\s*(?:password|pwd|accountkey|sharedaccesskey|sharedaccesssignature"
    r"|usedevelopmentstorage|endpoint\s*=\s*sb)\s*[=:]"
)
_JSON_CREDENTIAL = lazy_compile(
    r"""(?i)["'](?:password|passwd|private_key|client_secret|secret|token|auth|api_?key)["']\s*:"""
)


@dataclass(frozen=True, order=True)
class Finding:
    """One finding; ``message`` and ``key`` name things, never the value."""

    path: str
    line: int
    column: int
    rule: str
    key: str
    kind: str
    message: str
    value_hash: str = field(default="", repr=False, compare=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass(frozen=True)
class FileScan:
    """What scanning one file gave: findings, or why it was skipped, plus a warning line."""

    path: str
    findings: tuple[Finding, ...] = ()
    size: int = 0
    skipped: str | None = None
    warning: str | None = None


@dataclass
class ScanReport:
    """Everything a scan run found, in path order."""

    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files_scanned: int = 0
    bytes_scanned: int = 0
    skipped: dict[str, str] = field(default_factory=dict)

    def add(self, result: FileScan) -> None:
        if result.warning:
            self.warnings.append(result.warning)
        if result.skipped:
            self.skipped[result.path] = result.skipped
            return
        self.files_scanned += 1
        self.bytes_scanned += result.size
        self.findings.extend(result.findings)


def scan_file(path: Path, display: str | None = None, *, salt: bytes | None = None) -> FileScan:
    """Scan one file; never raises for unreadable or undecodable content (a warning instead)."""
    shown = display if display is not None else path.as_posix()
    reason = skip_reason(shown)
    if reason:
        return FileScan(shown, skipped=reason)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return FileScan(shown, skipped=f"larger than {MAX_FILE_BYTES // 1024} KiB")
        data = path.read_bytes()
    except OSError as exc:
        return FileScan(
            shown, skipped="unreadable", warning=f"{shown}: cannot read: {exc.strerror}"
        )
    if b"\0" in data[:8192]:
        return FileScan(shown, skipped="binary")
    warning = None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Secrets are ASCII: keep scanning with replacement characters rather than skip.
        text = data.decode("utf-8-sig", errors="replace")
        before = data[: exc.start].decode("utf-8-sig", errors="replace")
        line, _ = LineTable(before, breaks_for(format_of(shown))).locate(len(before))
        warning = f"{shown}:{line}: not valid UTF-8; scanned with replacement characters"
    findings = scan_text(shown, text, salt=salt)
    return FileScan(shown, tuple(findings), size=len(data), warning=warning)


def scan_files(files: Iterable[tuple[Path, str]], *, salt: bytes | None = None) -> ScanReport:
    """Scan ``(path, display name)`` pairs in order; findings sorted by path, line, column."""
    report = ScanReport()
    for path, display in files:
        report.add(scan_file(path, display, salt=salt))
    report.findings.sort()
    return report


def scan_text(path: str, text: str, *, salt: bytes | None = None) -> list[Finding]:
    """The findings of one file's text; ``path`` picks the format and the placeholder policy."""
    fakes = placeholders_expected(path)
    fmt = format_of(path)
    # Keys in code and free text are identifiers and attributes, not configuration keys.
    in_code = fmt in ("code", "text")
    renders = rendered_templates(path, fmt)
    config = fmt in _CONFIG_FORMATS and not fakes
    findings: dict[tuple[int, str], Finding] = {}
    lines = _Lines(text, fmt)
    candidates = list(extract(path, text))
    names = _block_names(candidates) if not in_code else {}
    for candidate in candidates:
        verdict = judge(
            candidate.key,
            candidate.value,
            fakes_expected=fakes,
            in_code=in_code,
            renders=renders,
            config=config,
            in_secret=candidate.in_secret,
            names=names.get(candidate.block, frozenset()),
            yaml_file=fmt == "yaml",
        )
        if verdict is None:
            continue
        rule, kind, message = verdict
        finding = _locate(path, lines, candidate, rule, kind, message, salt)
        if finding is not None:
            findings.setdefault((candidate.offset, rule), finding)
    return sorted(findings.values())


def _block_names(candidates: list[Candidate]) -> dict[int, frozenset[str]]:
    """Each block's name values (users, databases, services, images), squashed."""
    grouped: dict[int, list[str]] = {}
    for c in candidates:
        if _names_a_block(c.key):
            grouped.setdefault(c.block, []).append(c.value)
    return {block: names_of(values) for block, values in grouped.items()}


@lru_cache(maxsize=4096)
def _names_a_block(key: str) -> bool:
    from secretsync.placeholders import words

    tokens = [t for t in words.tokens(key) if t != "\0"]
    return bool(tokens) and tokens[-1] in NAME_TAILS and not _secret_bearing(key)


class _Lines:
    """Offset to (line, column, line text), counting lines as the file's format does
    (:mod:`secretsync.textlines`); the table is built on the first finding only.
    """

    def __init__(self, text: str, fmt: str) -> None:
        self._text, self._fmt = text, fmt
        self._table: LineTable | None = None

    def __repr__(self) -> str:
        return f"_Lines({self._fmt})"

    def locate(self, offset: int) -> tuple[int, int, str]:
        if self._table is None:
            self._table = LineTable(self._text, breaks_for(self._fmt))
        line, column = self._table.locate(offset)
        return line, column, self._table.line(line)


def judge(
    key: str,
    value: str,
    *,
    fakes_expected: bool = False,
    in_code: bool = False,
    renders: frozenset[str] = _FILLED_BY_TOOLS,
    config: bool = False,
    in_secret: bool = False,
    names: frozenset[str] = frozenset(),
    yaml_file: bool = False,
) -> tuple[str, str, str] | None:
    """``(rule, kind, message)`` when ``value`` under ``key`` is a finding, else None.

    ``fakes_expected`` (tests, docs, examples): only provider-format secrets count, since
    placeholders and made-up passwords are what such files hold on purpose. ``in_code``
    (code and free text): see :func:`_code_noise`. ``renders``: the template kinds the
    file's tool fills in. ``config``: a deployed configuration file, where an empty
    credential is ``empty-value``. ``in_secret``: a Kubernetes Secret's value. ``names``:
    the names of the value's block (:mod:`.neighbours`).
    """
    from secretsync.placeholders import Verdict, classify
    from secretsync.providers import detect

    role = _role(key, in_secret)
    name = _safe_key(key)
    if not value.strip():
        if role == "secret" and config and not fakes_expected:
            return "empty-value", "empty", f"{name} is empty where a credential belongs"
        return None
    if role is None and not in_code and _carries_credential(value):
        role = "carrier"
    if role is None and not _provider_shaped(value):
        return None
    judged, fallback = value, None
    if role is not None and "${" in value:
        defaulted = _DEFAULTED.fullmatch(value.strip())
        if defaulted is not None and defaulted.group(3).strip():
            judged, fallback = defaulted.group(3), defaulted.group(1)
    verdict = classify(judged, key)
    if verdict.verdict is Verdict.PLACEHOLDER:
        if role is None or fakes_expected:
            return None
        if verdict.kind in TOOL_TEMPLATES and _rendered(verdict.kind, judged, renders, yaml_file):
            return None
        if role == "locator" and not _locator_placeholder(judged, verdict.kind):
            return None
        if role == "weak" and (in_code or not _marked(judged, verdict.kind)):
            return None
        if in_code and _code_noise(judged, verdict.kind):
            return None
        if fallback is not None:
            return (
                "placeholder",
                verdict.kind,
                f"{name} falls back to a placeholder when {fallback} is unset: {verdict.reason}",
            )
        return "placeholder", verdict.kind, f"{name} holds a placeholder: {verdict.reason}"
    if verdict.verdict is not Verdict.SECRET:
        return None
    if role == "secret" and names and not fakes_expected and derived_from_names(judged, names):
        message = f"{name} holds a placeholder: a default made from its block's own name"
        return "placeholder", "neighbour-name", message
    provider = detect(judged)
    if provider is not None:
        message = f"{name} holds a hard-coded {provider.name} secret; keep it in the secret store"
        return "hardcoded-secret", provider.name, message
    if role == "secret" and not fakes_expected and looks_random(judged):
        message = f"{name} holds a hard-coded high-entropy value; keep it in the secret store"
        return "hardcoded-secret", "high-entropy", message
    return None


@lru_cache(maxsize=4096)
def _role(key: str, in_secret: bool) -> str | None:
    """``secret`` (names a credential), ``locator`` (a URL/DSN/webhook key: judged when the
    value carries a credential) or None."""
    from secretsync.placeholders import words

    if _secret_bearing(key):
        return "secret"
    tokens = [t for t in words.tokens(key) if t != "\0"]
    if not tokens:
        return None
    if key.strip("_$").lower() in _AMBIGUOUS_ALONE:
        return "secret" if in_secret else "weak"
    if any(t in ("dockerconfigjson", "dockercfg", "htpasswd") for t in tokens):
        return "secret"
    if tokens[-1] in _LOCATOR_TAILS or (tokens[-1] == "string" and "connection" in tokens):
        return "locator"
    if in_secret and tokens[-1] not in _SECRET_DOC_PLAIN:
        return "secret"
    return None


def _carries_credential(value: str) -> bool:
    """A URL with a password or a credential query field, or a JSON document with credential
    fields: a credential whatever the key it sits under."""
    if "://" in value and (_URL_USERINFO.search(value) or _URL_QUERY_CREDENTIAL.search(value)):
        return True
    if "=" in value and _CONNSTRING_CREDENTIAL.search(value) is not None:
        return True
    head = value.lstrip()[:1]
    return head == "{" and _JSON_CREDENTIAL.search(value) is not None


_LOCATOR_KINDS = frozenset(
    ("default-credentials-url", "url-placeholder", "self-named", "type-name")
)


def _locator_placeholder(value: str, kind: str) -> bool:
    """Under a URL key, a placeholder counts when it is in the credential (a URL's password
    or path) or the whole value is a marked stand-in (``your_postgres_db_url``), not when
    it is a bare host name that happens to read as a word (``redis``)."""
    from secretsync.placeholders import vocabulary, words

    if kind.startswith(("template:", "provider-placeholder:")) or kind in _LOCATOR_KINDS:
        return True
    if "://" in value:
        return _carries_credential(value)
    return any(t in vocabulary.MARKERS for t in words.tokens(value))


def _marked(value: str, kind: str) -> bool:
    """``key: <your token>``: a bare ``key`` (or ``pass``, ``auth``) in a configuration
    file is judged only by a placeholder that says so (a marker word, a template, a hole);
    ``key: rootPassword`` in a Kubernetes ``secretKeyRef`` names a key, it is not one."""
    from secretsync.placeholders import vocabulary, words

    if kind.startswith("template:") or kind in ("padding", "instruction", "description"):
        return True
    return any(t in vocabulary.MARKERS and t not in _CREDENTIAL_WORDS for t in words.tokens(value))


_CREDENTIAL_WORDS = frozenset(("secret", "password", "passwd", "pass", "key", "token"))


def _rendered(kind: str, value: str, renders: frozenset[str], yaml_file: bool) -> bool:
    """Whether the file's tool fills this template in (``$(VAR)`` in YAML is Kubernetes'
    own dependent-variable syntax, expanded by the kubelet)."""
    if kind in renders:
        return True
    return yaml_file and kind == "template:command" and _KUBE_VARIABLE.search(value) is not None


def _code_noise(value: str, kind: str) -> bool:
    """Placeholder shapes that, in code or markup, are names and characters, not stand-ins.

    A constant named after its value (``SECRET = "secret"``) is an enum-like name; a one to
    three character literal (``KEY_F1 = "\x01"``, ``accesskey="s"``) and a character set
    (``_LegalKeyChars = "abc..."``) are data. In configuration files they stay findings.
    """
    return kind in ("self-named", "sequential") or len(value.strip()) <= 3


def looks_random(value: str) -> bool:
    """Shaped like a generated credential rather than a name, a path, a pattern or prose.

    Needs letters and digits, no whitespace or bracket/escape characters (regexes, format
    strings), and either three character classes or a long high-entropy run.
    """
    if not 8 <= len(value) <= 4096 or _NOT_RANDOM_CHARS.search(value):
        return False
    if "://" in value or (value.count("/") >= 2 and not value.endswith("=")):
        return False
    has_digit = any(c.isdigit() for c in value)
    has_lower = any(c.islower() for c in value)
    has_upper = any(c.isupper() for c in value)
    if not has_digit or not (has_lower or has_upper):
        return False
    has_symbol = any(not c.isalnum() and c not in "_-./" for c in value)
    classes = has_digit + has_lower + has_upper + has_symbol
    entropy = _entropy(value)
    if classes >= 3 and entropy >= 3.0:
        return True
    # Hex has 16 symbols, so a random hex run scores lower than base64 of the same length.
    threshold = 3.3 if all(c in string.hexdigits for c in value) else 3.5
    return len(value) >= 20 and entropy >= threshold


def _entropy(value: str) -> float:
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


@lru_cache(maxsize=4096)
def _secret_bearing(key: str) -> bool:
    from secretsync.placeholders import looks_secret_bearing_key

    if key.strip("_$").lower() in _AMBIGUOUS_ALONE:
        return False
    return bool(key) and looks_secret_bearing_key(key)


def _provider_shaped(value: str) -> bool:
    """Cheap pre-check: could :func:`providers.detect` match? (All formats are 16+ chars.)"""
    if len(value) < 16:
        return False
    return "-----BEGIN" in value or not any(c.isspace() for c in value.strip())


def _safe_key(key: str) -> str:
    """The key as shown: a key that is itself secret-shaped is not printed."""
    from secretsync.providers import detect

    if not key:
        return "a value"
    if len(key) > 80 or detect(key) is not None:
        return "a key"
    return key


def _locate(
    path: str,
    lines: _Lines,
    candidate: Candidate,
    rule: str,
    kind: str,
    message: str,
    salt: bytes | None,
) -> Finding | None:
    """The finding at the candidate's line and column, or None when the line suppresses it."""
    line, column, line_text = lines.locate(candidate.offset)
    if is_suppressed(line_text):
        return None
    value_hash = ""
    if salt is not None:
        import hashlib  # only with a baseline: the hook without one stays lean
        import hmac

        value_hash = hmac.new(salt, candidate.value.encode(), hashlib.sha256).hexdigest()
    return Finding(path, line, column, rule, _safe_key(candidate.key), kind, message, value_hash)


def is_suppressed(line_text: str) -> bool:
    """Whether a source line carries the inline ``secretsync: ignore`` marker."""
    return "secretsync" in line_text and _SUPPRESS.search(line_text) is not None
