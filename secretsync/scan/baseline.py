"""Accepted findings, so a team can adopt the scan on a repository with history.

The file keeps, per accepted finding, its path, key and rule in clear (for review in a pull
request) and one HMAC over path, key, rule and the value's own HMAC, all keyed with a random
salt stored in the file. It never holds a value, and a match survives moved lines but not a
changed value. Paths are relative to the baseline file's folder, so the scan can run from
anywhere in the repository.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secretsync.errors import ConfigError
from secretsync.scan.scanner import Finding

__all__ = ["SCHEMA", "Baseline"]

SCHEMA = "secretsync/baseline/v1"


@dataclass
class Baseline:
    """A loaded (or new) baseline file; ``salt`` keys every hash in it."""

    path: Path
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    entries: list[dict[str, str]] = field(default_factory=list)
    #: How messages name the file (as the user wrote it); default: ``path``.
    label: str = ""

    @classmethod
    def load(cls, path: Path, *, missing_ok: bool = False, label: str = "") -> Baseline:
        """Read ``path``; a missing file is a new baseline only when ``missing_ok``."""
        label = label or str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if missing_ok:
                return cls(path, label=label)
            raise ConfigError(
                f"baseline {label} does not exist", hint="create it with --update-baseline"
            ) from None
        except OSError as exc:
            raise ConfigError(f"cannot read baseline {label}: {exc.strerror}") from None
        try:
            document = json.loads(text)
            if not isinstance(document, dict) or document.get("schema") != SCHEMA:
                raise ValueError(f"schema is not {SCHEMA}")
            salt = bytes.fromhex(document["salt"])
            entries = [_entry(item) for item in document["findings"]]
        except (ValueError, KeyError, TypeError) as exc:
            reason = exc if isinstance(exc, ValueError) else f"missing or bad {exc}"
            raise ConfigError(f"baseline {label} is not usable: {reason}") from None
        return cls(path, salt, entries, label)

    def _location(self, shown: str, cwd: Path) -> str:
        full = (cwd / shown).absolute()
        return Path(os.path.relpath(full, self.path.absolute().parent)).as_posix()

    def digest(self, finding: Finding, cwd: Path) -> str:
        """The hash that identifies ``finding`` in this baseline (needs ``value_hash``)."""
        if not finding.value_hash:
            raise ValueError("finding was scanned without the baseline's salt")
        parts = (self._location(finding.path, cwd), finding.key, finding.rule, finding.value_hash)
        message = "\0".join(parts).encode("utf-8")
        return hmac.new(self.salt, message, hashlib.sha256).hexdigest()

    def accepts(self, finding: Finding, cwd: Path) -> bool:
        known = {entry["hash"] for entry in self.entries}
        return self.digest(finding, cwd) in known

    def new_findings(self, findings: Iterable[Finding], cwd: Path) -> list[Finding]:
        """The findings this baseline does not accept."""
        known = {entry["hash"] for entry in self.entries}
        return [f for f in findings if self.digest(f, cwd) not in known]

    def update(self, findings: Iterable[Finding], scanned: Iterable[str], cwd: Path) -> None:
        """Accept ``findings``; entries of the ``scanned`` files are replaced, others kept.

        Keeping the entries of files this run did not read makes ``--update-baseline`` safe
        on a subset (a pre-commit batch) as well as on the whole repository.
        """
        replaced = {self._location(name, cwd) for name in scanned}
        kept = [entry for entry in self.entries if entry["path"] not in replaced]
        fresh = {
            self.digest(f, cwd): {
                "path": self._location(f.path, cwd),
                "key": f.key,
                "rule": f.rule,
                "hash": self.digest(f, cwd),
            }
            for f in findings
        }
        merged = {entry["hash"]: entry for entry in kept} | fresh
        self.entries = sorted(merged.values(), key=lambda e: (e["path"], e["key"], e["hash"]))

    def dump(self) -> str:
        document = {"schema": SCHEMA, "salt": self.salt.hex(), "findings": self.entries}
        return json.dumps(document, indent=2, sort_keys=False) + "\n"

    def save(self) -> None:
        """Write the file whole (temporary file, then rename)."""
        tmp = self.path.with_name(f".{self.path.name}.secretsync-tmp")
        try:
            tmp.write_text(self.dump(), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            name = self.label or self.path
            raise ConfigError(f"cannot write baseline {name}: {exc.strerror}") from None


def _entry(item: Any) -> dict[str, str]:
    if not isinstance(item, dict):
        raise ValueError("a finding entry is not an object")
    entry = {name: item[name] for name in ("path", "key", "rule", "hash")}
    if not all(isinstance(value, str) for value in entry.values()):
        raise ValueError("finding entries hold strings only")
    return entry
