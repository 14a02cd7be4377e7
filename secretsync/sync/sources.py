"""Where secret values come from for ``plan``, ``sync``, ``push`` and ``audit --values env``.

Three shapes, one result: the process environment (names are GitHub secret names), a JSON
object in a file or on stdin (exactly what ``${{ toJSON(secrets) }}`` gives inside GitHub
Actions), or the same JSON in ``$SECRETSYNC_SECRETS_JSON``. A bad source fails with one line
that names where (``file:line:col``) and which key, never a value.

``push`` also reads a deploy environment's ESC environment (``esc:ENV``,
:func:`load_esc_source`): one decrypted read, each mapped secret taken at its ESC path
exactly as ESC would give it when it needs no other value (an ``fn::secret`` as written,
sync's Base64 form decoded, a plain string with ``$$`` read as ``$``); a path that is
absent, or holds an interpolation, a number or another shape, is a problem by name.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from secretsync.errors import SourceError

if TYPE_CHECKING:
    from secretsync.clients import EscClient
    from secretsync.map.model import Secret, SecretMap

__all__ = [
    "ESC_PREFIX",
    "JSON_ENV_VAR",
    "JSON_MAX_BYTES",
    "ORG_SECRET_LIMIT",
    "OWN_CREDENTIALS",
    "SourceValues",
    "load_esc_source",
    "load_source",
]

ESC_PREFIX = "esc:"

JSON_ENV_VAR = "SECRETSYNC_SECRETS_JSON"
# The most ``toJSON(secrets)`` can hold: 1,200 secrets (1,000 organization, 100 repository,
# 100 environment) of at most 48 KB each is about 58 MB; past this a source is refused
# before it is read whole (``json:/dev/zero`` must not run until memory is gone).
JSON_MAX_BYTES = 64 * 1024 * 1024
# A workflow sees only the first 100 organization secrets (alphabetically); a source with
# that many names may have been cut off.
ORG_SECRET_LIMIT = 100
# Added by GitHub Actions to every toJSON(secrets); it is the workflow's own token.
_IGNORED_KEYS = frozenset({"GITHUB_TOKEN"})
# secretsync's own credentials: in the process environment they are the tokens this run
# uses, not values to copy into ESC or GitHub. A JSON source may still carry secrets of
# these names (toJSON(secrets) in a workflow is the intended way to sync them).
OWN_CREDENTIALS = frozenset({"GH_TOKEN", "GITHUB_TOKEN", "PULUMI_ACCESS_TOKEN"})


@dataclass(frozen=True)
class SourceValues:
    """Values by GitHub secret name; ``repr`` shows names only."""

    values: Mapping[str, str] = field(repr=False)
    origin: str
    from_actions: bool = False
    withheld: frozenset[str] = frozenset()  # set in the environment, but our credentials
    locations: Mapping[str, str] = field(default_factory=dict)  # name -> where it was read
    problems: Mapping[str, str] = field(default_factory=dict)  # name -> why it has no value

    def __repr__(self) -> str:
        return f"SourceValues(origin={self.origin!r}, names={len(self.values)})"

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def withheld_warnings(self, names: Iterable[str]) -> list[str]:
        """One line per mapped name skipped because it is one of secretsync's credentials."""
        return [
            f"{name} in the process environment is secretsync's own credential, not read "
            f"as the value of the mapped secret {name}; pass it with --source json:FILE "
            "(in a workflow, ${{ toJSON(secrets) }})"
            for name in sorted(set(names) & self.withheld)
        ]

    @property
    def looks_truncated(self) -> bool:
        """True when a JSON source holds at least the 100 names a workflow is cut off at.

        ``toJSON(secrets)`` mixes organization, repository and environment secrets, so the
        exact organization count cannot be told apart; reaching the limit is the signal.
        """
        return self.from_actions and len(self.values) >= ORG_SECRET_LIMIT


def load_source(spec: str | None, environ: Mapping[str, str], stdin: TextIO) -> SourceValues:
    """Read the values ``spec`` names: ``env``, ``json:FILE`` or ``json:-``.

    ``None`` means ``$SECRETSYNC_SECRETS_JSON`` when it is set, else the environment.
    """
    if spec is None:
        if environ.get(JSON_ENV_VAR):
            text = environ[JSON_ENV_VAR]
            _check_size(len(text), f"${JSON_ENV_VAR}")
            return _parse_json(text, f"${JSON_ENV_VAR}")
        spec = "env"
    if spec == "env":
        values = {
            name: value for name, value in environ.items() if name.upper() not in OWN_CREDENTIALS
        }
        withheld = frozenset(name for name in environ if name.upper() in OWN_CREDENTIALS)
        return SourceValues(values=values, origin="the process environment", withheld=withheld)
    if spec.startswith("json:"):
        target = spec[len("json:") :]
        if target == "-":
            # Characters, not bytes: a 4-byte character counts once, so this allows a
            # little more than the byte cap, never an unbounded read.
            text = stdin.read(JSON_MAX_BYTES + 1)
            _check_size(len(text), "<stdin>")
            return _parse_json(text, "<stdin>")
        if not target:
            raise SourceError("--source json: needs a file name or '-'")
        path = Path(target)
        try:
            with path.open("rb") as handle:
                raw = handle.read(JSON_MAX_BYTES + 1)
        except FileNotFoundError:
            raise SourceError(f"{path}: no such file") from None
        except OSError as exc:
            raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
        _check_size(len(raw), str(path))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SourceError(f"{path}: not UTF-8 text") from None
        return _parse_json(text, str(path))
    raise SourceError(
        f"unknown source {spec!r}", hint="use --source env, --source json:FILE or json:-"
    )


def _check_size(size: int, origin: str) -> None:
    if size > JSON_MAX_BYTES:
        raise SourceError(
            f"{origin}: larger than {JSON_MAX_BYTES // (1024 * 1024)} MB, more than any "
            "${{ toJSON(secrets) }} can hold",
            hint="pass exactly ${{ toJSON(secrets) }}",
        )


def _parse_json(text: str, origin: str) -> SourceValues:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        # exc.msg describes the syntax only ("Expecting ',' delimiter"); exc.doc (the
        # text, with values in it) is never used.
        raise SourceError(
            f"{origin}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}",
            hint="pass exactly ${{ toJSON(secrets) }}",
        ) from None
    except RecursionError:
        # Nesting deeper than the interpreter's stack: no secrets document looks like that.
        raise SourceError(
            f"{origin}: JSON nested too deeply to be a secrets object",
            hint="pass exactly ${{ toJSON(secrets) }}",
        ) from None
    if not isinstance(document, dict):
        raise SourceError(
            f"{origin}: expected a JSON object of secret names to values, "
            f"got {_json_type(document)}"
        )
    values: dict[str, str] = {}
    for key, value in document.items():
        name = key.upper()
        if name in _IGNORED_KEYS:
            continue
        if not isinstance(value, str):
            raise SourceError(
                f"{origin}: the value of {key!r} is {_json_type(value)}, not a string"
            )
        if name in values:
            raise SourceError(f"{origin}: {key!r} appears twice (names are case-insensitive)")
        if not _encodable(key) or not _encodable(value):
            # json accepts a lone UTF-16 surrogate ("\ud800"); nothing can send it on.
            shown = key if _encodable(key) else key.encode("utf-8", "backslashreplace").decode()
            raise SourceError(f"{origin}: the value of {shown!r} is not valid Unicode")
        values[name] = value
    return SourceValues(values=values, origin=origin, from_actions=True)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a string"


async def load_esc_source(
    esc: EscClient, smap: SecretMap, environment: str, secrets: Iterable[Secret]
) -> SourceValues:
    """The values of ``secrets`` in deploy environment ``environment``'s ESC environment.

    One decrypted read. Values ESC would compute from others (an interpolation) or that
    are not strings are not guessed at: they are listed in ``problems``, as absent paths are.
    """
    from secretsync.sync.definition import EscDefinition

    env_name = smap.environments[environment].esc_env
    current = await esc.get_definition(smap.esc_org, smap.esc_project, env_name, decrypt=True)
    definition = EscDefinition.parse(current.yaml)
    ref = smap.esc_ref(environment)
    values: dict[str, str] = {}
    locations: dict[str, str] = {}
    problems: dict[str, str] = {}
    for secret in secrets:
        value, why = definition.literal_value(secret.esc_path)
        if value is None:
            problems[secret.name] = (
                f"{secret.esc_path} is not in ESC environment {ref} (values it imports "
                "are not read)"
                if why is None
                else f"{secret.esc_path} in ESC environment {ref} holds {why}"
            )
            continue
        values[secret.name] = value
        locations[secret.name] = f"ESC {ref} at {secret.esc_path}"
    return SourceValues(
        values=values, origin=f"ESC environment {ref}", locations=locations, problems=problems
    )
