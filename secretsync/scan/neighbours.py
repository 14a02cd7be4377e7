"""A value judged with what stands beside it: the names of its block.

A password equal to its block's user, database, service, image or object name, or that
name with a role word or digits after it (``pizzauser`` / ``pizzapass123``, a Secret named
``stratum-secrets`` / ``stratumdb123``), was derived from the name, not chosen: a default.
A block is what the extractor says (a YAML document, a whole ``.env`` file); names come only
from the same file, so every decision still depends on one file.
"""

from __future__ import annotations

from collections.abc import Iterable

from secretsync._lazyre import lazy_compile
from secretsync.placeholders import words
from secretsync.placeholders.vocabulary import wordset

__all__ = ["NAME_TAILS", "derived_from_names", "names_of"]


#: The last word of a key whose value names the block (not a credential).
NAME_TAILS = wordset(
    "user username usr login name db database dbname schema namespace service image app"
    " appname project realm container vhost"
)
#: Role words people glue to a name to make a default (``pizzauser``, ``stratumdb``).
_ROLE_WORDS = (
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "user",
    "usr",
    "admin",
    "root",
    "key",
    "token",
    "db",
)
_ONE_CASE = lazy_compile(r"[a-z0-9_.-]+|[A-Z0-9_.-]+")
_NOT_ALNUM = lazy_compile(r"[^a-z0-9]+")
_MIN_NAME = 4


def _strip_roles(word: str) -> str:
    """``ipasuser`` -> ``ipas``; ``stratumdb123`` -> ``stratum`` (digits, then roles)."""
    word = word.rstrip("0123456789")
    for _ in range(2):
        for role in _ROLE_WORDS:
            if word.endswith(role) and len(word) - len(role) >= 3:
                word = word[: -len(role)].rstrip("0123456789")
                break
    return word


def names_of(values: Iterable[str]) -> frozenset[str]:
    """Squashed name forms of a block's name values: whole, each word, runs of words, and
    the name without a role word (``carbon-tracker-secrets`` -> ``carbontracker``)."""
    found: set[str] = set()
    for raw in values:
        value = raw.strip().lower()
        if not value or len(value) > 128 or "://" in value or " " in value:
            continue
        value = value.rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]  # an image
        squashed = _NOT_ALNUM.sub("", value)
        pieces = [t for t in words.tokens(value) if t != "\0" and t.isalpha()]
        forms = {squashed, _strip_roles(squashed)}
        for start in range(len(pieces)):
            for end in range(start + 1, min(len(pieces), start + 3) + 1):
                forms.add("".join(pieces[start:end]))
        found.update(f for f in forms if len(f) >= _MIN_NAME)
    return frozenset(found)


def derived_from_names(value: str, names: frozenset[str]) -> bool:
    """Whether ``value`` is one of ``names``, or one plus a short role word and digits."""
    text = value.strip()
    if not names or not 3 <= len(text) <= 64 or _ONE_CASE.fullmatch(text) is None:
        return False
    squashed = _NOT_ALNUM.sub("", text.lower())
    core = _strip_roles(squashed)
    if len(core) < 3:
        return False
    if core in names or squashed in names:
        return True
    bare = squashed.rstrip("0123456789")
    for name in names:
        if bare.startswith(name) and bare != name:
            rest = bare[len(name) :]
            if rest.isalpha() and len(rest) <= 8:
                return True
    return False
