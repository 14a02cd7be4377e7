"""Reading a value as words: tokenising, knowing placeholder vocabulary, and the rule that
calls a value made of nothing but such words a placeholder.

Tokens split on separators, camelCase and letter/digit boundaries; leetspeak (``p4ssw0rd``)
and run-together words (``yourapikeyhere``) are read back into vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterator

from secretsync._lazyre import lazy_compile
from secretsync.placeholders import vocabulary as vocab
from secretsync.placeholders.verdict import Classification, placeholder

_TOKEN = lazy_compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_CHUNK = lazy_compile(r"[A-Za-z0-9]+")
_CONSONANTS3 = lazy_compile(r"[bcdfghjklmnpqrstvwxz]{3}")
#: ``SecretStr``, ``PasswordField``: two or more capitalised words, nothing else.
_PASCAL = lazy_compile(r"(?:[A-Z][a-z0-9]+){2,4}")
_RUNS_FROM_START = ("01234567890", "1234567890", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop")
#: What a split into vocabulary words can begin or end with: every short word whole, and the
#: first and last three letters of every longer one.
_EDGES = vocab.TWO_LETTER | frozenset(
    edge for w in vocab.VOCABULARY if len(w) >= 3 for edge in (w[:3], w[-3:])
)
#: Vocabulary spelled with digits (``1password``, ``s3``): kept whole, not cut at the digit.
_DIGIT_WORDS = frozenset(w for w in vocab.VOCABULARY if not w.isalpha() and not w.isdigit())
_AFFIX = lazy_compile("|".join(vocab.AFFIX_MARKERS))
_AFFIX_HEADS = frozenset(m[:6] for m in vocab.AFFIX_MARKERS)
_AFFIX_TAILS = frozenset(m[-6:] for m in vocab.AFFIX_MARKERS)


def has_chunk(text: str) -> bool:
    """Whether ``text`` holds any letter or digit at all."""
    return _CHUNK.search(text) is not None


def tokens(text: str) -> Iterator[str]:
    """Lower-case word and number tokens; camelCase and letter/digit boundaries split too.

    A generator, so a rule that needs every token to be a known word stops at the first
    unknown one: on a random key that is usually the first few characters.
    """
    for chunk in _CHUNK.findall(text):
        parts = _TOKEN.findall(chunk)
        if len(parts) == 1 or len(chunk) <= 3 or chunk.lower() in _DIGIT_WORDS:
            yield chunk.lower()
            continue
        if len(chunk) <= 24 and not chunk.isalpha():
            plain = chunk.lower().translate(vocab.LEET)
            if plain.isalpha() and (plain in vocab.VOCABULARY or segmentable(plain)):
                yield plain  # p4ssw0rd, dbp4ss: leetspeak for vocabulary
                continue
        numbered: bool | None = None
        for part in parts:
            if len(part) > 1:
                yield part.lower()
                continue
            # A one-letter piece cut out of a longer chunk is how random strings look; a
            # digit in a chunk holding a marker is a numbered word (``my1password``).
            if numbered is None:
                numbered = part.isdigit() and _AFFIX.search(chunk.lower()) is not None
            yield part if numbered and part.isdigit() else "\0"


def segmentable(word: str) -> bool:
    """Whether ``word`` is vocabulary words run together (``yourapikeyhere``)."""
    if (
        len(word) > 40
        or not (_EDGES.intersection((word[:1], word[:2], word[:3])))
        or not (_EDGES.intersection((word[-1:], word[-2:], word[-3:])))
    ):
        return False  # must start and end with a vocabulary word: most random runs do not
    # best[i]: (long pieces - short pieces) of the best split of word[:i], None if none.
    best: list[int | None] = [0] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 14), end):
            prev = best[start]
            piece = word[start:end]
            if prev is None or piece not in vocab.VOCABULARY:
                continue
            score = prev + (1 if len(piece) > 2 else -1)
            if len(piece) <= 2 and piece not in vocab.TWO_LETTER:
                continue
            if best[end] is None or score > best[end]:  # type: ignore[operator]
                best[end] = score
    final = best[len(word)]
    return final is not None and final >= 0


def known(token: str, extra: frozenset[str]) -> bool:
    if token in vocab.VOCABULARY or token in extra:
        return True
    if token.isdigit():
        return len(token) <= 4 or sequential(token)
    if token == "\0" or len(token) < 3:
        return token in ("a", "i")
    plain = token.translate(vocab.LEET)
    return (
        plain in vocab.VOCABULARY
        or sequential(token)
        or segmentable(plain)
        or _inflected(plain)
        or _marker_affix(plain)
    )


def _inflected(word: str) -> bool:
    """``tester``, ``mocked``: a placeholder marker with an ordinary English ending."""
    return word.endswith(vocab.SUFFIXES) and any(
        word.endswith(end) and word[: -len(end)] in vocab.MARKERS for end in vocab.SUFFIXES
    )


def _marker_affix(word: str) -> bool:
    """``passwordnya``, ``xsecret``, ``magicpassword``: a long marker with at most three
    letters, or one ordinary-looking word, run into it."""
    if not 6 <= len(word) <= 22 or (word[:6] not in _AFFIX_HEADS and word[-6:] not in _AFFIX_TAILS):
        return False
    for m in vocab.AFFIX_MARKERS:
        if word.startswith(m):
            rest = word[len(m) :]
        elif word.endswith(m):
            rest = word[: -len(m)]
        else:
            continue
        if len(rest) <= 3 or _ordinary(rest):
            return True
    return False


def _ordinary(word: str) -> bool:
    """Could be a word (``magic``, ``super``): 3-8 letters, a vowel, no three consonants in
    a row. Random runs (``xkqz``, ``bvtr``) fail on one of those."""
    return (
        3 <= len(word) <= 8
        and any(v in word for v in "aeiouy")
        and _CONSONANTS3.search(word) is None
    )


def _product_login(seen: list[str], unknown: int) -> str | None:
    """The account name when the words are a product and an account (``grafana_admin``,
    ``rabbit-user``, ``jenkinsadmin``): a product's default login, not a chosen password."""
    if len(seen) == 1 and not unknown:
        return _split_account(seen[0])
    if len(seen) + unknown != 2:
        return None
    account = next((t for t in seen if t in vocab.DEFAULT_ACCOUNTS), None)
    other = [t for t in seen if t != account]
    if account is not None and (unknown or (other and other[0] in vocab.PRODUCT_DEFAULTS)):
        return account
    return None


def _split_account(word: str) -> str | None:
    """``hasuraadmin``, ``rabbituser``: a product word run into a default account name
    after it; the account name, or None."""
    for account in vocab.DEFAULT_ACCOUNTS:
        if len(account) >= 4 and word.endswith(account) and _ordinary(word[: -len(account)]):
            return account
    return None


def sequential(text: str) -> bool:
    """``1234``, ``123456789``, ``abcdef``; short runs only from the start (5432 is a port)."""
    low = text.lower()
    if len(low) >= 6:
        return any(
            low in seq for seq in ("01234567890", "9876543210", "abcdefghijklmnopqrstuvwxyz")
        )
    return len(low) >= 4 and low.isalnum() and any(seq.startswith(low) for seq in _RUNS_FROM_START)


#: Markers no real credential holds as a word of its own: "put the value here".
_STRONG_MARKERS = ("changeme", "replaceme", "placeholder")


def words(value: str, key_tokens: frozenset[str]) -> Classification | None:
    """Placeholder when every token is a known word, or a marker word carries a phrase
    with at most two other plain words in it (``dummy-password-for-timing-only``)."""
    seen: list[str] = []
    unknown = glue = junk = 0
    account_run: str | None = None
    # A marker that only ever means "replace me" may carry up to two pieces that are not
    # words at all (``vkprdlnk-changeme``); checked as a substring first, so a random key
    # still stops at its first unknown token.
    strong = any(marker in value.lower() for marker in _STRONG_MARKERS)
    for token in tokens(value):
        if known(token, key_tokens):
            seen.append(token)
        elif token in vocab.GLUE:
            glue += 1  # "must", "than": they join a phrase, a marker must carry it
        elif unknown < 2 and _plain_word(token):
            unknown += 1
            account_run = account_run or _split_account(token)
        elif strong and junk < 2:
            junk += 1
        else:
            return None
    if junk:
        marker = next((t for t in seen if t in _STRONG_MARKERS), None)
        if marker is None:
            return None
        return placeholder(f"word:{marker}", f"placeholder word {marker!r}")
    if not any(len(t) > 2 and not t.isdigit() for t in seen):
        if account_run is not None and unknown == 1 and not seen and not glue:
            why = f"a default built from the account name {account_run!r}"
            return placeholder("weak-default", why)
        return None
    marker = next((t for t in seen if t in vocab.MARKERS), None)
    if marker is None:
        marker = next((m for t in seen for m in vocab.MARKER_ORDER if m in t), None)
    if glue and marker is None:
        return None
    account = _product_login(seen, unknown) if marker is None else None
    if account is not None:  # grafana_admin, rabbit-user, jenkinsadmin
        return placeholder("weak-default", f"a default built from the account name {account!r}")
    if unknown and (marker is None or len(seen) < unknown):
        return None
    if marker is None:
        # "production" alone is a setting, not a placeholder; "my-api-key" is one.
        only = seen[0]
        if len(seen) == 1 and only in vocab.TYPE_NAMES:
            why = f"the type name {only!r} written where the value goes"
            return placeholder("type-name", why)
        if (
            len(seen) == 1
            and only in vocab.VOCABULARY
            and not only.startswith(vocab.CREDENTIAL_NOUNS)
        ):
            return None
        return placeholder("generic-words", "nothing but generic words like 'api' and 'key'")
    return placeholder(f"word:{marker}", f"placeholder word {marker!r}")


def type_name(value: str) -> bool:
    """``SecretStr``, ``PasswordField``: a PascalCase type name from code, not a value, so
    the vocabulary inside it decides nothing."""
    return (
        _PASCAL.fullmatch(value) is not None
        and _TOKEN.findall(value)[-1].lower() in vocab.TYPE_SUFFIXES
    )


def _plain_word(token: str) -> bool:
    """An ordinary word we don't know (``timing``), or a two-letter abbreviation (``wp``),
    not a piece of a random string."""
    if len(token) == 2:
        return token.isalpha()
    return len(token) >= 3 and token.isalpha() and any(v in token for v in "aeiouy")
