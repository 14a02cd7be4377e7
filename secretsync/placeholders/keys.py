"""Reading a key name (``STRIPE_SECRET_KEY``, ``apiKey``, ``pass_stmt``): does the value
stored under it claim to be a secret? The scanner and the runtime settings ask this before
they judge a value at all.
"""

from __future__ import annotations

from secretsync.placeholders import vocabulary as vocab
from secretsync.placeholders import words

_SECRET_KEY_WORDS = vocab.wordset(
    "key keys token secret secrets password passwd pwd pass passphrase credential credentials "
    "private auth dsn apikey secretkey accesskey privatekey authtoken accesstoken clientsecret "
    "sessionkey signingkey pat"
)
_NOT_A_SECRET_TAIL = vocab.wordset(
    "url uri endpoint path file dir name type length len ttl expiry expires header hdr "
    "headers prefix env enabled mode field format count timeout "
    # code words: pass_stmt is Python's `pass`, pass_rate a test statistic
    "stmt statement node rate ratio through thru fail"
)


def looks_secret_bearing_key(key: str) -> bool:
    """Whether a key name (``STRIPE_SECRET_KEY``, ``apiKey``) suggests it holds a secret."""
    tokens = [t for t in words.tokens(key) if t != "\0"]
    if not tokens or tokens[-1] in _NOT_A_SECRET_TAIL:
        return False
    if "public" in tokens and not {"private", "secret"} & set(tokens):
        return False
    return any(t in _SECRET_KEY_WORDS for t in tokens)
