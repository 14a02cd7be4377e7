"""Which request asks each provider whether a credential authenticates: the table, as data.

One :class:`ProviderSpec` per provider: its fixed official host, the map ``format`` names it
verifies, and one :class:`Check` (or one per token prefix) saying which read-only request
to send, how the credential travels, and which answers mean ``live`` or ``rejected``.
Everything else a provider answers is ``unknown``. Each entry cites the provider's own
documentation for the endpoint and its status codes; trufflehog's detectors were read for
how a well-known verifier calls the same endpoints (facts, not code).

Nothing here sends anything: :mod:`secretsync.verify.engine` does, and only to ``host``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["CATALOG", "Check", "ProviderSpec", "for_format", "spec"]

#: How the credential travels: ``Authorization: Bearer <v>``, ``Authorization: token <v>``,
#: a named header holding the bare value, or Docker Hub's JSON body (account + secret).
Auth = Literal["bearer", "token", "header", "dockerhub-json"]


@dataclass(frozen=True)
class Check:
    """One read-only request and how to read its answer."""

    method: Literal["GET", "POST"]
    path: str
    auth: Auth
    docs: tuple[str, ...]
    #: The header carrying the bare value when ``auth == "header"``.
    header: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    live: frozenset[int] = frozenset({200})
    rejected: frozenset[int] = frozenset({401})
    #: Slack's Web API answers 200 with ``{"ok": false, "error": "<code>"}``: the codes that
    #: mean the token does not authenticate. Empty: the status alone decides.
    rejected_errors: frozenset[str] = frozenset()
    #: Values starting with one of these use this check (empty: any value).
    prefixes: tuple[str, ...] = ()
    #: What a ``live`` status other than 200 means, for the detail line.
    live_notes: tuple[tuple[int, str], ...] = ()

    @property
    def reads_body(self) -> bool:
        return bool(self.rejected_errors)


@dataclass(frozen=True)
class ProviderSpec:
    """One provider: where to ask, for which formats, and with which checks."""

    name: str
    host: str
    formats: tuple[str, ...]
    checks: tuple[Check, ...]
    #: Token prefixes that authenticate no API request (refresh tokens, publishable keys).
    not_verifiable: tuple[tuple[str, str], ...] = ()
    #: The request needs the account name too (Docker Hub): a companion secret supplies it.
    needs_account: bool = False
    notes: tuple[str, ...] = field(default=())

    def check_for(self, value: str) -> Check | None:
        """The check for ``value`` by its prefix; None when no check applies."""
        for check in self.checks:
            if not check.prefixes or value.startswith(check.prefixes):
                return check
        return None

    def unverifiable_reason(self, value: str) -> str | None:
        for prefix, reason in self.not_verifiable:
            if value.startswith(prefix):
                return reason
        return None


_GITHUB_USER = "https://docs.github.com/en/rest/users/users#get-the-authenticated-user"
_GITHUB_INSTALL = (
    "https://docs.github.com/en/rest/apps/installations"
    "#list-repositories-accessible-to-the-app-installation"
)
_GITHUB_HEADERS = (
    ("Accept", "application/vnd.github+json"),
    ("X-GitHub-Api-Version", "2022-11-28"),
)

_SLACK_REJECTED = frozenset(
    {"not_authed", "invalid_auth", "token_revoked", "account_inactive", "token_expired"}
)

CATALOG: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        "github",
        "api.github.com",
        ("github",),
        (
            # Installation tokens may not read /user; their documented read is this list.
            Check(
                "GET",
                "/installation/repositories?per_page=1",
                "bearer",
                (_GITHUB_INSTALL,),
                headers=_GITHUB_HEADERS,
                prefixes=("ghs_",),
            ),
            # 200 / 304 / 401 / 403 are the documented answers; 403 (forbidden or a rate
            # limit) says nothing about whether the token is good.
            Check("GET", "/user", "bearer", (_GITHUB_USER,), headers=_GITHUB_HEADERS),
        ),
        not_verifiable=(("ghr_", "a GitHub refresh token authenticates no API request"),),
    ),
    ProviderSpec(
        "pulumi",
        "api.pulumi.com",
        ("pulumi",),
        (
            # "The Pulumi Cloud REST API will return a 401 status code if the token is
            # missing or invalid."
            Check(
                "GET",
                "/api/user",
                "token",
                (
                    "https://www.pulumi.com/docs/reference/cloud-rest-api/users/",
                    "https://www.pulumi.com/docs/reference/cloud-rest-api/api-basics/",
                ),
                headers=(("Accept", "application/vnd.pulumi+8"),),
            ),
        ),
    ),
    ProviderSpec(
        "openai",
        "api.openai.com",
        ("openai",),
        (
            # 401: invalid authentication, incorrect key, no organization, IP not allowed;
            # 403 (unsupported country) and 429 (rate or quota) say nothing about the key.
            Check(
                "GET",
                "/v1/models",
                "bearer",
                (
                    "https://platform.openai.com/docs/api-reference/models/list",
                    "https://platform.openai.com/docs/guides/error-codes",
                ),
            ),
        ),
    ),
    ProviderSpec(
        "anthropic",
        "api.anthropic.com",
        ("anthropic",),
        (
            Check(
                "GET",
                "/v1/organizations/api_keys?limit=1",
                "header",
                (
                    "https://docs.anthropic.com/en/api/admin-api/apikeys/list-api-keys",
                    "https://docs.anthropic.com/en/api/errors",
                ),
                header="x-api-key",
                headers=(("anthropic-version", "2023-06-01"),),
                prefixes=("sk-ant-admin01-",),
            ),
            # 401 authentication_error; 403 permission_error, 429 and 529 are not about
            # whether the key authenticates.
            Check(
                "GET",
                "/v1/models?limit=1",
                "header",
                (
                    "https://docs.anthropic.com/en/api/models-list",
                    "https://docs.anthropic.com/en/api/errors",
                ),
                header="x-api-key",
                headers=(("anthropic-version", "2023-06-01"),),
            ),
        ),
    ),
    ProviderSpec(
        "slack",
        "slack.com",
        ("slack_token",),
        (
            # Always HTTP 200; the body's ok/error says. auth.test's documented errors:
            # not_authed, invalid_auth, token_revoked, account_inactive (the token is no
            # good), plus request-shape and server errors (unknown); token_expired is the
            # token-rotation answer. 429 + Retry-After is the rate limit.
            Check(
                "POST",
                "/api/auth.test",
                "bearer",
                (
                    "https://docs.slack.dev/reference/methods/auth.test",
                    "https://docs.slack.dev/authentication/using-token-rotation",
                    "https://docs.slack.dev/apis/web-api/rate-limits",
                ),
                rejected=frozenset(),
                rejected_errors=_SLACK_REJECTED,
            ),
        ),
        not_verifiable=(
            ("xoxe-", "a Slack refresh token authenticates no API request"),
            ("xoxr-", "a Slack refresh token authenticates no API request"),
        ),
        notes=("slack_webhook values are never called: a webhook URL is not a token",),
    ),
    ProviderSpec(
        "stripe",
        "api.stripe.com",
        ("stripe",),
        (
            # 401 "No valid API key provided"; 403 "The API key doesn't have permissions
            # to perform the request": it authenticated (a restricted key).
            Check(
                "GET",
                "/v1/balance",
                "bearer",
                (
                    "https://docs.stripe.com/api/balance/balance_retrieve",
                    "https://docs.stripe.com/api/authentication",
                    "https://docs.stripe.com/api/errors",
                ),
                live=frozenset({200, 403}),
                live_notes=((403, "authenticates, but may not read the balance (restricted key)"),),
            ),
        ),
        not_verifiable=(
            ("pk_", "a Stripe publishable key authenticates no secret API request"),
            ("whsec_", "a Stripe webhook signing secret authenticates no API request"),
        ),
    ),
    ProviderSpec(
        "vercel",
        "api.vercel.com",
        ("vercel",),
        (
            # Vercel's documented answer to a missing or invalid token is 403 `forbidden`.
            Check(
                "GET",
                "/v2/user",
                "bearer",
                (
                    "https://vercel.com/docs/rest-api/user/get-the-user",
                    "https://vercel.com/docs/rest-api/errors",
                ),
                rejected=frozenset({403}),
            ),
        ),
    ),
    ProviderSpec(
        "dockerhub",
        "hub.docker.com",
        ("dockerhub",),
        (
            # Exchanges account + PAT for a 10-minute JWT, which is discarded unread:
            # nothing is created that outlives the answer.
            Check(
                "POST",
                "/v2/auth/token",
                "dockerhub-json",
                (
                    "https://docs.docker.com/reference/api/hub/latest/"
                    "#tag/authentication-api/operation/AuthCreateAccessToken",
                ),
            ),
        ),
        needs_account=True,
    ),
    ProviderSpec(
        "pinecone",
        "api.pinecone.io",
        ("pinecone",),
        (
            Check(
                "GET",
                "/indexes",
                "header",
                (
                    "https://docs.pinecone.io/reference/api/authentication",
                    "https://docs.pinecone.io/reference/api/2025-10/control-plane/list_indexes",
                ),
                header="Api-Key",
                headers=(("X-Pinecone-Api-Version", "2025-10"),),
            ),
        ),
    ),
    ProviderSpec(
        "sendgrid",
        "api.sendgrid.com",
        ("sendgrid",),
        (
            # Every key may read its own scopes, so 403 is not an answer about the key.
            Check(
                "GET",
                "/v3/scopes",
                "bearer",
                (
                    "https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions/"
                    "retrieve-a-list-of-scopes-for-which-this-user-has-access",
                    "https://www.twilio.com/docs/sendgrid/api-reference/"
                    "how-to-use-the-sendgrid-v3-api/responses",
                ),
            ),
        ),
        notes=("keys of EU-regional subusers answer on api.eu.sendgrid.com, not asked",),
    ),
    ProviderSpec(
        "npm",
        "registry.npmjs.org",
        ("npm",),
        (
            # npm documents the endpoint (what `npm whoami` asks) but no status table; 401
            # is HTTP's "not authenticated".
            Check(
                "GET",
                "/-/whoami",
                "bearer",
                ("https://docs.npmjs.com/cli/v10/commands/npm-whoami",),
            ),
        ),
    ),
    ProviderSpec(
        "gitlab",
        "gitlab.com",
        ("gitlab",),
        (
            # Works with any scope, unlike /user (read_user): 401 for an invalid, expired
            # or revoked token.
            Check(
                "GET",
                "/api/v4/personal_access_tokens/self",
                "header",
                (
                    "https://docs.gitlab.com/ee/api/personal_access_tokens.html"
                    "#get-single-personal-access-token",
                    "https://docs.gitlab.com/ee/api/rest/authentication.html",
                ),
                header="PRIVATE-TOKEN",
            ),
        ),
        notes=("gitlab.com only: a self-managed instance's token is answered 401 there",),
    ),
    ProviderSpec(
        "huggingface",
        "huggingface.co",
        ("huggingface",),
        (
            Check(
                "GET",
                "/api/whoami-v2",
                "bearer",
                (
                    "https://huggingface.co/docs/hub/api#get-apiwhoami-v2",
                    "https://huggingface.co/docs/hub/security-tokens",
                ),
            ),
        ),
    ),
)

_BY_NAME = {p.name: p for p in CATALOG}
_BY_FORMAT = {fmt: p for p in CATALOG for fmt in p.formats}
#: Formats that are deliberately never sent anywhere, and why.
NEVER_CALLED = {"slack_webhook": "a webhook URL: never called"}


def spec(name: str) -> ProviderSpec:
    """The provider called ``name``; ``KeyError`` when there is none."""
    return _BY_NAME[name]


def for_format(format_name: str) -> ProviderSpec | None:
    """The provider that verifies values of that map ``format``, if any."""
    return _BY_FORMAT.get(format_name)
