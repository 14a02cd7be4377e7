"""The emulator's ESC secret store: its own key, and definitions rewritten to and from ciphertext.

Like the service, the emulator never keeps an ``fn::secret`` plaintext in a stored
definition: on write each plaintext argument becomes ``{ciphertext: <base64>}``, and
``/decrypt`` turns ciphertexts back into plaintext. The ciphertext is a NaCl SecretBox
under a key made per emulator, wrapped in the service's envelope (``escx``, a version, the
box, a CRC-32), so a ciphertext from another emulator or a mangled one is refused, as
the service refuses foreign ciphertext.

Rewrites splice the text in place of the argument node only, so comments, key order and
quoting elsewhere survive byte for byte; each rewrite is one pass over the text.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
import struct
import zlib
from collections.abc import Iterator

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from secretsync.emulator.esc_syntax import (
    Mapping,
    Node,
    Scalar,
    Sequence,
    ciphertext_of,
    secret_calls,
)

__all__ = ["SecretKeeper", "decrypt_definition", "encrypt_definition", "quote_yaml"]

_MAGIC = b"escx"
_VERSION = 1


class SecretKeeper:
    """Encrypts and decrypts ``fn::secret`` values with one key per emulator."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._box = SecretBox(bytes(rng.getrandbits(8) for _ in range(SecretBox.KEY_SIZE)))

    def __repr__(self) -> str:
        return "SecretKeeper(<key hidden>)"

    def encrypt(self, plaintext: str) -> str:
        nonce = self._rng.randbytes(SecretBox.NONCE_SIZE)
        body = (
            _MAGIC
            + struct.pack(">I", _VERSION)
            + bytes(self._box.encrypt(plaintext.encode(), nonce))
        )
        return base64.b64encode(body + struct.pack(">I", zlib.crc32(body))).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext, or ``ValueError`` (no detail: nothing about the value leaks)."""
        try:
            raw = base64.b64decode(ciphertext.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeError):
            raise ValueError("invalid ciphertext") from None
        body, checksum = raw[:-4], raw[-4:]
        if len(raw) < 16 or body[:4] != _MAGIC or struct.pack(">I", zlib.crc32(body)) != checksum:
            raise ValueError("invalid ciphertext")
        if struct.unpack(">I", body[4:8])[0] != _VERSION:
            raise ValueError("unsupported ciphertext version")
        try:
            return bytes(self._box.decrypt(body[8:])).decode("utf-8")
        except (CryptoError, UnicodeError):
            raise ValueError("invalid ciphertext") from None


# What PyYAML's emitter escapes in a double-quoted scalar with allow_unicode: quotes,
# backslashes, the line and byte-order marks, and everything outside its printable set.
_NEEDS_ESCAPE = re.compile('["\\\\\u2028\u2029\ufeff]|[^\x20-\x7e\xa0-\ud7ff\ue000-\ufffd]')
_SHORT_ESCAPES = {
    "\0": "0",
    "\x07": "a",
    "\x08": "b",
    "\t": "t",
    "\n": "n",
    "\x0b": "v",
    "\x0c": "f",
    "\r": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
    "\x85": "N",
    "\u2028": "L",
    "\u2029": "P",
}


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _SHORT_ESCAPES:
        return "\\" + _SHORT_ESCAPES[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def quote_yaml(value: str) -> str:
    """``value`` as one double-quoted YAML scalar that reads back exactly (any character).

    The same text PyYAML's emitter writes (``default_style='"'``, unicode allowed, never
    folded), in one regular-expression pass instead of a full emitter per value.
    """
    return '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply edits in one pass, keeping whitespace that trailed each replaced node."""
    pieces: list[str] = []
    at = 0
    for start, stop, new in sorted(edits):
        old = text[start:stop]
        trailing = old[len(old.rstrip(" \t\r\n")) :]
        pieces += (text[at:start], new, trailing)
        at = stop
    pieces.append(text[at:])
    return "".join(pieces)


def _calls_under_values(root: Node | None) -> Iterator[tuple[Mapping, Node]]:
    """The ``fn::secret`` calls strictly below the top-level ``values`` key."""
    if not isinstance(root, Mapping):
        return
    for key, child in root.entries:
        if key.value != "values":
            continue
        if isinstance(child, Mapping) and not _is_secret_call(child):
            for _, inner in child.entries:
                yield from secret_calls(inner)
        elif isinstance(child, Sequence):
            for inner in child.items:
                yield from secret_calls(inner)


def _is_secret_call(node: Mapping) -> bool:
    return len(node.entries) == 1 and node.entries[0][0].value == "fn::secret"


def encrypt_definition(
    text: str, root: Node | None, keeper: SecretKeeper
) -> tuple[str, str | None]:
    """``text`` with each plaintext ``fn::secret`` argument replaced by ``{ciphertext:
    ...}`` (what is stored), and the text ``/decrypt`` will give for it, made in the same
    pass from the plaintexts at hand, so the first decrypted read of a revision need not
    parse and decrypt it again.

    The caller has already checked every plaintext is a string literal (see
    :func:`secretsync.emulator.esc_eval.secret_literal_problem`). The second text is None
    when ``text`` already holds ciphertexts under ``values`` (a client sending back what a
    plain GET gave): those are decrypted on read, as any stored revision can be.
    """
    under_values = {id(arg) for _, arg in _calls_under_values(root)}
    stored, shown = [], []
    sent_ciphertext = False
    for _, arg in secret_calls(root):
        if isinstance(arg, Scalar) and arg.is_str:
            plain = str(arg.value)
            cipher = f"{{ciphertext: {keeper.encrypt(plain)}}}"
            stored.append((arg.span.start, arg.span.stop, cipher))
            new = quote_yaml(plain) if id(arg) in under_values else cipher
            shown.append((arg.span.start, arg.span.stop, new))
        elif id(arg) in under_values and ciphertext_of(arg) is not None:
            sent_ciphertext = True
    return _splice(text, stored), None if sent_ciphertext else _splice(text, shown)


def decrypt_definition(text: str, root: Node | None, keeper: SecretKeeper) -> str:
    """Replace each ``{ciphertext: ...}`` under ``values`` with its quoted plaintext."""
    edits = []
    for _, arg in _calls_under_values(root):
        cipher = ciphertext_of(arg)
        if cipher is None:
            continue
        plaintext = keeper.decrypt(str(cipher.value))
        edits.append((arg.span.start, arg.span.stop, quote_yaml(plaintext)))
    return _splice(text, edits)
