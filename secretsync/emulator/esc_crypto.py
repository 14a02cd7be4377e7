"""The emulator's ESC secret store: its own key, and definitions rewritten to and from ciphertext.

Like the service, the emulator never keeps an ``fn::secret`` plaintext in a stored
definition: on write each plaintext argument becomes ``{ciphertext: <base64>}``, and
``/decrypt`` turns ciphertexts back into plaintext. The ciphertext is a NaCl SecretBox
under a key made per emulator, wrapped in the service's envelope (``escx``, a version, the
box, a CRC-32), so a ciphertext from another emulator or a mangled one is refused, as
the service refuses foreign ciphertext.

Rewrites splice the text in place of the argument node only, so comments, key order and
quoting elsewhere survive byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import random
import struct
import zlib

import yaml
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from secretsync.emulator.esc_syntax import Node, Scalar, ciphertext_of, secret_calls

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
        nonce = bytes(self._rng.getrandbits(8) for _ in range(SecretBox.NONCE_SIZE))
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


def quote_yaml(value: str) -> str:
    """``value`` as one double-quoted YAML scalar that reads back exactly (any character)."""
    text = yaml.dump(value, default_style='"', allow_unicode=True, width=1 << 30)
    return text.rstrip("\n").removesuffix("\n...").rstrip("\n")


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply edits from the end, keeping whitespace that trailed the replaced node."""
    for start, stop, new in sorted(edits, reverse=True):
        old = text[start:stop]
        trailing = old[len(old.rstrip(" \t\r\n")) :]
        text = text[:start] + new + trailing + text[stop:]
    return text


def encrypt_definition(text: str, root: Node | None, keeper: SecretKeeper) -> str:
    """Replace each plaintext ``fn::secret`` argument with ``{ciphertext: ...}``.

    The caller has already checked every plaintext is a string literal (see
    :func:`secretsync.emulator.esc_eval.secret_literal_problem`).
    """
    edits = []
    for _, arg in secret_calls(root):
        if isinstance(arg, Scalar) and arg.is_str:
            cipher = keeper.encrypt(str(arg.value))
            edits.append((arg.span.start, arg.span.stop, f"{{ciphertext: {cipher}}}"))
    return _splice(text, edits)


def decrypt_definition(text: str, root: Node | None, keeper: SecretKeeper) -> str:
    """Replace each ``{ciphertext: ...}`` under ``values`` with its quoted plaintext."""
    edits = []
    for call, arg in secret_calls(root):
        cipher = ciphertext_of(arg)
        if cipher is None or not call.path.startswith(("values.", "values[")):
            continue
        plaintext = keeper.decrypt(str(cipher.value))
        edits.append((arg.span.start, arg.span.stop, quote_yaml(plaintext)))
    return _splice(text, edits)
