"""Writing mapped values into ESC environments: one read and one conditional write each.

Every environment is read (``/decrypt``, which carries the ``ETag``), planned, checked
against the safety rules, edited and written back with that ``ETag``. A 409 means someone
wrote in between: re-read, re-plan, re-apply, up to ``max_attempts`` times, so concurrent
writers never lose each other's changes. Environments run concurrently.

Refusals (a placeholder or empty value to be written, more deletes than ``max_deletes``)
are checked for every selected environment *before* anything is written, so a refused run
writes nothing anywhere.

A write whose answer never came (the client gave up after dropped connections, 5xx or
rate limits) may still have landed: before reporting a failure, sync reads the environment
once more, trying harder, and reports success when what it meant to write is there. Beside
a busy writer, the first re-read follows the 409 at once (the other writer has just
written), later ones wait a jittered, growing pause (so a sync and a periodic writer stop
meeting at the same instant); each re-applies at once, and the revisions other writers
made meanwhile are counted for the message.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TypeVar

from secretsync._collector import paused
from secretsync.clients import Scope, scope_of
from secretsync.errors import (
    ConflictError,
    CredentialsError,
    RateLimitError,
    RefusedError,
    SecretSyncError,
    ServiceError,
    UnreachableError,
    listing,
)
from secretsync.sync.definition import EscDefinition, format_timestamp
from secretsync.sync.plan import EnvPlan, apply_plan, build_plan
from secretsync.sync.sources import SourceValues

if TYPE_CHECKING:
    from secretsync.clients import EscClient, GitHubClient
    from secretsync.map.model import Secret, SecretMap
    from secretsync.placeholders import Classification

__all__ = [
    "EnvResult",
    "ShardFilter",
    "SyncOptions",
    "github_times",
    "plan_environments",
    "sync_environments",
]

Progress = Callable[[str, str], None]  # (environment, stage) -> None


@dataclass(frozen=True)
class ShardFilter:
    """``sync --shard``: the secrets one sync shard syncs, and which managed paths of
    secrets the map dropped are its to prune (every shard agrees on each one's owner)."""

    repository: str
    secrets: frozenset[str]
    owns_dropped: Callable[[str], bool] = field(compare=False)


@dataclass(frozen=True)
class SyncOptions:
    prune: bool = False
    max_deletes: int = 5
    allow_placeholders: bool = False
    max_attempts: int = 8  # writes per environment when other writers keep changing it
    # The pause before the re-read of attempt n >= 3 after a 409: uniform in
    # [0, min(cap, first * 2**(n-3))) s ("full jitter"), times the client's time_scale.
    # Short, as Kubernetes' RetryOnConflict is (10 ms steps): a 409 is news that the other
    # writer has just finished, and waiting long only gives it time to start again.
    conflict_pause_first: float = 0.01
    conflict_pause_cap: float = 0.1
    shard: ShardFilter | None = None  # sync --shard: one shard's secrets and paths


@dataclass
class EnvResult:
    """The outcome for one environment: its final plan, and whether and how it was written.

    ``other_writes``: revisions someone else made between this run's reads (0 when nobody
    else wrote while sync worked on the environment).
    """

    plan: EnvPlan
    written: bool = False
    attempts: int = 0
    error: SecretSyncError | None = field(default=None, repr=False)
    other_writes: int = 0


async def github_times(
    gh: GitHubClient, smap: SecretMap, secrets: Sequence[Secret]
) -> tuple[dict[str, str | None], list[str]]:
    """``updated_at`` of each secret, listed once per scope (pages, never per secret).

    Returns the times (None for a secret GitHub does not have; no entry at all for a secret
    whose scope could not be listed, so its recorded time is kept) and one warning per
    scope that could not be listed.
    """
    by_scope: dict[str, tuple[Scope, list[Secret]]] = {}
    for secret in secrets:
        scope = scope_of(secret.github, smap.github_org)
        by_scope.setdefault(str(scope), (scope, []))[1].append(secret)

    async def one(scope: Scope, expected: int) -> dict[str, str | None] | str:
        try:
            metas = await gh.list_secrets(scope, expected=expected)
        except (ServiceError, CredentialsError) as exc:
            return f"cannot list the secrets of {scope}: {exc.message}"
        return {meta.name.upper(): format_timestamp(meta.updated_at) for meta in metas}

    listed = await asyncio.gather(
        *(one(scope, len(members)) for scope, members in by_scope.values())
    )
    times: dict[str, str | None] = {}
    warnings: list[str] = []
    for (_, members), found in zip(by_scope.values(), listed, strict=True):
        if isinstance(found, str):
            warnings.append(found)
            continue
        for secret in members:
            times[secret.name] = found.get(secret.name.upper())
    return times, warnings


async def _read(esc: EscClient, smap: SecretMap, env: str) -> tuple[EscDefinition, str | None]:
    definition, etag, _ = await _read_revision(esc, smap, env)
    return definition, etag


async def _read_revision(
    esc: EscClient, smap: SecretMap, env: str, attempts: int | None = None
) -> tuple[EscDefinition, str | None, int | None]:
    env_name = smap.environments[env].esc_env
    current = await esc.get_definition(
        smap.esc_org, smap.esc_project, env_name, decrypt=True, attempts=attempts
    )
    # Off the event loop: the other environments' answers and GitHub's pages keep coming
    # while a big definition is parsed.
    definition = await asyncio.to_thread(EscDefinition.parse, current.yaml)
    return definition, current.etag, current.revision


def _plan(
    smap: SecretMap,
    env: str,
    definition: EscDefinition,
    source: SourceValues,
    times: Mapping[str, str | None] | None,
    options: SyncOptions,
    judged: dict[str, Classification | None] | None = None,
) -> EnvPlan:
    return build_plan(
        env,
        smap.esc_ref(env),
        smap.secrets_for(env),
        definition,
        source,
        times,
        prune=options.prune,
        allow_placeholders=options.allow_placeholders,
        judged=judged,
        only=options.shard.secrets if options.shard else None,
        owns_dropped=options.shard.owns_dropped if options.shard else None,
    )


def _check(plan: EnvPlan, options: SyncOptions) -> None:
    if plan.blocked:
        raise RefusedError(
            f"{plan.environment}: refused to overwrite values sync does not manage: "
            + listing(plan.blocked, "; "),
            hint="move those values in ESC, or give the secrets another esc_path in the map",
        )
    if plan.refusals:
        raise RefusedError(
            f"{plan.environment}: refused to write placeholder or empty values: "
            + listing(plan.refusals, "; "),
            hint="fix the values at their source, or pass --allow-placeholders",
        )
    deletes = len(plan.deletes)
    if deletes > options.max_deletes:
        raise RefusedError(
            f"{plan.environment}: --prune would delete {deletes} paths, more than "
            f"--max-deletes {options.max_deletes}",
            hint="check the map, then raise --max-deletes if the deletes are intended",
        )


Times = Mapping[str, str | None] | None
_T = TypeVar("_T")


async def _together(reads: Awaitable[_T], times: Times | Awaitable[Times]) -> tuple[_T, Times]:
    """The reads, and GitHub's times awaited alongside them when they are still coming."""
    if not inspect.isawaitable(times):
        return await reads, times
    both = await asyncio.gather(reads, times)
    return both[0], both[1]


async def plan_environments(
    esc: EscClient,
    smap: SecretMap,
    environments: Sequence[str],
    source: SourceValues,
    times_in: Times | Awaitable[Times],
    options: SyncOptions,
) -> list[EnvPlan]:
    """Read each environment once and plan it; nothing is written (``times_in`` as in
    :func:`sync_environments`)."""
    reads, times = await _together(
        asyncio.gather(*(_read(esc, smap, env) for env in environments)), times_in
    )
    judged: dict[str, Classification | None] = {}  # one verdict per secret, every env
    return [
        _plan(smap, env, definition, source, times, options, judged)
        for env, (definition, _) in zip(environments, reads, strict=True)
    ]


async def sync_environments(
    esc: EscClient,
    smap: SecretMap,
    environments: Sequence[str],
    source: SourceValues,
    times_in: Times | Awaitable[Times],
    options: SyncOptions,
    progress: Progress | None = None,
) -> list[EnvResult]:
    """Sync every environment; a refusal anywhere raises before any write.

    A service failure in one environment is recorded on its result (``error``) and the
    others still complete. ``times_in`` may be still on its way (an awaitable): GitHub is
    then asked while the environments are read, one round trip instead of two.
    """
    notify = progress or (lambda _env, _stage: None)

    async def read(
        env: str,
    ) -> tuple[EscDefinition, str | None, int | None] | SecretSyncError:
        try:
            return await _read_revision(esc, smap, env)
        except SecretSyncError as exc:
            return exc

    reads, times = await _together(asyncio.gather(*(read(env) for env in environments)), times_in)
    notify("*", "read")
    results: dict[str, EnvResult] = {}
    ready = []
    # A secret's verdict depends on its type, name and source value, never on the
    # environment: judged once for the whole run, re-plans after a 409 included.
    judged: dict[str, Classification | None] = {}
    for env, outcome in zip(environments, reads, strict=True):
        if isinstance(outcome, SecretSyncError):
            results[env] = EnvResult(EnvPlan(env, smap.esc_ref(env)), error=outcome)
            continue
        definition, etag, revision = outcome
        plan = _plan(smap, env, definition, source, times, options, judged)
        _check(plan, options)
        ready.append((env, plan, definition, etag, revision))

    async def one(
        env: str,
        plan: EnvPlan,
        definition: EscDefinition,
        etag: str | None,
        revision: int | None,
    ) -> EnvResult:
        result = EnvResult(plan=plan)
        try:
            await _write_loop(
                esc, smap, env, result, definition, etag, source, times, options, revision,
                judged, editor,
            )  # fmt: skip
        except RefusedError:
            raise
        except SecretSyncError as exc:
            result.error = exc
        notify(env, "done")
        return result

    # One worker edits the first writes in turn, off the event loop: each environment's
    # write goes out while the next one is being edited.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="secretsync-edit") as editor:
        for result in await asyncio.gather(*(one(*job) for job in ready)):
            results[result.plan.environment] = result
    return [results[env] for env in environments]


async def _write_loop(
    esc: EscClient,
    smap: SecretMap,
    env: str,
    result: EnvResult,
    definition: EscDefinition,
    etag: str | None,
    source: SourceValues,
    times: Mapping[str, str | None] | None,
    options: SyncOptions,
    revision: int | None = None,
    judged: dict[str, Classification | None] | None = None,
    editor: Executor | None = None,
) -> None:
    env_name = smap.environments[env].esc_env
    sent: tuple[EnvPlan, str] | None = None  # the last write answered with a 409
    judged = {} if judged is None else judged  # verdicts, kept across re-plans
    for attempt in range(1, options.max_attempts + 1):
        result.attempts = attempt
        text: str | None
        if attempt > 1:
            await _pause(esc, options, attempt)
            landed_before = revision
            try:
                current = await esc.get_definition(
                    smap.esc_org, smap.esc_project, env_name, decrypt=True
                )
            except (UnreachableError, RateLimitError):
                # The 409 may have answered our own write (landed, answer lost): look
                # harder before giving up on a read that failed.
                if sent is not None and await _landed(
                    esc, smap, env, result, source, times, options, revision
                ):
                    return
                raise
            etag, revision = current.etag, current.revision
            # From here to the write is the window another writer must leave open: no
            # await, and no collector pass over the heap, until the write is on its way.
            with paused():
                definition = EscDefinition.parse(current.yaml)
                if sent is not None and definition.dump() == sent[1]:
                    # Our own write landed; its answer was lost and the client's retry met
                    # the new ETag. What is in ESC is exactly what we sent.
                    result.plan, result.written = sent[0], True
                    result.other_writes += _others(landed_before, revision, ours=1)
                    return
                # A 409 may also follow our own landed write (its answer lost) with
                # another writer's change on top: the re-plan then finds nothing left to
                # write. (Counted as others' either way: a plain conflict is likelier.)
                result.other_writes += _others(landed_before, revision, ours=0)
                result.plan = _plan(smap, env, definition, source, times, options, judged)
                _check(result.plan, options)
                if sent is not None and not result.plan.needs_write:
                    result.written = True
                    return
                text = _edited(definition, result.plan, source)
        else:
            # On the editor's thread (see sync_environments), so the event loop keeps
            # sending the writes of the environments edited before this one.
            loop = asyncio.get_running_loop()
            text = await loop.run_in_executor(editor, _edited, definition, result.plan, source)
        if text is None:
            return
        try:
            await esc.update_definition(smap.esc_org, smap.esc_project, env_name, text, etag=etag)
        except ConflictError as exc:
            # Only a 409 met by a retry can be answering our own write; a first attempt's
            # 409 means nothing was applied, and the re-read needs no comparison (it is
            # the read-to-write window a busy writer has to leave open).
            sent = (result.plan, EscDefinition.parse(text).dump()) if exc.after_unanswered else None
            continue
        except (UnreachableError, RateLimitError):
            # No answer came, but an attempt may have been applied before its answer was
            # lost: look before saying it failed.
            if await _landed(esc, smap, env, result, source, times, options, revision):
                return
            raise
        result.written = True
        return
    others = f"; {result.other_writes} changes by others seen" if result.other_writes else ""
    raise ConflictError(
        f"{smap.esc_ref(env)}: still changed by another writer after "
        f"{options.max_attempts} attempts{others}",
        service="esc",
        status=409,
        hint="run sync again, or when the other writer is quieter",
    )


def _edited(definition: EscDefinition, plan: EnvPlan, source: SourceValues) -> str | None:
    """The text to write for ``plan``, or None when it has nothing to write."""
    if not plan.needs_write:
        return None
    with paused():
        apply_plan(definition, plan, source, _now())
        return definition.dump()


async def _landed(
    esc: EscClient,
    smap: SecretMap,
    env: str,
    result: EnvResult,
    source: SourceValues,
    times: Mapping[str, str | None] | None,
    options: SyncOptions,
    revision: int | None,
) -> bool:
    """Whether the unanswered write is in ESC after all: one more read, trying twice as
    hard as an ordinary one, and a plan that has nothing left to write. A read that fails
    too leaves the original error standing (exit 1: the run cannot say it landed)."""
    try:
        definition, _, now = await _read_revision(esc, smap, env, attempts=2 * esc.policy.attempts)
    except ServiceError:
        return False
    plan = _plan(smap, env, definition, source, times, options)
    if plan.needs_write:
        return False
    result.written = True
    result.other_writes += _others(revision, now, ours=1)
    return True


def _others(before: int | None, after: int | None, *, ours: int) -> int:
    """Revisions between two reads that were not ours (``ours``: writes of ours that may
    have landed in between)."""
    if before is None or after is None:
        return 0
    return max(0, after - before - ours)


async def _pause(esc: EscClient, options: SyncOptions, attempt: int) -> None:
    """The pause before the re-read of attempt ``attempt`` (2 and up).

    None before the first re-read: a 409 says another writer has just written, so the
    moment right after it is the one most likely to stay quiet until our write arrives.
    Full-jitter backoff after that, so a sync never keeps pace with a writer's period.
    """
    if attempt <= 2:
        return
    ceiling = min(options.conflict_pause_cap, options.conflict_pause_first * 2 ** (attempt - 3))
    await asyncio.sleep(random.uniform(0, ceiling) * esc.policy.time_scale)  # noqa: S311


def _now() -> str:
    stamp = format_timestamp(datetime.now(timezone.utc))
    assert stamp is not None
    return stamp
