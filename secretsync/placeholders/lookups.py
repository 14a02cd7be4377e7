"""Values that say where a secret is kept instead of holding it, by the shapes ordinary
code and charts use: a settings lookup, the name of a Kubernetes Secret or of one of its
keys, a key file's name, a relative path to a file.

Each rule is a grammar (``Settings[:secret_token]``, ``key.pem``), or a key whose name says
its value names another secret (Helm's ``existingSecret``, ``adminPasswordKey``); never a
list of values.
"""

from __future__ import annotations

from secretsync import providers
from secretsync._lazyre import lazy_compile
from secretsync.placeholders import vocabulary as vocab
from secretsync.placeholders import words
from secretsync.placeholders.verdict import Classification, Verdict

#: ``Settings[:secret_token]``, ``config_yaml['bot_token']``, ``cfg["db"]["password"]``
_LOOKUP = lazy_compile(r"[A-Za-z_][\w.]*(?:\[(?::\w+|'[\w.-]+'|\"[\w.-]+\")\])+")
#: ``key.pem``, ``keystore.p12``: a file name with a key-file extension (not ``.key``:
#: ``api.key`` is words with dots, not a file)
_KEY_FILE = lazy_compile(
    r"[\w.-]{0,60}[A-Za-z0-9]\.(?:pem|crt|cer|p8|p12|pfx|jks|keystore|ppk|gpg)"
)
#: ``src/config/secret-key``: lower-case folders and a file, at least three segments
_RELATIVE_PATH = lazy_compile(
    r"(?:\.{1,2}/)?[a-z][a-z0-9_-]{0,31}(?:/[a-z0-9][a-z0-9_.-]{0,31}){2,}"
)
#: Helm/Kubernetes keys whose value is the NAME of a Secret or of a key inside one:
#: ``existingSecret``, ``existingSecretPasswordKey``, ``adminPasswordKey``, ``secretName``.
_NAMING_KEY = lazy_compile(r"(?i:existing_?secret|secret_?name$|secret_?key_?ref)|PasswordKey$")
_K8S_NAME = lazy_compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,252}")
#: ``adminSecret``, ``tlsSecret``, ``whitelistSecret``: a chart's key ending in "Secret" after
#: another word; with a Kubernetes object name as value it names a Secret (``secret`` alone
#: or ``SECRET`` in capitals is the secret itself).
_SECRET_OBJECT_KEY = lazy_compile(r"[a-z0-9]\w*?[a-z0-9](?:Secrets?|[-_]secrets?)|secrets?")
_DNS_NAME = lazy_compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def lookup(text: str, key: str | None) -> Classification | None:
    """A reference by one of the shapes above, or None."""
    if (
        key
        and _NAMING_KEY.search(key)
        and _K8S_NAME.fullmatch(text)
        and _name_like(text)
        and providers.detect(text) is None
    ):
        return Classification(
            Verdict.REFERENCE,
            "reference:secret-name",
            "the key says this names a Secret (or a key in one) kept elsewhere",
        )
    if key and "-" in text and _SECRET_OBJECT_KEY.fullmatch(key) and _object_name(text):
        return Classification(
            Verdict.REFERENCE,
            "reference:secret-name",
            "names a Kubernetes Secret (a lower-case object name under a ...Secret key)",
        )
    if text[-1] == "]" and _LOOKUP.fullmatch(text):
        return Classification(
            Verdict.REFERENCE, "reference:lookup", "code that reads a named setting"
        )
    if "." in text and _KEY_FILE.fullmatch(text) and not _holed(text.replace(".", "/")):
        return Classification(
            Verdict.REFERENCE, "reference:file", "names a key or certificate file"
        )
    if text.count("/") >= 2 and _RELATIVE_PATH.fullmatch(text) and not _holed(text):
        return Classification(Verdict.REFERENCE, "reference:path", "a relative path to a file")
    return None


_SECRET_WORDS = vocab.wordset(
    "secret secrets password passwords key keys token credentials creds tls"
)
#: How Secret objects' names end: ``...-secret``, ``...-credentials``, ``...-tls``.
_OBJECT_TAILS = vocab.wordset("secret secrets credentials creds tls auth")


def _object_name(text: str) -> bool:
    """``keycloak-admin-secret``, ``solo.yon.si-tls``: a DNS-style object name of several
    parts, not made only of placeholder words (``my-secret``, ``change-me``)."""
    if len(text) > 253 or _DNS_NAME.fullmatch(text) is None:
        return False
    parts = [t for t in words.tokens(text) if t != "\0"]
    if len(parts) < 2 or parts[-1] not in _OBJECT_TAILS:
        return False
    if any(t in vocab.MARKERS and t not in _SECRET_WORDS for t in parts):
        return False  # your-client-secret: a stand-in, not an object's name
    return not all(t in _SECRET_WORDS for t in parts)


def _name_like(text: str) -> bool:
    """``my-secret``, ``DB_PASSWORD``: one case and few digits, as names are written; a
    mixed-case or digit-heavy token under such a key is a secret put in the wrong place."""
    one_case = text == text.lower() or text == text.upper()
    return one_case and sum(c.isdigit() for c in text) * 4 <= len(text)


def _holed(path: str) -> bool:
    """``your/path/to/key``: a placeholder word in the folders, a hole nobody filled in."""
    return any(token in vocab.MARKERS for token in words.tokens(path.rsplit("/", 1)[0]))
