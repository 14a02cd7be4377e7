"""The emulator's provider facet: ``/_providers/{provider}/...`` answers each provider's
documented "who am I" request the way that provider documents it.

A credential is live only when a test (or the demo, or ``emulator --seed``) said so with
``PUT /_emulator/providers {"openai": {"live": ["sk-..."]}}`` or :meth:`ProviderFacet.accept`;
everything else gets that provider's documented answer for a bad credential: GitHub's 401
``Bad credentials``, Vercel's 403 ``forbidden``, Slack's HTTP 200 with ``ok: false`` and
``invalid_auth``, and so on. Each route also insists on what the provider requires (the
``anthropic-version`` header, Pulumi's ``token`` scheme, Docker Hub's JSON body), so a
client that sends the wrong shape is told so, as the real service would.

This table is written from the providers' documentation independently of
:mod:`secretsync.verify.catalog`, so the tests compare two readings of the docs rather
than one reading with itself. Answers never echo a credential.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from secretsync.emulator._http import EmuRequest, EmuResponse

__all__ = ["PREFIX", "PROVIDERS", "ProviderFacet", "ProvidersError"]

PREFIX = "/_providers"
#: Map ``format`` names that are another name for a facet (the map says ``slack_token``).
_ALIASES = {"slack_token": "slack"}


class ProvidersError(ValueError):
    """A ``PUT /_emulator/providers`` body the facet cannot use."""


Extract = Callable[[EmuRequest], "tuple[str | None, str | None]"]  # (credential, shape problem)


@dataclass(frozen=True)
class Route:
    """One documented request: how the credential arrives, and the two answers."""

    method: str
    path: str
    extract: Extract
    live: Callable[[], EmuResponse]
    rejected: Callable[[], EmuResponse]
    #: The answer when the credential is missing altogether (default: ``rejected``).
    missing: Callable[[], EmuResponse] | None = None


def _scheme(scheme: str) -> Extract:
    def extract(req: EmuRequest) -> tuple[str | None, str | None]:
        raw = req.headers.get("authorization", "").strip()
        word, _, rest = raw.partition(" ")
        if not raw:
            return None, None
        if word.lower() != scheme.lower() or not rest.strip():
            return "", None  # present but not in this provider's form: a bad credential
        return rest.strip(), None

    return extract


def _header(name: str, *, required: Mapping[str, str] | None = None) -> Extract:
    def extract(req: EmuRequest) -> tuple[str | None, str | None]:
        for header, why in (required or {}).items():
            if not req.headers.get(header):
                return None, why
        value = req.headers.get(name.lower(), "").strip()
        return (value or None), None

    return extract


def _dockerhub_body(req: EmuRequest) -> tuple[str | None, str | None]:
    try:
        doc = json.loads(req.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "the body must be JSON"
    if not isinstance(doc, dict) or not isinstance(doc.get("identifier"), str):
        return None, "identifier and secret are required"
    if not doc["identifier"] or not isinstance(doc.get("secret"), str):
        return None, "identifier and secret are required"
    return doc["secret"], None


def _json(status: int, payload: Any) -> Callable[[], EmuResponse]:
    return lambda: EmuResponse.json(status, payload)


_GITHUB_401 = _json(
    401,
    {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
     "status": "401"},
)  # fmt: skip
_USER = "emulated-user"

PROVIDERS: dict[str, tuple[Route, ...]] = {
    # docs.github.com/en/rest/users/users#get-the-authenticated-user
    "github": (
        Route("GET", "/user", _scheme("bearer"),
              _json(200, {"login": _USER, "id": 1, "type": "User"}), _GITHUB_401),
        Route("GET", "/installation/repositories", _scheme("bearer"),
              _json(200, {"total_count": 0, "repositories": []}), _GITHUB_401),
    ),
    # pulumi.com/docs/reference/cloud-rest-api/api-basics/: `Authorization: token ...`, 401
    "pulumi": (
        Route("GET", "/api/user", _scheme("token"),
              _json(200, {"id": "1", "githubLogin": _USER, "name": _USER,
                          "email": "user@example.com", "avatarUrl": "", "organizations": []}),
              _json(401, {"code": 401, "message": "Unauthorized: No credentials provided or "
                                                  "are invalid."})),
    ),
    # platform.openai.com/docs/guides/error-codes: 401 invalid_api_key
    "openai": (
        Route("GET", "/v1/models", _scheme("bearer"),
              _json(200, {"object": "list", "data": [
                  {"id": "gpt-4o-mini", "object": "model", "created": 1721172741,
                   "owned_by": "system"}]}),
              _json(401, {"error": {"message": "Incorrect API key provided.",
                                    "type": "invalid_request_error", "param": None,
                                    "code": "invalid_api_key"}}),
              missing=_json(401, {"error": {"message": "You didn't provide an API key.",
                                            "type": "invalid_request_error", "param": None,
                                            "code": None}})),
    ),
    # docs.anthropic.com/en/api/errors: 401 authentication_error; anthropic-version required
    "anthropic": tuple(
        Route("GET", path, _header("x-api-key", required={
                  "anthropic-version": "anthropic-version: header is required"}),
              _json(200, body),
              _json(401, {"type": "error", "error": {"type": "authentication_error",
                                                     "message": "invalid x-api-key"}}))
        for path, body in (
            ("/v1/models", {"data": [{"type": "model", "id": "claude-sonnet-4-5",
                                      "display_name": "Claude Sonnet 4.5"}],
                            "has_more": False, "first_id": None, "last_id": None}),
            ("/v1/organizations/api_keys", {"data": [], "has_more": False,
                                            "first_id": None, "last_id": None}),
        )
    ),
    # docs.slack.dev/reference/methods/auth.test: always 200, ok/error in the body
    "slack": (
        Route("POST", "/api/auth.test", _scheme("bearer"),
              _json(200, {"ok": True, "url": "https://emulated.slack.com/", "team": "Emulated",
                          "user": "bot", "team_id": "T0EMULATED", "user_id": "U0EMULATED",
                          "bot_id": "B0EMULATED"}),
              _json(200, {"ok": False, "error": "invalid_auth"}),
              missing=_json(200, {"ok": False, "error": "not_authed"})),
    ),
    # docs.stripe.com/api/errors: 401 "No valid API key provided"
    "stripe": (
        Route("GET", "/v1/balance", _scheme("bearer"),
              _json(200, {"object": "balance", "livemode": False,
                          "available": [{"amount": 0, "currency": "usd"}],
                          "pending": [{"amount": 0, "currency": "usd"}]}),
              _json(401, {"error": {"message": "Invalid API Key provided.",
                                    "type": "invalid_request_error"}})),
    ),
    # vercel.com/docs/rest-api/errors: 403 forbidden "Not authorized"
    "vercel": (
        Route("GET", "/v2/user", _scheme("bearer"),
              _json(200, {"user": {"id": "emulated", "username": _USER,
                                   "email": "user@example.com"}}),
              _json(403, {"error": {"code": "forbidden", "message": "Not authorized",
                                    "invalidToken": True}})),
    ),
    # docs.docker.com/reference/api/hub/latest/ AuthCreateAccessToken: 200 or 401
    "dockerhub": (
        Route("POST", "/v2/auth/token", _dockerhub_body,
              _json(200, {"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlbXVsYXRlZCJ9.e30"}),
              _json(401, {"detail": "Incorrect authentication credentials",
                          "message": "Incorrect authentication credentials"})),
    ),
    # docs.pinecone.io/reference/api/authentication: Api-Key header
    "pinecone": (
        Route("GET", "/indexes", _header("Api-Key"),
              _json(200, {"indexes": []}),
              _json(401, {"error": {"code": "UNAUTHENTICATED", "message": "Invalid API Key"},
                          "status": 401})),
    ),
    # twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/responses
    "sendgrid": (
        Route("GET", "/v3/scopes", _scheme("bearer"),
              _json(200, {"scopes": ["mail.send"]}),
              _json(401, {"errors": [{"field": None, "message": "authorization required"}]})),
    ),
    # docs.npmjs.com/cli/v10/commands/npm-whoami
    "npm": (
        Route("GET", "/-/whoami", _scheme("bearer"),
              _json(200, {"username": _USER}),
              _json(401, {"error": "Unauthorized"})),
    ),
    # docs.gitlab.com/ee/api/personal_access_tokens.html (self) and rest/authentication
    "gitlab": (
        Route("GET", "/api/v4/personal_access_tokens/self", _header("PRIVATE-TOKEN"),
              _json(200, {"id": 1, "name": "emulated", "revoked": False, "active": True,
                          "scopes": ["read_api"], "user_id": 1, "expires_at": None}),
              _json(401, {"message": "401 Unauthorized"})),
    ),
    # huggingface.co/docs/hub/api#get-apiwhoami-v2
    "huggingface": (
        Route("GET", "/api/whoami-v2", _scheme("bearer"),
              _json(200, {"type": "user", "name": _USER,
                          "auth": {"type": "access_token",
                                   "accessToken": {"displayName": "emulated", "role": "read"}}}),
              _json(401, {"error": "Invalid credentials in Authorization header"})),
    ),
}  # fmt: skip


class ProviderFacet:
    """Which credentials each provider accepts, and the answers. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: dict[str, set[str]] = {}

    def __repr__(self) -> str:
        with self._lock:
            counts = {name: len(values) for name, values in self._live.items()}
        return f"ProviderFacet(live={counts})"

    @staticmethod
    def knows(name: str) -> bool:
        """Whether ``name`` (a facet or a map format) has a facet."""
        return _ALIASES.get(name, name) in PROVIDERS

    @staticmethod
    def provider_name(name: str) -> str:
        """A facet name (``slack``) from itself or a map format (``slack_token``)."""
        name = _ALIASES.get(name, name)
        if name not in PROVIDERS:
            known = ", ".join(sorted(PROVIDERS))
            raise ProvidersError(f"no provider {name!r}; the emulator has {known}")
        return name

    def accept(self, provider: str, values: Iterable[str]) -> None:
        """Make ``values`` live at ``provider`` (a facet or map format name)."""
        name = self.provider_name(provider)
        with self._lock:
            self._live.setdefault(name, set()).update(values)

    def configure(self, config: Mapping[str, Any]) -> None:
        """Replace every live set: ``{"openai": {"live": ["sk-..."]}}`` (the PUT body)."""
        fresh: dict[str, set[str]] = {}
        for provider, entry in config.items():
            name = self.provider_name(str(provider))
            if not isinstance(entry, dict) or set(entry) - {"live"}:
                raise ProvidersError(f'{provider}: expected {{"live": ["..."]}}')
            live = entry.get("live", [])
            if not isinstance(live, list) or not all(isinstance(v, str) for v in live):
                raise ProvidersError(f'{provider}: "live" must be a list of strings')
            fresh.setdefault(name, set()).update(live)
        with self._lock:
            self._live = fresh

    def state(self) -> dict[str, dict[str, list[str]]]:
        """Every live set, in plain text (test-only, like the rest of the state)."""
        with self._lock:
            return {name: {"live": sorted(values)} for name, values in sorted(self._live.items())}

    def reset(self) -> None:
        with self._lock:
            self._live.clear()

    def handle(self, req: EmuRequest) -> EmuResponse:
        """``req.path`` starts with ``/_providers/{provider}``."""
        rest = req.path[len(PREFIX) :].lstrip("/")
        provider, _, tail = rest.partition("/")
        path = "/" + tail
        routes = PROVIDERS.get(provider)
        if routes is None:
            return EmuResponse.json(404, {"message": f"no emulated provider {provider!r}"})
        for route in routes:
            if route.path != path:
                continue
            if route.method != req.method:
                return EmuResponse.json(405, {"message": f"{path} takes {route.method}"})
            credential, problem = route.extract(req)
            if problem is not None:
                return EmuResponse.json(400, {"message": problem})
            if credential is None:
                return (route.missing or route.rejected)()
            with self._lock:
                accepted = credential in self._live.get(provider, set())
            return route.live() if accepted else route.rejected()
        return EmuResponse.json(404, {"message": f"{provider} has no {path} here"})
