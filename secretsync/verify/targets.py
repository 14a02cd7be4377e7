"""Which credentials to ask about, with which value, and why some are never sent.

A :class:`Candidate` is one mapped secret as read in one place: a decrypted ESC environment
or the values source. :func:`decide` says what verify does with it: ask the provider (a
:class:`Question`), or an ``unverifiable`` :class:`Outcome` naming the reason. A value is
only sent to the provider whose format it matches, and never when it is missing, empty or
a placeholder: the audit reports those.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from secretsync import providers
from secretsync.map.model import Secret, SecretMap
from secretsync.placeholders.judgement import judge
from secretsync.sync.definition import EscDefinition
from secretsync.verify.catalog import NEVER_CALLED, Check, ProviderSpec, for_format
from secretsync.verify.engine import Verifier
from secretsync.verify.status import Outcome, Status, VerifyResult

__all__ = ["Candidate", "Question", "decide", "from_esc", "from_source", "verify_candidates"]

_ACCOUNT_SUFFIXES = ("_ACCESS_TOKEN", "_TOKEN", "_PAT", "_PASSWORD", "_KEY")
_ACCOUNT_NAMES = ("DOCKERHUB_USERNAME", "DOCKER_HUB_USERNAME", "DOCKER_USERNAME",
                  "DOCKERHUB_USER", "DOCKER_USER")  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    """One mapped secret as read in one place; ``value`` None when it is not there."""

    secret: Secret
    environment: str | None
    system: str  # "esc" or "source"
    location: str
    value: str | None = field(repr=False)
    missing: str = "no value"  # why value is None, for the detail line
    #: The other mapped values read in the same place, by secret name (Docker Hub's
    #: account name is one of them).
    siblings: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Question:
    """What to send: a provider, its check, the value, and an account name if it needs one."""

    provider: ProviderSpec
    check: Check
    value: str = field(repr=False)
    account: str | None = field(default=None, repr=False)


def from_esc(
    smap: SecretMap, environment: str, definition: EscDefinition | None, *, read_error: str = ""
) -> list[Candidate]:
    """Every secret mapped into ``environment``, valued from its decrypted ESC definition."""
    ref = smap.esc_ref(environment)
    secrets = smap.secrets_for(environment)
    values: dict[str, str] = {}
    if definition is not None:
        for secret in secrets:
            value = definition.secret_value(secret.esc_path)
            if value is not None:
                values[secret.name] = value
    if read_error:
        missing = f"ESC environment {ref} could not be read: {read_error}"
    elif definition is None:
        missing = f"ESC environment {ref} does not exist"
    else:
        missing = "no value in ESC"
    return [
        Candidate(
            secret,
            environment,
            "esc",
            f"{ref}:{secret.esc_path}",
            values.get(secret.name),
            missing if definition is None or read_error else f"no value at {secret.esc_path}",
            values,
        )
        for secret in secrets
    ]


def from_source(
    smap: SecretMap,
    environments: Sequence[str | None],
    source: Mapping[str, str],
    origin: str = "the source",
) -> list[Candidate]:
    """Every secret mapped into each of ``environments`` (None: every audited secret once),
    valued from a values source (``--source``)."""
    mapped = {name: source[name] for name in smap.secrets if name in source}
    found: list[Candidate] = []
    for environment in environments:
        secrets = (
            smap.secrets_for(environment)
            if environment is not None
            else list(smap.secrets.values())
        )
        for secret in secrets:
            found.append(
                Candidate(
                    secret,
                    environment,
                    "source",
                    f"source:{secret.name}",
                    mapped.get(secret.name),
                    f"not in {origin}",
                    mapped,
                )
            )
    return found


def decide(candidate: Candidate) -> Question | Outcome:
    """Ask the provider, or say (``unverifiable``) why not."""
    secret, value = candidate.secret, candidate.value
    fmt = secret.format

    def no(reason: str) -> Outcome:
        return Outcome(Status.UNVERIFIABLE, reason)

    if fmt is None:
        if secret.is_sensitive:
            return no("no `format:` in the map names its provider")
        return no(f"type {secret.type}: not a credential")
    if fmt in NEVER_CALLED:
        return no(NEVER_CALLED[fmt])
    spec = for_format(fmt)
    if spec is None:
        return no(f"no provider verifies format {fmt}")
    if value is None:
        return no(candidate.missing)
    problem = judge(secret, value)
    if problem is not None:
        return no(f"not sent: {problem.reason}")
    if not providers.matches(fmt, value):
        return no(f"not sent: the value does not look like a {fmt} credential")
    reason = spec.unverifiable_reason(value)
    if reason is not None:
        return no(reason)
    check = spec.check_for(value)
    if check is None:  # pragma: no cover - every spec ends with a catch-all check
        return no(f"no {spec.name} check for this kind of token")
    account = None
    if spec.needs_account:
        account = _account(secret, candidate.siblings)
        if not account:
            stem = _stem(secret.name)
            return no(
                f"{spec.name} needs the account name too: map {stem}_USERNAME "
                "(or DOCKERHUB_USERNAME) beside it"
            )
    return Question(spec, check, value, account)


async def verify_candidates(
    verifier: Verifier,
    candidates: Iterable[Candidate],
    *,
    on_start: Callable[[int], None] | None = None,
    on_answer: Callable[[], None] | None = None,
) -> list[VerifyResult]:
    """Every candidate's result, in the order given; questions go out concurrently.

    ``on_start(n)`` hears how many candidates will be asked, ``on_answer()`` each answer
    (a progress bar's total and steps).
    """
    chosen = list(candidates)
    decisions = [decide(c) for c in chosen]
    if on_start is not None:
        on_start(sum(isinstance(d, Question) for d in decisions))

    async def answer(decision: Question | Outcome) -> Outcome:
        if isinstance(decision, Outcome):
            return decision
        outcome = await verifier.verify(
            decision.provider, decision.check, decision.value, decision.account
        )
        if on_answer is not None:
            on_answer()
        return outcome

    outcomes = await asyncio.gather(*(answer(d) for d in decisions))
    results = []
    for candidate, decision, outcome in zip(chosen, decisions, outcomes, strict=True):
        if isinstance(decision, Question):
            provider: str | None = decision.provider.name
        else:
            spec = for_format(candidate.secret.format or "")
            provider = spec.name if spec else None
        results.append(
            VerifyResult(
                secret=candidate.secret.name,
                environment=candidate.environment,
                provider=provider,
                status=outcome.status,
                detail=outcome.detail,
                system=candidate.system,
                location=candidate.location,
            )
        )
    return results


def _stem(name: str) -> str:
    upper = name.upper()
    for suffix in _ACCOUNT_SUFFIXES:
        if upper.endswith(suffix) and len(upper) > len(suffix):
            return upper[: -len(suffix)]
    return upper


def _account(secret: Secret, siblings: Mapping[str, str]) -> str | None:
    """The account name from a companion secret: ``<STEM>_USERNAME``/``_USER`` first."""
    stem = _stem(secret.name)
    by_upper = {name.upper(): value for name, value in siblings.items()}
    for name in (f"{stem}_USERNAME", f"{stem}_USER", *_ACCOUNT_NAMES):
        value = by_upper.get(name, "").strip()
        if value:
            return value
    return None
