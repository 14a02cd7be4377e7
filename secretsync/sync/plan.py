"""What ``sync`` would change in one ESC environment, and how to apply it.

A plan compares the map's secrets for an environment, the values source and the decrypted
definition, and sorts every secret into one action. It holds fingerprints
(:func:`secretsync.masking.fingerprint`), never values, so a plan can be printed, logged and
serialised as it is. :func:`apply_plan` then edits the definition with the values.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from secretsync.masking import fingerprint
from secretsync.placeholders.judgement import judge
from secretsync.sync.definition import BOOKKEEPING_ROOT, ENV_VARS_ROOT, EscDefinition, ManagedEntry
from secretsync.sync.sources import SourceValues

if TYPE_CHECKING:
    from secretsync.map.model import Secret
    from secretsync.placeholders import Classification

__all__ = ["Action", "EnvPlan", "PlanItem", "apply_plan", "build_plan"]


class Action(str, enum.Enum):
    """What sync does with one path. Only ADD, CHANGE, REFRESH and DELETE write."""

    ADD = "add"  # absent from ESC
    CHANGE = "change"  # the value differs
    REFRESH = "refresh"  # same value; its env var entry, encoding or bookkeeping differ
    UNCHANGED = "unchanged"
    DELETE = "delete"  # a path sync manages that the map dropped (with --prune)
    ORPHAN = "orphan"  # the same, kept (without --prune)
    MISSING = "missing"  # mapped, but the source has no value: left alone in ESC


WRITING = frozenset({Action.ADD, Action.CHANGE, Action.REFRESH, Action.DELETE})


@dataclass(frozen=True)
class PlanItem:
    """One path of one environment: what is there, what will be, and why; no values."""

    secret: str
    esc_path: str
    env_var: str
    action: Action
    old: str | None = None  # fingerprint of the value in ESC
    new: str | None = None  # fingerprint of the value from the source
    required: bool = True
    github_updated_at: str | None = None
    note: str = ""
    old_env_var: str | None = None  # the env var the bookkeeping recorded, when renamed

    def as_json(self) -> dict[str, object]:
        return {
            "secret": self.secret,
            "esc_path": self.esc_path,
            "env_var": self.env_var,
            "action": self.action.value,
            "old": self.old,
            "new": self.new,
            "note": self.note,
        }


@dataclass
class EnvPlan:
    """Every action for one deploy environment, plus the reasons a write is refused."""

    environment: str
    esc_ref: str
    items: list[PlanItem] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # placeholder or empty values
    blocked: list[str] = field(default_factory=list)  # values sync would overwrite
    warnings: list[str] = field(default_factory=list)  # said once per secret by the CLI

    def count(self, action: Action) -> int:
        return sum(1 for item in self.items if item.action is action)

    @property
    def needs_write(self) -> bool:
        return any(item.action in WRITING for item in self.items)

    @property
    def deletes(self) -> list[PlanItem]:
        return [item for item in self.items if item.action is Action.DELETE]

    @property
    def missing_required(self) -> list[PlanItem]:
        return [i for i in self.items if i.action is Action.MISSING and i.required]

    def summary(self) -> dict[str, int]:
        return {action.value: self.count(action) for action in Action}

    def __repr__(self) -> str:
        # Short: asyncio and anyio build reprs of tasks (and of what they hold) eagerly,
        # and a field-by-field repr of a 1,000-item plan cost every sync tens of ms.
        return f"EnvPlan({self.environment!r}, {len(self.items)} items)"

    def as_json(self) -> dict[str, object]:
        return {
            "environment": self.environment,
            "esc": self.esc_ref,
            "pending": self.needs_write,
            "summary": self.summary(),
            "refused": [*self.blocked, *self.refusals],
            "items": [item.as_json() for item in self.items],
        }


def build_plan(
    environment: str,
    esc_ref: str,
    secrets: Sequence[Secret],
    definition: EscDefinition,
    source: SourceValues,
    github_times: Mapping[str, str | None] | None,
    *,
    prune: bool = False,
    allow_placeholders: bool = False,
    judged: dict[str, Classification | None] | None = None,
    only: frozenset[str] | None = None,
    owns_dropped: Callable[[str], bool] | None = None,
) -> EnvPlan:
    """Sort every mapped secret (and every managed path the map dropped) into an action.

    ``github_times`` maps secret names to GitHub's ``updated_at`` (None: GitHub has no such
    secret); where it has no entry, or is ``None`` altogether (GitHub could not be asked),
    the recorded time is kept rather than overwritten with null. ``judged`` keeps each
    secret's verdict between plans of one run (the source does not change, so sync's
    re-plan after a 409 need not classify every value again).

    ``only`` (a sync shard's secret names) plans just those: the other mapped secrets'
    paths are another shard's, neither planned nor pruned; ``owns_dropped`` says which
    managed paths of secrets the map no longer has this run may prune or report.
    """
    plan = EnvPlan(environment=environment, esc_ref=esc_ref)
    managed = definition.managed()
    mapped_paths = set()
    for secret in secrets:
        mapped_paths.add(secret.esc_path)
        if only is not None and secret.name not in only:
            continue
        item = _plan_secret(secret, definition, managed.get(secret.esc_path), source, github_times)
        plan.items.append(item)
        if item.note.startswith(_STALE_SOURCE):
            plan.warnings.append(
                f"GitHub changed {secret.name} since the last sync but the source value did "
                "not; is the source stale?"
            )
    for path, entry in managed.items():
        if path in mapped_paths:
            continue
        if owns_dropped is not None and not owns_dropped(entry.secret):
            continue
        action = Action.DELETE if prune else Action.ORPHAN
        old = definition.secret_value(path)
        plan.items.append(
            PlanItem(
                secret=entry.secret,
                esc_path=path,
                env_var=entry.env_var,
                action=action,
                old=fingerprint(old) if old is not None else None,
                note="no longer in the map" + ("" if prune else "; --prune deletes it"),
            )
        )
    by_name = {secret.name: secret for secret in secrets}
    blockers: dict[str, str | None] = {}  # parent path -> what is in the way of its keys
    for item in plan.items:
        if item.action in (Action.ADD, Action.CHANGE, Action.REFRESH):
            for message in _in_the_way(definition, item, managed, blockers):
                if message not in plan.blocked:
                    plan.blocked.append(message)
        if allow_placeholders or item.action not in (Action.ADD, Action.CHANGE):
            continue
        if judged is not None and item.secret in judged:
            problem = judged[item.secret]
        else:
            problem = judge(by_name[item.secret], source.get(item.secret) or "")
            if judged is not None:
                judged[item.secret] = problem
        if problem is not None:
            plan.refusals.append(f"{item.secret}: {problem.reason}")
    return plan


def _in_the_way(
    definition: EscDefinition,
    item: PlanItem,
    managed: Mapping[str, ManagedEntry],
    blockers: dict[str, str | None],
) -> list[str]:
    """Values sync would have to replace to write ``item`` and that it did not write.

    ``blockers`` keeps :meth:`EscDefinition.blocking_ancestor` by parent path for the
    plan: it depends on the parents alone, and a thousand secrets share a few parents.
    """
    found = []
    writes = {  # what is written -> a path whose parents must be mappings
        item.esc_path: item.esc_path,
        f"{ENV_VARS_ROOT}.{item.env_var}": f"{ENV_VARS_ROOT}.{item.env_var}",
        f"the bookkeeping of {item.esc_path}": f"{BOOKKEEPING_ROOT}.managed.record",
    }
    for what, path in writes.items():
        parent = path.rpartition(".")[0]
        if parent not in blockers:
            blockers[parent] = definition.blocking_ancestor(path)
        blocker = blockers[parent]
        # A path sync itself wrote (the map moved a secret below it) may be replaced.
        if blocker is None or blocker.removeprefix("values.") in managed:
            continue
        found.append(
            f"{item.secret}: {blocker} holds a value sync does not manage; "
            f"writing {what} would replace it"
        )
    return found


def _plan_secret(
    secret: Secret,
    definition: EscDefinition,
    entry: ManagedEntry | None,
    source: SourceValues,
    github_times: Mapping[str, str | None] | None,
) -> PlanItem:
    path, env_var = secret.esc_path, secret.env_var
    value = source.get(secret.name)
    old = definition.secret_value(path)
    old_fp = fingerprint(old) if old is not None else None
    recorded = entry.github_updated_at if entry else None
    github_at = recorded
    if github_times is not None and secret.name in github_times:
        github_at = github_times[secret.name]
    renamed = entry.env_var if entry is not None and entry.env_var != env_var else None
    stale_source = (
        value is not None
        and old == value
        and entry is not None
        and _later(github_at, recorded or entry.synced_at)
    )
    if stale_source:
        # GitHub moved on but the source did not: recording GitHub's time would hide
        # that drift from audit, so the old time stays.
        github_at = recorded
    base = PlanItem(
        secret=secret.name,
        esc_path=path,
        env_var=env_var,
        action=Action.UNCHANGED,
        old=old_fp,
        required=secret.required,
        github_updated_at=github_at,
        old_env_var=renamed,
    )
    if value is None:
        why = "not in the source" + ("" if secret.required else " (optional)")
        return _with(base, Action.MISSING, note=why + "; left as it is in ESC")
    new_fp = fingerprint(value)
    if old is None:
        note = "" if not definition.has_path(path) else "replaces a value sync cannot read"
        return _with(base, Action.ADD if not note else Action.CHANGE, new=new_fp, note=note)
    if old != value:
        return _with(base, Action.CHANGE, new=new_fp)
    stale = []
    if not definition.is_canonical(path, value):
        stale.append("encoding")
    if definition.env_var_target(env_var) != "${" + path + "}":
        stale.append(f"environmentVariables.{env_var}")
    if entry is None or (entry.secret, entry.env_var) != (secret.name, env_var):
        stale.append("bookkeeping")
    elif entry.github_updated_at != github_at:
        stale.append("GitHub updated_at")
    prefix = _STALE_SOURCE + "; " if stale_source else ""
    if stale:
        note = prefix + "updates " + ", ".join(stale)
        return _with(base, Action.REFRESH, new=new_fp, note=note)
    return _with(base, Action.UNCHANGED, new=new_fp, note=prefix.removesuffix("; "))


_STALE_SOURCE = "GitHub changed since the last sync, the source did not"


def _later(moment: str | None, baseline: str | None) -> bool:
    """True when timestamp ``moment`` is after ``baseline`` (False if either is unknown)."""
    if not moment or not baseline:
        return False
    try:
        return _instant(moment) > _instant(baseline)
    except ValueError:
        return False


def _instant(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _with(item: PlanItem, action: Action, *, new: str | None = None, note: str = "") -> PlanItem:
    return PlanItem(
        secret=item.secret,
        esc_path=item.esc_path,
        env_var=item.env_var,
        action=action,
        old=item.old,
        new=new,
        required=item.required,
        github_updated_at=item.github_updated_at,
        note=note,
        old_env_var=item.old_env_var,
    )


def apply_plan(
    definition: EscDefinition, plan: EnvPlan, source: SourceValues, synced_at: str
) -> None:
    """Edit ``definition`` so it holds what ``plan`` says; untouched keys stay as they are.

    Deletes go first: a dropped path may be the parent of a new one (``app.ai`` became
    ``app.ai.openai_api_key``), and deleting it afterwards would take the new value along.
    """
    for item in plan.deletes:
        definition.remove_managed_path(item.esc_path, item.env_var)
    for item in plan.items:
        if item.action not in (Action.ADD, Action.CHANGE, Action.REFRESH):
            continue
        value = source.get(item.secret)
        if value is None:  # the plan was built from this source; a bug if it happens
            raise RuntimeError(f"{item.secret} vanished from the source")
        if not definition.is_canonical(item.esc_path, value):
            definition.set_secret(item.esc_path, value)
        definition.set_env_var(item.env_var, item.esc_path)
        if item.old_env_var:  # renamed in the map: the old entry goes in the same write
            definition.remove_env_var(item.old_env_var, item.esc_path)
        definition.set_managed(
            item.esc_path,
            ManagedEntry(
                secret=item.secret,
                env_var=item.env_var,
                synced_at=synced_at,
                github_updated_at=item.github_updated_at,
            ),
        )
