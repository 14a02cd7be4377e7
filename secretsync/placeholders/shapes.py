"""Shapes of made-up values that no word list catches: keyboard runs, encoded words,
weak defaults and descriptions.

Each test is cheap to reject: a C-level regular expression or a length check runs first,
and the Python loop behind it only sees values that already look suspicious, so random keys
(the bulk of what the scanner feeds in) leave after one ``search``.
"""

from __future__ import annotations

import base64
import binascii
import re
import string

from secretsync._lazyre import lazy_compile

#: Each letter and digit mapped to the one after it (``z`` has none; ``9`` wraps to ``0`` as
#: on a keyboard row), so ascending pairs show up as equal bytes of two strings.
_SUCCESSOR = bytes.maketrans(
    (string.ascii_lowercase[:-1] + "0123456789").encode(),
    (string.ascii_lowercase[1:] + "1234567890").encode(),
)
_NOT_ALNUM = lazy_compile(r"[^A-Za-z0-9]+")


def _ascending_pairs(chars: bytes, stride: int) -> int:
    """How many ``chars[i + stride]`` follow ``chars[i]``: XOR as big integers, then count
    the zero bytes, all in C (a Python loop here would dominate ``classify``)."""
    size = len(chars) - stride
    following = chars[:size].translate(_SUCCESSOR)
    diff = int.from_bytes(following, "big") ^ int.from_bytes(chars[stride:], "big")
    return diff.to_bytes(size, "big").count(0)


def _next(a: str, b: str) -> bool:
    """``b`` comes right after ``a`` in the alphabet or on the digit row."""
    if a.isdigit():
        return b.isdigit() and (ord(b) - ord(a) == 1 or (a == "9" and b == "0"))
    return b.isalpha() and ord(b) - ord(a) == 1


def sequential_run(text: str) -> tuple[int, int]:
    """(characters in ascending runs of four or more, letters and digits in all) of ``text``.

    Runs are read one step apart (``1234567890``, ``ABcdEF``) and two steps apart
    (``a1b2c3d4``), case ignored. A random key has almost none; ``abc...xyz0123`` is all run.
    """
    chars = _NOT_ALNUM.sub("", text).lower()
    if len(chars) < 8:
        return 0, len(chars)
    raw = chars.encode()
    if (_ascending_pairs(raw, 1) + _ascending_pairs(raw, 2)) * 4 < len(raw):
        return 0, len(chars)  # a random key has about one such pair in eighteen characters
    covered = [False] * len(chars)
    for stride in (1, 2):
        for start in range(stride):
            run = [start]
            for at in range(start + stride, len(chars), stride):
                if _next(chars[at - stride], chars[at]):
                    run.append(at)
                    continue
                _mark(covered, run)
                run = [at]
            _mark(covered, run)
    return sum(covered), len(chars)


def _mark(covered: list[bool], run: list[int]) -> None:
    if len(run) >= 4:
        for at in run:
            covered[at] = True


_BASE64 = lazy_compile(r"[A-Za-z0-9+/_-]{6,88}={0,2}")
_HEX = lazy_compile(r"(?:[0-9a-fA-F]{2}){4,48}")
_READABLE = frozenset(string.ascii_letters + string.digits + string.punctuation + " ")


def decode_text(text: str) -> tuple[str, str] | None:
    """(encoding, text) when ``text`` is base64 or hex of short readable ASCII, else None.

    Real encoded secrets decode to random bytes, which are almost never all printable.
    """
    if _HEX.fullmatch(text):
        raw, encoding = bytes.fromhex(text), "hex"
    elif len(text) % 4 == 0 and _BASE64.fullmatch(text):
        try:
            raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            return None
        encoding = "base64"
    else:
        return None
    try:
        # `echo x | base64` keeps the newline: the encoded text ends in one
        decoded = raw.decode("ascii")
        decoded = decoded[:-2] if decoded.endswith("\r\n") else decoded.removesuffix("\n")
    except UnicodeDecodeError:
        return None
    if len(decoded) < 3 or not _READABLE.issuperset(decoded):
        return None
    return encoding, decoded


#: One word of three to eight letters and the digits people append: one digit, ``12``,
#: ``123``, ``1234``, a doubled digit or a year (``doctor123``, ``bruh1``, ``tiger2024``).
_WORD_DIGITS = lazy_compile(
    r"([a-z]{3,8})(?:[0-9]|12|123|1234|([0-9])\2{1,3}|19[0-9]{2}|20[0-9]{2})[!.?#*]?"
)
_CONSONANT_RUN5 = lazy_compile(r"[bcdfghjklmnpqrstvwxz]{5}")
_CONSONANT_RUN = lazy_compile(r"[bcdfghjklmnpqrstvwxz]{3}")


def word_and_digits(text: str) -> bool:
    """A single lower-case word with the usual digits after it: a weak default password.

    Lower case only: ``Summer2024!`` was typed to satisfy a password policy, so it is chosen.

    The word needs a vowel and no cluster of three consonants (``dbpass`` is caught by the
    vocabulary instead), so ``kqzv123`` or ``pwjina43`` (random) stay secrets.
    """
    match = _WORD_DIGITS.fullmatch(text)
    if match is None:
        return False
    word = match.group(1).lower()
    return any(v in word for v in "aeiouy") and _CONSONANT_RUN.search(word) is None


def reads_like_prose(tokens: list[str], known: frozenset[str]) -> bool:
    """Words, at least half of them glue or credential vocabulary: a description of the
    value (``openai api key to transcribe audio``), not the value.

    A passphrase of unrelated words (``granite-tulip-ferry-walnut``) has none of that glue.
    """
    if len(tokens) < 2 or not all((t.isalpha() and len(t) >= 2) or t in known for t in tokens):
        return False
    glue = [t for t in tokens if t in known]
    if not any(len(t) >= 3 for t in glue):
        return False
    strange = [t for t in tokens if t not in known]
    return len(glue) >= len(strange) and all(_wordlike(t) for t in strange)


def _wordlike(token: str) -> bool:
    """Three letters or more, a vowel, no cluster of five consonants: could be a word."""
    return (
        len(token) >= 3
        and any(v in token for v in "aeiouy")
        and _CONSONANT_RUN5.search(token) is None
    )


_SAME_RUN = lazy_compile(r"(.)\1+", re.S)
_DIGIT = lazy_compile(r"[0-9]")
_ALNUM_RUN = lazy_compile(r"[A-Za-z0-9]+")


def doubled_word(text: str) -> bool:
    """``hogehoge``, ``testtest``: one word written twice (a random key never halves)."""
    half = len(text) // 2
    return (
        len(text) % 2 == 0
        and 4 <= half <= 12
        and text[:half].isalpha()
        and text[:half].lower() == text[half:].lower()
    )


def longest_run(text: str) -> int:
    """The longest run of one repeated character (``7888888``: six)."""
    return max((len(m.group(0)) for m in _SAME_RUN.finditer(text)), default=1)


def digits_apart(text: str, vocabulary: frozenset[str]) -> bool:
    """No digit, or digits only as numbers of their own (``at least 32 characters``) and in
    vocabulary (``base64``): prose, not a password with digits mixed in."""
    if _DIGIT.search(text) is None:
        return True
    return all(
        chunk.isdigit() or chunk.isalpha() or chunk.lower() in vocabulary
        for chunk in _ALNUM_RUN.findall(text)
    )


#: RSA modulus sizes (bytes) kubeseal may have wrapped the session key with: 2048/3072/4096.
_SEALED_KEY_SIZES = frozenset((256, 384, 512))
_B64_BODY = lazy_compile(r"[A-Za-z0-9+/]+={0,2}")


def sealed_ciphertext(text: str) -> bool:
    """A Bitnami SealedSecret value: base64 of a two-byte big-endian length naming an RSA
    key size, that many bytes of wrapped session key, then AES-GCM ciphertext (16-byte tag
    at least). The structure is checked, not a prefix: a random key of 270+ bytes starts so
    one time in twenty thousand, and must also be exactly long enough."""
    if len(text) < 360 or text[:2] not in ("AQ", "AY", "Ag") or _B64_BODY.fullmatch(text) is None:
        return False
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    size = int.from_bytes(raw[:2], "big")
    return size in _SEALED_KEY_SIZES and len(raw) > 2 + size + 16


_REDACTION = lazy_compile(r"(?i)[\[<(]\s*(?:redacted|removed|masked|hidden|snip(?:ped)?)\s*[\])>]")
#: ``tskey-auth-xxxxx``, ``sk-or-XXXX``: a lower-case token prefix, then only padding.
_PREFIX_THEN_PADDING = lazy_compile(
    # "tskey-auth-xxxxx", also several padded segments: "st.xxxx.yyyy.zzzz"
    r"[a-z][a-z0-9]{1,11}(?:[-_.][a-z0-9]{1,11}){0,3}"
    r"(?:[-_.](?:x{3,}|X{3,}|\*{3,}|0{6,}|([a-z])\1{3,}))+"
)


def redaction_marker(text: str) -> bool:
    """``ops_eyJ..[Redacted]``, ``token <snipped>``: a bracketed note that the value was cut
    out. What is left is a copy made for a log or a doc, never the credential."""
    return ("[" in text or "<" in text or "(" in text) and _REDACTION.search(text) is not None


def prefix_then_padding(text: str) -> bool:
    """A provider-style prefix followed by nothing but a run of padding characters."""
    return _PREFIX_THEN_PADDING.fullmatch(text) is not None


_FILL_VERBS = frozenset(("enter", "insert", "paste", "put", "add", "replace", "fill", "type"))
_PHRASE_SPLIT = lazy_compile(r"[_\-\s]+")


def instruction(text: str) -> bool:
    """``ENTER_INSTTOKEN_HERE_IF_YOU_HAVE_ONE``: an order to fill something in, here.

    Starts with a fill-in verb and has ``here`` among at least four words: how a note to the
    reader reads, whatever nouns it names (``insttoken``) and whatever follows it.
    """
    parts = _PHRASE_SPLIT.split(text.lower())
    return (
        len(parts) >= 4
        and parts[0] in _FILL_VERBS
        and "here" in parts
        and all(p.isalpha() for p in parts)
    )
