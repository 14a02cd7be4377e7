"""verify: does each credential still authenticate at its own provider?

Owns the provider table (``catalog``: one documented read-only request per provider,
cited), sending those requests safely (``engine``: fixed hosts, no redirects, timeouts,
bounded concurrency, ``retry-after``), choosing what to ask (``targets``: values from ESC or
a values source, never sent to a provider whose format they do not match) and the result
(``status``, ``report``). May import ``providers``, ``map``, ``placeholders``, ``clients``
(http, credentials), ``sync.definition`` and ``errors``; ``audit`` and ``cli`` import it.
"""

from __future__ import annotations

from secretsync.verify.catalog import CATALOG, Check, ProviderSpec, for_format, spec
from secretsync.verify.engine import PROVIDERS_URL_ENV, Verifier, providers_url
from secretsync.verify.report import JSON_SCHEMA_ID, VerifyReport
from secretsync.verify.status import Outcome, Status, VerifyResult
from secretsync.verify.targets import (
    Candidate,
    Question,
    decide,
    from_esc,
    from_source,
    verify_candidates,
)

__all__ = [
    "CATALOG",
    "JSON_SCHEMA_ID",
    "PROVIDERS_URL_ENV",
    "Candidate",
    "Check",
    "Outcome",
    "ProviderSpec",
    "Question",
    "Status",
    "Verifier",
    "VerifyReport",
    "VerifyResult",
    "decide",
    "for_format",
    "from_esc",
    "from_source",
    "providers_url",
    "spec",
    "verify_candidates",
]
