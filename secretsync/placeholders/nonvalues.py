"""Things written where a value belongs that are not a value, by general shape.

- a boolean word (``true``, ``false``) under a key that holds a secret;
- a sentence describing the value, in any language (``Contraseña del usuario``,
  ``votre mot de passe ici``): several words of letters with the marks of prose (a function
  word, letters outside ASCII in more than one word, closing punctuation), where a chosen
  passphrase is bare words;
- a name in capitals (``BASE64_ENCODED_DOCKER_CONFIG``): three or more all-letter words;
- credential vocabulary in leetspeak with symbols (``StrongP@ssw0rd!``), read back whole;
- digits or letters counting down (``0987654321``), as counting up already is;
- a value that names what it is (``carbon-tracker-api-key-2024`` under ``API_KEY``): its
  words contain the key's credential phrase and nothing random.

Each is a rule about the shape of the text, never a list of values seen.
"""

from __future__ import annotations

import unicodedata

from secretsync._lazyre import lazy_compile
from secretsync.placeholders import vocabulary as vocab
from secretsync.placeholders import words
from secretsync.placeholders.verdict import Classification, placeholder

__all__ = ["boolean", "non_value"]


_BOOLEANS = frozenset(("true", "false", "yes", "no"))
#: Keys whose value is the secret itself (``DB_PASSWORD``), not a switch about credentials
#: (``CORS_CREDENTIALS=true``, ``withCredentials``).
_VALUE_NOUNS = frozenset(
    ("password", "passwd", "pass", "pwd", "secret", "token", "key", "apikey", "dsn", "passphrase")
)
#: Function words of the languages people write configuration comments in: the mark of a
#: sentence, which a passphrase of chosen words lacks.
_FUNCTION_WORDS = vocab.wordset(
    "the a an your my our for of to here this that with from is be will should must "
    "de del la le les el los las un una des du et y o ou ici aqui aquí para por su sus tu "
    "votre vos ton ta notre der die das den dem ein eine und oder hier ihr ihre ihren dein "
    "il lo gli di per da qui il tuo tua vostro het een en voor van uw je jouw och för din "
    "ditt att på і и в для ваш ваша ваше свой здесь тут это или"
)
_WORD = lazy_compile(r"[^\W\d_]+")
#: Words joined by separators (``carbon-tracker-api-key``), not a PascalCase type name.
_SEPARATED = lazy_compile(r"[A-Za-z0-9]+(?:[_.-][A-Za-z0-9]+)+")
_UPPER_NAME = lazy_compile(r"[A-Z][A-Z0-9]+(?:_[A-Z][A-Z0-9]+){2,}")
_CREDENTIAL_WORDS = vocab.wordset(
    "password passwd pass pwd secret token key apikey credential credentials"
)
_COUNTING_DOWN = ("9876543210", "0987654321", "zyxwvutsrqponmlkjihgfedcba", "poiuytrewq")


def boolean(lower: str, key: str | None) -> Classification | None:
    """``true``/``false`` under a key that names a secret: a flag, not a value (without
    a key it may be any setting's value)."""
    if lower not in _BOOLEANS or not key:
        return None
    last = [t for t in words.tokens(key) if t != "\0"][-1:]
    if last and last[0] in _VALUE_NOUNS:
        return placeholder("non-value", "a boolean word stands where a secret belongs")
    return None


def non_value(text: str, key_tokens: frozenset[str], key: str | None) -> Classification | None:
    """The first rule of the module docstring that ``text`` meets, or None."""
    if " " in text and _sentence(text):
        return placeholder("description", "a sentence describing the value, not the value")
    if "_" in text and _UPPER_NAME.fullmatch(text) and _all_words(text):
        return placeholder("type-name", "a name in capitals stands where the value belongs")
    if not text.isalnum() and _leet_vocabulary(text):
        return placeholder("generic-words", "credential words in leetspeak, not a choice")
    if text.isalnum() and len(text) >= 6 and _counting_down(text.lower()):
        return placeholder("sequential", "a run of characters counting down")
    if key and _SEPARATED.fullmatch(text) and _names_itself(text, key):
        return placeholder("self-described", "the value spells out what it is for")
    return None


def _sentence(text: str) -> bool:
    """Whitespace-separated words of letters, most of the value, with a mark of prose."""
    if len(text) > 300 or any(c in _NOT_PROSE for c in text):
        return False
    parts = text.split()
    if len(parts) < 3:
        return False
    clean = [p.strip(_PUNCTUATION) for p in parts]
    found = [w for w in clean if w and _letters(w.replace("-", "").replace("'", ""))]
    if len(found) < 3 or len(found) * 4 < len(parts) * 3:
        return False
    if any(w.lower() in _FUNCTION_WORDS for w in found):
        return True
    non_ascii = sum(1 for w in found if len(w) >= 3 and not w.isascii())
    return non_ascii >= 2 or text.rstrip()[-1:] in ".!?:…"


_NOT_PROSE = frozenset('="{}[]<>$%|\\/@#&*+^~`;')
_PUNCTUATION = ".,:!?¿¡()…\"'«»"


def _letters(word: str) -> bool:
    return bool(word) and all(unicodedata.category(c).startswith("L") for c in word)


def _all_words(text: str) -> bool:
    """Every part of an ``UPPER_SNAKE`` value is vocabulary (``BASE64_ENCODED_CONFIG``), or
    pronounceable parts end in a credential word (``EVENT_HUB_CONNECTION_STRING``): a name,
    which a random run of capitals with underscores is not."""
    parts = text.lower().split("_")
    if parts[-1] in _NAME_TAILS and all(_pronounceable(p) for p in parts):
        return True
    for part in parts:
        letters = part.rstrip("0123456789")
        if letters in vocab.VOCABULARY or part in vocab.VOCABULARY:
            continue
        if len(letters) >= 4 and (words.segmentable(letters) or _inflected(letters)):
            continue
        return False
    return True


_NAME_TAILS = frozenset(("key", "secret", "token", "password", "string", "credentials"))
_VOWELS = frozenset("aeiouy")
_CONSONANT_RUN4 = lazy_compile(r"[b-df-hj-np-tv-xz]{4}")


def _pronounceable(part: str) -> bool:
    return (
        2 <= len(part) <= 14
        and part.isalpha()
        and bool(_VOWELS & set(part))
        and _CONSONANT_RUN4.search(part) is None
    )


def _inflected(word: str) -> bool:
    """``encoded``, ``keys``: a vocabulary word with an inflection."""
    for ending in ("ed", "d", "s", "es", "ing"):
        if word.endswith(ending) and word[: -len(ending)] in vocab.VOCABULARY:
            return True
    return False


def _leet_vocabulary(text: str) -> bool:
    """``StrongP@ssw0rd!``: with leet read back and symbols dropped, vocabulary words only,
    one of them a credential word."""
    if len(text) > 32 or not any(c.isalpha() for c in text):
        return False
    plain = "".join(c for c in text.lower().translate(vocab.LEET) if c.isalpha())
    if len(plain) < 6:
        return False
    if not (plain in vocab.VOCABULARY or words.segmentable(plain)):
        return False
    return any(w in plain for w in ("password", "passwd", "secret", "passw"))


def _counting_down(lower: str) -> bool:
    return any(lower in run for run in _COUNTING_DOWN)


def _names_itself(text: str, key: str) -> bool:
    """The key's credential phrase (``api key``, ``token``) among plain words and digits."""
    key_words = [t for t in words.tokens(key) if t != "\0"]
    if not key_words or key_words[-1] not in _CREDENTIAL_WORDS:
        return False
    phrase = key_words[-2:] if key_words[-1] == "key" and len(key_words) >= 2 else key_words[-1:]
    found = list(words.tokens(text))
    if len(found) < len(phrase) + 1 or "\0" in found:
        return False
    for token in found:
        if not ((token.isalpha() and len(token) <= 14) or (token.isdigit() and len(token) <= 4)):
            return False
    span = len(phrase)
    return any(found[i : i + span] == phrase for i in range(len(found) - span + 1))
