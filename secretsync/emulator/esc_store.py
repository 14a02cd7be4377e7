"""What the ESC emulator holds: environments, their revisions, and how a write is accepted.

A write is checked the way the service checks a PATCH (syntax, ``fn::secret`` literals,
a full evaluation against the other environments of the organization) and only then
stored, encrypted, as the next revision. Nothing here speaks HTTP; :mod:`esc` does.
Not thread-safe on its own: the service holds its lock around every call.

A write parses its text once (the checks and the evaluation share the tree); parsed trees
of recent texts are kept for evaluations that import them, and the decrypted text of each
environment's current revision is made once, on its first ``/decrypt``.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from secretsync.emulator._http import Clock, isoformat_z
from secretsync.emulator.esc_crypto import SecretKeeper, decrypt_definition, encrypt_definition
from secretsync.emulator.esc_eval import EValue, evaluate
from secretsync.emulator.esc_syntax import (
    Diagnostic,
    Node,
    ciphertext_of,
    parse_definition,
    secret_calls,
    secret_literal_problem,
)

__all__ = ["Environment", "EnvironmentTag", "EscStore", "Revision", "RevisionTag"]

_ORG = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-_]{1,38}[a-zA-Z0-9]")
_NAME = re.compile(r"[a-zA-Z0-9-_.]{1,100}")
CREATOR_LOGIN = "emulator"


@dataclass
class Revision:
    number: int
    created: datetime
    text: str


@dataclass
class RevisionTag:
    name: str
    revision: int
    created: datetime
    modified: datetime

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "revision": self.revision,
            "created": isoformat_z(self.created),
            "modified": isoformat_z(self.modified),
            "editorLogin": CREATOR_LOGIN,
            "editorName": "Emulator",
        }


@dataclass
class EnvironmentTag:
    """A key/value label on an environment (``/tags``; see :mod:`esc_manage`)."""

    id: str
    name: str
    value: str
    created: datetime
    modified: datetime

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "value": self.value,
            "created": isoformat_z(self.created),
            "modified": isoformat_z(self.modified),
            "editorLogin": CREATOR_LOGIN,
            "editorName": "Emulator",
        }


@dataclass
class Environment:
    org: str
    project: str
    name: str
    uid: str
    created: datetime
    revisions: list[Revision] = field(default_factory=list)
    tags: dict[str, RevisionTag] = field(default_factory=dict)
    env_tags: dict[str, EnvironmentTag] = field(default_factory=dict)
    # (revision number, its decrypted text): plaintext, so never in a repr
    decrypted_cache: tuple[int, str] | None = field(default=None, repr=False)

    @property
    def ref(self) -> str:
        return f"{self.project}/{self.name}"

    @property
    def current(self) -> Revision:
        return self.revisions[-1]

    def etag(self, revision: Revision | None = None) -> str:
        """Opaque and new for every revision, and for a re-created environment."""
        number = (revision or self.current).number
        return hashlib.sha256(f"{self.uid}:{number}".encode()).hexdigest()[:24]

    def headers(self) -> dict[str, str]:
        """What GET and ``/decrypt`` send with the definition."""
        return {"ETag": self.etag(), "Pulumi-ESC-Revision": str(self.current.number)}

    def revision(self, version: str) -> Revision | None:
        """A revision by number, by tag, or ``latest``."""
        if version == "latest":
            return self.current
        if version in self.tags:
            return self.revisions[self.tags[version].revision - 1]
        if re.fullmatch(r"[0-9]+", version) and 1 <= int(version) <= self.current.number:
            return self.revisions[int(version) - 1]
        return None

    def revision_json(self, rev: Revision) -> dict[str, Any]:
        return {
            "number": rev.number,
            "created": isoformat_z(rev.created),
            "creatorLogin": CREATOR_LOGIN,
            "creatorName": "Emulator",
            "tags": (["latest"] if rev is self.current else [])
            + sorted(t.name for t in self.tags.values() if t.revision == rev.number),
        }


class EscStore:
    """Organizations (made on first create), environments, and the emulator's secret key."""

    PARSED_KEPT = 8  # parsed trees of the most recent texts

    def __init__(self, clock: Clock, rng: random.Random) -> None:
        self._clock, self._rng = clock, rng
        self.keeper = SecretKeeper(rng)
        self._orgs: dict[str, dict[tuple[str, str], Environment]] = {}
        self._parsed: OrderedDict[tuple[str, str], tuple[Node | None, list[Diagnostic]]] = (
            OrderedDict()
        )

    def parse(self, text: str, ref: str) -> tuple[Node | None, list[Diagnostic]]:
        """:func:`parse_definition`, answered from the recent trees when it can be.

        Trees are only read after parsing, so one tree serves every evaluation of its text.
        """
        key = (ref, text)
        found = self._parsed.get(key)
        if found is None:
            found = self._parsed[key] = parse_definition(text, ref)
            while len(self._parsed) > self.PARSED_KEPT:
                self._parsed.popitem(last=False)
        else:
            self._parsed.move_to_end(key)
        return found[0], list(found[1])

    def reset(self) -> None:
        self._orgs.clear()
        self._parsed.clear()

    def find(self, org: str, project: str, name: str) -> Environment | None:
        return self._orgs.get(org, {}).get((project, name))

    def environments(self, org: str) -> list[Environment] | None:
        """The organization's environments by project and name; ``None`` for an unknown org."""
        if org not in self._orgs:
            return None
        return sorted(self._orgs[org].values(), key=lambda e: (e.project, e.name))

    def create(self, org: str, project: str, name: str) -> Environment:
        """A new, empty environment at revision 1; ``ValueError`` for a bad name."""
        if not _ORG.fullmatch(org):
            raise ValueError("invalid organization name")
        if not _NAME.fullmatch(project) or project in (".", ".."):
            raise ValueError("invalid project name")
        if not _NAME.fullmatch(name) or name in (".", "..", "open", "yaml"):
            raise ValueError("invalid environment name")
        now = self._clock.now()
        env = Environment(org, project, name, f"{self._rng.getrandbits(64):016x}", now)
        env.revisions.append(Revision(1, now, ""))
        self._orgs.setdefault(org, {})[(project, name)] = env
        return env

    def delete(self, env: Environment) -> None:
        del self._orgs[env.org][(env.project, env.name)]

    def write(self, env: Environment, text: str) -> list[Diagnostic]:
        """Check ``text``; if clean, store it encrypted as a new revision. The diagnostics."""
        root, diags = self.parse(text, env.ref)
        if not diags:
            for _, arg in secret_calls(root):
                problem = None if ciphertext_of(arg) else secret_literal_problem(arg)
                if problem:
                    diags.append(Diagnostic(problem, arg.path, arg.span))
        if not diags:
            _, diags = self.evaluate(env.org, env.ref, text)
        if diags:
            return diags
        stored, shown = encrypt_definition(text, root, self.keeper)
        number = env.current.number + 1
        env.revisions.append(Revision(number, self._clock.now(), stored))
        env.decrypted_cache = None if shown is None else (number, shown)
        return []

    def evaluate(self, org: str, ref: str, text: str) -> tuple[EValue, list[Diagnostic]]:
        """Evaluate ``text`` as environment ``ref`` of ``org``, importing from its siblings."""
        table = self._orgs.get(org, {})

        def load(import_ref: str) -> str | None:
            project, _, name = import_ref.partition("/")
            found = table.get((project, name))
            return found.current.text if found is not None else None

        return evaluate(ref, text, load, self.keeper.decrypt, self.parse)

    def decrypted(self, env: Environment, text: str) -> str:
        """``text`` (a revision of ``env``) with its ciphertexts under ``values`` decrypted."""
        current = env.current
        if text is current.text and env.decrypted_cache is not None:
            number, cached = env.decrypted_cache
            if number == current.number:
                return cached
        root, _ = parse_definition(text, env.ref)
        plain = decrypt_definition(text, root, self.keeper)
        if text is current.text:
            env.decrypted_cache = (current.number, plain)
        return plain

    def state(self) -> dict[str, Any]:
        envs = []
        for org in sorted(self._orgs):
            for env in self.environments(org) or []:
                envs.append(
                    {
                        "organization": org,
                        "project": env.project,
                        "name": env.name,
                        "created": isoformat_z(env.created),
                        "modified": isoformat_z(env.current.created),
                        "etag": env.etag(),
                        "revision": env.current.number,
                        "yaml": env.current.text,
                        "yaml_decrypted": self.decrypted(env, env.current.text),
                        "revisions": [env.revision_json(r) for r in env.revisions],
                        "tags": {n: t.value for n, t in sorted(env.env_tags.items())},
                    }
                )
        return {"organizations": sorted(self._orgs), "environments": envs}
