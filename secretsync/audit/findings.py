"""What the audit reports: rule ids with a default severity and help, and findings.

The rule table is the one place a rule's id, severity and wording live; the renderers
(table, JSON, Markdown, SARIF, annotations) and docs/AUDIT.md all read it. A finding names
a secret, a system and a location, never a value.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from secretsync.sarif import SarifRule

__all__ = ["RULES", "Finding", "Rule", "Severity", "System", "sort_findings"]


class Severity(str, enum.Enum):
    """Worst first; ``rank`` orders them (0 is worst)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def at_least(self, threshold: Severity) -> bool:
        """True when this severity is as bad as ``threshold`` or worse."""
        return self.rank <= threshold.rank


_SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.NOTE)


class System(str, enum.Enum):
    """Where a finding was seen."""

    MAP = "map"
    GITHUB = "github"
    ESC = "esc"
    SOURCE = "source"
    WORKFLOW = "workflow"


@dataclass(frozen=True)
class Rule:
    """One check: a stable id, a default severity and the words users read about it."""

    id: str
    severity: Severity
    title: str
    summary: str
    help: str

    def sarif(self) -> SarifRule:
        name = "".join(part.capitalize() for part in self.id.split("-"))
        return SarifRule(
            id=self.id,
            name=name,
            short=self.title,
            full=self.summary,
            help=self.help,
            level=self.severity.value,
            tags=("security", "secrets"),
        )


E, W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "invalid-map",
            E,
            "The secret map fails validation",
            "config/secret_map.yaml breaks a validation rule, so nothing else can be checked.",
            "Run `secretsync validate` and fix every issue it lists at its file:line:column.",
        ),
        Rule(
            "missing-github",
            E,
            "A required secret is absent from GitHub",
            "A required mapped secret does not exist at its GitHub scope.",
            "Create it with `secretsync push --only NAME` or `gh secret set NAME`, "
            "or mark it `required: false` in the map.",
        ),
        Rule(
            "missing-esc",
            E,
            "A required secret is absent from ESC",
            "A required mapped secret is absent from its ESC environment, or its "
            "`environmentVariables` entry is absent or points elsewhere.",
            "Run `secretsync sync -e ENV` to write the value and its environment variable.",
        ),
        Rule(
            "placeholder",
            E,
            "The value is a placeholder",
            "The value looks like a placeholder (a stand-in word, a template such as "
            "`<token>`, or a provider prefix followed by repeated characters), not a real "
            "credential.",
            "Set the real value in GitHub (`secretsync push`), then `secretsync sync`.",
        ),
        Rule(
            "empty-value",
            E,
            "The value is empty",
            "The value is empty or only whitespace.",
            "Set the real value in GitHub (`secretsync push`), then `secretsync sync`.",
        ),
        Rule(
            "format-mismatch",
            W,
            "The value does not match its declared format",
            "The value does not look like a token of the provider named by `format:`.",
            "Check that the right credential was stored, or correct `format:` in the map.",
        ),
        Rule(
            "drift",
            E,
            "GitHub changed after the last sync",
            "The GitHub secret was updated after it was last synced into this ESC "
            "environment, so services run with the old value.",
            "Run `secretsync sync -e ENV` to bring the new value into ESC.",
        ),
        Rule(
            "stale",
            W,
            "The secret is older than its maximum age",
            "The secret was last set longer ago than `max_age_days` allows.",
            "Rotate the credential at its provider, `secretsync push` it, then sync.",
        ),
        Rule(
            "orphan-github",
            W,
            "A GitHub secret the map does not know",
            "A secret exists in a GitHub scope the map uses, but the map has no entry for it.",
            "Add it to the map, or delete it from GitHub when nothing uses it.",
        ),
        Rule(
            "orphan-esc",
            W,
            "A synced ESC path the map no longer has",
            "Sync manages this ESC path, but the map no longer maps a secret there.",
            "Run `secretsync sync -e ENV --prune` to remove it, or map it again.",
        ),
        Rule(
            "workflow-undefined",
            E,
            "A workflow uses a secret the map does not define",
            "A workflow reads `${{ secrets.X }}` where X is neither mapped nor built in, "
            "so it gets an empty string at run time.",
            "Add X to the map (and to GitHub), or fix the name in the workflow.",
        ),
        Rule(
            "unreachable",
            E,
            "GitHub or ESC could not be read",
            "A service could not be read, so the gate fails closed instead of passing blind.",
            "Check the network, the API URL and the service status, then run the audit again.",
        ),
        Rule(
            "hidden-from-sync",
            E,
            "No sync workflow can see this organization secret",
            "A mapped organization secret is not available to any repository in "
            "`sync.repositories`, or only past the first 100 organization secrets that "
            "repository's workflow sees (sorted by name), so `${{ toJSON(secrets) }}` lacks "
            "it and sync never gets its value.",
            "Run `secretsync shards` to see the assignment, add a repository to "
            "`sync.repositories` if every shard is full, then `secretsync shards --apply`.",
        ),
        Rule(
            "rejected-credential",
            E,
            "The provider rejects the credential",
            "With --verify: the secret's provider answered its documented read-only request "
            "with its answer for a bad credential (revoked, expired or wrong).",
            "Rotate the credential at its provider, `secretsync push` the new value, then "
            "`secretsync sync`; `secretsync verify` shows what the provider answered.",
        ),
        Rule(
            "unverified-credential",
            W,
            "The provider could not say whether the credential works",
            "With --verify: the provider was unreachable, failed (5xx), rate limited the "
            "request or gave an answer its documentation does not have. Never a pass; not a "
            "block unless --fail-on warning.",
            "Run `secretsync verify` again later, or check the provider's status page.",
        ),
    )
}

RULE_ORDER = tuple(RULES)


@dataclass(frozen=True)
class Finding:
    """One problem. ``file``/``line``/``column`` point at the map or workflow line that
    code scanning and annotations show; ``environment`` is None when the finding is not
    tied to one deploy environment (GitHub scopes, workflows, the map itself)."""

    rule: str
    severity: Severity
    secret: str | None
    environment: str | None
    system: System
    location: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    @classmethod
    def of(
        cls,
        rule: str,
        *,
        secret: str | None,
        environment: str | None,
        system: System,
        location: str,
        message: str,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> Finding:
        """A finding with its rule's default severity."""
        return cls(
            rule=rule,
            severity=RULES[rule].severity,
            secret=secret,
            environment=environment,
            system=system,
            location=location,
            message=message,
            file=file,
            line=line,
            column=column,
        )

    @property
    def sort_key(self) -> tuple[int, int, str, str, str, str, int]:
        return (
            self.severity.rank,
            RULE_ORDER.index(self.rule),
            self.environment or "",
            self.secret or "",
            self.location,
            self.system.value,
            self.line or 0,
        )

    @property
    def fingerprint(self) -> str:
        """A stable id for one alert across runs, built from names only."""
        key = "\0".join((self.rule, self.environment or "", self.secret or "", self.location))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Worst first, then by rule, environment, secret, location: the same order every run."""
    return sorted(set(findings), key=lambda f: f.sort_key)
