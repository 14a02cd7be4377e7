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
    "sessionkey signingkey pat pepper"
)
_NOT_A_SECRET_TAIL = vocab.wordset(
    "url uri endpoint path file dir name type length len ttl expiry expires header hdr "
    "headers prefix env enabled mode field format count timeout "
    # code words: pass_stmt is Python's `pass`, pass_rate a test statistic
    "stmt statement node rate ratio through thru fail domain"
)


#: Words a credential word is glued onto in one-word names (``PGPASSWORD``, ``DBPASS``,
#: ``JWTSECRET``, ``SMTPPWD``): who or what the credential is for. ``monkey`` or ``bypass``
#: end the same way but start with no such word.
_GLUE_HEADS = vocab.wordset(
    "db pg psql mysql sql mongo mongodb redis jwt api auth access admin root user smtp mail "
    "email session client app master private bot webhook ftp sftp ssh ldap oauth refresh "
    "bearer service sa git gh npm docker registry rabbit rabbitmq amqp mq kafka es elastic "
    "minio s3 aws gcp azure stripe slack sentry db2 sys system encryption signing hmac "
    "cookie csrf node sec"
)
_GLUE_TAILS = ("password", "passwd", "pass", "pwd", "secret", "token", "apikey", "key")


def _glued(token: str) -> bool:
    for tail in _GLUE_TAILS:
        if token.endswith(tail) and len(token) > len(tail):
            head = token[: -len(tail)]
            if head in _GLUE_HEADS or head.rstrip("0123456789_") in _GLUE_HEADS:
                return True
    return False


def looks_secret_bearing_key(key: str) -> bool:
    """Whether a key name (``STRIPE_SECRET_KEY``, ``apiKey``, ``PGPASSWORD``) suggests it
    holds a secret.

    Words glued into one (``DBPASS``) count, and so does a key marked public
    (``NEXT_PUBLIC_ADMIN_PASSWORD``, ``STRIPE_PUBLISHABLE_KEY``): a placeholder there
    breaks the deploy as surely.
    """
    tokens = [t for t in words.tokens(key) if t != "\0"]
    if not tokens or tokens[-1] in _NOT_A_SECRET_TAIL:
        return False
    if tokens[-2:] == ["public", "key"]:
        return False  # the public half of a key pair (a PEM, a VAPID key): public by design
    return any(t in _SECRET_KEY_WORDS or _glued(t) for t in tokens)
