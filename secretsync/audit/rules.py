"""The audit rules: pure functions from what was read (a :class:`Snapshot`) to findings.

Nothing here talks to a service or reads a clock, so each rule is tested on a snapshot
built by hand and the whole audit is repeatable. A system that could not be read produces
one ``unreachable`` finding and no other finding that would need it: a rule never guesses
from missing data, in either direction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from secretsync import providers
from secretsync.audit.findings import Finding, System, sort_findings
from secretsync.audit.gather import EscState, Snapshot
from secretsync.audit.workflows import BUILTIN_SECRETS
from secretsync.errors import MapError
from secretsync.map.model import Secret
from secretsync.placeholders import Classification, Verdict
from secretsync.placeholders.judgement import is_format_problem, judge
from secretsync.shards import ORG_SECRET_LIMIT, plan_shards
from secretsync.sync.definition import ManagedEntry
from secretsync.timestamps import format_timestamp, parse_timestamp
from secretsync.verify.status import Status

__all__ = ["evaluate", "map_findings"]


def evaluate(snapshot: Snapshot) -> list[Finding]:
    """Every finding of every rule, worst first, in a stable order."""
    found: list[Finding] = []
    found.extend(_unreachable(snapshot))
    found.extend(_github(snapshot))
    for environment in snapshot.environments:
        state = snapshot.esc.get(environment)
        if state is not None and state.error is None:
            found.extend(_esc(snapshot, state))
    found.extend(_workflows(snapshot))
    found.extend(_hidden_from_sync(snapshot))
    if snapshot.source is not None:
        found.extend(_source(snapshot, snapshot.source))
    found.extend(_verifications(snapshot))
    return sort_findings(found)


def map_findings(error: MapError, map_file: str) -> list[Finding]:
    """``invalid-map``: one finding per validation issue, at its line and column."""
    return sort_findings(
        [
            Finding.of(
                "invalid-map",
                secret=None,
                environment=None,
                system=System.MAP,
                location=f"{map_file}:{issue.line}:{issue.column}",
                message=issue.message,
                file=map_file,
                line=issue.line,
                column=issue.column,
            )
            for issue in error.issues
        ]
    )


# ----------------------------------------------------------------------------- the rules


def _unreachable(snap: Snapshot) -> Iterator[Finding]:
    for key, scope in snap.github.items():
        if scope.error is not None:
            yield Finding.of(
                "unreachable",
                secret=None,
                environment=None,
                system=System.GITHUB,
                location=f"github:{key}",
                message=f"GitHub {key} could not be read: {scope.error}",
                file=snap.map_file,
            )
    yield from _sync_unreachable(snap)
    for environment in snap.environments:
        state = snap.esc.get(environment)
        if state is not None and state.error is not None:
            yield Finding.of(
                "unreachable",
                secret=None,
                environment=environment,
                system=System.ESC,
                location=state.ref,
                message=f"ESC environment {state.ref} could not be read: {state.error}",
                file=snap.map_file,
                line=snap.smap.environments[environment].line,
            )


def _sync_unreachable(snap: Snapshot) -> Iterator[Finding]:
    if snap.sync is None or snap.sync.error is None:
        return
    yield Finding.of(
        "unreachable",
        secret=None,
        environment=None,
        system=System.GITHUB,
        location=f"github:org/{snap.smap.github_org}:sync",
        message="GitHub could not be read to tell which sync workflow sees which "
        f"organization secret: {snap.sync.error}",
        file=snap.map_file,
    )


def _about(
    snap: Snapshot,
    rule: str,
    secret: Secret,
    *,
    environment: str | None,
    system: System,
    location: str,
    message: str,
) -> Finding:
    """A finding about one mapped secret, shown on its line of the map."""
    return Finding.of(
        rule,
        secret=secret.name,
        environment=environment,
        system=system,
        location=location,
        message=message,
        file=snap.map_file,
        line=secret.line,
    )


def _github(snap: Snapshot) -> Iterator[Finding]:
    """missing-github, stale (from GitHub's ``updated_at``) and orphan-github."""
    for secret in snap.audited():
        key = snap.github_key(secret)
        scope = snap.github.get(key)
        if scope is None or scope.secrets is None:
            continue
        location = f"github:{key}:{secret.name}"
        if secret.name.upper() not in scope.secrets:
            if secret.required:
                yield _about(
                    snap,
                    "missing-github",
                    secret,
                    environment=None,
                    system=System.GITHUB,
                    location=location,
                    message=f"required secret is absent from GitHub {key}",
                )
            continue
        updated = scope.secrets[secret.name.upper()]
        stale = _stale_message(snap.now, updated, secret.max_age_days, "GitHub secret updated")
        if stale:
            yield _about(
                snap,
                "stale",
                secret,
                environment=None,
                system=System.GITHUB,
                location=location,
                message=stale,
            )
    mapped: dict[str, set[str]] = {}
    for secret in snap.smap.secrets.values():
        mapped.setdefault(snap.github_key(secret), set()).add(secret.name.upper())
    for key, scope in snap.github.items():
        for name in sorted(scope.secrets or ()):
            if name not in mapped.get(key, set()):
                yield Finding.of(
                    "orphan-github",
                    secret=name,
                    environment=None,
                    system=System.GITHUB,
                    location=f"github:{key}:{name}",
                    message=f"GitHub {key} holds {name}, which the map does not define",
                    file=snap.map_file,
                )


def _esc(snap: Snapshot, state: EscState) -> Iterator[Finding]:
    """missing-esc, value checks, drift, stale (from bookkeeping) and orphan-esc."""
    env = state.environment
    secrets = snap.smap.secrets_for(env)
    definition = state.definition if state.exists else None
    managed = definition.managed() if definition is not None else {}
    for secret in secrets:
        location = f"{state.ref}:{secret.esc_path}"

        def about(rule: str, message: str, where: str = location, s: Secret = secret) -> Finding:
            return _about(
                snap, rule, s, environment=env, system=System.ESC, location=where, message=message
            )

        if definition is None:
            if secret.required:
                yield about("missing-esc", f"ESC environment {state.ref} does not exist")
            continue
        if not definition.has_path(secret.esc_path):
            if secret.required:
                yield about("missing-esc", f"required secret is absent at {secret.esc_path}")
            continue
        expected = "${" + secret.esc_path + "}"
        target = definition.env_var_target(secret.env_var)
        if secret.required and target != expected:
            state_text = "is absent" if target is None else f"does not point at {expected}"
            yield about(
                "missing-esc",
                f"environmentVariables.{secret.env_var} {state_text}",
                f"{state.ref}:environmentVariables.{secret.env_var}",
            )
        value = definition.secret_value(secret.esc_path)
        unreadable = definition.unreadable(secret.esc_path)
        if unreadable is not None:
            # Present but not a string value: nothing a deploy could use, never a pass.
            yield about(
                "empty-value",
                f"{secret.esc_path} holds {unreadable}, not a string value "
                "(sync writes fn::secret)",
            )
        elif value is not None:
            for rule, message in _value_problems(secret, value, in_esc=True):
                yield about(rule, message)
        yield from _bookkeeping(snap, state, secret, managed.get(secret.esc_path))
    wanted = {secret.esc_path for secret in secrets}
    for path, entry in sorted(managed.items()):
        if path not in wanted:
            yield Finding.of(
                "orphan-esc",
                secret=entry.secret,
                environment=env,
                system=System.ESC,
                location=f"{state.ref}:{path}",
                message=f"sync manages {path} ({entry.secret}), which the map no longer has "
                f"in {env}",
                file=snap.map_file,
                line=snap.smap.environments[env].line,
            )


def _bookkeeping(
    snap: Snapshot, state: EscState, secret: Secret, entry: ManagedEntry | None
) -> Iterator[Finding]:
    """drift against GitHub's ``updated_at``; stale from ``synced_at`` when GitHub has none."""
    if entry is None:
        return
    scope = snap.github.get(snap.github_key(secret))
    if scope is None or scope.secrets is None:
        return  # GitHub unread: its own finding says so
    location = f"{state.ref}:{secret.esc_path}"
    name = secret.name.upper()
    if name in scope.secrets:
        updated = scope.secrets[name]
        baseline = _parse(entry.github_updated_at) or _parse(entry.synced_at)
        if updated is not None and baseline is not None and updated > baseline:
            yield _about(
                snap,
                "drift",
                secret,
                environment=state.environment,
                system=System.ESC,
                location=location,
                message=f"GitHub secret updated {_stamp(updated)}, after the last sync into "
                f"{state.ref} (which saw {_stamp(baseline)})",
            )
        return
    stale = _stale_message(snap.now, _parse(entry.synced_at), secret.max_age_days, "last synced")
    if stale:
        yield _about(
            snap,
            "stale",
            secret,
            environment=state.environment,
            system=System.ESC,
            location=location,
            message=stale,
        )


def _workflows(snap: Snapshot) -> Iterator[Finding]:
    known = {name.upper() for name in snap.smap.secrets} | BUILTIN_SECRETS
    for ref in snap.workflows:
        if ref.key not in known:
            yield Finding.of(
                "workflow-undefined",
                secret=ref.name,
                environment=None,
                system=System.WORKFLOW,
                location=f"{ref.path}:{ref.line}",
                message=f"secrets.{ref.name} is neither in the map nor built in",
                file=ref.path,
                line=ref.line,
                column=ref.column,
            )


def _hidden_from_sync(snap: Snapshot) -> Iterator[Finding]:
    """hidden-from-sync: mapped organization secrets no sync workflow gets, by GitHub's
    first-100 rule over the metadata (a secret absent from GitHub is missing-github's)."""
    arrangement = snap.sync.arrangement if snap.sync is not None else None
    if arrangement is None:
        return
    repos = snap.smap.sync_repositories
    views = {repo: arrangement.view(repo) for repo in repos}
    shards = plan_shards(snap.smap, arrangement)
    for secret in snap.audited():
        name = secret.name.upper()
        if secret.github.scope != "org" or name not in arrangement.secrets:
            continue
        if any(v is not None and name in v.seen for v in views.values()):
            continue
        reasons = []
        for repo, view in views.items():
            if view is None:
                reasons.append(f"{repo} does not exist (or the token cannot see it)")
            elif name in view.past_limit:
                position = view.available.index(name) + 1
                reasons.append(
                    f"{repo} has it past its first {ORG_SECRET_LIMIT} organization secrets "
                    f"(number {position} of {len(view.available)}, sorted by name)"
                )
            else:
                reasons.append(f"it is not available to {repo}")
        home = shards.shard_of(name)
        needed = (
            f"{home} would have to see it: run `secretsync shards --apply`"
            if home is not None and shards.seen[home] <= shards.limit
            else "every sync repository is full: add one to sync.repositories, then run "
            "`secretsync shards --apply`"
        )
        yield _about(
            snap,
            "hidden-from-sync",
            secret,
            environment=None,
            system=System.GITHUB,
            location=f"github:org/{snap.smap.github_org}:{secret.name}",
            message=f"no sync workflow can see it: {'; '.join(reasons)}; {needed}",
        )


def _source(snap: Snapshot, source: Mapping[str, str]) -> Iterator[Finding]:
    for secret in snap.audited():
        value = source.get(secret.name)
        if value is None:
            continue
        for rule, message in _value_problems(secret, value):
            yield _about(
                snap,
                rule,
                secret,
                environment=None,
                system=System.SOURCE,
                location=f"source:{secret.name}",
                message=message,
            )


_VERIFY_RULES = {Status.REJECTED: "rejected-credential", Status.UNKNOWN: "unverified-credential"}


def _verifications(snap: Snapshot) -> Iterator[Finding]:
    """rejected-credential / unverified-credential, from ``audit --verify``'s answers.

    ``unverifiable`` results (nothing sent: no format, a placeholder, no value) add nothing:
    the rules above already speak about those values.
    """
    for result in snap.verifications or ():
        rule = _VERIFY_RULES.get(result.status)
        secret = snap.smap.secrets.get(result.secret)
        if rule is None or secret is None:
            continue
        verb = "rejected the credential" if rule == "rejected-credential" else "could not say"
        yield _about(
            snap,
            rule,
            secret,
            environment=result.environment,
            system=System.SOURCE if result.system == "source" else System.ESC,
            location=result.location,
            message=f"{result.provider} {verb}: {result.detail}",
        )


# ------------------------------------------------------------------------------- helpers


def _value_problems(
    secret: Secret, value: str, *, in_esc: bool = False
) -> Iterator[tuple[str, str]]:
    """placeholder / empty-value / format-mismatch for one value; messages hold no value.

    Judged by the secret's type (:func:`~secretsync.placeholders.judgement.judge`),
    as sync and push do.
    An ESC ``${...}`` interpolation is ESC's own reference, resolved when it is opened.
    """
    problem = judge(secret, value)
    if problem is not None and in_esc and problem.kind == "reference:interpolation":
        problem = None
    if problem is not None:
        yield _problem(secret, problem)
    elif secret.format and not providers.matches(secret.format, value):
        description = providers.get(secret.format).description
        yield "format-mismatch", f"value does not look like {secret.format} ({description})"


def _problem(secret: Secret, problem: Classification) -> tuple[str, str]:
    if problem.verdict is Verdict.EMPTY:
        return "empty-value", "value is empty or whitespace"
    if is_format_problem(problem):
        return "format-mismatch", f"value is {problem.reason} (type {secret.type})"
    if problem.verdict is Verdict.REFERENCE:
        return "placeholder", f"value is an unresolved reference: {problem.reason}"
    return "placeholder", f"value looks like a placeholder: {problem.reason}"


def _stale_message(now: datetime, moment: datetime | None, max_days: int, what: str) -> str:
    if moment is None:
        return ""
    age = now - moment
    if age.total_seconds() <= max_days * 86400:
        return ""
    return f"{what} {_stamp(moment)}, {age.days} days ago; max_age_days is {max_days}"


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return parse_timestamp(stamp)
    except ValueError:
        return None


def _stamp(moment: datetime) -> str:
    return format_timestamp(moment)
