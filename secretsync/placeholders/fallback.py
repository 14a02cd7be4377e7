"""The shape rules, run once no structure (reference, template, URL, provider prefix)
decided: padding and repeats, default pairs, self-named values, word lists, common
passwords, alphabet runs, descriptions and encoded placeholders, then the last structures.
"""

from __future__ import annotations

from secretsync._lazyre import lazy_compile
from secretsync.placeholders import shapes, words
from secretsync.placeholders import vocabulary as vocab
from secretsync.placeholders.padding import elided as _elided
from secretsync.placeholders.padding import padding_run as _padding_run
from secretsync.placeholders.padding import repeated_unit as _repeated_unit
from secretsync.placeholders.vendors import default_pair as _default_pair
from secretsync.placeholders.verdict import Classification, Verdict
from secretsync.placeholders.verdict import placeholder as _ph

_NON_ALNUM = lazy_compile(r"[^a-z0-9]+")
_SEPARATED = lazy_compile(r"[a-z][ _.-][A-Za-z]").search
_ODD_JOIN = lazy_compile(r"[A-Za-z0-9][@!#$%^&*+=|~][A-Za-z0-9]").search
#: ``EVENT_HUB_CONNECTION_STRING``: an environment-variable name of three words or more
_ENV_NAME = lazy_compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+){2,}")
#: ``appKey1,appKey2``: one letters-only name numbered over a list (Strapi's ``APP_KEYS``)
_NUMBERED_LIST = lazy_compile(r"([A-Za-z][A-Za-z_-]{3,})\d{1,3}(?:\s*,\s*\1\d{1,3})+")


def last_shapes(text: str) -> Classification | None:
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


def shape(
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
    if "," in text and _NUMBERED_LIST.fullmatch(text):
        return _ph("repeated", "one name numbered over a list")
    pair = _default_pair(text, key_tokens) if ":" in text else None
    if pair is not None:
        return pair
    if _elided(text):
        return _ph("elided", "a key shown with most of it elided")
    if key and _squash(text) == _squash(key):
        return _ph("self-named", "the value repeats its own key name")
    if key_tokens and words.has_chunk(text) and all(t in key_tokens for t in words.tokens(text)):
        return _ph("self-named", "the value is made of words of its own key name")
    if key and _ENV_NAME.fullmatch(text) and _ends_with_key(text, key):
        return _ph("self-named", "an environment-style name that ends in its own key name")
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
        # "mysql@OMO": words joined by a symbol prose never uses are a chosen password
        if not _ODD_JOIN(text) and shapes.reads_like_prose(
            tokens, vocab.VOCABULARY | vocab.STOPWORDS | key_tokens
        ):
            return _ph("description", "reads as a description of the value, not a value")
    if ("_" in text or "-" in text) and shapes.instruction(text):
        return _ph("instruction", "an instruction to fill a value in here")
    if decode:
        decoded = shapes.decode_text(text)
        if decoded is not None:
            encoding, inner = decoded
            if shape(inner.strip(), key, key_tokens, decode=False) is not None:
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


def _ends_with_key(text: str, key: str) -> bool:
    """``EVENT_HUB_CONNECTION_STRING`` under ``ConnectionString``: the key's words, in order,
    close the value, so the value names the setting instead of holding it."""
    own = [token for token in words.tokens(key) if token != "\0"]
    return bool(own) and list(words.tokens(text))[-len(own) :] == own
